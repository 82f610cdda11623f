"""The quote page's output, from one `api_cost` result: an HTML summary (tables, a bar chart when models are
compared), and the same quote as plain text and Markdown for a customer, and as CSV.

Everything here reads the tool's result; no price is computed here. Money is shown to the cent from $1 up
and with up to six decimals below (the tool's own display rule); the CSV keeps the exact values.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal

from modelmath.tools.pricing.tools import format_usd

from .forms import h

URL = re.compile(r"https?://[^\s;,()<>\"']+")


@dataclass(frozen=True)
class Quote:
    html: str
    text: str
    markdown: str
    csv: str


def money(value: float | int | None) -> str:
    return "—" if value is None else format_usd(Decimal(repr(value)) if isinstance(value, float) else Decimal(value))


def count(n: float | int | None) -> str:
    if n is None:
        return ""
    if isinstance(n, int) or float(n).is_integer():
        return f"{int(n):,}"
    return f"{n:,.2f}".rstrip("0").rstrip(".")


def _entry(model_id: str):
    from modelmath.tools.pricing.prices import active_catalog

    return active_catalog().find(model_id)


def _name(model_id: str) -> str:
    entry = _entry(model_id)
    return entry.name if entry else model_id


@dataclass(frozen=True)
class _Period:
    key: str  # usd_per_request | usd_per_day | usd_per_month
    title: str
    short: str  # "a month"


def _periods(r: dict) -> list[_Period]:
    out = [_Period("usd_per_request", "Per request", "a request")]
    if r.get("usd_per_month") is not None:
        out += [_Period("usd_per_day", "Per day", "a day"),
                _Period("usd_per_month", f"Per month ({count(r['days_per_month'])} days)", "a month")]
    return out


def _biggest(r: dict) -> _Period:
    return _periods(r)[-1]


# The tool's line-item names in plainer words (anything else is shown as the tool names it).
ITEM_WORDS = {"input (uncached)": "Input", "cache read": "Input read from the prompt cache",
              "cache write, 5-minute TTL": "Input written to the prompt cache (kept 5 minutes)",
              "cache write, 1-hour TTL": "Input written to the prompt cache (kept 1 hour)", "output": "Output"}


def _item_line(row: dict) -> str:
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
    for p in _periods(r):
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
    instead = f"; Anthropic suggests {_name(life['replacement'])} instead" if life.get("replacement") else ""
    return [f"{r['name']} is deprecated (since {life['deprecated_on']}){when}{instead}."]


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _tokenizer_words(r: dict) -> list[str]:
    """Which compared models count the same text as more tokens, by name ('Claude 4.7 and later' and 'they'
    left a reader to work out which columns were meant and in which direction)."""
    rows = r.get("comparison") or []
    newer = [_name(row["model"]) for row in rows if row.get("tokenizer") == "newer"]
    previous = [_name(row["model"]) for row in rows if row.get("tokenizer") == "previous"]
    if not newer or not previous:
        return []
    return [f"Every model here is priced for the same number of tokens, but the same text is about 30% more tokens "
            f"on {_and(newer)} than on {_and(previous)} (Anthropic: Claude 4.7 and later models use a newer "
            f"tokenizer). For the same text, {_and(newer)} would cost about 30% more, relative to "
            f"{_and(previous)}, than shown here."]


def prices_date(r: dict) -> str:
    """'in force on DATE' (the date the quote prices for), or the price list's date on older results."""
    p = r["price_list"]
    on = p.get("prices_on") or r.get("as_of")
    return f"in force on {on}" if on else f"as of {p['as_of']}"


def _source_links(source: str) -> str:
    """The source text with its URLs as links (everything escaped)."""
    out, last = [], 0
    for m in URL.finditer(source):
        out.append(h(source[last:m.start()]))
        out.append(f'<a href="{h(m.group())}" rel="noopener noreferrer">{h(m.group())}</a>')
        last = m.end()
    out.append(h(source[last:]))
    return "".join(out)


def main_source_url(source: str) -> str | None:
    urls = URL.findall(source)
    anthropic = [u for u in urls if re.match(r"https://(platform\.claude\.com|docs\.anthropic\.com|www\.anthropic"
                                             r"\.com|claude\.com)/", u)]
    return (anthropic or urls or [None])[0]


