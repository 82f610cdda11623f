"""The Claude price catalog: reference prices from Anthropic's pricing docs, lookups, user price files,
and pricing a Messages API usage block. Expected values are Anthropic's published prices or hand
derivations written out here, never output of our own code."""

import json
from datetime import date
from decimal import Decimal

import pytest
from modelmath.tools.errors import InvalidInput, UnknownName
from modelmath.tools.pricing import prices
from modelmath.tools.pricing.prices import (
    PriceFileError,
    build_catalog,
    builtin_raw,
    default_model_id,
    lookup_price,
    normalize,
    parse_price_file,
    usage_cost_usd,
    validate_price_file,
)

D = Decimal
PRICING = "https://platform.claude.com/docs/en/about-claude/pricing"
ANTHROPIC_HOSTS = {"platform.claude.com", "docs.anthropic.com", "code.claude.com"}


@pytest.fixture(autouse=True)
def _builtin_only():
    prices.set_override_loader(None)
    yield
    prices.set_override_loader(None)


def test_packaged_catalog_passes_its_own_schema():
    validate_price_file(builtin_raw(), "built-in")
    cat = prices.active_catalog()
    for raw, e in zip(builtin_raw()["models"], cat.entries, strict=True):
        assert e.source and e.as_of, e.id
        # Status is computed, so every entry must state its dates and replacement (null when none announced).
        for key in ("released", "deprecated_on", "retires_on", "replacement"):
            assert key in raw, f"{e.id} lacks {key}"
        if e.replacement:
            assert cat.find(e.replacement) is not None, f"{e.id}: replacement {e.replacement} not in the catalog"
        if e.deprecated_on:
            assert e.retires_on and e.deprecated_on < e.retires_on, e.id
        if not e.verified:
            assert e.unverified and e.notes, f"{e.id}: unverified entries must say what and why"
        assert e.tokenizer in ("newer", "previous"), e.id
        first = e.source.split(" ")[0]
        assert first.split("/")[2] in ANTHROPIC_HOSTS, f"{e.id}: cite Anthropic's own page first, not {first}"


@pytest.mark.parametrize("name, input_, output", [
    ("claude-sonnet-4-5-20250929", "3", "15"),  # Anthropic pricing docs: Sonnet 4.5 $3 / $15
    ("claude-haiku-4-5-20251001", "1", "5"),  # Haiku 4.5 $1 / $5
    ("claude-opus-4-1-20250805", "15", "75"),  # Opus 4.1 $15 / $75
])
def test_reference_prices_and_cache_multipliers(name, input_, output):
    e = lookup_price(name)
    assert (e.rates.input, e.rates.output) == (D(input_), D(output))
    # Anthropic pricing docs: cache read = 0.1x input, 5-minute write = 1.25x, 1-hour write = 2x; Batch 50% off.
    assert e.rates.cache_read == D(input_) * D("0.1")
    assert e.rates.cache_write_5m == D(input_) * D("1.25")
    assert e.rates.cache_write_1h == D(input_) * 2
    assert e.batch_discount == D("0.5")


@pytest.mark.parametrize("name", ["claude-sonnet-4-20250514", "claude-sonnet-4-5-20250929"])
def test_sonnet_4_long_context_tier_ended_with_the_beta(name):
    # Pricing page copy of 2026-03-28: over 200K input tokens, $6 input / $22.50 output. Release notes of
    # 2026-04-30: the 1M beta is retired for Sonnet 4.5 and Sonnet 4; requests over 200K return an error.
    e = lookup_price(name)
    lc = e.long_context_on(date(2026, 4, 29))
    assert lc.above_prompt_tokens == 200_000
    assert (lc.rates.input, lc.rates.output) == (D(6), D("22.50"))
    assert e.window_on(date(2026, 4, 29)) == 1_000_000
    assert e.long_context_on(date(2026, 4, 30)) is None and e.window_on(date(2026, 4, 30)) == 200_000


