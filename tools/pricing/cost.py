"""Exact Claude API cost math: one request's itemised price, scaled to a day and a month; and self-hosting
dollars per million tokens with the break-even volume against an API model.

Money is `Decimal` under a 60-digit context, so no intermediate ever rounds; rounding happens only where a
number is displayed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Context, Decimal, localcontext

from ..errors import InvalidInput
from .entry import FastPeriod, LongContext, PriceEntry, Rates

MTOK = Decimal(1_000_000)
_CTX = Context(prec=60)
CACHE_TTLS = ("5m", "1h")
ITEM_LABELS = {"input": "input (uncached)", "cache_read": "cache read", "cache_write_5m": "cache write, 5-minute TTL",
               "cache_write_1h": "cache write, 1-hour TTL", "output": "output"}


@dataclass(frozen=True)
class RequestTokens:
    """One request's tokens by billing category. `uncached_input` excludes the cached parts."""

    uncached_input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write_5m: int = 0
    cache_write_1h: int = 0

    @property
    def prompt(self) -> int:
        """Everything sent: the figure long-context tiers are judged on."""
        return self.uncached_input + self.cache_read + self.cache_write_5m + self.cache_write_1h


@dataclass(frozen=True)
class LineItem:
    name: str  # a Rates field: input, output, cache_read, cache_write_5m, cache_write_1h
    tokens: int
    usd_per_mtok: Decimal  # after any batch discount
    usd: Decimal


@dataclass(frozen=True)
class PricingOptions:
    """How one request is billed: the date whose prices apply, and the modifiers asked for."""

    as_of: date
    batch: bool = False
    fast: bool = False
    inference_geo: str = "global"


@dataclass(frozen=True)
class RequestCost:
    entry: PriceEntry
    items: tuple[LineItem, ...]
    total: Decimal
    long_context: LongContext | None  # the tier applied, if the prompt crossed its threshold
    batch_discount: Decimal | None  # the discount applied, None when not a batch request
    options: PricingOptions | None = None
    fast: FastPeriod | None = None  # the fast-mode period applied
    fast_fallback: str | None = None  # fast asked for but billed at standard rates: why
    geo_multiplier: Decimal | None = None  # US-only inference multiplier applied
    derived_cache: tuple[str, ...] = ()  # cache prices derived from the model's multipliers
    list_rates: Rates | None = None  # the per-MTok prices before geo and batch


