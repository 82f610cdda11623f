"""api_cost's comparison: a compared model that is retired or retiring soon is warned about exactly as the main
model would be, and an unknown compared name is blamed on `compare`, not on `model`.

Dates, from Anthropic's deprecations page (https://platform.claude.com/docs/en/about-claude/model-deprecations,
copy of 2026-10-08): Claude Sonnet 4.5 (claude-sonnet-4-5-20250929) retires 2026-11-30, replacement
claude-sonnet-5-5. Claude Opus 4.5's retirement on 2027-01-22 (replacement claude-opus-5-5) is a third-party
report (Modelpin 0.5.7, 2026-11-26). Tests run with today pinned to 2026-11-30 (tests/conftest.py).
"""

from __future__ import annotations

from modelmath.tools import registry

WORKLOAD = {"model": "claude-sonnet-5-5", "input_tokens": 1500, "output_tokens": 300, "requests_per_day": 10000}


def test_a_retired_compared_model_is_warned_about():
    r = registry.run_tool("api_cost", WORKLOAD | {"compare": ["claude-sonnet-4-5-20250929"]}).result
    # Sonnet 4.5: 1,500 x $3/1M + 300 x $15/1M = $0.009 a request, still priced for reference.
    row = r["comparison"][1]
    assert row["status"] == "retired" and row["usd_per_request"] == 0.009
    retired = [w for w in r["warnings"] if "Claude Sonnet 4.5" in w]
    assert len(retired) == 1
    assert "retired" in retired[0] and "2026-11-30" in retired[0] and "claude-sonnet-5-5" in retired[0]


def test_a_compared_model_retiring_within_60_days_is_warned_about():
    # 2026-11-30 → 2027-01-22 is 1 (rest of Nov) + 31 (Dec) + 21 (Jan) = 53 days: inside the 60-day window.
    r = registry.run_tool("api_cost", WORKLOAD | {"compare": ["claude-opus-4-5-20251101"]}).result
    w = [w for w in r["warnings"] if "Claude Opus 4.5" in w]
    assert len(w) == 1 and "2027-01-22" in w[0] and "in 53 days" in w[0]
    # The third-party caveat in words a customer can read, not the catalog's field names.
    assert "the deprecation date, retirement date and replacement reported by a third party" in w[0]
    assert "deprecated_on" not in w[0] and "retires_on" not in w[0]


def test_current_compared_models_add_no_warning():
    r = registry.run_tool("api_cost", WORKLOAD | {"compare": ["claude-haiku-5-5", "claude-opus-5-5"]}).result
    assert "warnings" not in r


def test_an_unknown_compared_model_names_the_compare_field():
    out = registry.run_tool("api_cost", WORKLOAD | {"compare": ["claude-nonexistent-9"]})
    assert out.is_error
    assert out.result["error"]["type"] == "unknown_name" and out.result["error"]["field"] == "compare"
