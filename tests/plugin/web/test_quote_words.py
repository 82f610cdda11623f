"""The quote's words for a customer: what a support person pastes must carry every caveat the table shows, and
each line's arithmetic must be followable.

Prices, from Anthropic's pricing page (https://platform.claude.com/docs/en/about-claude/pricing, copy of
2026-10-08): Claude Sonnet 5.5 $2 / $10 per million input / output tokens, Claude Sonnet 4.5 $3 / $15; web search
"$10 per 1,000 searches"; code execution "Execution time has a minimum of 5 minutes", "1,550 free hours of usage
per month", "$0.05 USD per hour, per container". Claude Sonnet 4.5 retires 2026-11-30 (deprecations page).
Today is pinned to 2026-11-30 (tests/conftest.py).
"""

from __future__ import annotations

import csv
import io

from modelmath.plugin.web import quote, words
from modelmath.tools import registry

WORKLOAD = {"model": "claude-sonnet-5-5", "input_tokens": 1500, "output_tokens": 300, "requests_per_day": 10000}


def _render(inp: dict) -> quote.Quote:
    out = registry.run_tool("api_cost", inp)
    assert not out.is_error, out.result
    return quote.render(out.result)


def test_a_retired_compared_model_is_marked_in_the_copy_for_the_customer():
    q = _render(WORKLOAD | {"compare": ["claude-sonnet-4-5-20250929", "claude-haiku-5-5"]})
    # Sonnet 4.5: 1,500 x $3/1M + 300 x $15/1M = $0.009 a request x 10,000 x 30 = $2,700.00 a month.
    for text in (q.text, q.markdown):
        assert "Claude Sonnet 4.5 (retired: requests to it fail): $2,700.00 a month" in text
        assert "is retired on the Claude API since 2026-11-30" in text  # the warning, with its date
        assert "Claude Haiku 5.5: $90.00 a month" in text  # a current model carries no mark
    rows = {row["model"]: row for row in csv.DictReader(io.StringIO(q.csv)) if row["item"] == "total (compared)"}
    assert rows["claude-sonnet-4-5-20250929"]["status"] == "retired"
    assert rows["claude-sonnet-4-5-20250929"]["usd_per_month"] == "2700.0"
    assert rows["claude-haiku-5-5"]["status"] == "current"
    assert rows["claude-haiku-5-5"]["prices_as_of"]  # was empty for compared rows


def test_code_execution_below_the_minimum_and_the_free_hours_are_said_in_words():
    q = _render(WORKLOAD | {"code_execution_hours": 0.01})
    # 0.01 h = 36 seconds, below the 5-minute minimum: billed 5 minutes = 1/12 h per request.
    # 300,000 requests a month x 1/12 h = 25,000 h; minus 1,550 free = 23,450 h x $0.05 = $1,172.50 a month.
    assert "Code execution: 5 minutes of container time per request, $0.05 per hour after the free hours" in q.text
    assert "the 36 seconds entered per request count as 5 minutes" in q.text
    assert "25,000 container-hours a month" in q.text and "23,450 hours are charged at $0.05 an hour" in q.text
    assert "($1,172.50 a month, shared over every request)" in q.text
    # Tokens $1,800.00 + code execution $1,172.50 = $2,972.50 a month.
    assert "Per month (30 days): $2,972.50" in q.text


def test_code_execution_within_the_free_hours_costs_nothing_and_says_so():
    # 10 a day x 30 = 300 requests x 5 minutes = 25 h a month, under the 1,550 free hours.
    q = _render(WORKLOAD | {"requests_per_day": 10, "code_execution_hours": 0.01})
    assert "25 container-hours a month" in q.text and "costs nothing" in q.text


def test_code_execution_without_a_volume_charges_every_hour():
    q = _render({"model": "claude-sonnet-5-5", "input_tokens": 1500, "output_tokens": 300,
                 "code_execution_hours": 1.25})
    # 1.25 h x $0.05 = $0.0625; with tokens $0.006: $0.0685.
    assert "1.25 hours of container time per request, $0.05 per hour = $0.0625" in q.text
    assert "free hours each organization gets a month are taken as already used" in q.text


def test_web_searches_read_as_anthropic_prices_them():
    q = _render(WORKLOAD | {"web_searches": 2})
    assert "Web search: 2 searches per request, $10.00 per 1,000 searches = $0.02" in q.text
    assert "search results Claude reads are billed as input tokens" in q.text


def test_duration_words():
    assert words.duration(0.01) == "36 seconds"
    assert words.duration(5 / 60) == "5 minutes"
    assert words.duration(0.5) == "30 minutes"
    assert words.duration(1) == "1 hour"
    assert words.duration(2) == "2 hours"


def test_the_tokenizer_note_names_which_models_count_more_tokens():
    # Anthropic's pricing page: "Claude 4.7 and later models ... use a newer tokenizer ... approximately 30% more
    # tokens for the same text. ... Claude Sonnet 4.6 and earlier models use the previous tokenizer."
    q = _render(WORKLOAD | {"compare": ["claude-sonnet-4-6", "claude-haiku-5-5"]})
    assert ("the same text is about 30% more tokens on Claude Sonnet 5.5 and Claude Haiku 5.5 than on Claude "
            "Sonnet 4.6") in q.text
    assert "Claude Sonnet 5.5 and Claude Haiku 5.5 would cost about 30% more, relative to Claude Sonnet 4.6" in q.text
    same = _render(WORKLOAD | {"compare": ["claude-haiku-5-5"]})  # both newer: nothing to say
    assert "30% more tokens" not in same.text


