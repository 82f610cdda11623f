"""Pricing rules in the api_cost tool: US-only inference, fast mode, server tools, the tool-use system
prompt, the minimum cacheable prompt, tokenizer notes in comparisons. Every expected dollar figure is
worked out by hand here from Anthropic's pricing page (https://platform.claude.com/docs/en/about-claude/
pricing, copy of 2026-10-08, unless a comment names another page or date). "$·tokens/MTok" sums are
divided by 1,000,000 to give dollars."""

from decimal import Decimal

import pytest
from modelmath.tools.pricing import prices
from modelmath.tools.registry import run_tool

D = Decimal
CLAIMS = {"input_tokens": 1500, "output_tokens": 300, "requests_per_day": 10_000}


@pytest.fixture(autouse=True)
def _builtin_only():
    prices.set_override_loader(None)
    yield
    prices.set_override_loader(None)


def cost(**inp) -> dict:
    out = run_tool("api_cost", inp)
    assert not out.is_error, out.result
    return out.result


def refused(**inp) -> dict:
    out = run_tool("api_cost", inp)
    assert out.is_error, out.result
    return out.result["error"]


def exact(x) -> Decimal:
    return D(repr(x))


def test_every_input_is_a_described_schema_property():
    # The web quote form is generated from this schema: every input needs a name and a description.
    schema = next(t for t in __import__("modelmath.tools.registry", fromlist=["tools"]).tools()
                  if t.name == "api_cost").input_schema
    for name in ("as_of", "inference_geo", "fast", "web_searches", "code_execution_hours", "tools_in_request",
                 "tool_choice"):
        assert name in schema["properties"], name
    assert all(p.get("description") for p in schema["properties"].values())


# -- US-only inference (data residency): "1.1x multiplier on all token pricing categories" ---------------

def test_us_inference_multiplies_every_token_price():
    # Sonnet 5.5 $2/$10: 1,500 x 2 x 1.1 + 300 x 10 x 1.1 = 3,300 + 3,300 = 6,600 → $0.0066 a request;
    # x 10,000 = $66 a day; x 30 = $1,980 a month.
    out = cost(model="sonnet-5.5", inference_geo="us", **CLAIMS)
    assert (exact(out["usd_per_request"]), exact(out["usd_per_day"]), exact(out["usd_per_month"])) == (
        D("0.0066"), D(66), D(1980))
    assert out["price_list"]["modifiers"]["inference_geo_us_multiplier"] == 1.1
    # Cache reads too: 2,000 uncached x 2 x 1.1 + 8,000 read x 0.10 x 1.1 = 4,400 + 880 = 5,280 → $0.00528.
    out = cost(model="sonnet-5.5", input_tokens=10_000, cache_read_tokens=8_000, output_tokens=0, inference_geo="us")
    assert exact(out["usd_per_request"]) == D("0.00528")
    # "stack with ... the Batch API discount and data residency": 0.0066 x 0.5 = $0.0033.
    out = cost(model="sonnet-5.5", inference_geo="us", batch=True, **CLAIMS)
    assert exact(out["usd_per_request"]) == D("0.0033")


def test_global_is_the_default_and_says_about_workspace_defaults():
    out = cost(model="sonnet-5.5", **CLAIMS)
    assert exact(out["usd_per_request"]) == D("0.006")
    assert any("default_inference_geo" in a for a in out["assumptions"])


@pytest.mark.parametrize("model", ["sonnet-4.5", "haiku-4.5", "opus-4.5", "opus-4.1"])
def test_models_before_claude_46_refuse_inference_geo(model):
    # Data residency page: "Requests with inference_geo on Claude Opus 4.5, Claude Sonnet 4.5, Claude Haiku 4.5,
    # or earlier models return a 400 error."
    err = refused(model=model, inference_geo="us", **CLAIMS)
    assert err["field"] == "inference_geo" and "400" in err["message"] and err["allowed"] == ["global"]
    assert cost(model=model, inference_geo="global", **CLAIMS)  # global is always fine


def test_inference_geo_on_sonnet_46_and_haiku_55():
    # "Claude 4.6 and later models": Sonnet 4.6 $3/$15 → (4,500 + 4,500) x 1.1 = 9,900 → $0.0099.
    assert exact(cost(model="sonnet-4.6", inference_geo="us", **CLAIMS)["usd_per_request"]) == D("0.0099")
    # Haiku 5.5 $0.10/$0.50 → (150 + 150) x 1.1 = 330 → $0.00033.
    assert exact(cost(model="haiku-5.5", inference_geo="us", **CLAIMS)["usd_per_request"]) == D("0.00033")


# -- fast mode -------------------------------------------------------------------------------------------

