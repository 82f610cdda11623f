"""Cost math and the api_cost / self_hosting_cost tools. Every expected dollar figure is derived by hand
in the test from Anthropic's published prices (cited), to the cent or exactly."""

from decimal import Decimal

import pytest
from modelmath.tools.errors import InvalidInput
from modelmath.tools.pricing import prices
from modelmath.tools.pricing.cost import (
    RequestTokens,
    blended_usd_per_mtok,
    break_even_tokens_per_month,
    price_request,
    self_hosting,
    tokens_from_prompt,
    volume,
)
from modelmath.tools.pricing.prices import lookup_price
from modelmath.tools.registry import run_tool

D = Decimal


@pytest.fixture(autouse=True)
def _builtin_only():
    prices.set_override_loader(None)
    yield
    prices.set_override_loader(None)


def cost(**inp) -> dict:
    out = run_tool("api_cost", inp)
    assert not out.is_error, out.result
    return out.result


def exact(x) -> Decimal:
    # JSON numbers come from exact decimals; repr() of the float gives that decimal back.
    return D(repr(x))


# -- the worked example: 10,000 insurance claims a day, 1,500 tokens in and 300 out each ----------------

CLAIMS = {"input_tokens": 1500, "output_tokens": 300, "requests_per_day": 10_000}


@pytest.mark.parametrize("model, per_claim, per_day, per_month", [
    # Haiku 4.5 $1/$5 (pricing docs): 1,500 x 1/1e6 + 300 x 5/1e6 = 0.0015 + 0.0015 = $0.003; x 10,000 = $30/day;
    # x 30 days = $900/month.
    ("haiku-4.5", "0.003", "30", "900"),
    # Sonnet 4.5 $3/$15: 0.0045 + 0.0045 = $0.009; $90/day; $2,700/month.
    ("sonnet-4.5", "0.009", "90", "2700"),
    # Opus 4.1 $15/$75: 0.0225 + 0.0225 = $0.045; $450/day; $13,500/month.
    ("opus-4.1", "0.045", "450", "13500"),
    # Current tiers (platform.claude.com overviews): Haiku 5.5 $0.10/$0.50: 0.00015 + 0.00015 = $0.0003;
    # $3/day; $90/month. Sonnet 5.5 $2/$10: 0.003 + 0.003 = $0.006; $60; $1,800. Opus 5.5 $4/$20: $0.012;
    # $120; $3,600.
    ("claude-haiku-5-5", "0.0003", "3", "90"),
    ("claude-sonnet-5-5", "0.006", "60", "1800"),
    ("claude-opus-5-5", "0.012", "120", "3600"),
])
def test_claims_worked_example(model, per_claim, per_day, per_month):
    out = cost(model=model, **CLAIMS)
    assert exact(out["usd_per_request"]) == D(per_claim)
    assert exact(out["usd_per_day"]) == D(per_day)
    assert exact(out["usd_per_month"]) == D(per_month)
    assert out["days_per_month"] == 30 and out["requests_per_month"] == 300_000
    assert out["price_list"]["source"] and out["price_list"]["as_of"]


def test_breakdown_is_itemised_and_sums():
    out = cost(model="haiku-4.5", **CLAIMS)
    items = {r["item"]: r for r in out["breakdown"]}
    assert exact(items["input (uncached)"]["usd_per_day"]) == D(15)  # 1,500 x 10,000 x $1/MTok
    assert exact(items["output"]["usd_per_day"]) == D(15)  # 300 x 10,000 x $5/MTok
    assert out["display"] == {"per_request": "$0.003", "per_day": "$30.00", "per_month": "$900.00"}


def test_per_month_volume_and_custom_month():
    # 310,000 claims a month on Haiku 4.5 at $0.003 = $930/month; over 31 days that is $30/day.
    out = cost(model="haiku-4.5", input_tokens=1500, output_tokens=300, requests_per_month=310_000, days_per_month=31)
    assert exact(out["usd_per_month"]) == D(930) and exact(out["usd_per_day"]) == D(30)
    assert out["requests_per_day"] == 10_000


def test_no_volume_gives_per_request_only():
    out = cost(model="haiku-4.5", input_tokens=1500, output_tokens=300)
    assert out["usd_per_day"] is None and out["usd_per_month"] is None
    assert any("per-request cost only" in a for a in out["assumptions"])


