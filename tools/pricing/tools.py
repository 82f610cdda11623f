"""Registry declarations of the Claude API cost tools: api_cost, self_hosting_cost, count_tokens.

Money is computed exactly (Decimal, see cost.py) and converted to JSON numbers only here, at the edge of
the result; the price list used (source, as_of, verified) always travels with the numbers.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

from ..errors import InvalidInput
from ..registry import CliSpec, Tool
from . import tokens as tok
from .cost import (
    CACHE_TTLS,
    ITEM_LABELS,
    RequestCost,
    blended_usd_per_mtok,
    break_even_tokens_per_month,
    count,
    price_request,
    scale,
    self_hosting,
    tokens_from_prompt,
    volume,
)
from .prices import PriceEntry, active_catalog

_TOKENS = {"type": "integer", "minimum": 0}
_DAYS = {"type": "number", "exclusiveMinimum": 0, "maximum": 31, "description": "Default 30."}


def _schema(props: dict, required: tuple[str, ...] = ()) -> dict:
    s: dict = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        s["required"] = list(required)
    return s


def _required(inp: dict, key: str):
    # The CLI path skips jsonschema for plain options, so required inputs are checked here too.
    if inp.get(key) is None:
        raise InvalidInput(f"missing required field {key}", field=key)
    return inp[key]


def usd(d: Decimal | None) -> float | None:
    """Exact Decimal → JSON number. Our values have few significant digits, so the float prints the exact
    decimal (0.003, 900.0); rounding to cents is left to display."""
    return None if d is None else float(d)


def quantity(d: Decimal | None) -> int | float | None:
    """A count that may be derived (requests per day from per month): an int when whole."""
    if d is None:
        return None
    return int(d) if d == d.to_integral_value() else float(d)


def _ratio(a: Decimal, b: Decimal) -> float | None:
    return None if b == 0 else float((a / b).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))


def format_usd(d: Decimal) -> str:
    """Display only: cents from $1 up; below $1 up to six decimals, at least two ($0.10, $0.0003)."""
    if abs(d) >= 1:
        return f"${d.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"
    q = d.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP).normalize()
    if q.as_tuple().exponent > -2:
        q = q.quantize(Decimal("0.01"))
    return f"${q:f}"


# -- api_cost ------------------------------------------------------------------------------------------

API_COST_PROPS = {
    "model": {"type": "string", "description": "Claude model id or alias, e.g. 'claude-haiku-4-5'."},
    "input_tokens": {**_TOKENS, "description": "Whole prompt per request."},
    "output_tokens": _TOKENS,
    "cache_read_tokens": _TOKENS,
    "cache_write_tokens": _TOKENS,
    "cache_ttl": {"enum": list(CACHE_TTLS), "description": "Default 5m."},
    "batch": {"type": "boolean"},
    "requests_per_day": {"type": "integer", "minimum": 1},
    "requests_per_month": {"type": "integer", "minimum": 1},
    "days_per_month": _DAYS,
    "compare": {"type": "array", "items": {"type": "string"}},
}


def _workload_lines(rc: RequestCost, prompt: int) -> list[str]:
    e, a = rc.entry, []
    lc = e.long_context
    if rc.long_context is not None:
        r = rc.long_context.rates
        a.append(f"prompt of {prompt:,} tokens exceeds {lc.above_prompt_tokens:,}: the whole request (input, "
                 f"cache and output) is billed at the long-context rates ${r.input}/${r.output} per MTok")
    elif lc is not None:
        a.append(f"prompts over {lc.above_prompt_tokens:,} tokens would bill the whole request at "
                 f"${lc.rates.input}/${lc.rates.output} per MTok; this one stays in the base tier")
    if rc.batch_discount is not None:
        a.append(f"Batch API: {(rc.batch_discount * 100).normalize():f}% off every token price, cache included "
                 "(Anthropic's pricing modifiers stack)")
    return a


def _context_warnings(e: PriceEntry, prompt: int, output: int) -> tuple[list[str], list[str]]:
    warnings, assumptions = [], []
    window, beta = e.context_window_tokens, e.context_window_tokens_beta
    if window and prompt + output > window:
        if beta and prompt + output <= beta:
            assumptions.append(f"{prompt + output:,} tokens exceeds the standard {window:,}-token window: needs "
                               f"the {beta:,}-token context beta")
        else:
            warnings.append(f"prompt + output ({prompt + output:,} tokens) exceeds {e.name}'s "
                            f"{max(window, beta or 0):,}-token context window: the API would reject this request")
    if e.max_output_tokens and output > e.max_output_tokens:
        warnings.append(f"output_tokens {output:,} exceeds {e.name}'s max output of {e.max_output_tokens:,}")
    return warnings, assumptions


def _unverified_used(rc: RequestCost) -> list[str]:
    """The entry's unconfirmed figures that this result actually used."""
    prefix = "long_context.prices_usd_per_mtok." if rc.long_context else "prices_usd_per_mtok."
    used = {prefix + i.name: f"{i.name} price" for i in rc.items}
    if rc.batch_discount is not None:
        used["batch_discount"] = "Batch discount"
    return [used[f] for f in rc.entry.unverified if f in used]


