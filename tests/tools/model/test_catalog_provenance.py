"""Catalog provenance: `source` is the publisher's own file (or its paper), never a re-upload or fine-tune;
values read from a copy say so in `read_from`, and only values read from the publisher's file are `verified`."""

from __future__ import annotations

import re

from modelmath.tools.model.catalog import entries, lookup
from modelmath.tools.registry import run_tool

_HF = re.compile(r"https://huggingface\.co/([^/]+)/([^/]+)/")
# Sources that are not a Hub file: a paper or the publisher's own page. Each allowed host says why.
PAPER_HOSTS = {
    "arxiv.org": "the paper itself (GPT-3 has no config.json: Brown et al. 2020)",
}
# Entries whose source may sit in another Hub organisation than their hf_repo's. Empty: every source is at the
# publisher. Add an id here only with the reason (e.g. an organisation rename both names belong to).
ORG_EXCEPTIONS: dict[str, str] = {}


def _catalog_models():
    return [e for e in entries() if not e.speculative]


def test_every_source_is_at_the_official_publisher_or_a_paper():
    for e in _catalog_models():
        m = _HF.match(e.source)
        if m is None:
            host = re.match(r"https?://([^/ ]+)", e.source)
            assert host and host.group(1) in PAPER_HOSTS, f"{e.id}: {e.source!r} is neither a Hub file nor a paper"
            continue
        assert e.hf_repo, f"{e.id}: a Hub source needs the entry's hf_repo to name the publisher"
        publisher = e.hf_repo.split("/")[0].lower()
        assert m.group(1).lower() == publisher or e.id in ORG_EXCEPTIONS, (
            f"{e.id}: source {e.source} is in organisation {m.group(1)!r}, not the publisher {publisher!r} "
            "(a copy belongs in read_from)")


def test_copies_are_named_in_read_from_and_not_verified():
    for e in _catalog_models():
        assert isinstance(e.verified, bool)
        if e.read_from is not None:
            assert e.read_from.get("copy") and e.read_from.get("why"), e.id
            if not _HF.match(e.read_from["copy"]) or _HF.match(e.read_from["copy"]).group(1).lower() != \
                    (e.hf_repo or "").split("/")[0].lower():
                assert not e.verified, f"{e.id}: read from another party's copy, so not verified"
        else:
            # No copy named: the values were read from the source itself, which must be the publisher's file.
            assert e.verified and _HF.match(e.source), f"{e.id}: neither verified at the source nor read_from a copy"


def test_the_qa_examples_now_cite_the_publisher():
    # The new-user QA pass found these citing a random re-upload or a fine-tune.
    assert lookup("gemma-3-27b").source == "https://huggingface.co/google/gemma-3-27b-it/blob/main/config.json"
    assert lookup("mistral-small-24b").source.startswith("https://huggingface.co/mistralai/")
    assert lookup("llama-3.3-70b").source.startswith("https://huggingface.co/meta-llama/")
    assert "relaxml" in lookup("llama-3.3-70b").read_from["copy"]


def test_results_keep_both_the_source_and_the_copy():
    out = run_tool("kv_cache", {"model": "gemma-3-27b", "context_tokens": 8192}).result
    assert out["model"]["shape_source"] == "https://huggingface.co/google/gemma-3-27b-it/blob/main/config.json"
    assert "Abc7347/copytext27binstructgmn" in out["model"]["shape_read_from"]
    looked = run_tool("model_lookup", {"model": "gemma-3-27b"}).result["model"]
    assert looked["verified"] is False and "gated" in looked["read_from"]["why"]
