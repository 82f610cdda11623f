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

from . import words as qw
from .forms import h

URL = re.compile(r"https?://[^\s;,()<>\"']+")


@dataclass(frozen=True)
class Quote:
    html: str
    text: str
    markdown: str
    csv: str


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
    parts = [f"{label} {qw.money(p['list_prices'][f'{k}_usd_per_mtok'])}" for k, label in names.items()
             if p.get("list_prices", {}).get(f"{k}_usd_per_mtok") is not None]
    return ", ".join(parts) + " per million tokens"


# -- HTML ----------------------------------------------------------------------------------------------

def _costs_table(r: dict) -> str:
    periods = qw.periods(r)
    head = "".join(f'<th scope="col" class="num">{h(p.title)}</th>' for p in periods)
    rows = []
    for row in r["breakdown"]:
        cells = "".join(f'<td class="num">{qw.money(row.get(p.key))}</td>' for p in periods)
        rows.append(f'<tr><th scope="row">{h(qw.item_line(row))}</th>{cells}</tr>')
    total = "".join(f'<td class="num"><strong>{qw.money(r.get(p.key))}</strong></td>' for p in periods)
    # In a scrolling box: on a phone the table scrolls by itself instead of pushing the page sideways.
    return (f'<div class="scroll"><table class="costs" id="quote-table"><caption>What {h(r["name"])} costs for '
            f'this workload</caption><thead><tr><th scope="col">Item</th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody><tfoot><tr><th scope="row">Total</th>{total}</tr></tfoot></table></div>')


def _chart(r: dict, rows: list[dict]) -> str:
    """Horizontal bars, one per model, of the largest period's cost; the table beside it has the numbers."""
    period = qw.biggest(r)
    # A model the customer cannot simply switch to says so on its bar too.
    priced = [(qw.model_name(row["model"]) + (" (retired)" if row.get("status") == "retired" else ""), row[period.key])
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
                    f'<text x="{label_w + w + 6}" y="{y + bar_h * 0.68:.0f}">{h(qw.money(value))}</text>')
    desc = "; ".join(f"{name}: {qw.money(v)}" for name, v in priced)
    width = label_w + bar_w + 110
    return (f'<figure class="chart"><figcaption>Cost {h(period.short)} by model</figcaption>'
            f'<svg class="chart" id="quote-chart" role="img" aria-labelledby="chart-title chart-desc" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
            f'<title id="chart-title">Cost {h(period.short)} by model</title><desc id="chart-desc">{h(desc)}</desc>'
            f'{"".join(bars)}</svg></figure>')


def _in_out(text: object) -> str:
    """'2/10' → '$2.00 / $10.00'; anything else as given."""
    try:
        return " / ".join(qw.money(Decimal(x)) for x in str(text).split("/"))
    except ArithmeticError:  # decimal.InvalidOperation
        return str(text)


def _compare_html(r: dict) -> str:
    rows = r.get("comparison") or []
    if len(rows) < 2:
        return ""
    periods = qw.periods(r)
    names = [qw.model_name(row["model"]) for row in rows]
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
    title = "List price per million tokens (input / output)" + (f", before {qw.and_list(mods)}" if mods else "")
    body = [line("Status", [h(row["status"]) for row in rows]),
            line(title, [h(_in_out(row.get("usd_per_mtok_in_out"))) for row in rows])]
    if len({row.get("tokenizer") for row in rows}) > 1:
        words = {"newer": "about 30% more tokens", "previous": "fewer tokens (older counting)"}
        body.append(line("The same text counts as", [h(words.get(row.get("tokenizer") or "", "not known"))
                                                      for row in rows]))
    for i, p in enumerate(periods):  # a model that cannot be priced says why once, in the first row
        body.append(line(p.title, [qw.money(row.get(p.key)) if "note" not in row else
                                   f'<span class="note">{h(row["note"])}</span>' if i == 0 else "—"
                                   for row in rows]))
    ratios = [f"{row['ratio_vs_first']:g} ×" if row.get("ratio_vs_first") is not None else "—" for row in rows]
    body.append(line(f"Compared with {names[0]}", ratios))
    return (f'<h3>Side by side</h3><div class="scroll"><table class="compare-table" id="compare-table"><caption>The '
            f'same workload on {len(rows)} models</caption><thead><tr><th scope="col"></th>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>{_chart(r, rows)}')


