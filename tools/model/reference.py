"""What a `model` string names: a catalog name, a Hugging Face Hub repository (with a revision or one GGUF file
in it), a pasted Hub URL, or a local path. Pure string parsing; reading any of them is plugin/hub's job.

Forms accepted:
    llama-3.1-70b, "llama 3.1 70b", llama3.1:8b      catalog names (forgiving, as before)
    org/name   org/name@revision   org/name:file.gguf   org/name@revision:file.gguf
    https://huggingface.co/org/name[/tree/REV | /blob/REV/FILE | /resolve/REV/FILE]
    ./dir, /abs/dir, ~/dir, model.gguf                 local paths (an existing path also wins over the Hub)

When does `org/name` mean the catalog entry rather than a live Hub fetch? (`catalog_entry_for_repo`)
The catalog answers, offline, when the repository is the entry's own (its hf_repo or a listed alias), or when
it comes from the same publisher and differs only in case, punctuation or an instruct/chat/base suffix. Any
other repository - re-uploads by other organisations, quantised variants (-FP8, -AWQ, -GGUF, -bnb-4bit …),
fine-tunes - is read from the Hub, because its stored bytes (and often its config) differ. A revision, a file
or a URL always means the Hub: `org/name@main` is how to ask for the live checkpoint of a catalog model.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache

from ..errors import InvalidInput, UnknownName
from .catalog import CatalogEntry, entries, lookup

KINDS = ("name", "repo", "path", "url")
MAX_REFERENCE_CHARS = 1000

# Hub naming rules: letters, digits, '-', '_', '.'; at most 96 characters per part.
_PART = r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}"


@cache
def _repo_pattern() -> re.Pattern:
    return re.compile(rf"^(?P<repo>{_PART}/{_PART})(?:@(?P<rev>[^\s:@]+))?(?::(?P<file>[^\s]+))?$")


_URL_VERBS = ("tree", "blob", "resolve", "commit")

# Name tokens that mark a re-encoded checkpoint: such a repository stores other bytes than the catalog entry.
_FORMAT_MARKERS = frozenset({
    "fp8", "fp4", "fp16", "bf16", "int4", "int8", "awq", "gptq", "gguf", "bnb", "4bit", "8bit", "nf4", "mlx",
    "exl2", "exl3", "nvfp4", "mxfp4", "w4a16", "w8a8", "w8a16", "w4a4", "quantized", "dynamic", "fp8dynamic",
    "onnx", "openvino", "hqq", "int3", "3bit", "2bit", "6bit",
})


@dataclass(frozen=True)
class ModelRef:
    text: str
    kind: str  # one of KINDS
    repo_id: str | None = None  # Hub repository, for kind "repo" and "url"
    revision: str | None = None  # branch, tag or commit; None: the default branch
    filename: str | None = None  # one file in the repository (a .gguf)
    host: str | None = None  # for kind "url": the host it names, checked against the Hub endpoint by the reader

    @property
    def pinned(self) -> bool:
        """Asks for the Hub explicitly (a revision, a file or a URL), so the catalog does not answer."""
        return self.kind == "url" or self.revision is not None or self.filename is not None


# Whether a `model` string may name a path on this machine. The CLI and the stdio MCP server leave it on (their
# user is the one whose files they read); the network surfaces (`modelmath web`, `modelmath mcp --transport
# streamable-http`) turn it off for the requests they serve, because there the caller is someone else: reading
# a path for them would tell them which files exist and what a config or GGUF header there holds. A context
# variable rather than a parameter: it is the surface's decision, and every tool reaches resolve.py the same way.
_LOCAL_PATHS: ContextVar[bool] = ContextVar("modelmath_local_paths", default=True)

# What a caller without local paths can give instead (the `allowed` of the refusal).
REMOTE_FORMS = ("catalog name", "org/name", "org/name@revision", "org/name:file.gguf",
                "https://huggingface.co/org/name")


def local_paths_allowed() -> bool:
    return _LOCAL_PATHS.get()


@contextmanager
def local_paths(allowed: bool) -> Iterator[None]:
    """Within this block (this thread or task, and what it starts with the context copied), local paths are
    read (True) or refused (False)."""
    token = _LOCAL_PATHS.set(allowed)
    try:
        yield
    finally:
        _LOCAL_PATHS.reset(token)


def local_path_refused(text: str) -> InvalidInput:
    """The error for a local path where local paths are off. Raised before anything touches the file system,
    so it reads the same whether or not the path exists."""
    return InvalidInput(f"{text!r} is a local path: local paths are not accepted over HTTP (a server started with "
                        "--allow-local-paths accepts them). Give a catalog name or a Hugging Face Hub id: org/name, "
                        "org/name@revision, org/name:file.gguf or an https://huggingface.co/ URL",
                        field="model", allowed=list(REMOTE_FORMS), see="model_lookup")


def parse_reference(text: str) -> ModelRef:
    """Classify a `model` string. Raises InvalidInput for a malformed Hub reference."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("model must be a non-empty string", field="model")
    text = text.strip()
    if len(text) > MAX_REFERENCE_CHARS:
        raise InvalidInput(f"model is {len(text):,} characters long; at most {MAX_REFERENCE_CHARS} are accepted",
                           field="model")
    if "/" not in text and "\\" not in text and not text.startswith("~") and not text.lower().endswith(".gguf"):
        return ModelRef(text, "name")  # the common case, decided without a regex (CLI start-up)
    if re.match(r"^https?://", text, re.I):
        return _parse_url(text)
    m = _repo_pattern().match(text)
    if m and not text.startswith(("./", "../")):
        file = m.group("file")
        if file is not None and not file.lower().endswith(".gguf"):
            raise InvalidInput(f"{text!r}: only a .gguf file can be chosen inside a repository (org/name:file.gguf)",
                               field="model")
        return ModelRef(text, "repo", repo_id=m.group("repo"), revision=m.group("rev"), filename=file)
    return ModelRef(text, "path")