# -- caching, batch, long context -------------------------------------------------------------------

def test_cache_multipliers_on_sonnet_45():
    # 100,000-token prompt: 80,000 read from cache, 10,000 written (5m), 10,000 uncached; 1,000 out.
    # Sonnet 4.5: 10,000 x 3 + 80,000 x 0.30 + 10,000 x 3.75 + 1,000 x 15 = 30,000 + 24,000 + 37,500
    # + 15,000 = 106,500 → $0.1065.
    out = cost(model="claude-sonnet-4-5", input_tokens=100_000, cache_read_tokens=80_000, cache_write_tokens=10_000,
               output_tokens=1000)
    assert exact(out["usd_per_request"]) == D("0.1065")
    # 1-hour writes at 2x input ($6): 10,000 x 6 = 60,000 instead of 37,500 → $0.129.
    out = cost(model="claude-sonnet-4-5", input_tokens=100_000, cache_read_tokens=80_000, cache_write_tokens=10_000,
               cache_ttl="1h", output_tokens=1000)
    assert exact(out["usd_per_request"]) == D("0.129")
    assert out["tokens_per_request"]["uncached_input_tokens"] == 10_000


def test_batch_halves_everything():
    # Batch 50% off (pricing docs): Haiku 4.5 claims at $0.0015 each, $15/day.
    out = cost(model="haiku-4.5", batch=True, **CLAIMS)
    assert exact(out["usd_per_request"]) == D("0.0015") and exact(out["usd_per_day"]) == D(15)
    assert out["price_list"]["batch_discount"] == 0.5


def test_long_context_bills_whole_request_at_higher_rate():
    # Sonnet 4.5 on 2026-04-29, the 1M beta's last day (release notes 2026-04-30), 250,000-token prompt
    # > 200,000: input AND output at $6/$22.50 (pricing page copy of 2026-03-28):
    # 250,000 x 6 + 2,000 x 22.50 = 1,500,000 + 45,000 = 1,545,000 → $1.545.
    out = cost(model="sonnet-4.5", input_tokens=250_000, output_tokens=2000, as_of="2026-04-29")
    assert exact(out["usd_per_request"]) == D("1.545")
    assert out["price_list"]["tier"] == "long context"
    assert "warnings" not in out  # within the 1M beta window then
    # Exactly 200,000 is not "over 200K": base rates, 200,000 x 3 + 2,000 x 15 = 630,000 → $0.63.
    out = cost(model="sonnet-4.5", input_tokens=200_000, output_tokens=2000, as_of="2026-04-29")
    assert exact(out["usd_per_request"]) == D("0.63") and out["price_list"]["tier"] == "base"
    # From 2026-04-30 the tier is gone and requests over 200K "return an error": base prices, and a warning.
    # 250,000 x 3 + 2,000 x 15 = 750,000 + 30,000 = 780,000 → $0.78.
    out = cost(model="sonnet-4.5", input_tokens=250_000, output_tokens=2000, as_of="2026-04-30")
    assert exact(out["usd_per_request"]) == D("0.78") and out["price_list"]["tier"] == "base"
    assert any("200,000-token context window on 2026-04-30" in w for w in out["warnings"])


@pytest.mark.parametrize("model, last_day, tier_usd, base_usd", [
    # Pricing page copy of 2026-02-18: Sonnet 4.6 over 200K input tokens $6 / $22.50, Opus 4.6 $10 / $37.50;
    # release notes 2026-03-13: "out of beta for Claude Opus 4.6 and Sonnet 4.6, at standard pricing".
    # 300,000 in + 1,000 out. Sonnet 4.6: 300,000 x 6 + 1,000 x 22.50 = 1,822,500 → $1.8225; after:
    # 300,000 x 3 + 1,000 x 15 = 915,000 → $0.915. Opus 4.6: 300,000 x 10 + 1,000 x 37.50 = 3,037,500
    # → $3.0375; after: 300,000 x 5 + 1,000 x 25 = 1,525,000 → $1.525.
    ("sonnet-4.6", "2026-03-12", "1.8225", "0.915"),
    ("opus-4.6", "2026-03-12", "3.0375", "1.525"),
])
def test_long_context_tier_existed_only_in_a_window(model, last_day, tier_usd, base_usd):
    out = cost(model=model, input_tokens=300_000, output_tokens=1000, as_of=last_day)
    assert exact(out["usd_per_request"]) == D(tier_usd) and out["price_list"]["tier"] == "long context"
    out = cost(model=model, input_tokens=300_000, output_tokens=1000, as_of="2026-03-13")
    assert exact(out["usd_per_request"]) == D(base_usd) and out["price_list"]["tier"] == "base"


