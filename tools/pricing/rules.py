"""Anthropic's pricing rules that change which prices a request pays, or how many tokens it has.

Rates (for `price_request`), on the request's date:
- long context: above a model's threshold the whole request is billed at the tier's prices, while the
  tier exists (Haiku 5.5 today; Sonnet 4.x, Opus 4.6 only in past windows);
- fast mode: the model's fast prices in that window; "Fast mode is not available with the Batch API";
  "Prompt caching multipliers apply on top of fast mode pricing";
- data residency: `inference_geo: "us"` is a 1.1x multiplier "on all token pricing categories" for Claude
  4.6 and later; "requests that include the parameter on these [earlier] models return a 400 error".

Tokens (for a quote, not for a `usage` block that already reports what was billed):
- minimum cacheable prompt: "Shorter prompts cannot be cached ... processed without caching, and no error
  is returned", so a cached prefix below the model's minimum bills as plain input;
- tool use: a request with `tools` carries a model-specific system prompt (pricing page table).
All quotes: https://platform.claude.com/docs/en/about-claude/pricing and .../build-with-claude/prompt-caching.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from ..errors import InvalidInput
from .entry import FastPeriod, LongContext, PriceEntry, Rates

GEOS = ("global", "us")
TOOL_CHOICES = ("auto", "none", "any", "tool")
_CACHE_KEYS = ("cache_write_5m", "cache_write_1h", "cache_read")


@dataclass(frozen=True)
class Selection:
    rates: Rates  # before the geo multiplier and the batch discount
    tier: LongContext | None  # the long-context tier applied
    fast: FastPeriod | None  # the fast-mode period applied
    fast_fallback: str | None  # fast asked for, billed at standard rates: why
    geo_multiplier: Decimal | None
    derived: tuple[str, ...]  # cache prices derived from the model's multipliers


def fill_cache(rates: Rates, base: Rates) -> tuple[Rates, tuple[str, ...]]:
    """Cache prices missing from a tier or fast price: the model's own cache multipliers (base cache price
    / base input price) times the tier's input price. Anthropic: caching multipliers "apply on top"."""
    changes, derived = {}, []
    for k in _CACHE_KEYS:
        b = getattr(base, k)
        if getattr(rates, k) is None and b is not None and base.input and rates.input is not None:
            changes[k] = rates.input * b / base.input
            derived.append(k)
    return rates.replace(**changes), tuple(derived)


def fast_models(entries, d: date) -> list[str]:
    """Ids of the models with a published fast-mode price on `d`."""
    return [e.id for e in entries if (p := e.fast_on(d)) is not None and p.rates is not None]


def _fast(entry: PriceEntry, d: date, batch: bool, entries) -> tuple[FastPeriod | None, str | None]:
    if batch:
        raise InvalidInput("fast mode is not available with the Batch API (Anthropic pricing page): drop batch or "
                           "fast", field="fast")
    period = entry.fast_on(d)
    priced = fast_models(entries, d)
    others = (f"; on {d} fast mode is priced for: {', '.join(priced)}" if priced
              else f"; no model has a fast price on {d}")
    if period is not None and period.rates is None:
        raise InvalidInput(f"{entry.name} has fast mode on {d}, but Anthropic publishes no fast-mode price for it"
                           + others, field="fast", allowed=priced or None)
    if period is not None:
        return period, None
    ended = [p.end for p in entry.fast_mode if p.end is not None and p.end < d]
    if ended and entry.fast_mode_after_removal == "standard":
        removed = max(ended) + timedelta(days=1)
        return None, (f"fast mode on {entry.name} was removed on {removed}: requests with speed \"fast\" run at "
                      "standard speed and are billed at standard rates (no error)")
    if ended:
        why = f"fast mode on {entry.name} was removed on {max(ended) + timedelta(days=1)}: requests with speed " \
              "\"fast\" return an error"
    elif entry.fast_mode and entry.fast_mode[0].start and d < entry.fast_mode[0].start:
        why = f"fast mode on {entry.name} started on {entry.fast_mode[0].start}"
    else:
        why = f"{entry.name} has no fast mode"
    raise InvalidInput(why + others, field="fast", allowed=priced or None)