def _items(rc: RequestCost, vol) -> list[dict]:
    rows = []
    for i in rc.items:
        day, month = scale(i.usd, vol)
        row = {"item": ITEM_LABELS[i.name], "tokens": i.tokens, "usd_per_mtok": usd(i.usd_per_mtok),
               "usd_per_request": usd(i.usd)}
        if month is not None:
            row |= {"usd_per_day": usd(day), "usd_per_month": usd(month)}
        rows.append(row)
    return rows


def _compare(main: RequestCost, names: list[str], tokens, batch: bool, vol) -> list[dict]:
    cat = active_catalog()
    entries: list[PriceEntry] = [main.entry]
    for name in names:
        found = cat.current() if name.strip().lower() == "current" else [cat.lookup(name)]
        entries += [e for e in found if e not in entries]
    costs: list[tuple[PriceEntry, RequestCost | None, str | None]] = [(main.entry, main, None)]
    for e in entries[1:]:
        try:
            costs.append((e, price_request(e, tokens, batch=batch), None))
        except InvalidInput as exc:  # e.g. no cache prices on file: one row says so, the table stands
            costs.append((e, None, exc.message))
    priced = [c.total for _, c, _ in costs if c is not None]
    cheapest = min(priced)
    rows = []
    for e, c, err in costs:
        row = {"model": e.id, "status": e.status, "verified": e.verified,
               "usd_per_mtok_in_out": f"{e.rates.input}/{e.rates.output}"}
        if c is None:
            rows.append(row | {"note": err})
            continue
        day, month = scale(c.total, vol)
        row["usd_per_request"] = usd(c.total)
        if month is not None:
            row |= {"usd_per_day": usd(day), "usd_per_month": usd(month)}
        row |= {"ratio_vs_first": _ratio(c.total, main.total), "ratio_vs_cheapest": _ratio(c.total, cheapest)}
        rows.append(row)
    return rows