def _list_prices(p: dict) -> str:
    names = {"input": "input", "output": "output", "cache_write_5m": "cache write (5 minutes)",
             "cache_write_1h": "cache write (1 hour)", "cache_read": "cache read"}
    parts = [f"{label} {money(p['list_prices'][f'{k}_usd_per_mtok'])}" for k, label in names.items()
             if p.get("list_prices", {}).get(f"{k}_usd_per_mtok") is not None]
    return ", ".join(parts) + " per million tokens"


# -- HTML ----------------------------------------------------------------------------------------------

def _costs_table(r: dict) -> str:
    periods = _periods(r)
    head = "".join(f'<th scope="col" class="num">{h(p.title)}</th>' for p in periods)
    rows = []
    for row in r["breakdown"]:
        cells = "".join(f'<td class="num">{money(row.get(p.key))}</td>' for p in periods)
        rows.append(f'<tr><th scope="row">{h(_item_line(row))}</th>{cells}</tr>')
    total = "".join(f'<td class="num"><strong>{money(r.get(p.key))}</strong></td>' for p in periods)
    # In a scrolling box: on a phone the table scrolls by itself instead of pushing the page sideways.
    return (f'<div class="scroll"><table class="costs" id="quote-table"><caption>What {h(r["name"])} costs for '
            f'this workload</caption><thead><tr><th scope="col">Item</th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody><tfoot><tr><th scope="row">Total</th>{total}</tr></tfoot></table></div>')


def _chart(r: dict, rows: list[dict]) -> str:
    """Horizontal bars, one per model, of the largest period's cost; the table beside it has the numbers."""
    period = _biggest(r)
    # A model the customer cannot simply switch to says so on its bar too.
    priced = [(_name(row["model"]) + (" (retired)" if row.get("status") == "retired" else ""), row[period.key])
              for row in rows if row.get(period.key) is not None]
    if len(priced) < 2:
        return ""
    top = max(v for _, v in priced) or 1
    # Labels are right-aligned before the bars: room for the longest (about 7.6 px a character at 14 px), so
    # "Claude Sonnet 4.5 (retired)" is not cut off at the left edge.
    label_w = max(190, round(7.6 * max(len(name) for name, _ in priced)) + 12)
    bar_w, bar_h, gap = 300, 26, 12
    height = len(priced) * (bar_h + gap) + gap
    bars = []
    for i, (name, value) in enumerate(priced):
        y = gap + i * (bar_h + gap)
        w = max(2, round(bar_w * value / top))
        cls = "bar first" if i == 0 else "bar"
        bars.append(f'<text x="{label_w - 8}" y="{y + bar_h * 0.68:.0f}" text-anchor="end">{h(name)}</text>'
                    f'<rect class="{cls}" x="{label_w}" y="{y}" width="{w}" height="{bar_h}" rx="3"></rect>'
                    f'<text x="{label_w + w + 6}" y="{y + bar_h * 0.68:.0f}">{h(money(value))}</text>')
    desc = "; ".join(f"{name}: {money(v)}" for name, v in priced)
    width = label_w + bar_w + 110
    return (f'<figure class="chart"><figcaption>Cost {h(period.short)} by model</figcaption>'
            f'<svg class="chart" id="quote-chart" role="img" aria-labelledby="chart-title chart-desc" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
            f'<title id="chart-title">Cost {h(period.short)} by model</title><desc id="chart-desc">{h(desc)}</desc>'
            f'{"".join(bars)}</svg></figure>')


def _in_out(text: object) -> str:
    """'2/10' → '$2.00 / $10.00'; anything else as given."""
    try:
        return " / ".join(money(Decimal(x)) for x in str(text).split("/"))
    except ArithmeticError:  # decimal.InvalidOperation
        return str(text)


