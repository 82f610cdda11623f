"""Per-model request capabilities (tools/data/claude_capabilities.json): effort levels and defaults, thinking
defaults and tokenizer generation. Expected values are Anthropic's own statements, quoted next to each check
(pages read via research/pricing/FINDINGS.md items 8 and 9)."""

import jsonschema
import pytest
from modelmath.tools.datafiles import read_json
from modelmath.tools.pricing import capabilities as caps
from modelmath.tools.pricing.prices import builtin_raw


def test_data_file_passes_its_schema_and_covers_the_price_catalog_exactly():
    raw = read_json("claude_capabilities.json")
    jsonschema.Draft202012Validator(caps.CAPABILITIES_SCHEMA).validate(raw)
    ids = [m["id"] for m in raw["models"]]
    assert len(ids) == len(set(ids))
    assert set(ids) == {m["id"] for m in builtin_raw()["models"]}
    for m in raw["models"]:
        assert (m["effort_default"] is None) == (not m["effort_levels"]), m["id"]
        assert m["effort_default"] is None or m["effort_default"] in m["effort_levels"], m["id"]


@pytest.mark.parametrize(("name", "levels", "default"), [
    # Effort page, 2026-10-08: xhigh "Available on ... Claude Opus 5.5, ... Claude Sonnet 5.5, Claude Sonnet 5, and
    # Claude Haiku 5.5"; "Claude Opus 5.5 and Claude Haiku 5.5 default to medium"; "Most ... default to high".
    ("sonnet-5.5", ("low", "medium", "high", "xhigh", "max"), "high"),
    ("claude-opus-5-5", ("low", "medium", "high", "xhigh", "max"), "medium"),
    ("Claude Haiku 5.5", ("low", "medium", "high", "xhigh", "max"), "medium"),
    # max lists Opus 4.6 and Sonnet 4.6; xhigh does not.
    ("claude-sonnet-4-6", ("low", "medium", "high", "max"), "high"),
    ("opus-4.6", ("low", "medium", "high", "max"), "high"),
    # Opus 4.5 is in supportedModels but in neither the xhigh nor the max list.
    ("claude-opus-4-5", ("low", "medium", "high"), "high"),
    # Haiku 4.5 overview: "Default effort: Not supported".
    ("claude-haiku-4-5", (), None),
    ("claude-sonnet-4-5-20250929", (), None),
])
def test_effort_levels_and_defaults(name, levels, default):
    c = caps.capabilities(name)
    assert c is not None and c.effort_levels == levels and c.effort_default == default
    assert c.supports_effort == bool(levels)


@pytest.mark.parametrize(("name", "tokenizer"), [
    # Pricing page: "Claude 4.7 and later models ... use a newer tokenizer ... Claude Sonnet 4.6 and earlier models use
    # the previous tokenizer"; Haiku 5.5 overview: "the same newer tokenizer as Claude 4.7 and later models".
    ("claude-opus-4-7", "newer"), ("claude-opus-4-8", "newer"), ("claude-sonnet-5", "newer"),
    ("claude-haiku-5-5", "newer"), ("claude-fable-5-2", "newer"), ("claude-mythos-5", "newer"),
    ("claude-opus-4-6", "previous"), ("claude-sonnet-4-6", "previous"), ("claude-haiku-4-5", "previous"),
    ("claude-3-haiku-20240307", "previous"),
])
def test_tokenizer_generation_starts_with_opus_4_7(name, tokenizer):
    assert caps.capabilities(name).tokenizer == tokenizer


@pytest.mark.parametrize(("name", "thinks"), [
    # Thinking troubleshooting table: Opus 5 "On", Sonnet 5 "On", Fable 5 "Always on", Opus 4.8 / 4.7 / 4.6 "Off";
    # release notes 2026-09-22 (Opus 5.5 "always on") and 2026-09-28 (Sonnet 5.5 on by default).
    ("claude-opus-5", True), ("claude-sonnet-5", True), ("claude-fable-5", True), ("claude-opus-5-5", True),
    ("claude-sonnet-5-5", True), ("claude-opus-4-8", False), ("claude-opus-4-6", False), ("claude-haiku-4-5", False),
])
def test_thinking_defaults(name, thinks):
    assert caps.capabilities(name).thinks_by_default is thinks


def test_unknown_model_has_no_entry():
    assert caps.capabilities("claude-sonnet-9-9") is None
