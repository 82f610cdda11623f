"""The quote page's errors in the form's words (plugin/web/plain.py): a support person sees the label they typed
into, a plain rule and model names, never 'input_tokens: -5 is less than the minimum of 0 (minimum 0)'. The tools
API keeps the MCP error object word for word."""

from __future__ import annotations

import pytest
from modelmath.plugin.web.app import WebConfig, build_app
from starlette.testclient import TestClient

WORKLOAD = {"model": "claude-sonnet-5-5", "input_tokens": 1500, "output_tokens": 300}


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(build_app(WebConfig()), base_url="http://127.0.0.1:8001")


@pytest.mark.parametrize(("extra", "field", "message"), [
    ({"input_tokens": -5}, "input_tokens", "“Input tokens per request” must be at least 0 (got -5)"),
    ({"days_per_month": 0}, "days_per_month", "“Days in a month” must be more than 0 (got 0)"),
    ({"code_execution_hours": -1}, "code_execution_hours",
     "“Code execution hours per request” must be at least 0 (got -1)"),
    ({"input_tokens": "1e400"}, "input_tokens", '“Input tokens per request” must be a whole number, got "1e400"'),
    ({"input_tokens": 1.5}, "input_tokens", "“Input tokens per request” must be a whole number, got 1.5"),
    ({"as_of": "99999-01-01"}, "as_of",
     "“Prices and model status on this date” must be a date written YYYY-MM-DD (got '99999-01-01')"),
    ({"requests_per_day": 5, "requests_per_month": 5}, "requests_per_month",
     "give “Requests per day” or “Requests per month”, not both"),
])
def test_schema_errors_read_as_the_form(client, extra, field, message):
    r = client.post("/api/quote", json=WORKLOAD | extra)
    assert r.status_code == 400
    e = r.json()["error"]
    assert (e["field"], e["message"]) == (field, message)
    assert "allowed" not in e  # 'minimum 0' said again in schema words


def test_an_unknown_choice_lists_the_choices_by_their_labels(client):
    e = client.post("/api/quote", json=WORKLOAD | {"inference_geo": "mars"}).json()["error"]
    assert e["message"] == "“Where the request is processed” cannot be 'mars'"
    assert e["allowed"] == ["Anywhere (global)", "United States only"]


def test_a_refused_option_names_models_and_choices_in_words(client):
    # Anthropic's data residency page: inference_geo on Claude Opus 4.5 "return[s] a 400 error".
    e = client.post("/api/quote", json=WORKLOAD | {"model": "claude-opus-4-5", "inference_geo": "us"}).json()["error"]
    assert e["field"] == "inference_geo"
    assert e["message"].startswith("Claude Opus 4.5 does not accept “Where the request is processed”: Anthropic's "
                                   "API refuses it on models before Claude 4.6")
    assert "400" not in e["message"] and e["allowed"] == ["Anywhere (global)"]
    e = client.post("/api/quote", json=WORKLOAD | {"fast": True}).json()["error"]
    assert "claude-opus-5-5" not in e["message"] and "Claude Opus 5.5" in e["message"]
    assert "Claude Opus 5.5" in e["allowed"]


def test_the_page_from_a_link_shows_the_plain_error(client):
    page = client.get("/?model=sonnet-5.5&input_tokens=-5&output_tokens=300").text
    err = page.split('id="api_cost-form-error"')[1].split("</div>")[0]
    assert "“Input tokens per request” must be at least 0 (got -5)" in err


def test_the_tools_api_keeps_the_mcp_error(client):
    e = client.post("/api/tools/api_cost", json=WORKLOAD | {"input_tokens": -5}).json()["error"]
    assert e == {"type": "invalid_input", "message": "input_tokens: -5 is less than the minimum of 0",
                 "field": "input_tokens", "allowed": "minimum 0"}
