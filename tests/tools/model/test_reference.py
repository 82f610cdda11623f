"""What a `model` string names, and when `org/name` is the catalog entry rather than a Hub fetch."""

from __future__ import annotations

import pytest
from modelmath.tools.errors import InvalidInput, UnknownName
from modelmath.tools.model import resolve
from modelmath.tools.model.reference import catalog_entry_for_repo, parse_reference


@pytest.mark.parametrize(("text", "kind", "repo", "rev", "file"), [
    ("llama-3.1-70b", "name", None, None, None),
    ("llama 3.1 70b", "name", None, None, None),
    ("llama3.1:8b", "name", None, None, None),  # an ollama tag, not a file in a repository
    ("Qwen/Qwen3-8B", "repo", "Qwen/Qwen3-8B", None, None),
    ("Qwen/Qwen3-8B@refs-pr-1", "repo", "Qwen/Qwen3-8B", "refs-pr-1", None),
    ("unsloth/Qwen3-8B-GGUF:Qwen3-8B-Q4_K_M.gguf", "repo", "unsloth/Qwen3-8B-GGUF", None, "Qwen3-8B-Q4_K_M.gguf"),
    ("org/name@v2:sub/dir/model-00001-of-00002.gguf", "repo", "org/name", "v2", "sub/dir/model-00001-of-00002.gguf"),
    ("https://huggingface.co/Qwen/Qwen3-8B", "url", "Qwen/Qwen3-8B", None, None),
    ("https://huggingface.co/Qwen/Qwen3-8B/tree/main", "url", "Qwen/Qwen3-8B", "main", None),
    ("https://hf.co/org/name/blob/abc123/q/x-Q4_K_M.gguf", "url", "org/name", "abc123", "q/x-Q4_K_M.gguf"),
    ("https://huggingface.co/org/name/resolve/main/x.gguf?download=true", "url", "org/name", "main", "x.gguf"),
    ("https://huggingface.co/org/name/blob/main/config.json", "url", "org/name", "main", None),
    ("https://huggingface.co/gpt2", "url", "gpt2", None, None),
    ("./my-finetune", "path", None, None, None),
    ("/data/models/llama", "path", None, None, None),
    ("~/models/x.gguf", "path", None, None, None),
    ("model-Q4_K_M.gguf", "path", None, None, None),
    ("checkpoints/run-7/final", "path", None, None, None),
])
def test_forms(text, kind, repo, rev, file):
    r = parse_reference(text)
    assert (r.kind, r.repo_id, r.revision, r.filename) == (kind, repo, rev, file)


@pytest.mark.parametrize("text", ["org/name:config.json", "https://huggingface.co/datasets/org/data",
                                  "https://huggingface.co/org/name/discussions/3", "x" * 1001])
def test_malformed(text):
    with pytest.raises(InvalidInput):
        parse_reference(text)


@pytest.mark.parametrize(("text", "entry"), [
    ("meta-llama/Llama-3.1-70B-Instruct", "llama-3.1-70b"),  # listed alias
    ("meta-llama/llama-3.1-70b-instruct", "llama-3.1-70b"),  # case
    ("deepseek-ai/DeepSeek-V3", "deepseek-v3"),  # the entry's own repository
    ("Qwen/Qwen3-8B-Instruct", "qwen3-8b"),  # same publisher, an instruct suffix
    ("Qwen/Qwen3-30B-A3B-Instruct-2507", "qwen3-30b-a3b"),  # same shape, a newer instruct release
    ("Qwen/Qwen3-30B-A3B-Instruct-2507-FP8", None),  # a quantised checkpoint: other bytes
    ("RedHatAI/Llama-3.1-8B-Instruct-FP8", None),  # another publisher
    ("unsloth/Llama-3.1-8B-Instruct", None),  # a re-upload: its own files
    ("unsloth/Llama-3.1-8B-Instruct-bnb-4bit", None),
    ("meta-llama/Llama-3.1-70B-Instruct@main", None),  # a revision always means the Hub
    ("nobody/no-such-model", None),
])
def test_catalog_or_hub(text, entry):
    got = catalog_entry_for_repo(parse_reference(text))
    assert (got.id if got else None) == entry


def test_without_a_reader_nothing_changes(monkeypatch):
    monkeypatch.setattr(resolve, "_reader", None)
    with pytest.raises(UnknownName, match="did you mean"):
        resolve.resolve_reference("llama-3.1-8bb")
    with pytest.raises(UnknownName):
        resolve.resolve_reference("nobody/no-such-model")
    # ...and the forgiving lookup answers as it always did
    assert resolve.resolve_reference("nobody/Llama-3.1-8B-FP8").entry_id == "llama-3.1-8b"
    with pytest.raises(InvalidInput, match="registered no reader"):
        resolve.resolve_reference("Qwen/Qwen3-8B@main")
    assert resolve.resolve_reference("meta-llama/Llama-3.1-8B-Instruct").entry_id == "llama-3.1-8b"


def test_catalog_names_never_reach_the_reader(monkeypatch):
    calls = []
    monkeypatch.setattr(resolve, "_reader", lambda ref, local_paths=True: calls.append(ref) or None)
    assert resolve.resolve_reference("llama 3.1 8b").entry_id == "llama-3.1-8b"
    assert resolve.resolve_reference("meta-llama/Llama-3.1-8B-Instruct").entry_id == "llama-3.1-8b"
    assert calls == []
    with pytest.raises(UnknownName, match="did you mean"):  # no local path of that name either
        resolve.resolve_reference("llama-3.1-8bb")
    assert [c.text for c in calls] == ["llama-3.1-8bb"]


def test_local_paths_off_refuses_paths_before_the_reader_and_tells_it_so(monkeypatch):
    # The network surfaces' policy (reference.local_paths(False)): a path never reaches the reader (so nothing
    # learns whether it exists); other forms do, with local_paths=False so the reader skips the file system.
    from modelmath.tools.model.reference import local_paths

    calls = []
    monkeypatch.setattr(resolve, "_reader", lambda ref, local_paths=True: calls.append((ref.kind, local_paths)))
    with local_paths(False):
        for path in ("/etc", "./x", "~/m", "m.gguf", "file:///etc", "C:\\models\\x"):
            with pytest.raises(InvalidInput, match="local paths are not accepted over HTTP") as exc:
                resolve.resolve_reference(path)
            assert exc.value.field == "model" and "org/name" in exc.value.allowed
        assert calls == []
        with pytest.raises(UnknownName):
            resolve.resolve_reference("no-such-model-here")
        with pytest.raises(UnknownName):
            resolve.resolve_reference("acme/some-model")  # the reader found nothing: the catalog's answer
    assert calls == [("name", False), ("repo", False)]
    calls.clear()
    with pytest.raises(UnknownName):
        resolve.resolve_reference("./x")  # outside the block: the CLI's rule, the reader looks (and finds nothing)
    assert calls == [("path", True)]