def test_fast_mode_prices():
    # Opus 5.5 fast $8/$40: 1,500 x 8 + 300 x 40 = 12,000 + 12,000 = 24,000 → $0.024; $240/day; $7,200/month.
    out = cost(model="opus-5.5", fast=True, **CLAIMS)
    assert (exact(out["usd_per_request"]), exact(out["usd_per_day"]), exact(out["usd_per_month"])) == (
        D("0.024"), D(240), D(7200))
    # Opus 5 fast $10/$50: 15,000 + 15,000 = 30,000 → $0.03. "Data residency multipliers apply on top of fast
    # mode pricing": Opus 5.5 fast + us = 0.024 x 1.1 = $0.0264.
    assert exact(cost(model="opus-5", fast=True, **CLAIMS)["usd_per_request"]) == D("0.03")
    assert exact(cost(model="opus-5.5", fast=True, inference_geo="us", **CLAIMS)["usd_per_request"]) == D("0.0264")


def test_fast_mode_cache_prices_follow_the_models_multipliers():
    # "Prompt caching multipliers apply on top of fast mode pricing". Opus 5.5 cache hits are 0.05x input
    # (footnote 2) → 0.05 x 8 = $0.40: 2,000 x 8 + 8,000 x 0.40 = 16,000 + 3,200 = 19,200 → $0.0192.
    out = cost(model="opus-5.5", fast=True, input_tokens=10_000, cache_read_tokens=8_000, output_tokens=0)
    assert exact(out["usd_per_request"]) == D("0.0192")
    # Opus 5 5-minute write = 1.25 x input → 1.25 x 10 = $12.50: 2,000 x 12.50 = 25,000 → $0.025.
    out = cost(model="opus-5", fast=True, input_tokens=2_000, cache_write_tokens=2_000, output_tokens=0)
    assert exact(out["usd_per_request"]) == D("0.025")


def test_fast_mode_refusals_name_the_models_that_have_it():
    # On 2026-11-30 fast prices exist for Opus 5.5 and Opus 5; Opus 4.8's fast mode is removed that day
    # (code.claude.com fast-mode page: "will be removed on November 30, 2026").
    err = refused(model="sonnet-5.5", fast=True, **CLAIMS)
    assert err["field"] == "fast" and set(err["allowed"]) == {"claude-opus-5-5", "claude-opus-5"}
    assert "claude-opus-5-5" in err["message"]
    err = refused(model="opus-4.8", fast=True, **CLAIMS)
    assert "removed on 2026-11-30" in err["message"]
    # The day before, Opus 4.8 fast is $10/$50: 15,000 + 15,000 = 30,000 → $0.03.
    assert exact(cost(model="opus-4.8", fast=True, as_of="2026-11-29", **CLAIMS)["usd_per_request"]) == D("0.03")
    # "Fast mode is not available with the Batch API."
    assert refused(model="opus-5.5", fast=True, batch=True, **CLAIMS)["field"] == "fast"
    # Fable 5.2 has fast mode (fast-mode page) but no published price: say so, do not guess.
    err = refused(model="fable-5.2", fast=True, **CLAIMS)
    assert "publishes no fast-mode price" in err["message"]


def test_fast_mode_windows_by_date():
    # Opus 4.7: fast mode from 2026-05-12 at Opus 4.6's $30/$150 (release notes), removed 2026-07-24.
    # 1,500 x 30 + 300 x 150 = 45,000 + 45,000 = 90,000 → $0.09.
    assert "started on 2026-05-12" in refused(model="opus-4.7", fast=True, as_of="2026-05-11", **CLAIMS)["message"]
    assert exact(cost(model="opus-4.7", fast=True, as_of="2026-05-12", **CLAIMS)["usd_per_request"]) == D("0.09")
    assert exact(cost(model="opus-4.7", fast=True, as_of="2026-07-23", **CLAIMS)["usd_per_request"]) == D("0.09")
    assert "removed on 2026-07-24" in refused(model="opus-4.7", fast=True, as_of="2026-07-24", **CLAIMS)["message"]


def test_opus_46_fast_mode_history():
    # Pricing page copy of 2026-02-18: Opus 4.6 fast "> 200K input tokens | $60 / MTok | $225 / MTok":
    # 250,000 x 60 + 1,000 x 225 = 15,000,000 + 225,000 = 15,225,000 → $15.225. Copies from 2026-02-21:
    # "applies across the full context window" at $30/$150: 7,500,000 + 150,000 = 7,650,000 → $7.65.
    big = {"model": "opus-4.6", "fast": True, "input_tokens": 250_000, "output_tokens": 1000}
    assert exact(cost(**big, as_of="2026-02-18")["usd_per_request"]) == D("15.225")
    assert exact(cost(**big, as_of="2026-02-19")["usd_per_request"]) == D("7.65")
    # The boundary day is not published: the result says the dates are unconfirmed.
    assert any("fast-mode price dates" in w for w in cost(**big, as_of="2026-02-19")["warnings"])
    # Release notes 2026-06-29: speed "fast" on Opus 4.6 now runs "at standard speed, are billed at standard
    # rates, and do not return an error": $5/$25 → 7,500 + 7,500 = 15,000 → $0.015, with a warning.
    out = cost(model="opus-4.6", fast=True, as_of="2026-06-29", **CLAIMS)
    assert exact(out["usd_per_request"]) == D("0.015")
    assert any("billed at standard rates" in w for w in out["warnings"])
    assert exact(cost(model="opus-4.6", fast=True, as_of="2026-06-28", **CLAIMS)["usd_per_request"]) == D("0.09")