def _parse_url(text: str) -> ModelRef:
    from urllib.parse import unquote, urlsplit  # only for URLs: keeps catalog answers' start-up lean

    u = urlsplit(text)
    parts = [unquote(p) for p in u.path.split("/") if p]
    if parts and parts[0] in ("datasets", "spaces", "buckets"):
        raise InvalidInput(f"{text!r} is a {parts[0][:-1]} on the Hub, not a model repository", field="model")
    if parts and parts[0] == "models":
        parts = parts[1:]
    if not parts or len(parts) == 1 and not re.fullmatch(_PART, parts[0]):
        raise InvalidInput(f"{text!r} does not name a Hub model repository (https://huggingface.co/org/name)",
                           field="model")
    if len(parts) == 1 or parts[1] in _URL_VERBS:  # a legacy repository without organisation
        repo, rest = parts[0], parts[1:]
    else:
        repo, rest = f"{parts[0]}/{parts[1]}", parts[2:]
    if not all(re.fullmatch(_PART, p) for p in repo.split("/")):
        raise InvalidInput(f"{text!r}: {repo!r} is not a valid repository id", field="model")
    revision = filename = None
    if rest:
        if rest[0] not in _URL_VERBS or len(rest) < 2:
            raise InvalidInput(f"{text!r}: expected …/{repo}/tree/REVISION or …/blob/REVISION/FILE", field="model")
        revision = rest[1]
        path = "/".join(rest[2:])
        if path.lower().endswith(".gguf"):
            filename = path  # other files (config.json, a shard) stand for the repository at that revision
    return ModelRef(text, "url", repo_id=repo, revision=revision, filename=filename, host=(u.hostname or "").lower())


def _repo_orgs(entry: CatalogEntry) -> set[str]:
    names = [entry.hf_repo or "", *entry.aliases]
    return {n.split("/")[0].lower() for n in names if "/" in n}


def catalog_entry_for_repo(ref: ModelRef) -> CatalogEntry | None:
    """The catalog entry an unpinned `org/name` stands for, or None when the Hub must answer (see module doc)."""
    if ref.kind != "repo" or ref.pinned or ref.repo_id is None:
        return None
    wanted = ref.repo_id.lower()
    for e in entries():
        if wanted in {n.lower() for n in (e.hf_repo or "", *e.aliases) if "/" in n}:
            return e
    org, name = ref.repo_id.split("/", 1)
    tokens = {t for t in re.split(r"[^a-z0-9]+", name.lower()) if t}
    if tokens & _FORMAT_MARKERS:
        return None
    entry = similar_catalog_entry(ref)
    return entry if entry is not None and org.lower() in _repo_orgs(entry) else None


def similar_catalog_entry(ref: ModelRef) -> CatalogEntry | None:
    """A catalog entry whose name reads the same (for the note that offers the offline answer)."""
    if ref.repo_id is None:
        return None
    try:
        return lookup(ref.repo_id)
    except UnknownName:
        return None