def test_current_lineup_prices():
    # platform.claude.com model overview pages (stored copies): Opus 5.5 $4/$20 with 5m/1h writes $5/$8 and
    # reads $0.20; Haiku 5.5 $0.10/$0.50 up to 100,000-token prompts, $0.50/$2.50 above.
    opus = lookup_price("claude-opus-5-5").rates
    assert (opus.input, opus.output, opus.cache_write_5m, opus.cache_write_1h, opus.cache_read) == (
        D(4), D(20), D(5), D(8), D("0.20"))
    haiku = lookup_price("claude-haiku-5-5")
    assert (haiku.rates.input, haiku.rates.output) == (D("0.10"), D("0.50"))
    tier = haiku.long_context_on(date(2026, 11, 30))
    assert tier.above_prompt_tokens == 100_000
    assert (tier.rates.input, tier.rates.output) == (D("0.50"), D("2.50"))


def test_sonnet_55_cache_read_price_by_date():
    # Pricing page (2026-10-08): Sonnet 5.5 cache hits $0.10, "0.05x the base input price". Release notes,
    # October 7, 2026: "lowered the price of prompt cache reads on Claude Sonnet 5.5 from $0.20 USD to $0.10".
    e = lookup_price("claude-sonnet-5-5")
    assert e.rates_on(date(2026, 10, 7)).cache_read == D("0.10")
    assert e.rates_on(date(2026, 10, 6)).cache_read == D("0.20")
    assert e.rates_on(date(2026, 9, 28)).cache_read == D("0.20")  # launch day
    assert e.rates_on(date(2026, 10, 6)).input == D(2)  # "all other prices are unchanged"


def test_lifecycle_dates_from_anthropics_deprecations_page():
    # https://platform.claude.com/docs/en/about-claude/model-deprecations (copy 2026-10-08): Sonnet 4.5
    # deprecated September 30, 2026, retires November 30, 2026, replacement claude-sonnet-5-5; Opus 4.1
    # deprecated June 5, 2026, retired August 5, 2026, replacement claude-opus-4-8.
    s45 = lookup_price("claude-sonnet-4-5")
    assert (s45.deprecated_on, s45.retires_on, s45.replacement) == ("2026-09-30", "2026-11-30", "claude-sonnet-5-5")
    o41 = lookup_price("opus 4.1")
    assert (o41.deprecated_on, o41.retires_on, o41.replacement) == ("2026-06-05", "2026-08-05", "claude-opus-4-8")
    # Opus 4.5's deprecation is reported only by a third party: flagged, not presented as Anthropic's.
    o45 = lookup_price("opus-4.5")
    assert o45.retires_on == "2027-01-22" and {"deprecated_on", "retires_on", "replacement"} <= set(o45.unverified)


@pytest.mark.parametrize("name", [
    "claude-haiku-4-5-20251001", "claude-haiku-4-5", "Claude Haiku 4.5", "haiku-4.5", "HAIKU 4.5",
    "anthropic/claude-haiku-4.5", "us.anthropic.claude-haiku-4-5-20251001-v1:0", "claude-haiku-4-5@20251001",
])
def test_lookup_is_forgiving(name):
    assert lookup_price(name).id == "claude-haiku-4-5-20251001"


def test_claude_3_ids_put_the_version_first():
    assert normalize("claude-3-5-haiku-20241022") == normalize("Haiku 3.5") == "haiku35"
    assert lookup_price("claude-3-5-sonnet-20240620").id == "claude-3-5-sonnet-20241022"
    assert lookup_price("claude-opus-4-0").id == "claude-opus-4-20250514"


def test_unknown_model_suggests():
    with pytest.raises(UnknownName) as exc:
        lookup_price("claude-sonet-4-5")
    assert "claude-sonnet-4-5-20250929" in exc.value.allowed
    with pytest.raises(UnknownName) as exc:
        lookup_price("sonnet")  # a family alone is ambiguous: its current model is suggested first
    assert exc.value.allowed[0] == "claude-sonnet-5-5"
    with pytest.raises(InvalidInput):
        lookup_price("  ")


def test_default_model_is_the_current_sonnet():
    assert default_model_id() == "claude-sonnet-5-5"


# -- user price files -------------------------------------------------------------------------------

