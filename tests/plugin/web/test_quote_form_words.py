"""The quote form's hints are for support staff: no hint on the quote page may fall back to a schema description
that names another field by its JSON name (requests_per_month, tools_in_request, 'us = ...'), and the tool
choice reads as what it does."""

from __future__ import annotations

import re

import pytest
from modelmath.plugin.web.app import WebConfig, build_app
from starlette.testclient import TestClient

FIELD_NAMES = ("requests_per_day", "requests_per_month", "tools_in_request", "inference_geo", "tool_choice",
               "web_searches", "code_execution_hours", "cache_read_tokens", "cache_write_tokens", "days_per_month")


@pytest.fixture(scope="module")
def page() -> str:
    return TestClient(build_app(WebConfig()), base_url="http://127.0.0.1:8001").get("/").text


def test_no_quote_hint_names_a_json_field(page):
    hints = re.findall(r'<span class="hint" id="api_cost-[^"]+-hint">([^<]*)</span>', page)
    assert len(hints) >= 15  # every quote input has one
    for hint in hints:
        assert not any(name in hint for name in FIELD_NAMES), hint


def test_tool_choice_options_say_what_they_do(page):
    select = page.split('name="tool_choice"')[1].split("</select>")[0]
    assert ">Claude decides (auto)</option>" in select and ">Must use a tool (any)</option>" in select


def test_a_link_never_misreads_a_decimal_comma():
    from modelmath.plugin.web.forms import ungroup

    assert [ungroup(t) for t in ("10,000", "1 500 000", "1_500", "1,234,567")] == \
        ["10000", "1500000", "1500", "1234567"]
    assert [ungroup(t) for t in ("1,5", "12,3456")] == ["1,5", "12,3456"]
    client = TestClient(build_app(WebConfig()), base_url="http://127.0.0.1:8001")
    page = client.get("/?model=sonnet-5.5&input_tokens=1500&output_tokens=300&requests_per_day=1,5").text
    # Was 15 requests a day: $0.006 x 15 x 30 = $2.70 a month.
    assert "$2.70" not in page and "must be a whole number" in page