def test_fast_mode_says_its_prices_in_the_price_list_and_the_assumptions():
    # Anthropic's pricing page, fast mode table: "| Claude Opus 5.5 | $8 / MTok | $40 / MTok |"; US-only inference
    # is x1.1 on top ("Data residency multipliers apply on top of fast mode pricing"):
    # 1,000 x $8.80/1M + 1,000 x $44/1M = $0.0088 + $0.044 = $0.0528 a request.
    out = registry.run_tool("api_cost", {"model": "claude-opus-5-5", "input_tokens": 1000, "output_tokens": 1000,
                                         "fast": True, "inference_geo": "us"})
    q = quote.render(out.result)
    assert out.result["usd_per_request"] == 0.0528
    assert "Anthropic fast-mode list prices for <strong>Claude Opus 5.5</strong>" in q.html
    assert "Claude Opus 5.5's fast-mode prices ($8.00 input and $40.00 output per million tokens" in q.text
    plain = _render({"model": "claude-opus-5-5", "input_tokens": 1000, "output_tokens": 1000})
    assert "fast-mode" not in plain.html


def test_lines_that_do_not_add_up_to_the_total_by_rounding_say_why():
    # Claude Opus 5.5 ($4 input, $0.20 cache read, $20 output per million tokens; Anthropic's pricing page),
    # 24,798 input of which 11,848 cache reads, 4,463 output, 4,551 requests a day:
    #   input      12,950 x $4/1M    = $0.0518    x 4,551 = $235.7418   → $235.74
    #   cache read 11,848 x $0.20/1M = $0.0023696 x 4,551 = $10.7840496 → $10.78
    #   output      4,463 x $20/1M   = $0.08926   x 4,551 = $406.22026  → $406.22
    #   total                                               $652.7461096 → $652.75, but the lines add to $652.74.
    q = _render({"model": "claude-opus-5-5", "input_tokens": 24798, "cache_read_tokens": 11848,
                 "output_tokens": 4463, "requests_per_day": 4551})
    assert "Per day:             $652.75" in q.text
    assert "the lines can add up to a cent more or less than the total shown" in q.text
    exact = _render(WORKLOAD)  # $0.003 + $0.003 = $0.006, $30 + $30 = $60, $900 + $900 = $1,800: nothing to say
    assert "a cent more or less" not in exact.text


def test_a_date_after_the_price_list_was_checked_says_so():
    # The built-in catalog was checked 2026-11-30 (tools/data/claude_prices.json "as_of"); a quote for a later
    # date cannot know later changes.
    q = _render(WORKLOAD | {"as_of": "2027-03-01"})
    assert "The price list was last checked on 2026-11-30" in q.text
    assert "last checked" not in _render(WORKLOAD).text  # today is the check date


def test_an_unreleased_model_is_not_said_to_have_list_prices_on_that_date():
    # Claude Sonnet 5.5 was released 2026-09-28 (Anthropic release notes).
    q = _render(WORKLOAD | {"as_of": "2026-01-01"})
    assert "Claude Sonnet 5.5 was not released on 2026-01-01: priced at its launch list prices" in q.text
    assert "list prices for Claude Sonnet 5.5 in force on 2026-01-01" not in q.text.split("This estimate")[1]


def test_the_side_by_side_table_and_chart_in_plain_words():
    q = _render(WORKLOAD | {"compare": ["claude-sonnet-4-5-20250929"]})
    table = q.html.split('id="compare-table"')[1].split("</table>")[0]
    # Sonnet 5.5 uses the newer tokenizer, Sonnet 4.5 the previous one (Anthropic's pricing page).
    assert "The same text counts as" in table and "tokenizer" not in table
    assert "about 30% more tokens" in table and "fewer tokens (older counting)" in table
    chart = q.html.split('<svg class="chart"')[1].split("</svg>")[0]
    assert "Claude Sonnet 4.5 (retired)" in chart and "Claude Sonnet 5.5 (retired)" not in chart


def test_a_deprecated_model_far_from_retirement_says_so_in_the_copy():
    # Deprecations page: claude-sonnet-4-5-20250929 deprecated 2026-09-30, retires 2026-11-30, replacement
    # claude-sonnet-5-5. On 2026-09-30 that is 61 days away (Sep 30 → Oct 31 = 31 days, → Nov 30 = 30 more), past
    # the 60-day warning, so only this line tells the customer.
    q = _render({"model": "claude-sonnet-4-5-20250929", "input_tokens": 1000, "output_tokens": 100,
                 "as_of": "2026-09-30"})
    assert ("Claude Sonnet 4.5 is deprecated (since 2026-09-30) and retires on 2026-11-30; Anthropic suggests "
            "Claude Sonnet 5.5 instead.") in q.text
    soon = _render({"model": "claude-sonnet-4-5-20250929", "input_tokens": 1000, "output_tokens": 100,
                    "as_of": "2026-10-01"})  # 60 days: the warning says it, once
    assert "is deprecated (since" not in soon.text and "retires on 2026-11-30 (in 60 days)" in soon.text


def test_the_side_by_side_price_row_says_it_is_before_the_quote_options():
    # Batch: 50% off (Anthropic's pricing page), so Sonnet 5.5 costs 1,000 x $1/1M + 1,000 x $5/1M = $0.006 while
    # its list price stays $2 / $10.
    q = _render({"model": "claude-sonnet-5-5", "input_tokens": 1000, "output_tokens": 1000, "batch": True,
                 "compare": ["claude-opus-5-5"]})
    table = q.html.split('id="compare-table"')[1].split("</table>")[0]
    assert "List price per million tokens (input / output), before the Batch discount" in table
    assert "$2.00 / $10.00" in table and "$0.006" in table
    plain = _render(WORKLOAD | {"compare": ["claude-opus-5-5"]})
    assert "List price per million tokens (input / output)</th>" in plain.html