def _html(r: dict, assumptions: list[str]) -> str:
    p = r["price_list"]
    big = qw.biggest(r)
    headline = (f'<p class="headline" id="quote-headline"><strong>{qw.money(r.get(big.key))} {h(big.short)}</strong> '
                f'for {h(qw.workload(r))}.</p>')
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
                 f'<strong>{h(qw.prices_date(r))}</strong>{checked}')
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
    big = qw.biggest(r)
    out = []
    for row in rows:
        name = qw.model_name(row["model"])
        if row.get("status") in STATUS_WORDS:
            name += f" ({STATUS_WORDS[row['status']]})"
        if "note" in row:
            out.append(f"{name}: not priced ({row['note']})")
        else:
            out.append(f"{name}: {qw.money(row.get(big.key))} {big.short} "
                       f"({row['ratio_vs_first']:g} × the cost on {r['name']})")
    return out


def _text(r: dict, assumptions: list[str], markdown: bool) -> str:
    p = r["price_list"]
    b = (lambda s: f"**{s}**") if markdown else (lambda s: s)
    lines = [f"## Claude API cost estimate: {r['name']}" if markdown else f"Claude API cost estimate: {r['name']}", "",
             f"Workload: {qw.workload(r)}.", ""]
    periods = qw.periods(r)
    if markdown:
        lines += ["| | " + " | ".join(p_.title for p_ in periods) + " |", "|---|" + "---:|" * len(periods)]
        lines += [f"| {qw.item_line(row)} | " + " | ".join(qw.money(row.get(p_.key)) for p_ in periods) + " |"
                  for row in r["breakdown"]]
        lines.append("| **Total** | " + " | ".join(b(qw.money(r.get(p_.key))) for p_ in periods) + " |")
    else:
        width = max(len(p_.title) for p_ in periods) + 1
        lines += [f"  {(p_.title + ':').ljust(width)} {qw.money(r.get(p_.key))}" for p_ in periods]
        lines += ["", "How it adds up, per request:"]
        lines += [f"  - {qw.item_line(row)} = {qw.money(row['usd_per_request'])}" for row in r["breakdown"]]
    compared = _compared(r)
    if compared:
        lines += ["", "The same workload on other models:"] + [f"- {c}" if markdown else f"  - {c}" for c in compared]
    if r.get("warnings"):
        lines += ["", b("Please note:")] + [f"- {w}" if markdown else f"  - {w}" for w in r["warnings"]]
    url = main_source_url(p["source"])
    if p.get("price_file"):  # the customer sees the file's own source, not a path on this computer
        lines += ["", f"Prices: {p['source']}, as of {p['as_of']}.", "", "This estimate assumes:"]
    else:
        lines += ["", f"Prices: Anthropic list prices for {r['name']} {qw.prices_date(r)}"
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
        entry = qw.entry(row["model"])
        w.writerow([cell(x) for x in (row["model"], qw.model_name(row["model"]), "total (compared)", None, None,
                                      row.get("usd_per_request"), row.get("usd_per_day"), row.get("usd_per_month"),
                                      entry.as_of if entry else None, row.get("status"))])
    return out.getvalue()


def render(result: dict) -> Quote:
    """Everything the quote page shows for one successful api_cost result."""
    assumptions = qw.plain_assumptions(result)
    return Quote(html=_html(result, assumptions), text=_text(result, assumptions, markdown=False),
                 markdown=_text(result, assumptions, markdown=True), csv=_csv(result))