def test_sonnet_55_cache_reads_by_date():
    # Release notes, October 7, 2026: Sonnet 5.5 cache reads lowered from $0.20 to $0.10 per MTok.
    # 10,000-token prompt, 8,000 read from cache, 1,000 out; input $2, output $10.
    # Before: 2,000 x 2 + 8,000 x 0.20 + 1,000 x 10 = 4,000 + 1,600 + 10,000 = 15,600 → $0.0156.
    # From 2026-10-07: 4,000 + 8,000 x 0.10 + 10,000 = 14,800 → $0.0148.
    work = {"model": "sonnet-5.5", "input_tokens": 10_000, "cache_read_tokens": 8_000, "output_tokens": 1000}
    assert exact(cost(**work, as_of="2026-10-06")["usd_per_request"]) == D("0.0156")
    assert exact(cost(**work, as_of="2026-10-07")["usd_per_request"]) == D("0.0148")
    assert exact(cost(**work)["usd_per_request"]) == D("0.0148")  # today (2026-11-30, pinned)
    old = cost(**work, as_of="2026-10-06")
    assert any("cache_read $0.2" in a for a in old["assumptions"])


def test_haiku_55_price_bands():
    # Haiku 5.5 overview: $0.10/$0.50 up to 100,000-token prompts; over that $0.50/$2.50 on the whole request.
    # 100,001 x 0.50 + 1,000 x 2.50 = 50,000.5 + 2,500 = 52,500.5 → $0.0525005.
    out = cost(model="haiku-5.5", input_tokens=100_001, output_tokens=1000)
    assert exact(out["usd_per_request"]) == D("0.0525005")
    out = cost(model="haiku-5.5", input_tokens=100_000, output_tokens=1000)  # 10,000 + 500 → $0.0105
    assert exact(out["usd_per_request"]) == D("0.0105")


def test_price_request_direct_exactness():
    # 1 token of Haiku 3 output ($1.25/MTok) = $0.00000125 exactly; no float noise.
    rc = price_request(lookup_price("claude-3-haiku-20240307"), RequestTokens(output=1))
    assert rc.total == D("0.00000125")


# -- comparisons ------------------------------------------------------------------------------------

def test_rule_of_thumb_haiku_sonnet_opus_1_3_15():
    # Haiku 4.5 $1/$5, Sonnet 4.5 $3/$15, Opus 4.1 $15/$75: every price scales by 3x and 15x, so any
    # workload costs exactly 3x and 15x.
    out = cost(model="haiku-4.5", compare=["sonnet-4.5", "opus-4.1"], **CLAIMS)
    ratios = {r["model"]: r["ratio_vs_first"] for r in out["comparison"]}
    assert ratios == {"claude-haiku-4-5-20251001": 1.0, "claude-sonnet-4-5-20250929": 3.0,
                      "claude-opus-4-1-20250805": 15.0}
    # The current generation breaks the rule: Haiku 5.5 $0.10/$0.50, Sonnet 5.5 $2/$10, Opus 5.5 $4/$20
    # → 1x, 20x, 40x.
    out = cost(model="haiku-5.5", compare=["sonnet-5.5", "opus-5.5"], **CLAIMS)
    assert [r["ratio_vs_first"] for r in out["comparison"]] == [1.0, 20.0, 40.0]
    assert [r["ratio_vs_cheapest"] for r in out["comparison"]] == [1.0, 20.0, 40.0]