def count(value: object, field: str) -> int:
    """A token count: a whole number >= 0 (bools and fractions refused, not truncated)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise InvalidInput(f"{field} must be a whole number of tokens, got {value!r}", field=field,
                           allowed="integer >= 0")
    if isinstance(value, (float, Decimal)) and not math.isfinite(value) or value != int(value):
        raise InvalidInput(f"{field} must be a whole number of tokens, got {value!r}", field=field,
                           allowed="integer >= 0")
    if value < 0:
        raise InvalidInput(f"{field} cannot be negative, got {value!r}", field=field, allowed="integer >= 0")
    return int(value)


def tokens_from_prompt(input_tokens: object, output_tokens: object, cache_read_tokens: object = 0,
                       cache_write_tokens: object = 0, cache_ttl: str = "5m") -> RequestTokens:
    """Our calculator's convention: `input_tokens` is the WHOLE prompt; cache reads and writes are parts
    of it, so they must fit inside it together."""
    prompt = count(input_tokens, "input_tokens")
    read = count(cache_read_tokens, "cache_read_tokens")
    write = count(cache_write_tokens, "cache_write_tokens")
    if cache_ttl not in CACHE_TTLS:
        raise InvalidInput(f"cache_ttl must be 5m or 1h, got {cache_ttl!r}", field="cache_ttl",
                           allowed=list(CACHE_TTLS))
    if read > prompt:
        raise InvalidInput(f"cache_read_tokens ({read:,}) cannot exceed input_tokens ({prompt:,}): input_tokens is "
                           "the whole prompt and cache reads are part of it", field="cache_read_tokens",
                           allowed=f"0..{prompt}")
    if read + write > prompt:
        raise InvalidInput(f"cache_read_tokens + cache_write_tokens ({read + write:,}) cannot exceed input_tokens "
                           f"({prompt:,}), the whole prompt", field="cache_write_tokens", allowed=f"0..{prompt - read}")
    return RequestTokens(uncached_input=prompt - read - write, output=count(output_tokens, "output_tokens"),
                         cache_read=read, cache_write_5m=write if cache_ttl == "5m" else 0,
                         cache_write_1h=write if cache_ttl == "1h" else 0)


def tokens_from_usage(usage: Mapping) -> tuple[RequestTokens, dict]:
    """A Messages API `usage` block → tokens by category, and the billing modifiers it reports
    (`service_tier` batch, `speed` fast, `inference_geo` us) as PricingOptions fields.

    The API reports `input_tokens` WITHOUT the cached parts. `cache_creation` (when present) splits the
    writes by TTL; any remainder is billed as a 5-minute write, the API's default TTL."""
    if not isinstance(usage, Mapping):
        raise InvalidInput("usage must be an object with Messages API usage fields", field="usage")

    def get(d: Mapping, key: str, where: str) -> int:
        v = d.get(key)
        return 0 if v is None else count(v, f"{where}{key}")

    written = get(usage, "cache_creation_input_tokens", "usage.")
    split = usage.get("cache_creation") or {}
    if not isinstance(split, Mapping):
        raise InvalidInput("usage.cache_creation must be an object", field="usage.cache_creation")
    w1h = get(split, "ephemeral_1h_input_tokens", "usage.cache_creation.")
    w5m = get(split, "ephemeral_5m_input_tokens", "usage.cache_creation.")
    if split and w1h + w5m > written:
        raise InvalidInput(f"usage.cache_creation splits {w1h + w5m:,} tokens but cache_creation_input_tokens is "
                           f"{written:,}", field="usage.cache_creation")
    tokens = RequestTokens(uncached_input=get(usage, "input_tokens", "usage."),
                           output=get(usage, "output_tokens", "usage."),
                           cache_read=get(usage, "cache_read_input_tokens", "usage."),
                           cache_write_5m=written - w1h, cache_write_1h=w1h)
    opts = {"batch": usage.get("service_tier") == "batch", "fast": usage.get("speed") == "fast",
            "inference_geo": "us" if usage.get("inference_geo") == "us" else "global"}
    return tokens, opts


def price_request(entry: PriceEntry, tokens: RequestTokens, opts: PricingOptions | None = None, *,
                  batch: bool = False) -> RequestCost:
    """Itemised exact cost of one request on `opts.as_of` (default today). Above a long-context threshold
    every item uses the tier's prices; fast mode uses the fast prices; the US-only multiplier and the Batch
    API discount apply to every item (Anthropic: the modifiers stack)."""
    from .lifecycle import today
    from .rules import select_rates

    if opts is None:
        opts = PricingOptions(as_of=today(), batch=batch)
    entries = ()
    if opts.fast:
        from .prices import active_catalog

        entries = active_catalog().entries
    sel = select_rates(entry, tokens.prompt, opts.as_of, batch=opts.batch, fast=opts.fast,
                       inference_geo=opts.inference_geo, entries=entries)
    discount: Decimal | None = None
    if opts.batch:
        if entry.batch_discount is None:
            raise InvalidInput(f"no Batch API discount on file for {entry.name}; add batch_discount in a price file",
                               field="batch")
        discount = entry.batch_discount
    with localcontext(_CTX):
        factor = (1 - discount if discount is not None else Decimal(1)) * (sel.geo_multiplier or 1)
        items = []
        for name in ("input", "cache_read", "cache_write_5m", "cache_write_1h", "output"):
            n = getattr(tokens, {"input": "uncached_input"}.get(name, name))
            if n == 0 and name not in ("input", "output"):
                continue
            rate = getattr(sel.rates, name)
            if rate is None:
                if n == 0:
                    continue
                raise InvalidInput(f"no {ITEM_LABELS[name]} price on file for {entry.name} ({entry.id}); add it "
                                   "with a price file (--prices)", field=_field_for(name))
            unit = rate * factor
            items.append(LineItem(name, n, unit, n * unit / MTOK))
        total = sum((i.usd for i in items), Decimal(0))
    return RequestCost(entry, tuple(items), total, sel.tier, discount, opts, sel.fast, sel.fast_fallback,
                       sel.geo_multiplier, sel.derived, sel.rates)


def _field_for(item: str) -> str:
    return {"input": "input_tokens", "output": "output_tokens", "cache_read": "cache_read_tokens"}.get(
        item, "cache_write_tokens")