def _api_cost(inp: dict) -> dict:
    tokens = tokens_from_prompt(_required(inp, "input_tokens"), _required(inp, "output_tokens"),
                                inp.get("cache_read_tokens", 0), inp.get("cache_write_tokens", 0),
                                inp.get("cache_ttl", "5m"))
    vol = volume(inp.get("requests_per_day"), inp.get("requests_per_month"), inp.get("days_per_month"))
    batch = bool(inp.get("batch", False))
    entry = active_catalog().lookup(_required(inp, "model"))
    rc = price_request(entry, tokens, batch=batch)
    per_day, per_month = scale(rc.total, vol)
    prompt, written = tokens.prompt, tokens.cache_write_5m + tokens.cache_write_1h
    rates = rc.long_context.rates if rc.long_context else entry.rates
    out: dict = {
        "model": entry.id, "name": entry.name, "status": entry.status,
        "usd_per_request": usd(rc.total), "usd_per_day": usd(per_day), "usd_per_month": usd(per_month),
        "requests_per_day": quantity(vol.requests_per_day), "requests_per_month": quantity(vol.requests_per_month),
        "days_per_month": quantity(vol.days_per_month),
        "tokens_per_request": {"input_tokens": prompt, "uncached_input_tokens": tokens.uncached_input,
                               "cache_read_tokens": tokens.cache_read, "cache_write_tokens": written,
                               "cache_ttl": "1h" if tokens.cache_write_1h else "5m", "output_tokens": tokens.output},
        "breakdown": _items(rc, vol),
        "price_list": entry.provenance() | {
            "tier": "long context" if rc.long_context else "base", "list_prices": rates.as_json()}
        | ({"batch_discount": usd(rc.batch_discount)} if rc.batch_discount is not None else {}),
    }
    display = {"per_request": format_usd(rc.total)}
    if per_month is not None:
        display |= {"per_day": format_usd(per_day), "per_month": format_usd(per_month)}
    out["display"] = display
    a = [f"input_tokens is the whole prompt: {tokens.uncached_input:,} uncached + {tokens.cache_read:,} cache read "
         f"+ {written:,} cache write",
         f"{entry.name} list prices as of {entry.as_of} ({entry.source})" if entry.origin == "built-in" else
         f"{entry.name} prices from price file {entry.origin}, as of {entry.as_of} ({entry.source})"]
    if per_month is not None:
        a.append(f"a month is {vol.days_per_month:g} days")
    else:
        a.append("no requests_per_day or requests_per_month given: per-request cost only")
    a += _workload_lines(rc, prompt)
    warnings, more = _context_warnings(entry, prompt, tokens.output)
    a += more
    a.append("tool definitions and the tool-use system prompt are input tokens; server tools (web search, "
             "code execution) are billed separately and not included")
    if inp.get("compare"):
        out["comparison"] = _compare(rc, list(inp["compare"]), tokens, batch, vol)
        a.append("ratios compare cost per request (the same workload on each model)")
        # Tokenizers differ across generations; the same text is not the same token count everywhere.
        a.append("the same token counts are priced on every model, but Anthropic says Claude 4.7 and later "
                 "models count the same text as about 30% more tokens than Claude Haiku 4.5: across that "
                 "boundary, this understates the newer models' cost for the same text")
    lifecycle = entry.lifecycle_warning()
    if lifecycle:
        warnings.insert(0, lifecycle)
    unconfirmed = _unverified_used(rc)
    if unconfirmed:
        warnings.append(f"{entry.name}: {', '.join(unconfirmed)} not confirmed on Anthropic's own pages; see "
                        "price_list.notes")
    out["assumptions"] = a
    if warnings:
        out["warnings"] = warnings
    return out


API_COST = Tool(
    name="api_cost",
    description=(
        "Exact Claude API cost per request/day/month, itemised, with caching, Batch discount and long-context "
        "tiers, from a dated price list. input_tokens is the whole prompt; cache tokens are parts of it. "
        "compare: more models ('current' = all current) with ratios."),
    input_schema=_schema(API_COST_PROPS, ("model", "input_tokens", "output_tokens")),
    func=_api_cost,
    cli=CliSpec(command="cost", positional="model", help="Claude API cost of a workload (exact, itemised)."),
)


# -- self_hosting_cost ---------------------------------------------------------------------------------

