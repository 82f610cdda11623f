"""The dataclasses of one price entry: list prices, dated tiers and fast-mode periods, dated earlier prices,
tool-use overhead. Dates are inclusive; a window with no start or end is open on that side."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .lifecycle import Lifecycle
from .schema import RATE_KEYS


@dataclass(frozen=True)
class Rates:
    """Dollars per million tokens; None where no price is on file."""

    input: Decimal | None
    output: Decimal | None
    cache_write_5m: Decimal | None = None
    cache_write_1h: Decimal | None = None
    cache_read: Decimal | None = None

    def as_json(self) -> dict:
        return {f"{k}_usd_per_mtok": (None if v is None else float(v)) for k, v in self._items()}

    def _items(self):
        return ((k, getattr(self, k)) for k in RATE_KEYS)

    def replace(self, **changes) -> Rates:
        return Rates(**({k: v for k, v in self._items()} | changes))


def _in(d: date, start: date | None, end: date | None) -> bool:
    return (start is None or start <= d) and (end is None or d <= end)


@dataclass(frozen=True)
class LongContext:
    """Above `above_prompt_tokens` of prompt, the WHOLE request is billed at `rates` (Anthropic's rule),
    between `start` and `end` (inclusive; None = open). Missing cache prices follow from the base ones."""

    above_prompt_tokens: int
    rates: Rates
    start: date | None = None
    end: date | None = None
    context_window_tokens: int | None = None  # the window while the tier existed (a beta, for example)
    condition: str = ""

    def covers(self, d: date) -> bool:
        return _in(d, self.start, self.end)


@dataclass(frozen=True)
class FastPeriod:
    """Fast-mode prices (input/output; cache prices follow from the model's multipliers) in a window.
    `rates` None: fast mode existed but Anthropic publishes no price for it."""

    rates: Rates | None
    start: date | None = None
    end: date | None = None
    long_context: LongContext | None = None

    def covers(self, d: date) -> bool:
        return _in(d, self.start, self.end)


@dataclass(frozen=True)
class PriceChange:
    """Prices that applied between `start` and `end` instead of the current ones (only the keys given)."""

    changes: dict
    start: date | None
    end: date
    source: str = ""


@dataclass(frozen=True)
class ToolUseTokens:
    """Tokens of the system prompt the API adds when a request carries `tools` (Anthropic's pricing page
    table); None where Anthropic publishes no figure."""

    auto_none: int | None
    any_tool: int | None
    any_tool_rejected: bool = False


@dataclass(frozen=True)
class PriceEntry:
    id: str
    name: str
    family: str
    aliases: tuple[str, ...]
    rates: Rates  # the current list prices
    batch_discount: Decimal | None
    long_context: tuple[LongContext, ...]
    source: str
    as_of: str
    verified: bool
    unverified: tuple[str, ...] = ()
    notes: str = ""
    released: str | None = None
    deprecated_on: str | None = None
    retires_on: str | None = None
    retires_not_before: str | None = None
    replacement: str | None = None
    context_window_tokens: int | None = None
    max_output_tokens: int | None = None
    tokenizer: str | None = None
    price_history: tuple[PriceChange, ...] = ()
    fast_mode: tuple[FastPeriod, ...] = ()
    fast_mode_after_removal: str = "error"
    inference_geo_us_multiplier: Decimal | None = None
    min_cacheable_tokens: int | None = None
    tool_use: ToolUseTokens | None = None
    origin: str = "built-in"

    def rates_on(self, d: date) -> Rates:
        """List prices on date `d`: the current ones, with any earlier price that applied then."""
        r = self.rates
        for change in self.price_history:
            if _in(d, change.start, change.end):
                r = r.replace(**change.changes)
        return r

    def changes_on(self, d: date) -> list[PriceChange]:
        return [c for c in self.price_history if _in(d, c.start, c.end)]

    def long_context_on(self, d: date) -> LongContext | None:
        return next((t for t in self.long_context if t.covers(d)), None)

    def fast_on(self, d: date) -> FastPeriod | None:
        return next((p for p in self.fast_mode if p.covers(d)), None)

    def window_on(self, d: date) -> int | None:
        tier = self.long_context_on(d)
        if tier is not None and tier.context_window_tokens:
            return max(tier.context_window_tokens, self.context_window_tokens or 0)
        return self.context_window_tokens

    def provenance(self) -> dict:
        out: dict = {"id": self.id, "name": self.name, "source": self.source, "as_of": self.as_of,
                     "verified": self.verified}
        if self.unverified:
            out["unverified"] = list(self.unverified)
        if self.origin != "built-in":
            out["price_file"] = self.origin
        if self.notes:
            out["notes"] = self.notes
        return out

    def describe(self, life: Lifecycle) -> dict:
        """Everything a `prices --json` listing shows, status and prices for `life.as_of` (`status_as_of`;
        `as_of` stays the date the entry was checked)."""
        from .rules import fill_cache  # rules imports this module

        d = life.as_of
        status = life.as_json()
        status["status_as_of"] = status.pop("as_of")
        base = self.rates_on(d)
        out = {"id": self.id, "name": self.name} | status | self.provenance()
        out |= {"aliases": list(self.aliases), "family": self.family,
                "context_window_tokens": self.window_on(d), "max_output_tokens": self.max_output_tokens,
                "tokenizer": self.tokenizer, "prices": base.as_json(),
                "batch_discount": None if self.batch_discount is None else float(self.batch_discount),
                "inference_geo_us_multiplier": None if self.inference_geo_us_multiplier is None
                else float(self.inference_geo_us_multiplier),
                "min_cacheable_tokens": self.min_cacheable_tokens}
        if self.tool_use is not None:
            out["tool_use_system_prompt_tokens"] = {"auto_none": self.tool_use.auto_none,
                                                    "any_tool": self.tool_use.any_tool}
        tier = self.long_context_on(d)
        if tier:
            out["long_context"] = {"above_prompt_tokens": tier.above_prompt_tokens,
                                   "prices": fill_cache(tier.rates, base)[0].as_json()}
        fast = self.fast_on(d)
        if fast is not None:
            out["fast_mode"] = None if fast.rates is None else fill_cache(fast.rates, base)[0].as_json()
        return out