def _compare_html(r: dict) -> str:
    rows = r.get("comparison") or []
    if len(rows) < 2:
        return ""
    periods = _periods(r)
    names = [_name(row["model"]) for row in rows]
    head = "".join(f'<th scope="col" class="num">{h(n)}</th>' for n in names)

    def line(title: str, cells: list[str]) -> str:
        return f'<tr><th scope="row">{h(title)}</th>{"".join(f"<td class=num>{c}</td>" for c in cells)}</tr>'

    # The tool gives each model's list input/output price; the costs below include the quote's options, so the
    # row says which options it is before (a Batch quote showed $2.00 / $10.00 beside a $1.00 line item).
    pl = r["price_list"]
    mods = [name for name, on in (("the Batch discount", pl.get("batch_discount") is not None),
                                  ("US-only pricing", (pl.get("modifiers") or {}).get("inference_geo_us_multiplier")),
                                  ("fast mode", (pl.get("modifiers") or {}).get("fast_mode")),
                                  ("the long-context prices", pl.get("tier") == "long context")) if on]
    title = "List price per million tokens (input / output)" + (f", before {_and(mods)}" if mods else "")
    body = [line("Status", [h(row["status"]) for row in rows]),
            line(title, [h(_in_out(row.get("usd_per_mtok_in_out"))) for row in rows])]
    if len({row.get("tokenizer") for row in rows}) > 1:
        words = {"newer": "about 30% more tokens", "previous": "fewer tokens (older counting)"}
        body.append(line("The same text counts as", [h(words.get(row.get("tokenizer") or "", "not known"))
                                                      for row in rows]))
    for i, p in enumerate(periods):  # a model that cannot be priced says why once, in the first row
        body.append(line(p.title, [money(row.get(p.key)) if "note" not in row else
                                   f'<span class="note">{h(row["note"])}</span>' if i == 0 else "—"
                                   for row in rows]))
    ratios = [f"{row['ratio_vs_first']:g} ×" if row.get("ratio_vs_first") is not None else "—" for row in rows]
    body.append(line(f"Compared with {names[0]}", ratios))
    return (f'<h3>Side by side</h3><div class="scroll"><table class="compare-table" id="compare-table"><caption>The '
            f'same workload on {len(rows)} models</caption><thead><tr><th scope="col"></th>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>{_chart(r, rows)}')


def _html(r: dict, assumptions: list[str]) -> str:
    p = r["price_list"]
    big = _biggest(r)
    headline = (f'<p class="headline" id="quote-headline"><strong>{money(r.get(big.key))} {h(big.short)}</strong> '
                f'for {h(workload(r))}.</p>')
    warnings = ""
    if r.get("warnings"):
        items = "".join(f"<li>{h(w)}</li>" for w in r["warnings"])
        warnings = f'<div class="warnings" role="note"><h3>Please note</h3><ul>{items}</ul></div>'
    tool_notes = "".join(f"<li>{h(a)}</li>" for a in r.get("assumptions", []))
    checked = f" (price list checked {h(p['as_of'])})" if p.get("prices_on") and p["prices_on"] != p["as_of"] else ""
    if p.get("price_file"):
        basis = (f'Prices for <strong>{h(r["name"])}</strong> ({h(r["status"])}) from the price file '
                 f'<code>{h(p["price_file"])}</code>, as of <strong>{h(p["as_of"])}</strong>')
    else:
        fast = "fast-mode " if (p.get("modifiers") or {}).get("fast_mode") else ""
        basis = (f'Anthropic {fast}list prices for <strong>{h(r["name"])}</strong> ({h(r["status"])}) '
                 f'<strong>{h(prices_date(r))}</strong>{checked}')
    prices = (f'<h3>Price list used</h3><p id="quote-prices">{basis}: {h(_list_prices(p))}.</p>'
              f'<p class="source">Source: {_source_links(p["source"])}</p>')
    plain = "".join(f"<li>{h(a)}</li>" for a in assumptions)
    return (f'<h2 id="quote-title">{h(r["name"])}</h2>{headline}{warnings}{_costs_table(r)}{_compare_html(r)}'
            f'{prices}<h3>What this quote assumes</h3><ul id="quote-assumptions">{plain}</ul>'
            f'<details><summary>Calculation notes</summary><ul>{tool_notes}</ul></details>')


# -- text, Markdown, CSV -------------------------------------------------------------------------------

# A compared model the customer cannot simply use says so beside its price (the warning has the dates).
STATUS_WORDS = {"retired": "retired: requests to it fail", "deprecated": "deprecated: it will be retired",
                "unreleased": "not yet released on that date"}