def test_compare_current_expands_and_keeps_going_without_cache_prices():
    # Claude Sonnet 3 has no cache prices on file: its row says so, not guessed, and the table stands.
    out = cost(model="sonnet-5.5", input_tokens=2000, cache_read_tokens=1000, output_tokens=100,
               compare=["current", "claude-3-sonnet-20240229"])
    rows = {r["model"]: r for r in out["comparison"]}
    current = {e.id for e in prices.active_catalog().current()}
    assert current <= set(rows)
    assert "note" in rows["claude-3-sonnet-20240229"] and "usd_per_request" not in rows["claude-3-sonnet-20240229"]
    assert all("usd_per_request" in rows[m] for m in current)


# -- bad input --------------------------------------------------------------------------------------

@pytest.mark.parametrize("inp, field", [
    ({"input_tokens": -1, "output_tokens": 1}, "input_tokens"),
    ({"input_tokens": 1.5, "output_tokens": 1}, "input_tokens"),
    ({"input_tokens": 10, "output_tokens": "many"}, "output_tokens"),
    ({"input_tokens": 10, "output_tokens": 1, "cache_read_tokens": 11}, "cache_read_tokens"),
    ({"input_tokens": 10, "output_tokens": 1, "cache_read_tokens": 6, "cache_write_tokens": 5}, "cache_write_tokens"),
    ({"input_tokens": 10, "output_tokens": 1, "requests_per_day": 1, "requests_per_month": 30}, "requests_per_month"),
    ({"input_tokens": 10, "output_tokens": 1, "cache_ttl": "2h"}, "cache_ttl"),
    ({"output_tokens": 1}, "input_tokens"),
])
def test_bad_input_is_a_structured_error(inp, field):
    out = run_tool("api_cost", {"model": "haiku-4.5", **inp})
    assert out.is_error and out.result["error"]["field"] == field, out.result


def test_bad_input_direct_calls():
    with pytest.raises(InvalidInput, match="cannot exceed"):
        tokens_from_prompt(100, 1, cache_read_tokens=60, cache_write_tokens=50)
    with pytest.raises(InvalidInput, match="at most 31"):
        volume(requests_per_day=1, days_per_month=32)
    with pytest.raises(InvalidInput):
        tokens_from_prompt(float("nan"), 1)


def test_unknown_model_suggests_and_retired_model_answers():
    out = run_tool("api_cost", {"model": "claude-haiku-4-6", "input_tokens": 1, "output_tokens": 1})
    assert out.is_error and out.result["error"]["type"] == "unknown_name" and out.result["error"]["allowed"]
    out = cost(model="claude-3-opus-20240229", **CLAIMS)
    # Opus 3 $15/$75 (pricing docs): same as Opus 4.1, $450/day; retired 2026-01-05 (deprecations page).
    assert exact(out["usd_per_day"]) == D(450)
    assert out["status"] == "retired" and "retired" in out["warnings"][0] and "2026-01-05" in out["warnings"][0]
    assert "claude-opus-4-8" in out["warnings"][0]  # the replacement on Anthropic's deprecations page


def test_context_window_and_output_limits_warn():
    out = cost(model="haiku-4.5", input_tokens=250_000, output_tokens=70_000)
    text = " ".join(out["warnings"])
    assert "200,000-token context window" in text and "max output of 64,000" in text


def test_unverified_prices_are_flagged_when_used():
    # Fable 5.2's cache prices come from third parties only (its input/output are in Anthropic's release notes).
    out = cost(model="fable-5.2", input_tokens=1000, cache_read_tokens=600, output_tokens=10)
    assert out["price_list"]["verified"] is False
    assert any("cache_read price not confirmed" in w for w in out["warnings"])
    out = cost(model="fable-5.2", input_tokens=1000, output_tokens=10)  # no cache read: nothing unconfirmed used
    assert "warnings" not in out
    out = cost(model="mythos-5.2", input_tokens=1000, output_tokens=10, compare=["opus-5.5"])
    assert any("input price" in w and "output price" in w for w in out["warnings"])
    assert [r["verified"] for r in out["comparison"]] == [False, True]
    # Sonnet 5.5's $0.10 cache read is on Anthropic's pricing page (2026-10-08): verified, no warning.
    out = cost(model="sonnet-5.5", input_tokens=1000, cache_read_tokens=600, output_tokens=10)
    assert out["price_list"]["verified"] is True and "warnings" not in out


