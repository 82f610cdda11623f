"""The api_cost tool's work: one request's exact, itemised cost on a date, scaled to a day and a month, with
the rules that change it (status, long context, fast mode, US-only inference, Batch, minimum cacheable
length, tool-use system prompt, server tools) said in plain words, and an optional comparison table.

Money is computed exactly (Decimal, see cost.py) and turned into JSON numbers only here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

from ..errors import InvalidInput, UnknownName
from . import servertools
from .cost import (
    _CTX,
    ITEM_LABELS,
    PricingOptions,
    RequestCost,
    RequestTokens,
    price_request,
    scale,
    tokens_from_prompt,
    volume,
)
from .entry import PriceEntry
from .lifecycle import as_of_or_today, today
from .prices import PriceCatalog, active_catalog
from .rules import GEOS, Adjusted, adjust_tokens


def usd(d: Decimal | None) -> float | None:
    """Exact Decimal → JSON number. Our values have few significant digits, so the float prints the exact
    decimal (0.003, 900.0); rounding to cents is left to display."""
    return None if d is None else float(d)


def quantity(d: Decimal | None) -> int | float | None:
    """A count that may be derived (requests per day from per month): an int when whole."""
    if d is None:
        return None
    return int(d) if d == d.to_integral_value() else float(d)


def ratio(a: Decimal, b: Decimal) -> float | None:
    return None if b == 0 else float((a / b).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))


def format_usd(d: Decimal) -> str:
    """Display only: cents from $1 up; below $1 up to six decimals, at least two ($0.10, $0.0003)."""
    if abs(d) >= 1:
        return f"${d.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"
    q = d.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP).normalize()
    if not q and d:  # a positive amount below the last decimal shown is not $0.00
        return "<$0.000001" if d > 0 else "-<$0.000001"
    if q.as_tuple().exponent > -2:
        q = q.quantize(Decimal("0.01"))
    return f"${q:f}"


def _money(x: Decimal) -> str:
    return f"${x.normalize():f}"


@dataclass(frozen=True)
class Request:
    """Everything about the workload that is the same on every model compared."""

    tokens: RequestTokens
    opts: PricingOptions
    tools_in_request: bool
    tool_choice: str


def _priced(entry: PriceEntry, req: Request) -> tuple[Adjusted, RequestCost]:
    adj = adjust_tokens(entry, req.tokens, req.tools_in_request, req.tool_choice)
    return adj, price_request(entry, adj.tokens, req.opts)


# -- plain-words lines ------------------------------------------------------------------------------

def _rule_lines(rc: RequestCost, prompt: int) -> list[str]:
    e, d, a = rc.entry, rc.options.as_of, []
    lc = e.long_context_on(d) if rc.fast is None else rc.fast.long_context
    what = "fast-mode " if rc.fast is not None else ""
    if rc.long_context is not None:
        r, cond = rc.long_context.rates, rc.long_context.condition
        a.append(f"prompt of {prompt:,} tokens exceeds {lc.above_prompt_tokens:,}: the whole request (input, cache "
                 f"and output) is billed at the {what}long-context rates {_money(r.input)}/{_money(r.output)} per "
                 "MTok" + (f" (with the {cond}; that tier existed until {lc.end})" if lc.end else ""))
    elif lc is not None:
        a.append(f"prompts over {lc.above_prompt_tokens:,} tokens would bill the whole request at "
                 f"{_money(lc.rates.input)}/{_money(lc.rates.output)} per MTok; this one stays in the base tier")
    if rc.fast is not None:
        a.append(f"fast mode: {_money(rc.fast.rates.input)}/{_money(rc.fast.rates.output)} per MTok input/output "
                 f"on {d} (Anthropic pricing page)")
    if rc.derived_cache:
        a.append(f"{', '.join(rc.derived_cache)} at the model's own cache multipliers applied to the "
                 f"{what}{'long-context ' if rc.long_context else ''}input price (Anthropic: prompt caching "
                 "multipliers apply on top)")
    for change in e.changes_on(d):
        old = ", ".join(f"{k} {_money(v)}" for k, v in change.changes.items())
        a.append(f"on {d} the list price was {old} per MTok (until {change.end}; later lowered: see price_list)")
    if rc.geo_multiplier is not None:
        a.append(f"US-only inference (inference_geo us): every token price x{rc.geo_multiplier.normalize():f} "
                 "(Anthropic data residency pricing)")
    elif e.inference_geo_us_multiplier is not None:
        a.append("global routing (standard prices); a workspace whose default_inference_geo is us is billed "
                 f"x{e.inference_geo_us_multiplier.normalize():f} even without the parameter (see "
                 "usage.inference_geo)")
    if rc.batch_discount is not None:
        a.append(f"Batch API: {(rc.batch_discount * 100).normalize():f}% off every token price, cache included "
                 "(Anthropic's pricing modifiers stack)")
    return a


def _context(e: PriceEntry, d: date, prompt: int, output: int) -> tuple[list[str], list[str]]:
    warnings, assumptions = [], []
    window, widest = e.context_window_tokens, e.window_on(d)
    if window and prompt + output > window:
        tier = e.long_context_on(d)
        if widest and prompt + output <= widest and tier is not None:
            assumptions.append(f"{prompt + output:,} tokens exceeds the standard {window:,}-token window: needs "
                               f"the {tier.condition or 'beta'} ({widest:,} tokens)")
        else:
            warnings.append(f"prompt + output ({prompt + output:,} tokens) exceeds {e.name}'s {widest:,}-token "
                            f"context window on {d}: the API would reject this request")
    if e.max_output_tokens and output > e.max_output_tokens:
        warnings.append(f"output_tokens {output:,} exceeds {e.name}'s max output of {e.max_output_tokens:,}")
    return warnings, assumptions


def _unverified_used(rc: RequestCost, adj: Adjusted, prompt_given: int) -> list[str]:
    """The entry's unconfirmed figures that this result actually used, in words."""
    e, used = rc.entry, {}
    if rc.long_context is None and rc.fast is None:
        used |= {f"prices_usd_per_mtok.{i.name}": f"{i.name} price" for i in rc.items}
    if rc.batch_discount is not None:
        used["batch_discount"] = "Batch discount"
    if rc.fast is not None:
        used |= {f: "fast-mode price dates" for f in e.unverified if f.startswith("fast_mode")}
    cached = rc.entry.min_cacheable_tokens is not None and (adj.uncached_by_minimum or any(
        i.name.startswith("cache") for i in rc.items))
    if cached:
        used["min_cacheable_tokens"] = "minimum cacheable length"
    tier = e.long_context_on(rc.options.as_of)
    cache_tokens = sum(i.tokens for i in rc.items if i.name.startswith("cache"))
    if tier is not None and cache_tokens and prompt_given - cache_tokens <= tier.above_prompt_tokens < prompt_given:
        used["long_context.above_prompt_tokens"] = (f"counting cache tokens toward the {tier.above_prompt_tokens:,}-"
                                                    "token threshold")
    return list(dict.fromkeys(used[f] for f in e.unverified if f in used))


