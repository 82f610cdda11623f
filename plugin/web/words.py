"""The quote's words: amounts and counts as the page prints them, each line item in everyday words, and the
assumptions a support person can paste to a customer, all read from one `api_cost` result (no price is
computed here). quote.py lays them out as HTML, text, Markdown and CSV.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from modelmath.tools.pricing.tools import format_usd


def money(value: float | int | None) -> str:
    return "—" if value is None else format_usd(Decimal(repr(value)) if isinstance(value, float) else Decimal(value))


def count(n: float | int | None) -> str:
    if n is None:
        return ""
    if isinstance(n, int) or float(n).is_integer():
        return f"{int(n):,}"
    return f"{n:,.2f}".rstrip("0").rstrip(".")


def entry(model_id: str):
    from modelmath.tools.pricing.prices import active_catalog

    return active_catalog().find(model_id)


def model_name(model_id: str) -> str:
    found = entry(model_id)
    return found.name if found else model_id


@dataclass(frozen=True)
class Period:
    key: str  # usd_per_request | usd_per_day | usd_per_month
    title: str
    short: str  # "a month"


def periods(r: dict) -> list[Period]:
    out = [Period("usd_per_request", "Per request", "a request")]
    if r.get("usd_per_month") is not None:
        out += [Period("usd_per_day", "Per day", "a day"),
                Period("usd_per_month", f"Per month ({count(r['days_per_month'])} days)", "a month")]
    return out


def biggest(r: dict) -> Period:
    return periods(r)[-1]


# The tool's line-item names in plainer words (anything else is shown as the tool names it).
ITEM_WORDS = {"input (uncached)": "Input", "cache read": "Input read from the prompt cache",
              "cache write, 5-minute TTL": "Input written to the prompt cache (kept 5 minutes)",
              "cache write, 1-hour TTL": "Input written to the prompt cache (kept 1 hour)", "output": "Output"}


def item_line(row: dict) -> str:
    label = ITEM_WORDS.get(row["item"]) or row["item"][:1].upper() + row["item"][1:]
    if row.get("tokens") is not None and row.get("usd_per_mtok") is not None:
        return f"{label}: {count(row['tokens'])} tokens at {money(row['usd_per_mtok'])} per million tokens"
    if row.get("unit") == "container-hour" and row.get("quantity") is not None:
        # In time a person reads (5 minutes, not 0.08 container-hours); after the free hours, the amount per
        # request is not this time x the rate, so the line says so.
        after = " after the free hours" if row.get("usd_per_month") is not None else ""
        return (f"{label}: {duration(row['quantity'])} of container time per request, "
                f"{money(row['usd_per_unit'])} per hour{after}")
    if row.get("unit") == "search" and row.get("usd_per_unit") is not None:
        per_1000 = money(Decimal(repr(row["usd_per_unit"])) * 1000)
        n = row["quantity"]
        return f"{label}: {count(n)} search{'' if n == 1 else 'es'} per request, {per_1000} per 1,000 searches"
    if row.get("quantity") is not None and row.get("unit"):  # any other server tool
        unit = row["unit"]
        units = unit if row["quantity"] == 1 else unit + ("es" if unit.endswith(("s", "sh", "ch", "x")) else "s")
        price = f", {money(row['usd_per_unit'])} per {unit}" if row.get("usd_per_unit") is not None else ""
        return f"{label}: {count(row['quantity'])} {units} per request{price}"
    extra = ", ".join(f"{k.replace('_', ' ')} {count(v) if isinstance(v, int | float) else v}" for k, v in row.items()
                      if k not in ("item",) and not k.startswith("usd_per_") and v is not None)
    return f"{label}: {extra}" if extra else label


def duration(hours: float | int) -> str:
    """Container time in words: 0.01 h → '36 seconds', 0.0833… → '5 minutes', 2 → '2 hours', 1.25 → '1.25 hours'."""
    h_ = Decimal(repr(hours)) if isinstance(hours, float) else Decimal(hours)
    if h_ * 60 < 1:
        seconds = (h_ * 3600).quantize(Decimal("0.1")).normalize()
        return f"{seconds:f} second{'' if seconds == 1 else 's'}"
    if h_ < 1:
        minutes = h_ * 60
        shown = minutes.quantize(Decimal("0.1")).normalize()
        return f"{shown:f} minute{'' if shown == 1 else 's'}"
    return f"{count(hours)} hour{'' if h_ == 1 else 's'}"


def _server_tool_words(r: dict) -> list[str]:
    """What the server-tool lines mean, in words: the search results are input, code execution's 5-minute
    minimum and its free hours (the catalog's own figures), so the per-request amounts can be followed."""
    from modelmath.tools.pricing.prices import active_catalog

    out = []
    rows = {row.get("unit"): row for row in r["breakdown"] if row.get("unit")}
    if "search" in rows:
        out.append("Web searches are charged per search; the search results Claude reads are billed as input "
                   "tokens, so they belong in the input tokens above. A search that fails is not charged.")
    code = rows.get("container-hour")
    ce = (active_catalog().server_tools or {}).get("code_execution") or {}
    if code is not None and ce:
        entered = (r.get("server_tools_per_request") or {}).get("code_execution_hours")
        billed = Decimal(repr(code["quantity"]))
        if entered is not None and billed > Decimal(repr(entered)):
            out.append(f"Code execution is charged for at least {ce['minimum_minutes']} minutes each time, so the "
                       f"{duration(entered)} entered per request count as {duration(code['quantity'])}.")
        free, rate = Decimal(repr(ce["free_hours_per_month"])), money(code["usd_per_unit"])
        if code.get("usd_per_month") is not None:
            monthly = billed * Decimal(repr(r["requests_per_month"]))
            charged = max(monthly - free, Decimal(0))
            first = (f"Code execution: {count(float(monthly))} container-hours a month; each organization gets "
                     f"the first {count(float(free))} hours of a month free")
            if charged:
                out.append(f"{first}, so {count(float(charged))} hours are charged at {rate} an hour "
                           f"({money(code['usd_per_month'])} a month, shared over every request). This assumes the "
                           "customer runs no other code execution.")
            else:
                out.append(f"{first}, so this workload's code execution costs nothing. This assumes the customer "
                           "runs no other code execution.")
        else:
            out.append(f"Code execution: with no number of requests, the {count(float(free))} free hours each "
                       f"organization gets a month are taken as already used, so every hour is charged at {rate}.")
    return out


def workload(r: dict) -> str:
    t = r["tokens_per_request"]
    s = f"{count(t['input_tokens'])} input tokens and {count(t['output_tokens'])} output tokens per request"
    if r.get("requests_per_day") is not None:
        s += f", {count(r['requests_per_day'])} requests a day ({count(r['requests_per_month'])} a month)"
    return s


def plain_assumptions(r: dict) -> list[str]:
    """The quote's basis in everyday words, from the result's structured fields."""
    t, p = r["tokens_per_request"], r["price_list"]
    out = []
    if r.get("usd_per_month") is not None:
        out.append(f"{count(r['requests_per_day'])} requests a day, and a month of {count(r['days_per_month'])} days.")
    else:
        out.append("No number of requests was given, so this is the cost of one request.")
    cached = t["cache_read_tokens"] + t["cache_write_tokens"]
    if cached:
        ttl = {"5m": "5 minutes", "1h": "1 hour"}.get(t["cache_ttl"], t["cache_ttl"])
        out.append(f"Of the {count(t['input_tokens'])} input tokens in each request, {count(t['cache_read_tokens'])} "
                   f"are read from the prompt cache and {count(t['cache_write_tokens'])} are written to it (kept "
                   f"{ttl}); the other {count(t['uncached_input_tokens'])} are charged at the normal input price.")
    else:
        out.append(f"All {count(t['uncached_input_tokens'])} input tokens of each request are charged at the normal "
                   "input price (no prompt caching).")
    out += _server_tool_words(r)
    out += _deprecation_words(r)
    if t.get("tool_use_system_prompt_tokens"):
        out.append(f"The request defines tools, so it also carries Anthropic's tool-use system prompt: "
                   f"{count(t['tool_use_system_prompt_tokens'])} more input tokens, counted above.")
    modifiers = p.get("modifiers") or {}
    if modifiers.get("inference_geo_us_multiplier") is not None:
        pct = (Decimal(repr(modifiers["inference_geo_us_multiplier"])) - 1) * 100
        out.append(f"Processed in the United States only: every token price is {pct.normalize():f}% higher.")
    if modifiers.get("fast_mode"):
        lp = p.get("list_prices") or {}
        rates = (f" ({money(lp['input_usd_per_mtok'])} input and {money(lp['output_usd_per_mtok'])} output per "
                 "million tokens, before any other change listed here)" if lp.get("input_usd_per_mtok") is not None
                 and lp.get("output_usd_per_mtok") is not None else "")
        out.append(f"Fast mode: faster output, at {r['name']}'s fast-mode prices{rates}; prompt-cache prices in "
                   "fast mode follow Anthropic's rule that the cache multipliers apply on top of them.")
    if p.get("tier") == "long context":
        out.append("The prompt is long enough that the whole request is charged at the model's long-context prices.")
    if p.get("batch_discount") is not None:
        pct = (Decimal(repr(p["batch_discount"])) * 100).normalize()
        out.append(f"Sent through the Batch API: {pct:f}% off every token price.")
    if p.get("price_file"):
        out.append(f"Prices for {r['name']} from {p['source']}, as of {p['as_of']} (a price file, not Anthropic's "
                   "list prices); taxes and credits are not included.")
    elif r.get("status") == "unreleased":  # there were no list prices on that date
        out.append(f"{r['name']} was not released on {r['as_of']}: priced at its launch list prices; negotiated "
                   "discounts, credits and taxes are not included.")
    else:
        out.append(f"Anthropic's list prices for {r['name']} {prices_date(r)}; negotiated discounts, credits and "
                   "taxes are not included.")
    on = p.get("prices_on") or r.get("as_of")
    if on and not p.get("price_file") and on > p["as_of"]:
        out.append(f"The price list was last checked on {p['as_of']}: a change Anthropic made after that day is "
                   "not in this quote.")
    out += _tokenizer_words(r)
    if _rounding_shows(r):
        out.append("Each line is rounded to the cent (below $1, to at most six decimals) and the total is worked "
                   "out before rounding, so the lines can add up to a cent more or less than the total shown.")
    out.append("The quote is only as good as the token counts entered: the API reports the real counts with every "
               "response.")
    return out


def _shown(value: float | int | None) -> Decimal | None:
    """The amount as the page prints it (None for '—' or '<$0.000001')."""
    text = money(value)
    return None if not text.startswith("$") else Decimal(text[1:].replace(",", ""))


def _rounding_shows(r: dict) -> bool:
    """Whether, in some column, the printed lines do not add up to the printed total."""
    for p in periods(r):
        lines = [_shown(row.get(p.key)) for row in r["breakdown"]]
        total = _shown(r.get(p.key))
        if total is not None and None not in lines and sum(lines) != total:
            return True
    return False


def _deprecation_words(r: dict) -> list[str]:
    """A deprecated model more than WARN_DAYS from retirement gets no warning from the tool (only a calculation
    note); the customer's copy still says it is being retired, and what replaces it."""
    from modelmath.tools.pricing.lifecycle import WARN_DAYS

    life = r.get("lifecycle") or {}
    days = life.get("days_to_retirement")
    if life.get("status") != "deprecated" or (days is not None and days <= WARN_DAYS):
        return []
    when = f" and retires on {life['retires_on']}" if life.get("retires_on") else "; its retirement date is not set"
    instead = f"; Anthropic suggests {model_name(life['replacement'])} instead" if life.get("replacement") else ""
    return [f"{r['name']} is deprecated (since {life['deprecated_on']}){when}{instead}."]


def and_list(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _tokenizer_words(r: dict) -> list[str]:
    """Which compared models count the same text as more tokens, by name ('Claude 4.7 and later' and 'they'
    left a reader to work out which columns were meant and in which direction)."""
    rows = r.get("comparison") or []
    newer = [model_name(row["model"]) for row in rows if row.get("tokenizer") == "newer"]
    previous = [model_name(row["model"]) for row in rows if row.get("tokenizer") == "previous"]
    if not newer or not previous:
        return []
    return [f"Every model here is priced for the same number of tokens, but the same text is about 30% more tokens "
            f"on {and_list(newer)} than on {and_list(previous)} (Anthropic: Claude 4.7 and later models use a newer "
            f"tokenizer). For the same text, {and_list(newer)} would cost about 30% more, relative to "
            f"{and_list(previous)}, than shown here."]


def prices_date(r: dict) -> str:
    """'in force on DATE' (the date the quote prices for), or the price list's date on older results."""
    p = r["price_list"]
    on = p.get("prices_on") or r.get("as_of")
    return f"in force on {on}" if on else f"as of {p['as_of']}"