# -- server tools --------------------------------------------------------------------------------------------

def test_web_search_fee_per_request():
    # "$10 per 1,000 searches" = $0.01 a search. Sonnet 5.5 claims + 2 searches: 0.006 + 0.02 = $0.026 a
    # request; x 10,000 = $260 a day; x 30 = $7,800 a month.
    out = cost(model="sonnet-5.5", web_searches=2, **CLAIMS)
    assert (exact(out["usd_per_request"]), exact(out["usd_per_day"]), exact(out["usd_per_month"])) == (
        D("0.026"), D(260), D(7800))
    item = next(r for r in out["breakdown"] if r["item"] == "web search")
    assert item["quantity"] == 2 and exact(item["usd_per_month"]) == D(6000)
    assert any("input tokens" in a and "web search" in a for a in out["assumptions"])


def test_code_execution_beyond_the_free_hours():
    # 0.1 container-hours a request x 300,000 requests a month = 30,000 h; first 1,550 free; 28,450 x $0.05
    # = $1,422.50 a month; / 30 = $47.41666… a day; / 300,000 = $0.0047416… a request. With Sonnet 5.5's
    # tokens ($1,800 a month): $3,222.50 a month.
    out = cost(model="sonnet-5.5", code_execution_hours=0.1, **CLAIMS)
    item = next(r for r in out["breakdown"] if r["item"] == "code execution")
    assert exact(item["usd_per_month"]) == D("1422.5")
    assert exact(out["usd_per_month"]) == D("3222.5")
    assert abs(D(repr(item["usd_per_day"])) - D("1422.5") / 30) < D("1e-12")
    assert abs(D(repr(item["usd_per_request"])) - D("1422.5") / 300_000) < D("1e-15")
    assert any("1,550 free" in a for a in out["assumptions"])


def test_code_execution_inside_the_allowance_and_minimum():
    # 100 requests a day x 30 x 0.1 h = 300 h < 1,550 free hours: $0.
    out = cost(model="sonnet-5.5", input_tokens=1500, output_tokens=300, requests_per_day=100,
               code_execution_hours=0.1)
    item = next(r for r in out["breakdown"] if r["item"] == "code execution")
    assert item["usd_per_month"] == 0
    # "Execution time has a minimum of 5 minutes": 0.01 h (36 s) is billed as 5/60 h. No volume: the free
    # hours are assumed used elsewhere, so 5/60 x $0.05 = $0.0041666… on top of the $0.006 of tokens.
    out = cost(model="sonnet-5.5", input_tokens=1500, output_tokens=300, code_execution_hours=0.01)
    item = next(r for r in out["breakdown"] if r["item"] == "code execution")
    assert abs(D(repr(item["usd_per_request"])) - D(5) / 60 * D("0.05")) < D("1e-15")
    assert any("5-minute minimum" in a for a in out["assumptions"])
    # With web search in the request, code execution can be free (web_search_20260209 or later): said.
    out = cost(model="sonnet-5.5", web_searches=1, code_execution_hours=0.1, **CLAIMS)
    assert any("code execution is free" in w for w in out["warnings"])


# -- tool-use system prompt -----------------------------------------------------------------------------

def test_tools_in_request_adds_the_models_system_prompt():
    # Tool use pricing table: Sonnet 5.5 "286 tokens" (auto, none). (1,500 + 286) x 2 + 300 x 10
    # = 3,572 + 3,000 = 6,572 → $0.006572.
    out = cost(model="sonnet-5.5", tools_in_request=True, **CLAIMS)
    assert exact(out["usd_per_request"]) == D("0.006572")
    assert out["tokens_per_request"]["tool_use_system_prompt_tokens"] == 286
    # Haiku 5.5, tool_choice any: "406 tokens". (1,500 + 406) x 0.10 + 300 x 0.50 = 190.6 + 150 = 340.6
    # → $0.0003406.
    out = cost(model="haiku-5.5", tools_in_request=True, tool_choice="any", **CLAIMS)
    assert exact(out["usd_per_request"]) == D("0.0003406")
    # Sonnet 4.5 "496 tokens": (1,500 + 496) x 3 + 300 x 15 = 5,988 + 4,500 = 10,488 → $0.010488.
    assert exact(cost(model="sonnet-4.5", tools_in_request=True, **CLAIMS)["usd_per_request"]) == D("0.010488")


