"""The model catalog: provenance on every entry, forgiving lookup, suggestions."""

import re

import pytest
from modelmath.tools.errors import UnknownName
from modelmath.tools.model.catalog import entries, lookup, search
from modelmath.tools.model.params import parameter_count
from modelmath.tools.model.resolve import shape_from_entry


def test_every_entry_has_provenance_and_builds():
    for e in entries():
        assert e.source and re.fullmatch(r"\d{4}-\d{2}-\d{2}", e.as_of), e.id
        assert parameter_count(shape_from_entry(e)).total > 0


def test_ids_and_aliases_unique():
    seen = {}
    for e in entries():
        for key in (e.id, *e.aliases):
            assert seen.setdefault(key.lower(), e.id) == e.id, key


@pytest.mark.parametrize("name", ["llama 3.1 70b", "meta-llama/Llama-3.1-70B-Instruct", "Llama-3.1-70B",
                                  "meta-llama/Meta-Llama-3.1-70B", "LLAMA_3.1_70B"])
def test_forgiving_lookup(name):
    assert lookup(name).id == "llama-3.1-70b"


def test_unknown_name_suggests():
    with pytest.raises(UnknownName) as exc:
        lookup("lama-3.1-70")
    assert "llama-3.1-70b" in exc.value.allowed


def test_nothing_close_says_how_to_list():
    # A tool error names the tool that lists the catalog, never a CLI command (a model cannot run one).
    with pytest.raises(UnknownName) as exc:
        lookup("zzzzzz")
    assert "model_lookup" in exc.value.message and "modelmath" not in exc.value.message
    assert exc.value.to_dict()["see"] == "model_lookup"


def test_illustrative_tiers_are_labelled_speculative():
    tiers = [e for e in entries() if e.id.startswith("illustrative-claude-like")]
    assert len(tiers) == 3
    for e in tiers:
        assert e.speculative and "not Claude" in e.source
    # Project notes: d_model 2048/4096/8192, 24/48/96 layers, vocab 100k, 4x plain FFN, untied.
    # Small tier by hand: 2 * 100000 * 2048 embeddings + 24 * (4 * 2048^2 attention + 2 * 2048 * 8192 MLP
    # + 2 * 2048 RMSNorm) + 2048 final norm.
    small = parameter_count(shape_from_entry(lookup("illustrative-claude-like-small")))
    assert small.total == 2 * 100000 * 2048 + 24 * (4 * 2048**2 + 2 * 2048 * 8192 + 2 * 2048) + 2048


def test_search():
    ids = {e.id for e in search("qwen3")}
    assert {"qwen3-8b", "qwen3-30b-a3b"} <= ids
    assert len(search(None)) == len(entries())


@pytest.mark.parametrize("name", ["claude-sonnet-4-5", "Claude Opus 5", "sonnet 4.5", "haiku-4.5",
                                  "anthropic.claude-3-haiku-20240307-v1:0", "claude"])
def test_claude_model_sizes_are_unpublished_and_point_to_the_illustrative_tiers(name):
    # Anthropic publishes no parameter count or architecture for any Claude model: every model-taking tool must
    # say so, not guess or suggest an unrelated open model.
    from modelmath.tools.registry import run_tool

    for tool in ("parameter_count", "model_lookup", "memory_estimate"):
        out = run_tool(tool, {"model": name})
        assert out.is_error, (tool, name)
        err = out.result["error"]
        assert "does not publish" in err["message"] and err["field"] == "model"
        assert err["allowed"] == ["illustrative-claude-like-small", "illustrative-claude-like-medium",
                                  "illustrative-claude-like-large"]


def test_illustrative_tiers_still_resolve():
    from modelmath.tools.model.catalog import lookup

    assert lookup("illustrative-claude-like-small").speculative
    assert lookup("claude-like-medium").id == "illustrative-claude-like-medium"