def _items(rc: RequestCost, server: list[servertools.ServerItem], vol) -> list[dict]:
    rows = []
    for i in rc.items:
        day, month = scale(i.usd, vol)
        row = {"item": ITEM_LABELS[i.name], "tokens": i.tokens, "usd_per_mtok": usd(i.usd_per_mtok),
               "usd_per_request": usd(i.usd)}
        if month is not None:
            row |= {"usd_per_day": usd(day), "usd_per_month": usd(month)}
        rows.append(row)
    for s in server:
        row = {"item": s.label, "quantity": quantity(s.quantity), "unit": s.unit, "usd_per_unit": usd(s.usd_per_unit),
               "usd_per_request": usd(s.usd_per_request)}
        if s.usd_per_month is not None:
            row |= {"usd_per_day": usd(s.usd_per_day), "usd_per_month": usd(s.usd_per_month)}
        rows.append(row)
    return rows


# -- comparison -------------------------------------------------------------------------------------

def _compare(cat: PriceCatalog, main: RequestCost, names: list[str], req: Request, extra: Decimal,
             vol) -> tuple[list[dict], list[str], list[str]]:
    """(rows, notes, warnings): a compared model that is retired, retiring soon or not yet released gets the same
    warning it would get as the main model, so a quote never offers one without saying so."""
    d = req.opts.as_of
    entries: list[PriceEntry] = [main.entry]
    for name in names:
        try:
            found = cat.current(d) if name.strip().lower() == "current" else [cat.lookup(name)]
        except UnknownName as exc:  # the bad name is in compare, not in model
            exc.field = "compare"
            raise
        entries += [e for e in found if e not in entries]
    costs: list[tuple[PriceEntry, Decimal | None, str | None]] = [(main.entry, main.total + extra, None)]
    for e in entries[1:]:
        try:
            costs.append((e, _priced(e, req)[1].total + extra, None))
        except InvalidInput as exc:  # e.g. no fast price: one row says so, the table stands
            costs.append((e, None, exc.message))
    cheapest = min(c for _, c, _ in costs if c is not None)
    rows = []
    for e, c, err in costs:
        r = e.rates_on(d)
        row = {"model": e.id, "status": cat.lifecycle(e, d).status, "verified": e.verified,
               "tokenizer": e.tokenizer, "usd_per_mtok_in_out": f"{r.input}/{r.output}"}
        if c is None:
            rows.append(row | {"note": err})
            continue
        day, month = scale(c, vol)
        row["usd_per_request"] = usd(c)
        if month is not None:
            row |= {"usd_per_day": usd(day), "usd_per_month": usd(month)}
        row |= {"ratio_vs_first": ratio(c, main.total + extra), "ratio_vs_cheapest": ratio(c, cheapest)}
        rows.append(row)
    notes = ["ratios compare cost per request (the same token counts on each model)"]
    if extra:
        notes.append("server-tool charges are the same on every model and included in each row")
    groups: dict[str, list[str]] = {}
    for e in entries:
        groups.setdefault(e.tokenizer or "unknown", []).append(e.id)
    if len(groups) > 1:
        newer, previous = groups.get("newer", []), groups.get("previous", [])
        notes.append(
            "these models count tokens differently: " + "; ".join(f"{k} tokenizer: {', '.join(v)}"
                                                                   for k, v in groups.items())
            + ". Anthropic: Claude 4.7 and later models use a newer tokenizer that 'produces approximately 30% more "
            "tokens for the same text'. Every row prices the same token counts, so for the same text the "
            + (f"newer-tokenizer rows ({', '.join(newer)}) would cost about 30% more than shown relative to "
               f"{', '.join(previous)}" if newer and previous else "rows are not like for like"))
    warnings = [w for e in entries[1:] if (w := cat.lifecycle(e, d).warning())]
    return rows, notes, warnings