def test_tool_use_refusals_and_unknowns():
    # Release notes 2026-09-28: on Sonnet 5.5 "Forced tool use (tool_choice types any and tool) returns a 400".
    err = refused(model="sonnet-5.5", tools_in_request=True, tool_choice="tool", **CLAIMS)
    assert err["field"] == "tool_choice" and err["allowed"] == ["auto", "none"]
    # No Fable row in Anthropic's table: nothing added, and the result says so. $8/$40: 12,000 + 12,000
    # = 24,000 → $0.024, the same as without tools.
    out = cost(model="fable-5.2", tools_in_request=True, **CLAIMS)
    assert exact(out["usd_per_request"]) == D("0.024")
    assert out["tokens_per_request"]["tool_use_system_prompt_tokens"] is None
    assert any("publishes no tool-use system prompt size" in w for w in out["warnings"])


# -- minimum cacheable prompt -----------------------------------------------------------------------------

def test_cache_write_below_the_minimum_bills_as_plain_input():
    # Prompt-caching page: 4,096 tokens minimum for Claude Haiku 4.5; "Shorter prompts cannot be cached ...
    # processed without caching". 3,000-token prompt all marked for caching, 100 out, Haiku 4.5 $1/$5:
    # billed as input 3,000 x 1 + 100 x 5 = 3,500 → $0.0035 (a real write would be 3,000 x 1.25 + 500 = 4,250).
    out = cost(model="haiku-4.5", input_tokens=3000, cache_write_tokens=3000, output_tokens=100)
    assert exact(out["usd_per_request"]) == D("0.0035")
    assert out["tokens_per_request"]["billed_as_input_below_cache_minimum"] == 3000
    assert any("minimum cacheable prompt of 4,096" in w for w in out["warnings"])
    # Sonnet 5.5's minimum is 512 (its overview page): cached. 3,000 x 2.50 + 100 x 10 = 8,500 → $0.0085.
    out = cost(model="sonnet-5.5", input_tokens=3000, cache_write_tokens=3000, output_tokens=100)
    assert exact(out["usd_per_request"]) == D("0.0085") and "warnings" not in out


def test_minimum_cacheable_boundary():
    # Haiku 4.5: 4,096 written → cached at 1.25 x $1: 4,096 x 1.25 = 5,120 → $0.00512. 4,095 → plain input
    # at $1: $0.004095.
    assert exact(cost(model="haiku-4.5", input_tokens=4096, cache_write_tokens=4096,
                      output_tokens=0)["usd_per_request"]) == D("0.00512")
    assert exact(cost(model="haiku-4.5", input_tokens=4095, cache_write_tokens=4095,
                      output_tokens=0)["usd_per_request"]) == D("0.004095")


# -- comparisons across tokenizer generations -------------------------------------------------------------

def test_compare_says_when_tokenizers_differ():
    # Pricing page: "Claude 4.7 and later models ... use a newer tokenizer ... approximately 30% more tokens
    # for the same text. Claude Sonnet 4.6 and earlier models use the previous tokenizer."
    out = cost(model="haiku-4.5", compare=["sonnet-5.5"], **CLAIMS)
    note = next(a for a in out["assumptions"] if "count tokens differently" in a)
    assert "previous tokenizer: claude-haiku-4-5-20251001" in note and "newer tokenizer: claude-sonnet-5-5" in note
    assert [r["tokenizer"] for r in out["comparison"]] == ["previous", "newer"]
    out = cost(model="sonnet-5.5", compare=["opus-5.5"], **CLAIMS)
    assert not any("count tokens differently" in a for a in out["assumptions"])


def test_compare_applies_each_models_rules():
    # Fast mode on Opus 5.5 vs Sonnet 5.5 (no fast mode): the Sonnet row says why, the table stands.
    out = cost(model="opus-5.5", fast=True, compare=["sonnet-5.5", "opus-5"], **CLAIMS)
    rows = {r["model"]: r for r in out["comparison"]}
    assert "no fast mode" in rows["claude-sonnet-5-5"]["note"]
    # Opus 5 fast $0.03 / Opus 5.5 fast $0.024 = 1.25.
    assert rows["claude-opus-5"]["ratio_vs_first"] == 1.25
    # Tool-use prompt differs per model: Sonnet 5.5 +286 → $0.006572; Sonnet 4.6 +497: (1,997 x 3 + 4,500)
    # = 5,991 + 4,500 = 10,491 → $0.010491.
    out = cost(model="sonnet-5.5", tools_in_request=True, compare=["sonnet-4.6"], **CLAIMS)
    assert [exact(r["usd_per_request"]) for r in out["comparison"]] == [D("0.006572"), D("0.010491")]