def _file(*models, **top) -> str:
    return json.dumps({"schema_version": 1, "models": list(models), **top})


def test_override_negotiated_rate_keeps_other_fields():
    raw = parse_price_file(_file({"id": "claude-haiku-4-5", "source": "our contract", "as_of": "2026-11-01",
                                  "prices_usd_per_mtok": {"input": 0.8}}), "deal.json")
    cat = build_catalog(builtin_raw(), [(raw, "deal.json")])
    e = cat.lookup("haiku 4.5")
    assert e.id == "claude-haiku-4-5-20251001"  # the alias landed on the built-in entry
    assert e.rates.input == D("0.8") and e.rates.output == D(5) and e.rates.cache_read == D("0.10")
    assert e.origin == "deal.json" and e.verified is False and e.source == "our contract"
    assert cat.price_files == ("deal.json",)
    assert len(cat.entries) == len(builtin_raw()["models"])


def test_override_adds_a_model():
    raw = parse_price_file(_file({"id": "claude-private-1", "name": "Private", "source": "contract",
                                  "as_of": "2026-11-01", "prices_usd_per_mtok": {"input": 1, "output": 2}}), "p.json")
    e = build_catalog(builtin_raw(), [(raw, "p.json")]).lookup("claude-private-1")
    assert (e.rates.input, e.rates.output, e.rates.cache_read, e.batch_discount) == (D(1), D(2), None, None)


def test_new_model_without_prices_is_refused():
    raw = parse_price_file(_file({"id": "claude-x", "source": "s", "as_of": "2026-01-01"}), "x.json")
    with pytest.raises(PriceFileError, match="needs prices_usd_per_mtok"):
        build_catalog(builtin_raw(), [(raw, "x.json")])


@pytest.mark.parametrize("text, needle", [
    ("{not json", "not valid JSON"),
    (_file({"id": "a", "source": "s"}), "as_of"),  # required field missing
    (_file({"id": "a", "source": "s", "as_of": "2026-01-01", "prices_usd_per_mtok": {"input": -1}}), "minimum"),
    (_file({"id": "a", "source": "s", "as_of": "2026-01-01", "prices_usd_per_mtok": {"inptu": 1}}), "inptu"),
    (_file({"id": "a", "source": "s", "as_of": "2026-01-01", "status": "retired"}), "status is computed"),
    (_file({"id": "a", "source": "s", "as_of": "2026-01-01", "retired_on": "2026-01-01"}), "use retires_on"),
    (_file({"id": "a", "source": "s", "as_of": "2026-01-01", "retires_on": "soon"}), "retires_on"),
    (_file({"id": "a", "source": "s", "as_of": "1 Jan"}), "as_of"),
    (json.dumps({"models": []}), "schema_version"),
    (_file({"id": "a", "source": "s", "as_of": "2026-01-01"}, {"id": "a", "source": "s", "as_of": "2026-01-01"}),
     "duplicate"),
])
def test_bad_price_files_say_what_is_wrong(text, needle):
    with pytest.raises(PriceFileError) as exc:
        parse_price_file(text, "bad.json")
    assert "bad.json" in exc.value.message and needle in exc.value.message


def test_override_loader_feeds_every_lookup():
    raw = parse_price_file(_file({"id": "claude-opus-5-5", "source": "deal", "as_of": "2026-11-01",
                                  "prices_usd_per_mtok": {"output": 18}}), "deal.json")
    prices.set_override_loader(lambda: [(raw, "deal.json")])
    assert lookup_price("opus 5.5").rates.output == D(18)
    prices.set_override_loader(None)
    assert lookup_price("opus 5.5").rates.output == D(20)


# -- usage_cost_usd ---------------------------------------------------------------------------------