SELF_HOST_PROPS = {
    "gpus": {"type": "integer", "minimum": 1},
    "gpu_usd_per_hour": {"type": "number", "exclusiveMinimum": 0},
    "tokens_per_second": {"type": "number", "exclusiveMinimum": 0,
                          "description": "Whole deployment, prompt + output tokens, sustained."},
    "utilization": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "description": "Default 1."},
    "claude_model": {"type": "string", "description": "Default: current Sonnet."},
    "input_output_ratio": {"type": "number", "minimum": 0, "description": "Input per output token (default 3)."},
    "batch": {"type": "boolean"},
    "days_per_month": _DAYS,
}


def _self_hosting(inp: dict) -> dict:
    sh = self_hosting(_required(inp, "gpus"), _required(inp, "gpu_usd_per_hour"),
                      _required(inp, "tokens_per_second"), inp.get("utilization", 1), inp.get("days_per_month", 30))
    cat = active_catalog()
    entry = cat.lookup(inp.get("claude_model") or cat.default_model_id())
    ratio = inp.get("input_output_ratio", 3)
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or ratio < 0 or not math.isfinite(ratio):
        raise InvalidInput(f"input_output_ratio must be a number >= 0, got {ratio!r}", field="input_output_ratio")
    r = Decimal(str(ratio))
    batch = bool(inp.get("batch", False))
    if batch and entry.batch_discount is None:
        raise InvalidInput(f"no Batch API discount on file for {entry.name}", field="batch")
    factor = 1 - entry.batch_discount if batch else Decimal(1)
    blended = blended_usd_per_mtok(entry.rates, r, factor)
    even = break_even_tokens_per_month(sh.usd_per_month, blended)
    share = even / sh.capacity_tokens_per_month
    out = {
        "usd_per_hour": usd(sh.usd_per_hour), "tokens_per_hour": quantity(sh.tokens_per_hour),
        "self_hosted_usd_per_mtok": usd(sh.usd_per_mtok),
        "hours_per_month": quantity(sh.hours_per_month), "usd_per_month": usd(sh.usd_per_month),
        "capacity_tokens_per_month": int(sh.capacity_tokens_per_month),
        "claude": {"model": entry.id, "name": entry.name, "status": entry.status,
                   "input_usd_per_mtok": usd(entry.rates.input * factor),
                   "output_usd_per_mtok": usd(entry.rates.output * factor),
                   "input_output_ratio": ratio, "blended_usd_per_mtok": usd(blended),
                   "source": entry.source, "as_of": entry.as_of},
        "break_even_tokens_per_month": math.ceil(even),
    }
    if share <= 1:
        out["break_even_share_of_capacity"] = _ratio(even, sh.capacity_tokens_per_month)
    ours, theirs = format_usd(sh.usd_per_mtok), format_usd(blended)
    if share <= 1:
        out["verdict"] = (f"at capacity, self-hosting costs {ours}/MTok vs {theirs}/MTok on {entry.name}; the "
                          f"{format_usd(sh.usd_per_month)}/month deployment breaks even above "
                          f"{math.ceil(even):,} tokens/month ({float(share):.1%} of its capacity)")
    else:
        out["verdict"] = (f"even at capacity, self-hosting costs {ours}/MTok, more than {theirs}/MTok on "
                          f"{entry.name}: no break-even within this deployment's capacity")
    out["assumptions"] = [
        f"$/MTok = {inp['gpus']} GPU(s) x ${inp['gpu_usd_per_hour']:g}/GPU-hour / ({inp['tokens_per_second']:g} "
        f"tokens/s x 3600 x utilization {inp.get('utilization', 1):g}) x 1,000,000",
        "tokens_per_second counts prompt and output tokens together, sustained over the hour",
        f"GPUs rented around the clock: {sh.hours_per_month:g} hours a month",
        f"Claude blended price: {ratio} input tokens per output token, uncached"
        + (", Batch API" if batch else "") + f"; list prices as of {entry.as_of}",
        "excludes engineering, storage, networking and idle headroom; a self-hosted open model is not "
        "Claude, so compare quality separately",
    ]
    if entry.lifecycle_warning():
        out["warnings"] = [entry.lifecycle_warning()]
    return out


