"""`modelmath web` over HTTP (Starlette's TestClient): the JSON API, the quote's numbers and renderings, the
chat's event stream against the stand-in Messages API, and the safety rules.

Prices, from Anthropic's pricing page (https://platform.claude.com/docs/en/about-claude/pricing), per million
input / output tokens: Claude Sonnet 5.5 $2 / $10, Claude Haiku 4.5 $1 / $5, Claude Opus 4.6 $5 / $25; web
search $10 per 1,000 searches.
Hand derivation for 1,500 input + 300 output tokens, 10,000 requests a day, 30-day month:
  Sonnet 5.5: 1,500 x $2/1M = $0.003 + 300 x $10/1M = $0.003 → $0.006 a request, $60.00 a day, $1,800.00 a month
  Haiku 4.5:  1,500 x $1/1M = $0.0015 + 300 x $5/1M = $0.0015 → $0.003, $30.00, $900.00
  Opus 4.6:   1,500 x $5/1M = $0.0075 + 300 x $25/1M = $0.0075 → $0.015, $150.00, $4,500.00
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from modelmath.plugin.web import ask
from modelmath.plugin.web.app import JSON, WebConfig, build_app
from modelmath.tools import registry
from starlette.testclient import TestClient
from web_scenarios import QUESTION

BASE = "http://127.0.0.1:8001"
WORKLOAD = {"model": "claude-sonnet-5-5", "input_tokens": 1500, "output_tokens": 300, "requests_per_day": 10000}
TOKEN = "a-test-token-of-24-chars"


@pytest.fixture
def client() -> TestClient:
    return TestClient(build_app(WebConfig()), base_url=BASE)


def events(response) -> list[tuple[str, dict]]:
    """Server-sent events of a response as (event, data) pairs."""
    out = []
    for block in response.text.split("\n\n"):
        if block.strip():
            name = re.search(r"^event: (.*)$", block, re.M).group(1)
            out.append((name, json.loads(re.search(r"^data: (.*)$", block, re.M).group(1))))
    return out


# -- the quote -----------------------------------------------------------------------------------------

def test_quote_sonnet_5_5_per_request_day_month(client):
    r = client.post("/api/quote", json=WORKLOAD)
    assert r.status_code == 200
    q = r.json()
    res = q["result"]
    assert (res["usd_per_request"], res["usd_per_day"], res["usd_per_month"]) == (0.006, 60.0, 1800.0)
    # The table: one row per item, a total row, and the three periods as columns.
    table = q["html"].split('id="quote-table"')[1].split("</table>")[0]
    assert "Per request" in table and "Per day" in table and "Per month (30 days)" in table
    total = table.split("<tfoot>")[1]
    assert re.findall(r"\$[\d,.]+", total) == ["$0.006", "$60.00", "$1,800.00"]
    assert "1,500 tokens at $2.00 per million tokens" in table and "300 tokens at $10.00 per million tokens" in table
    # The price list used and its date, and plain-words assumptions.
    assert res["price_list"]["as_of"] in q["html"].split('id="quote-prices"')[1]
    assert "a month of 30 days" in q["html"] and "no prompt caching" in q["html"]
    # Copy for the customer: plain text and Markdown.
    assert "Per month (30 days): $1,800.00" in q["text"] and "Per request:         $0.006" in q["text"]
    assert "| **Total** | **$0.006** | **$60.00** | **$1,800.00** |" in q["markdown"]
    # CSV keeps the exact values.
    rows = list(csv.DictReader(io.StringIO(q["csv"])))
    total_row = next(row for row in rows if row["item"] == "total")
    assert (total_row["usd_per_request"], total_row["usd_per_day"], total_row["usd_per_month"]) == \
        ("0.006", "60.0", "1800.0")


def test_quote_itemises_server_tools(client):
    r = client.post("/api/quote", json=WORKLOAD | {"web_searches": 2})
    assert r.status_code == 200
    table = r.json()["html"].split('id="quote-table"')[1].split("</table>")[0]
    # 2 searches x $10 / 1,000 = $0.02 a request, $200.00 a day, $6,000.00 a month; total $0.006 + $0.02 = $0.026.
    row = table.split("Web search: 2 searches per request, $10.00 per 1,000 searches</th>")[1].split("</tr>")[0]
    assert re.findall(r"\$[\d,.]+", row) == ["$0.02", "$200.00", "$6,000.00"]
    assert re.findall(r"\$[\d,.]+", table.split("<tfoot>")[1]) == ["$0.026", "$260.00", "$7,800.00"]


def test_quote_from_a_price_file_says_so(client, tmp_path):
    from modelmath.plugin.cli.prices import install
    from modelmath.tools.pricing.prices import set_override_loader

    f = tmp_path / "ours.json"
    f.write_text(json.dumps({"schema_version": 1, "models": [{"id": "claude-haiku-4-5", "source": "our 2026 contract",
                                                              "as_of": "2026-11-01",
                                                              "prices_usd_per_mtok": {"input": 0.80}}]}))
    install(str(f))
    try:
        q = client.post("/api/quote", json={"model": "haiku-4.5", "input_tokens": 1500, "output_tokens": 300}).json()
    finally:
        set_override_loader(None)
    # 1,500 x $0.80/1M (the file) + 300 x $5/1M (Anthropic's output price, not overridden) = $0.0012 + $0.0015.
    assert q["result"]["usd_per_request"] == 0.0027
    prices = q["html"].split('id="quote-prices"')[1].split("</p>")[0]
    assert "price file" in prices and "Anthropic list prices" not in prices
    assert "Prices: our 2026 contract, as of 2026-11-01." in q["text"] and str(f) not in q["text"]


def test_quote_compares_four_models_with_a_bar_chart(client):
    inp = WORKLOAD | {"compare": ["claude-haiku-4-5", "claude-opus-4-6", "claude-sonnet-5-5"]}
    r = client.post("/api/quote", json=inp)
    assert r.status_code == 200
    html = r.json()["html"]
    table = html.split('id="compare-table"')[1].split("</table>")[0]
    month = table.split("Per month (30 days)</th>")[1].split("</tr>")[0]
    # The tool de-duplicates the repeated Sonnet 5.5: three distinct models.
    assert re.findall(r"\$[\d,.]+", month) == ["$1,800.00", "$900.00", "$4,500.00"]
    chart = html.split('<svg class="chart"')[1].split("</svg>")[0]
    widths = [int(w) for w in re.findall(r'<rect class="bar[^"]*" x="\d+" y="\d+" width="(\d+)"', chart)]
    # Bars are proportional to cost: the largest ($4,500) is the full 300 px; $1,800 → 120; $900 → 60.
    assert widths == [120, 60, 300]
    assert "Claude Haiku 4.5: $900.00" in chart  # the chart's text description


def test_quote_refuses_more_than_four_models(client):
    r = client.post("/api/quote", json=WORKLOAD | {"compare": ["haiku-4.5", "opus-4.6", "opus-4.5", "sonnet-4.5"]})
    assert r.status_code == 400 and "at most 3" in r.json()["error"]["message"]
    assert r.json()["error"]["field"] == "compare"
    r = client.post("/api/quote", json=WORKLOAD | {"compare": ["current"]})
    assert r.status_code == 400
    page = client.get("/?model=sonnet-5.5&input_tokens=1500&output_tokens=300&compare=current")
    assert "at most 3" in page.text and 'id="quote-table"' not in page.text


def test_quote_page_from_a_link_is_rendered_on_the_server(client):
    r = client.get("/?model=sonnet-5.5&input_tokens=1,500&output_tokens=300&requests_per_day=10k"
                   "&compare=haiku-4.5")
    assert r.status_code == 200
    assert '<strong>$1,800.00 a month</strong>' in r.text
    assert '<option value="claude-haiku-4-5-20251001" selected>' in r.text  # the alias selects the catalog id
    assert 'value="1,500"' in r.text  # the form shows what the link said


def test_quote_page_without_numbers_explains_what_to_fill(client):
    r = client.get("/")
    assert r.status_code == 200 and "Fill in the input and output tokens" in r.text
    assert 'name="input_tokens"' in r.text and 'name="compare"' in r.text


def test_quote_error_names_the_field(client):
    r = client.post("/api/quote", json=WORKLOAD | {"input_tokens": -1})
    assert r.status_code == 400
    assert r.json()["error"]["field"] == "input_tokens"
    r = client.get("/?input_tokens=abc&output_tokens=300")
    assert r.status_code == 200 and "input_tokens" in r.text and "must be a whole number" in r.text


# -- the tools API -------------------------------------------------------------------------------------

def test_tool_list_is_the_registry(client):
    r = client.get("/api/tools")
    assert r.status_code == 200 and r.json() == {"tools": registry.definitions()}
    assert client.get("/api/tools/kv_cache").json() == registry.get_tool("kv_cache").definition()


def test_run_tool_kv_cache():
    client = TestClient(build_app(WebConfig()), base_url=BASE)
    r = client.post("/api/tools/kv_cache", json={"model": "llama-3.1-8b", "context_tokens": 131072})
    assert r.status_code == 200
    # Llama 3.1 8B config.json: 32 layers, 8 KV heads, head_dim 128; bf16 = 2 bytes; K and V:
    # 2 x 32 x 8 x 128 x 2 = 131,072 bytes per token; x 131,072 tokens = 17,179,869,184 bytes (16 GiB).
    assert r.json()["total_bytes"] == 17_179_869_184
    assert r.headers["content-type"] == "application/json"


@pytest.mark.parametrize("inp", [
    {"model": "llama-3.1-8b", "context_tokens": "lots"},
    {"model": "llama-3.1-8b", "context_tokens": 1024, "kv_dtype": "fp4"},
    {"model": "no-such-model", "context_tokens": 1024},
    {"model": "llama-3.1-8b"},
    {"model": "llama-3.1-8b", "context_tokens": 1024, "colour": "blue"},
    [1, 2],
])
def test_bad_input_is_400_with_the_mcp_error_shape(client, inp):
    r = client.post("/api/tools/kv_cache", json=inp)
    assert r.status_code == 400
    assert r.json() == registry.run_tool("kv_cache", inp).result  # what MCP puts in structuredContent
    assert set(r.json()["error"]) <= {"type", "message", "field", "allowed", "see"}  # see: the lookup tool


def test_unknown_tool_and_bad_json(client):
    r = client.post("/api/tools/capability_score", json={})
    assert r.status_code == 404 and r.json()["error"]["type"] == "unknown_name"
    assert "kv_cache" in r.json()["error"]["allowed"]
    for body in (b"{not json", b'{"context_tokens": NaN}', b"[" * 100 + b"]" * 100, b'{"n": 1' + b"0" * 40 + b"}"):
        r = client.post("/api/tools/kv_cache", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_json", body[:20]
    assert client.get("/api/nothing").status_code == 404
    r = client.get("/api/quote")
    assert r.status_code == 405 and r.json()["error"]["type"] == "method_not_allowed"


def test_json_out_is_strict():
    with pytest.raises(ValueError):
        JSON({"x": float("nan")})


# -- safety --------------------------------------------------------------------------------------------

def test_posts_must_be_json(client):
    r = client.post("/api/tools/kv_cache", data={"model": "llama-3.1-8b"})
    assert r.status_code == 415
    r = client.post("/api/tools/kv_cache", content=b'{"model": "llama-3.1-8b"}', headers={"content-type": "text/plain"})
    assert r.status_code == 415
    r = client.post("/api/ask", content=b"question=hi", headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 415


def test_foreign_origin_is_forbidden(client):
    inp = {"model": "llama-3.1-8b", "context_tokens": 1024}
    for origin in ("http://evil.example", "null", "http://127.0.0.1:9999", "https://127.0.0.1:8001"):
        r = client.post("/api/tools/kv_cache", json=inp, headers={"origin": origin})
        assert r.status_code == 403, origin
        assert r.json()["error"]["type"] == "forbidden_origin"
    assert client.post("/api/tools/kv_cache", json=inp, headers={"origin": BASE}).status_code == 200


@pytest.mark.parametrize("host,ok", [("127.0.0.1:8001", True), ("localhost:8001", True), ("[::1]:8001", True),
                                     ("localhost", True), ("evil.example:8001", False), ("127.0.0.1.nip.io", False),
                                     ("attacker.localhost.example", False)])
def test_host_header_on_loopback(client, host, ok):
    """DNS rebinding: a page on evil.example resolving to 127.0.0.1 still sends Host: evil.example."""
    r = client.get("/api/tools", headers={"host": host})
    assert (r.status_code == 200) == ok, (host, r.status_code)
    if not ok:
        assert r.status_code == 421 and r.json()["error"]["type"] == "bad_host"


def test_body_size_limit_by_content_length_and_while_reading(client):
    big = json.dumps({"text": "x" * 1_200_000}).encode()
    r = client.post("/api/tools/count_tokens", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["type"] == "too_large"

    def chunks():  # no Content-Length: the limit must be enforced while the body arrives
        yield b'{"text": "'
        for _ in range(30):
            yield b"x" * 50_000
        yield b'"}'

    r = client.post("/api/tools/count_tokens", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    r = client.post("/api/ask", json={"question": "x" * 120_000})  # /api/ask has a smaller limit
    assert r.status_code == 413
    ok = client.post("/api/tools/count_tokens", json={"text": "x" * 90_000})
    assert ok.status_code == 200


def test_token_required_off_loopback():
    app = build_app(WebConfig(loopback=False, token=TOKEN))
    client = TestClient(app, base_url="http://192.0.2.10:8001")
    inp = {"model": "llama-3.1-8b", "context_tokens": 1024}
    r = client.post("/api/tools/kv_cache", json=inp)
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    assert client.get("/api/tools").status_code == 401
    assert client.post("/api/tools/kv_cache", json=inp, headers={"authorization": "Bearer wrong-token-xxxxxxxx"}
                       ).status_code == 401
    assert client.post("/api/tools/kv_cache", json=inp, headers={"authorization": f"Bearer {TOKEN}"}
                       ).status_code == 200
    assert client.get("/").status_code == 200  # pages are forms; the data is behind the API
    assert client.get("/api/tools", headers={"host": "modelmath.internal:8001", "authorization": f"Bearer {TOKEN}"}
                      ).status_code == 200  # no loopback Host rule off loopback


def test_pages_carry_a_content_security_policy(client):
    for path in ("/", "/chat", "/calculators", "/calculators/api_cost"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert "script-src 'self'" in r.headers["content-security-policy"]
        assert "<script>" not in r.text  # no inline script: the policy would block it
    assert client.get("/calculators/nope").status_code == 404


# -- the chat ------------------------------------------------------------------------------------------

def test_chat_without_key_says_how_to_set_one(client, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    page = client.get("/chat").text
    assert "export ANTHROPIC_API_KEY=sk-ant-..." in page and "<fieldset disabled>" in page
    r = client.post("/api/ask", json={"question": "hello"})
    assert r.status_code == 503 and "ANTHROPIC_API_KEY" in r.json()["error"]["message"]


def test_ask_with_a_broken_base_url_is_one_line(client, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://bad\nurl")
    r = client.post("/api/ask", json={"question": "hello"})
    assert r.status_code == 503 and "ANTHROPIC_BASE_URL" in r.json()["error"]["message"]


def test_ask_streams_text_tool_calls_and_the_answer(client, standin_env):
    standin_env.play("support_quote")
    with client.stream("POST", "/api/ask", json={"question": QUESTION}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        r.read()
    got = events(r)
    names = [e for e, _ in got]
    assert names[0] == "start" and names[-1] == "done" and "tool" in names and "error" not in names
    tool = next(d for e, d in got if e == "tool")
    assert tool["name"] == "api_cost" and tool["is_error"] is False
    # Haiku 4.5 at 1,500 in / 300 out, 10,000 a day (hand derivation in the module docstring).
    assert tool["result"]["display"] == {"per_request": "$0.003", "per_day": "$30.00", "per_month": "$900.00"}
    streamed = "".join(d["text"] for e, d in got if e == "text")
    done = got[-1][1]
    assert "$900.00" in streamed and done["answer"].replace("\n\n", "") == streamed.replace("\n\n", "")
    assert done["complete"] is True and [c["name"] for c in done["tool_calls"]] == ["api_cost"]
    # Reproduce and Sources: the command that prints the same result, and the price list it used.
    assert tool["command"].startswith("MODELMATH_TODAY=2026-11-30 modelmath run-tool api_cost '{")  # dated result
    assert '"requests_per_day":10000' in tool["command"]
    assert [s["name"] for s in done["sources"]] == ["Claude Haiku 4.5"]
    assert "https://platform.claude.com/docs/en/about-claude/pricing" in done["sources"][0]["source"]
    # Progress: the page hears that the calculator is about to run.
    assert {"kind": "tool_start", "name": "api_cost"} in [d for e, d in got if e == "progress"]
    # The API key never reaches the page.
    assert "sk-ant" not in r.text


def test_ask_keeps_the_conversation(client, standin_env):
    standin_env.play("follow_up")
    first = events(client.post("/api/ask", json={"question": "What does one claim cost on Haiku 4.5?"}))
    cid = first[0][1]["conversation"]
    second = events(client.post("/api/ask", json={"question": "And the next one?", "conversation": cid}))
    assert second[0][1]["conversation"] == cid
    assert "same price" in second[-1][1]["answer"]  # the stand-in checked the history was sent


def test_ask_shows_rejected_tool_calls(client, standin_env):
    standin_env.play("bad_then_good")
    got = events(client.post("/api/ask", json={"question": "price a claim on Haiku 4.5"}))
    tools = [d for e, d in got if e == "tool"]
    assert [t["is_error"] for t in tools] == [True, False]
    assert tools[0]["result"]["error"]["field"] == "input_tokens"


@pytest.mark.parametrize("body,field", [({}, "question"), ({"question": "  "}, "question"),
                                        ({"question": "hi", "model": "x"}, "model"),
                                        ({"question": "hi", "conversation": 5}, "conversation"),
                                        ({"question": "x" * 20_001}, "question")])
def test_ask_input_is_checked(client, standin_env, body, field):
    r = client.post("/api/ask", json=body)
    assert r.status_code == 400 and r.json()["error"]["field"] == field


def test_a_busy_conversation_is_not_interleaved():
    import asyncio

    conv = ask.Conversation(assistant=object())
    conv.lock.acquire()

    async def collect():
        return [chunk async for chunk in ask.answer_events(conv, "c1", "hi")]

    out = asyncio.run(collect())
    assert len(out) == 1 and b"event: error" in out[0] and b"busy" in out[0]