def test_usage_cost_counts_cache_tokens_separately():
    # The API's input_tokens excludes cached parts. Sonnet 4.5 ($3 in, $0.30 read, $3.75 5m, $6 1h, $15 out):
    # 1,000 x 3 + 20,000 x 0.30 + 3,000 x 3.75 + 2,000 x 6 + 500 x 15 = 3,000 + 6,000 + 11,250 + 12,000
    # + 7,500 = 39,750 $·tokens/MTok → $0.03975.
    usage = {"input_tokens": 1000, "cache_read_input_tokens": 20000, "cache_creation_input_tokens": 5000,
             "cache_creation": {"ephemeral_5m_input_tokens": 3000, "ephemeral_1h_input_tokens": 2000},
             "output_tokens": 500, "service_tier": "standard"}
    assert usage_cost_usd("claude-sonnet-4-5-20250929", usage) == D("0.03975")


def test_usage_cost_defaults_and_nulls():
    # No cache_creation split: writes are 5-minute (the API default). Haiku 4.5: 2,000 x 1.25 + 100 x 5
    # = 3,000 → $0.003. Null fields count as zero.
    usage = {"input_tokens": 0, "cache_creation_input_tokens": 2000, "cache_read_input_tokens": None,
             "output_tokens": 100}
    assert usage_cost_usd("claude-haiku-4-5", usage) == D("0.003")


def test_usage_cost_long_context_judged_on_whole_prompt():
    # Sonnet 4.5 on 2026-04-29 (the 1M beta's last day): input 150,000 + cache reads 60,000 = 210,000 > 200,000,
    # so everything bills at the long-context rates ($6 in, $0.60 read = 0.1 x 6, $22.50 out): 150,000 x 6
    # + 60,000 x 0.60 + 1,000 x 22.50 = 900,000 + 36,000 + 22,500 = 958,500 → $0.9585.
    usage = {"input_tokens": 150000, "cache_read_input_tokens": 60000, "output_tokens": 1000}
    assert usage_cost_usd("claude-sonnet-4-5", usage, date(2026, 4, 29)) == D("0.9585")


def test_usage_cost_reads_fast_geo_and_web_search_fields():
    # Opus 5.5 fast mode $8 / $40 (pricing page), US-only inference x1.1 on every token price (data residency
    # pricing), web search $10 per 1,000: (1,000 x 8 + 100 x 40) x 1.1 = 12,000 x 1.1 = 13,200 $·tokens/MTok
    # → $0.0132; + 3 searches x $0.01 = $0.0432.
    usage = {"input_tokens": 1000, "output_tokens": 100, "speed": "fast", "inference_geo": "us",
             "server_tool_use": {"web_search_requests": 3}}
    assert usage_cost_usd("claude-opus-5-5", usage) == D("0.0432")
    # Standard speed, global: 8,000 → 1,000 x 4 + 100 x 20 = 6,000 → $0.006.
    assert usage_cost_usd("claude-opus-5-5", {"input_tokens": 1000, "output_tokens": 100}) == D("0.006")


def test_usage_cost_batch_tier():
    # service_tier "batch": 50% off. Haiku 4.5: (1,000 x 1 + 1,000 x 5) / 2 = 3,000 → $0.003.
    usage = {"input_tokens": 1000, "output_tokens": 1000, "service_tier": "batch"}
    assert usage_cost_usd("claude-haiku-4-5", usage) == D("0.003")


@pytest.mark.parametrize("usage", [
    {"input_tokens": -1, "output_tokens": 0},
    {"input_tokens": 1.5, "output_tokens": 0},
    {"input_tokens": True, "output_tokens": 0},
    {"input_tokens": 1, "output_tokens": 0, "cache_creation_input_tokens": 1,
     "cache_creation": {"ephemeral_1h_input_tokens": 5}},
    "not a dict",
])
def test_usage_cost_rejects_bad_usage(usage):
    with pytest.raises(InvalidInput):
        usage_cost_usd("claude-haiku-4-5", usage)


def test_usage_cost_missing_cache_price_is_an_error_not_zero():
    # Claude Sonnet 3 (retired 2025-07-21) has no cache prices on file (see its notes): pricing a cache read
    # must fail loudly, not bill it at $0.
    with pytest.raises(InvalidInput, match="cache read"):
        usage_cost_usd("claude-3-sonnet-20240229",
                       {"input_tokens": 1, "output_tokens": 1, "cache_read_input_tokens": 10})