@dataclass(frozen=True)
class Volume:
    requests_per_day: Decimal | None
    requests_per_month: Decimal | None
    days_per_month: Decimal


def volume(requests_per_day: object = None, requests_per_month: object = None,
           days_per_month: object = None) -> Volume:
    """Requests per day or per month (not both); the other follows from days_per_month (default 30)."""
    if requests_per_day is not None and requests_per_month is not None:
        raise InvalidInput("give requests_per_day or requests_per_month, not both", field="requests_per_month")
    days = Decimal(30) if days_per_month is None else _positive(days_per_month, "days_per_month")
    if days > 31:
        raise InvalidInput(f"days_per_month must be at most 31, got {days}", field="days_per_month",
                           allowed="0 < days_per_month <= 31")
    with localcontext(_CTX):
        if requests_per_day is not None:
            rpd = Decimal(count(requests_per_day, "requests_per_day"))
            return Volume(rpd, rpd * days, days)
        if requests_per_month is not None:
            rpm = Decimal(count(requests_per_month, "requests_per_month"))
            return Volume(rpm / days, rpm, days)
    return Volume(None, None, days)


def _positive(value: object, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise InvalidInput(f"{field} must be a number, got {value!r}", field=field)
    d = value if isinstance(value, Decimal) else Decimal(str(value))  # str(): 0.1 stays 0.1, not 0.1000…055
    if not d.is_finite() or d <= 0:
        raise InvalidInput(f"{field} must be greater than 0, got {value!r}", field=field, allowed="> 0")
    return d


def scale(usd_per_request: Decimal, vol: Volume) -> tuple[Decimal | None, Decimal | None]:
    """(usd_per_day, usd_per_month) for a volume; (None, None) when no volume was given."""
    if vol.requests_per_month is None:
        return None, None
    with localcontext(_CTX):
        return usd_per_request * vol.requests_per_day, usd_per_request * vol.requests_per_month


# -- self-hosting ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SelfHosting:
    usd_per_hour: Decimal
    tokens_per_hour: Decimal  # at the given utilization
    usd_per_mtok: Decimal
    hours_per_month: Decimal
    usd_per_month: Decimal  # GPUs rented around the clock
    capacity_tokens_per_month: Decimal


def self_hosting(gpu_count: object, usd_per_gpu_hour: object, tokens_per_second: object, utilization: object = 1,
                 days_per_month: object = 30) -> SelfHosting:
    """GPUs x $/GPU-hour / (sustained tokens/s x 3600 x utilization) → $/MTok; a month is days x 24 h."""
    n = count(gpu_count, "gpu_count")
    if n < 1:
        raise InvalidInput("gpu_count must be at least 1", field="gpu_count", allowed="integer >= 1")
    price = _positive(usd_per_gpu_hour, "usd_per_gpu_hour")
    tps = _positive(tokens_per_second, "tokens_per_second")
    util = _positive(utilization, "utilization")
    if util > 1:
        raise InvalidInput(f"utilization is a fraction of the hour, at most 1, got {utilization!r}",
                           field="utilization", allowed="0 < utilization <= 1")
    days = _positive(days_per_month, "days_per_month")
    with localcontext(_CTX):
        usd_per_hour = n * price
        tokens_per_hour = tps * 3600 * util
        hours = days * 24
        return SelfHosting(usd_per_hour, tokens_per_hour, usd_per_hour / tokens_per_hour * MTOK, hours,
                           usd_per_hour * hours, tokens_per_hour * hours)


def blended_usd_per_mtok(rates: Rates, input_per_output: Decimal, factor: Decimal = Decimal(1)) -> Decimal:
    """Price of a token mix with `input_per_output` input tokens for every output token (uncached)."""
    if rates.input is None or rates.output is None:
        raise InvalidInput("that model has no input/output price on file", field="claude_model")
    with localcontext(_CTX):
        return (input_per_output * rates.input + rates.output) * factor / (input_per_output + 1)


def break_even_tokens_per_month(usd_per_month: Decimal, api_usd_per_mtok: Decimal) -> Decimal:
    """Monthly tokens at which the API bill equals the fixed self-hosting bill."""
    with localcontext(_CTX):
        return usd_per_month / api_usd_per_mtok * MTOK