SELF_HOSTING_COST = Tool(
    name="self_hosting_cost",
    description=(
        "Self-hosting $/MTok (GPUs x $/GPU-hour / sustained tokens/s) and $/month, and the monthly token volume "
        "where it breaks even with a Claude model's blended price."),
    input_schema=_schema(SELF_HOST_PROPS, ("gpus", "gpu_usd_per_hour", "tokens_per_second")),
    func=_self_hosting,
    cli=CliSpec(command="self-host", help="Self-hosting $/MTok and break-even against a Claude model."),
)


# -- count_tokens --------------------------------------------------------------------------------------

COUNT_PROPS = {
    "text": {"type": "string", "maxLength": 20_000_000},
    "words": {"type": "number", "minimum": 0},
    "pages": {"type": "number", "minimum": 0},
    "tokens": _TOKENS,
}


def count_tokens_result(text: str, encoding=None, fallback_reason: str | None = None) -> dict:
    c = tok.count_text(text, encoding, fallback_reason)
    out = {"tokens": c.tokens, "approximate": True, "method": c.detail, "characters": c.characters,
           "words": c.words, "pages_estimate": float(round(tok.tokens_to_pages(c.tokens), 2)),
           "rules_of_thumb": tok.RULES_OF_THUMB,
           "assumptions": [tok.CLAUDE_TOKENIZER_NOTE,
                           f"pages_estimate uses the rule of thumb of {tok.TOKENS_PER_PAGE} tokens per page"]}
    warnings = []
    if c.fallback_reason:
        warnings.append(f"tiktoken not used: {c.fallback_reason}; counted with the heuristic "
                        f"1 token per {tok.CHARS_PER_TOKEN} characters (English)")
        if tok.non_ascii_share(text) > 0.2:
            warnings.append("much of the text is not ASCII: the 4-characters rule undercounts such text")
    if warnings:
        out["warnings"] = warnings
    return out


def _convert(inp: dict) -> dict:
    rule = "rules of thumb, not a tokenizer: 1 token ~ 0.75 words; 1 page ~ 400 tokens"
    if "tokens" in inp:
        n = count(inp["tokens"], "tokens")
        return {"tokens": n, "words_estimate": tok.tokens_to_words(n),
                "pages_estimate": float(round(tok.tokens_to_pages(n), 2)), "rules_of_thumb": tok.RULES_OF_THUMB,
                "assumptions": [rule]}
    key = "words" if "words" in inp else "pages"
    v = inp[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 or not math.isfinite(v):
        raise InvalidInput(f"{key} must be a number >= 0, got {v!r}", field=key)
    d = Decimal(str(v))
    n = tok.words_to_tokens(d) if key == "words" else tok.pages_to_tokens(d)
    return {key: v, "tokens_estimate": n, "rules_of_thumb": tok.RULES_OF_THUMB, "assumptions": [rule]}


def _count_tokens(inp: dict) -> dict:
    given = [k for k in ("text", "words", "pages", "tokens") if inp.get(k) is not None]
    if len(given) != 1:
        raise InvalidInput("give exactly one of text, words, pages or tokens", field=None,
                           allowed=["text", "words", "pages", "tokens"])
    if given[0] != "text":
        return _convert(inp)
    if not isinstance(inp["text"], str):
        raise InvalidInput("text must be a string", field="text")
    encoding, reason = tok.default_encoding()
    return count_tokens_result(inp["text"], encoding, reason)


COUNT_TOKENS = Tool(
    name="count_tokens",
    description=(
        "Approximate token count of text (Claude's tokenizer is not public; method stated), or words/pages/"
        "tokens converted by labelled rules of thumb. Give one of text, words, pages, tokens."),
    input_schema=_schema(COUNT_PROPS),
    func=_count_tokens,
)

TOOLS = (API_COST, SELF_HOSTING_COST, COUNT_TOKENS)