# -- api_cost ---------------------------------------------------------------------------------------

def api_cost(inp: dict) -> dict:
    d = as_of_or_today(inp.get("as_of"))
    tokens = tokens_from_prompt(inp["input_tokens"], inp["output_tokens"], inp.get("cache_read_tokens", 0),
                                inp.get("cache_write_tokens", 0), inp.get("cache_ttl", "5m"))
    vol = volume(inp.get("requests_per_day"), inp.get("requests_per_month"), inp.get("days_per_month"))
    geo = inp.get("inference_geo", "global")
    if geo not in GEOS:
        raise InvalidInput(f"inference_geo must be global or us, got {geo!r}", field="inference_geo",
                           allowed=list(GEOS))
    opts = PricingOptions(as_of=d, batch=bool(inp.get("batch", False)), fast=bool(inp.get("fast", False)),
                          inference_geo=geo)
    req = Request(tokens, opts, bool(inp.get("tools_in_request", False)), inp.get("tool_choice", "auto"))
    cat = active_catalog()
    entry = cat.lookup(inp["model"])
    life = cat.lifecycle(entry, d)
    adj, rc = _priced(entry, req)
    server, server_notes, server_warnings = servertools.quote(cat, inp.get("web_searches"),
                                                              inp.get("code_execution_hours"), vol, d)
    with localcontext(_CTX):
        extra = sum((s.usd_per_request for s in server), Decimal(0))
        total = rc.total + extra
        per_day, per_month = scale(rc.total, vol)
        if per_month is not None:
            per_day += sum((s.usd_per_day for s in server), Decimal(0))
            per_month += sum((s.usd_per_month for s in server), Decimal(0))
    t = adj.tokens
    written = t.cache_write_5m + t.cache_write_1h
    prompt_given = tokens.prompt
    out: dict = {
        "model": entry.id, "name": entry.name, "status": life.status, "as_of": d.isoformat(),
        "usd_per_request": usd(total), "usd_per_day": usd(per_day), "usd_per_month": usd(per_month),
        "requests_per_day": quantity(vol.requests_per_day), "requests_per_month": quantity(vol.requests_per_month),
        "days_per_month": quantity(vol.days_per_month),
        "tokens_per_request": {"input_tokens": prompt_given, "uncached_input_tokens": t.uncached_input,
                               "cache_read_tokens": t.cache_read, "cache_write_tokens": written,
                               "cache_ttl": "1h" if tokens.cache_write_1h else "5m", "output_tokens": t.output},
        "breakdown": _items(rc, server, vol),
        "lifecycle": life.as_json(),
    }
    if req.tools_in_request:
        out["tokens_per_request"]["tool_use_system_prompt_tokens"] = adj.tool_use_tokens
    if adj.uncached_by_minimum:
        out["tokens_per_request"]["billed_as_input_below_cache_minimum"] = adj.uncached_by_minimum
    if server:
        out["server_tools_per_request"] = {"web_searches": inp.get("web_searches") or 0,
                                           "code_execution_hours": inp.get("code_execution_hours") or 0}
    modifiers: dict = {}
    if rc.batch_discount is not None:
        modifiers["batch_discount"] = usd(rc.batch_discount)
    if rc.geo_multiplier is not None:
        modifiers["inference_geo_us_multiplier"] = usd(rc.geo_multiplier)
    if rc.fast is not None:
        modifiers["fast_mode"] = True
    out["price_list"] = entry.provenance() | {
        "prices_on": d.isoformat(), "tier": "long context" if rc.long_context else "base",
        "list_prices": rc.list_rates.as_json()} | ({"modifiers": modifiers} if modifiers else {})
    if rc.batch_discount is not None:  # kept at the top level of price_list for existing readers
        out["price_list"]["batch_discount"] = usd(rc.batch_discount)
    display = {"per_request": format_usd(total)}
    if per_month is not None:
        display |= {"per_day": format_usd(per_day), "per_month": format_usd(per_month)}
    out["display"] = display

    a = [f"prices and model status as of {d}" + (" (today)" if d == today() else ""),
         f"input_tokens is the whole prompt: {t.uncached_input:,} uncached + {t.cache_read:,} cache read + "
         f"{written:,} cache write" + (" (after the adjustments below)" if t != tokens else ""),
         f"{entry.name} list prices from {entry.source.split(' ')[0]} (all sources in price_list.source; catalog "
         f"checked {entry.as_of})" if entry.origin == "built-in" else
         f"{entry.name} prices from price file {entry.origin}, as of {entry.as_of} ({entry.source})"]
    if cat.as_of and d.isoformat() > cat.as_of and entry.origin == "built-in":
        a.append(f"the price catalog is dated {cat.as_of}: anything Anthropic changed after that is not known here")
    a.append(f"a month is {vol.days_per_month:g} days" if per_month is not None else
             "no requests_per_day or requests_per_month given: per-request cost only")
    a += list(adj.notes)
    a += _rule_lines(rc, t.prompt)
    warnings, more = _context(entry, d, t.prompt, t.output)
    a += more
    if not req.tools_in_request:
        a.append("tool definitions are input tokens; a request with tools also carries a tool-use system prompt "
                 "(set tools_in_request to add it)")
    if not server:
        a.append("server tools (web_searches, code_execution_hours) not included")
    a += server_notes
    if life.note():
        a.append(life.note())
    if inp.get("compare"):
        out["comparison"], notes, compared_warnings = _compare(cat, rc, list(inp["compare"]), req, extra, vol)
        a += notes
        warnings += compared_warnings
    if life.warning():
        warnings.insert(0, life.warning())
    if rc.fast_fallback:
        warnings.append(rc.fast_fallback)
    warnings += list(adj.warnings) + server_warnings
    unconfirmed = _unverified_used(rc, adj, prompt_given)
    if unconfirmed:
        warnings.append(f"{entry.name}: {', '.join(unconfirmed)} not confirmed on Anthropic's own pages; see "
                        "price_list.notes")
    out["assumptions"] = a
    if warnings:
        out["warnings"] = warnings
    return out