def _compared(r: dict) -> list[str]:
    rows = (r.get("comparison") or [])[1:]
    big = _biggest(r)
    out = []
    for row in rows:
        name = _name(row["model"])
        if row.get("status") in STATUS_WORDS:
            name += f" ({STATUS_WORDS[row['status']]})"
        if "note" in row:
            out.append(f"{name}: not priced ({row['note']})")
        else:
            out.append(f"{name}: {money(row.get(big.key))} {big.short} "
                       f"({row['ratio_vs_first']:g} × the cost on {r['name']})")
    return out


def _text(r: dict, assumptions: list[str], markdown: bool) -> str:
    p = r["price_list"]
    b = (lambda s: f"**{s}**") if markdown else (lambda s: s)
    lines = [f"## Claude API cost estimate: {r['name']}" if markdown else f"Claude API cost estimate: {r['name']}", "",
             f"Workload: {workload(r)}.", ""]
    periods = _periods(r)
    if markdown:
        lines += ["| | " + " | ".join(p_.title for p_ in periods) + " |", "|---|" + "---:|" * len(periods)]
        lines += [f"| {_item_line(row)} | " + " | ".join(money(row.get(p_.key)) for p_ in periods) + " |"
                  for row in r["breakdown"]]
        lines.append("| **Total** | " + " | ".join(b(money(r.get(p_.key))) for p_ in periods) + " |")
    else:
        width = max(len(p_.title) for p_ in periods) + 1
        lines += [f"  {(p_.title + ':').ljust(width)} {money(r.get(p_.key))}" for p_ in periods]
        lines += ["", "How it adds up, per request:"]
        lines += [f"  - {_item_line(row)} = {money(row['usd_per_request'])}" for row in r["breakdown"]]
    compared = _compared(r)
    if compared:
        lines += ["", "The same workload on other models:"] + [f"- {c}" if markdown else f"  - {c}" for c in compared]
    if r.get("warnings"):
        lines += ["", b("Please note:")] + [f"- {w}" if markdown else f"  - {w}" for w in r["warnings"]]
    url = main_source_url(p["source"])
    if p.get("price_file"):  # the customer sees the file's own source, not a path on this computer
        lines += ["", f"Prices: {p['source']}, as of {p['as_of']}.", "", "This estimate assumes:"]
    else:
        lines += ["", f"Prices: Anthropic list prices for {r['name']} {prices_date(r)}"
                  + (f" ({url})" if url else "") + ".", "", "This estimate assumes:"]
    lines += [f"- {a}" if markdown else f"  - {a}" for a in assumptions]
    return "\n".join(lines) + "\n"


def _csv_cell(v: object) -> object:
    # A text cell starting with = + - @ is run as a formula by spreadsheets (CSV injection): quote it.
    return "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r") else v


def _csv(r: dict) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["model", "model_name", "item", "tokens_per_request", "usd_per_million_tokens", "usd_per_request",
                "usd_per_day", "usd_per_month", "prices_as_of", "status"])
    as_of = r["price_list"]["as_of"]

    def cell(v):
        return "" if v is None else _csv_cell(v)

    for row in r["breakdown"]:
        w.writerow([cell(x) for x in (r["model"], r["name"], row["item"], row.get("tokens"), row.get("usd_per_mtok"),
                                      row.get("usd_per_request"), row.get("usd_per_day"), row.get("usd_per_month"),
                                      as_of, r["status"])])
    w.writerow([cell(x) for x in (r["model"], r["name"], "total", None, None, r["usd_per_request"],
                                  r.get("usd_per_day"), r.get("usd_per_month"), as_of, r["status"])])
    for row in (r.get("comparison") or [])[1:]:  # each compared model's own price-list date
        entry = _entry(row["model"])
        w.writerow([cell(x) for x in (row["model"], _name(row["model"]), "total (compared)", None, None,
                                      row.get("usd_per_request"), row.get("usd_per_day"), row.get("usd_per_month"),
                                      entry.as_of if entry else None, row.get("status"))])
    return out.getvalue()


def render(result: dict) -> Quote:
    """Everything the quote page shows for one successful api_cost result."""
    assumptions = plain_assumptions(result)
    return Quote(html=_html(result, assumptions), text=_text(result, assumptions, markdown=False),
                 markdown=_text(result, assumptions, markdown=True), csv=_csv(result))
