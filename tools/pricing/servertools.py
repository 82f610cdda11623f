"""Server tools billed on top of tokens: web search per search, code execution per container-hour beyond
the organization's free monthly hours. Prices come from the catalog's `server_tools` block (Anthropic's
pricing page, https://platform.claude.com/docs/en/about-claude/pricing).

Code execution's free allowance is per organization per month, so its cost per request depends on the
monthly volume: the first `free_hours_per_month` hours of the month are free, the rest cost
`usd_per_container_hour`. Money stays Decimal (60 digits), like cost.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext

from ..errors import InvalidInput
from .cost import _CTX, Volume, count

_MINUTES_PER_HOUR = Decimal(60)


@dataclass(frozen=True)
class ServerItem:
    name: str  # "web_search" | "code_execution"
    label: str
    quantity: Decimal  # searches or billed container-hours per request
    unit: str  # what usd_per_unit is per
    usd_per_unit: Decimal
    usd_per_request: Decimal
    usd_per_day: Decimal | None
    usd_per_month: Decimal | None


def _dec(v) -> Decimal:
    return v if isinstance(v, Decimal) else Decimal(str(v))


def hours(value: object, field: str = "code_execution_hours") -> Decimal:
    """Container-hours per request: a finite number >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise InvalidInput(f"{field} must be a number of hours, got {value!r}", field=field, allowed=">= 0")
    d = _dec(value)
    if not d.is_finite() or d < 0:
        raise InvalidInput(f"{field} must be a finite number >= 0, got {value!r}", field=field, allowed=">= 0")
    return d


def web_search_usd(catalog, searches: object) -> Decimal:
    """Fee for `searches` web searches (tokens of the results are billed separately as input)."""
    n = count(searches, "web_searches")
    with localcontext(_CTX):
        return n * _dec(_prices(catalog)["web_search_usd_per_1000"]) / 1000


def _prices(catalog) -> Mapping:
    if not catalog.server_tools:
        raise InvalidInput("the price catalog has no server-tool prices (server_tools)", field="web_searches")
    return catalog.server_tools


def quote(catalog, web_searches: object, code_hours: object, vol: Volume,
          as_of: date) -> tuple[list[ServerItem], list[str], list[str]]:
    """Server-tool line items for one request at `vol`, with (assumptions, warnings) in plain words."""
    items: list[ServerItem] = []
    assumptions: list[str] = []
    warnings: list[str] = []
    searches = count(web_searches or 0, "web_searches")
    h = hours(code_hours or 0)
    if not searches and not h:
        return items, assumptions, warnings
    st = _prices(catalog)
    src = f"{st['source'].split(' ')[0]}, as of {st['as_of']}"
    with localcontext(_CTX):
        if searches:
            per_1000 = _dec(st["web_search_usd_per_1000"])
            fee = searches * per_1000 / 1000
            day, month = _scale(fee, vol)
            items.append(ServerItem("web_search", "web search", Decimal(searches), "search", per_1000 / 1000, fee,
                                    day, month))
            assumptions.append(
                f"web search: ${per_1000:f} per 1,000 searches ({src}); the search results Claude reads are "
                "input tokens, billed at the model's input price: include them in input_tokens; a search that "
                "errors is not billed")
        if h:
            ce = st["code_execution"]
            rate, free = _dec(ce["usd_per_container_hour"]), _dec(ce["free_hours_per_month"])
            minimum = _dec(ce["minimum_minutes"]) / _MINUTES_PER_HOUR
            billed = max(h, minimum)
            if billed > h:
                assumptions.append(f"code execution: {h:f} h per request is below the {ce['minimum_minutes']}-"
                                   f"minute minimum; billed {billed:.6g} h")
            if vol.requests_per_month is None:
                per_request = billed * rate
                day = month = None
                assumptions.append(
                    f"code execution: ${rate:f} per container-hour ({src}); no volume given, so the "
                    f"organization's {_num(free)} free hours a month are assumed used up by other work")
            else:
                monthly_hours = billed * vol.requests_per_month
                month = max(monthly_hours - free, Decimal(0)) * rate
                day = month / vol.days_per_month
                per_request = month / vol.requests_per_month
                assumptions.append(
                    f"code execution: {_num(monthly_hours)} container-hours a month, the first {_num(free)} free "
                    f"per organization per month, then ${rate:f} per hour ({src}); assumes this workload is "
                    "the organization's only code execution")
            items.append(ServerItem("code_execution", "code execution", billed, "container-hour", rate,
                                    per_request, day, month))
            assumptions.append("code execution time is billed separately from tokens; the code and its output "
                               "that enter the conversation are billed as input and output tokens")
            since = ce.get("free_with_web_tools_since")
            if searches and since and as_of >= date.fromisoformat(since):
                warnings.append(
                    "code execution is free when the same request uses the current web search or web fetch tool "
                    f"(web_search_20260209 or web_fetch_20260209 or later; Anthropic, since {since}); this quote "
                    "still charges it, as for older tool versions: with the current tools, leave the code "
                    "execution line out")
    return items, assumptions, warnings


def _num(d: Decimal) -> str:
    """1550 → '1,550'; 30000.0 → '30,000'; 0.0833… → '0.0833333' (display only)."""
    d = d.quantize(Decimal("0.0000001")) if d != d.to_integral_value() else d.to_integral_value()
    return f"{d.normalize():,f}"


def _scale(per_request: Decimal, vol: Volume) -> tuple[Decimal | None, Decimal | None]:
    if vol.requests_per_month is None:
        return None, None
    return per_request * vol.requests_per_day, per_request * vol.requests_per_month