# -- self-hosting -----------------------------------------------------------------------------------

def test_self_hosting_math_by_hand():
    # 8 GPUs x $2.50 = $20/hour; 20,000 tokens/s x 3,600 = 72,000,000 tokens/hour → $20 / 72 MTok
    # = $0.27777…/MTok. A 30-day month is 720 h → $14,400; capacity 72M x 720 = 51.84e9 tokens.
    sh = self_hosting(8, 2.5, 20_000)
    assert sh.usd_per_hour == D(20) and sh.tokens_per_hour == D(72_000_000)
    assert abs(sh.usd_per_mtok * 72 - 20) < D("1e-50")  # 20/72 repeats: exact to 60 digits
    assert sh.usd_per_month == D(14_400) and sh.capacity_tokens_per_month == D(51_840_000_000)
    # Sonnet 5.5 $2/$10 at 3 input tokens per output token: (3 x 2 + 10) / 4 = $4/MTok blended;
    # break-even = $14,400 / $4 per MTok = 3,600 MTok = 3.6e9 tokens/month.
    blended = blended_usd_per_mtok(lookup_price("sonnet-5.5").rates, D(3))
    assert blended == D(4)
    assert break_even_tokens_per_month(sh.usd_per_month, blended) == D(3_600_000_000)


def test_self_hosting_tool():
    out = run_tool("self_hosting_cost", {"gpu_count": 8, "usd_per_gpu_hour": 2.5, "tokens_per_second": 20000}).result
    assert out["break_even_tokens_per_month"] == 3_600_000_000
    assert out["claude"]["model"] == "claude-sonnet-5-5" and out["claude"]["blended_usd_per_mtok"] == 4.0
    # 3.6e9 of 51.84e9 capacity = 0.069 (rounded for display).
    assert out["break_even_share_of_capacity"] == 0.069
    # Half utilization halves capacity: $20 / 36 MTok = $0.5555…/MTok.
    out = run_tool("self_hosting_cost", {"gpu_count": 8, "usd_per_gpu_hour": 2.5, "tokens_per_second": 20000,
                                         "utilization": 0.5}).result
    assert exact(out["self_hosted_usd_per_mtok"]) == D(repr(float(D(20) / D(36))))


def test_self_hosting_never_breaks_even_is_said():
    # 1 GPU at $2.50/h and 50 tokens/s = $2.50 / 0.18 MTok = $13.89/MTok, above Haiku 5.5's blended
    # (3 x 0.10 + 0.50) / 4 = $0.20/MTok: no break-even within capacity.
    out = run_tool("self_hosting_cost", {"gpu_count": 1, "usd_per_gpu_hour": 2.5, "tokens_per_second": 50,
                                         "claude_model": "haiku-5.5"}).result
    assert "no break-even" in out["verdict"] and "break_even_share_of_capacity" not in out


@pytest.mark.parametrize("inp, field", [
    ({"gpu_count": 0, "usd_per_gpu_hour": 1, "tokens_per_second": 1}, "gpu_count"),
    ({"gpu_count": 1, "usd_per_gpu_hour": 0, "tokens_per_second": 1}, "usd_per_gpu_hour"),
    ({"gpu_count": 1, "usd_per_gpu_hour": 1, "tokens_per_second": 1, "utilization": 1.5}, "utilization"),
    ({"gpu_count": 1, "usd_per_gpu_hour": 1}, "tokens_per_second"),
    ({"gpus": 1, "gpu_count": 1, "usd_per_gpu_hour": 1, "tokens_per_second": 1}, "gpus"),  # old and new name
])
def test_self_hosting_bad_input(inp, field):
    out = run_tool("self_hosting_cost", inp)
    assert out.is_error and out.result["error"]["field"] == field


def test_self_hosting_old_input_names_still_work():
    # gpus / gpu_usd_per_hour were renamed to gpu_count / usd_per_gpu_hour (one name per concept across
    # tools); for one release the old names mean the same: 8 x $2.50 / 72 MTok an hour as above.
    old = run_tool("self_hosting_cost", {"gpus": 8, "gpu_usd_per_hour": 2.5, "tokens_per_second": 20000})
    assert not old.is_error and old.result["break_even_tokens_per_month"] == 3_600_000_000