def select_rates(entry: PriceEntry, prompt_tokens: int, d: date, *, batch: bool = False, fast: bool = False,
                 inference_geo: str = "global", entries=()) -> Selection:
    """The per-MTok prices one request pays on date `d`; refusals name the field and what is allowed.
    `entries`: the catalog, to name the models that do have a fast price when this one has none."""
    base = entry.rates_on(d)
    period, fallback = _fast(entry, d, batch, entries) if fast else (None, None)
    derived: tuple[str, ...] = ()
    tier = None
    if period is not None:
        lc = period.long_context
        tier = lc if lc is not None and prompt_tokens > lc.above_prompt_tokens else None
        rates, derived = fill_cache(tier.rates if tier else period.rates, base)
    else:
        lc = entry.long_context_on(d)
        tier = lc if lc is not None and prompt_tokens > lc.above_prompt_tokens else None
        rates = base
        if tier is not None:
            rates, derived = fill_cache(tier.rates, base)
    if inference_geo not in GEOS:
        raise InvalidInput(f"inference_geo must be global or us, got {inference_geo!r}", field="inference_geo",
                           allowed=list(GEOS))
    geo = None
    if inference_geo == "us":
        geo = entry.inference_geo_us_multiplier
        if geo is None:
            raise InvalidInput(f"{entry.name} does not accept inference_geo: the API returns a 400 error for it on "
                               "models before Claude 4.6 (Anthropic data residency page); use global or a Claude "
                               "4.6 or later model", field="inference_geo", allowed=["global"])
    return Selection(rates, tier, period, fallback, geo, derived)


# -- token adjustments ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Adjusted:
    tokens: object  # RequestTokens
    tool_use_tokens: int | None  # added to uncached input; None = asked for but unknown for this model
    uncached_by_minimum: int  # cache tokens billed as plain input because below the minimum
    notes: tuple[str, ...]
    warnings: tuple[str, ...]


def adjust_tokens(entry: PriceEntry, tokens, tools_in_request: bool = False,
                  tool_choice: str = "auto") -> Adjusted:
    """Apply the tool-use system prompt and the minimum cacheable length to a quote's tokens."""
    notes: list[str] = []
    warnings: list[str] = []
    if tool_choice not in TOOL_CHOICES:
        raise InvalidInput(f"tool_choice must be one of {', '.join(TOOL_CHOICES)}, got {tool_choice!r}",
                           field="tool_choice", allowed=list(TOOL_CHOICES))
    added: int | None = 0
    if tools_in_request:
        forced = tool_choice in ("any", "tool")
        tu = entry.tool_use
        if forced and tu is not None and tu.any_tool_rejected:
            raise InvalidInput(f"{entry.name} rejects tool_choice {tool_choice!r} (the API returns a 400 error; "
                               "Anthropic release notes): use auto or none", field="tool_choice",
                               allowed=["auto", "none"])
        added = None if tu is None else (tu.any_tool if forced else tu.auto_none)
        which = "any, tool" if forced else "auto, none"
        if added is None:
            warnings.append(f"Anthropic publishes no tool-use system prompt size for {entry.name} (tool_choice "
                            f"{which}): none added, so the real input is a few hundred tokens higher than quoted")
        else:
            tokens = replace(tokens, uncached_input=tokens.uncached_input + added)
            notes.append(f"tools in the request: {added:,} tokens of tool-use system prompt added as uncached input "
                         f"({entry.name}, tool_choice {which}; Anthropic pricing page table); your tool definitions "
                         "and tool results are input tokens too: count them in input_tokens")
    cached = tokens.cache_read + tokens.cache_write_5m + tokens.cache_write_1h
    minimum = entry.min_cacheable_tokens
    moved = 0
    if cached and minimum is not None and cached < minimum:
        moved = cached
        tokens = replace(tokens, uncached_input=tokens.uncached_input + cached, cache_read=0, cache_write_5m=0,
                         cache_write_1h=0)
        warnings.append(f"{cached:,} cache tokens is below {entry.name}'s minimum cacheable prompt of {minimum:,} "
                        "tokens: the API caches nothing (no error) and bills them as plain input")
    elif cached and minimum is None:
        notes.append(f"Anthropic publishes no minimum cacheable prompt length for {entry.name}: cache tokens "
                     "priced as given")
    return Adjusted(tokens, added, moved, tuple(notes), tuple(warnings))
