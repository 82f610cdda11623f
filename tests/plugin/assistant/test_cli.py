"""`modelmath ask` and `modelmath chat` (plugin/assistant/cli.py), run through the real entry point `main()`.

Cassette tests replay cassettes/cli_*.yaml and cassettes/chat_session.yaml (recorded from the stand-in
server; see cassettes/README.md). Expected figures are hand derivations from published config.json files.
"""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys

import pytest
from modelmath.plugin.assistant import agent, client
from modelmath.plugin.assistant.cli import AnswerWriter
from modelmath.tools.registry import run_tool
from standin.clirun import one_line_error, run
from standin.fixtures import LIVE, mentions, scenario

# Llama 3.1 8B KV cache in bf16 (32 layers, 8 KV heads, head_dim 128): 2*32*8*128*2 = 131,072 bytes per
# token. At 131,072 tokens: 17,179,869,184 bytes = 16 GiB = 17.18 GB; at 32,768 tokens: 4 GiB.
LLAMA_31_8B_KV_PER_TOKEN = 131_072
LLAMA_31_8B_KV_128K = 17_179_869_184
LLAMA_31_8B_KV_32K = 4_294_967_296
# Qwen3 8B (vocab 151936, hidden 4096, 36 layers, 32 heads, 8 KV heads, head_dim 128, intermediate 12288,
# untied, per-head q/k RMSNorm): embeddings + head 2*151936*4096 = 1,244,659,712; per layer attention
# 41,943,040 + q/k norms 256 + MLP 150,994,944 + 2 norms 8,192 = 192,946,432 * 36 = 6,946,071,552; final
# norm 4,096. Total 8,190,735,360 (HF model page: 8.19B).
QWEN3_8B_PARAMS = 8_190_735_360
MODEL = "claude-sonnet-5-5"


@scenario("cli_ask_stream")
def test_ask_streams_plain_text_when_piped_and_verbose_shows_tools(api, monkeypatch, capsys):
    code, out, err = run(monkeypatch, capsys, ["ask", "What", "is", "the", "KV", "cache", "of", "llama-3.1-8b",
                                               "at", "128k", "context?", "--verbose"], api.env())
    assert code == 0, err
    assert "\x1b[" not in out  # no terminal styling when piped
    assert mentions(out, 16.0) or mentions(out, 17.18)
    assert "[tool] kv_cache" in err and "ok:" in err
    assert "API call(s)" in err and "$" in err
    # Progress: one line per tool call as it starts, with its key inputs (stderr); no timer when not a terminal.
    assert "→ kv_cache model=llama-3.1-8b context_tokens=131072" in err and "thinking…" not in err
    # Provenance, computed from the tool calls: the offline command and the catalog entry with its date.
    reproduce = out[out.index("\nReproduce (offline"):]
    assert "  modelmath run-tool kv_cache '{\"model\":\"llama-3.1-8b\",\"context_tokens\":131072}'" in reproduce
    assert "Sources:\n  Llama 3.1 8B (model catalog, as of " in reproduce
    if not LIVE:
        assert mentions(out, LLAMA_31_8B_KV_128K) and mentions(out, LLAMA_31_8B_KV_PER_TOKEN)
        assert out.startswith("Computing the KV cache.\n\n## KV cache")


@scenario("cli_ask_stream")
def test_quiet_silences_progress(api, monkeypatch, capsys):
    code, out, err = run(monkeypatch, capsys, ["ask", "--quiet", "What is the KV cache of llama-3.1-8b at 128k "
                                               "context?"], api.env())
    assert code == 0 and "→" not in err and "Reproduce" in out


@scenario("cli_ask_json")
def test_ask_json_prints_one_object_with_tool_calls_usage_and_cost(api, monkeypatch, capsys):
    code, out, err = run(monkeypatch, capsys, ["ask", "How many parameters does qwen3-8b have, and its KV cache "
                                               "at 32k context?", "--json"], api.env())
    assert code == 0, err
    data = json.loads(out)
    assert {"answer", "model", "tool_calls", "sources", "usage", "cost_usd", "effort", "max_tokens", "id",
            "conversation_id"} <= set(data)
    assert data["effort"] == "medium" and data["max_tokens"] == 16_000 and data["id"] and data["conversation_id"]
    assert data["tool_calls"] and all(set(c) == {"name", "input", "result", "is_error", "command"}
                                      for c in data["tool_calls"])
    for c in data["tool_calls"]:  # what the model saw is exactly what the tool computes
        outcome = run_tool(c["name"], c["input"])
        assert (outcome.result, outcome.is_error) == (c["result"], c["is_error"])
        assert c["command"] == "modelmath run-tool " + c["name"] + " '" + json.dumps(
            c["input"], separators=(",", ":")) + "'"
    # Sources are the catalog entries the results used, with the catalog's own source and date.
    from modelmath.tools.model.catalog import lookup

    qwen = lookup("qwen3-8b")
    assert {"kind": "model", "id": "qwen3-8b", "name": qwen.name, "source": qwen.source,
            "as_of": qwen.as_of} in data["sources"]
    assert any(c["result"].get("total_params") == QWEN3_8B_PARAMS for c in data["tool_calls"])
    assert mentions(data["answer"], QWEN3_8B_PARAMS)
    calls = data["usage"]["calls"]
    assert data["usage"]["output_tokens"] == sum(c["output_tokens"] for c in calls) > 0
    assert data["cost_usd"] == pytest.approx(sum(c["cost_usd"] for c in calls), abs=1e-12) and data["cost_usd"] > 0
    assert data["model"].startswith(MODEL)


@scenario("cli_support")
def test_support_audience_reaches_the_model(api, monkeypatch, capsys):
    code, out, err = run(monkeypatch, capsys, ["ask", "--audience", "support", "How much memory does llama-3.1-8b "
                                               "need for one 8k-token conversation?"], api.env())
    assert code == 0, err
    assert "GB" in out
    if not LIVE:  # the stand-in refused to answer unless the support prompt was in the system prompt
        assert "graphics-card memory" in out


@scenario("cli_factcheck")
def test_fact_check_a_file(api, monkeypatch, capsys, tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text("# Sizing notes\n\nLlama 3.1 8B has 8.03 billion parameters. At 128k context its bf16 KV "
                     "cache takes 16 GB.\n", encoding="utf-8")
    code, out, err = run(monkeypatch, capsys, ["ask", "--file", str(notes), "check every number in this"], api.env())
    assert code == 0, err
    # 16 GB is wrong: the cache is 17.18 GB (16 GiB), see LLAMA_31_8B_KV_128K.
    assert mentions(out, LLAMA_31_8B_KV_128K)
    if not LIVE:
        assert "✅" in out.splitlines()[2] and "❌" in out.splitlines()[3] and "GB/GiB mix-up" in out


@scenario("chat_session")
def test_chat_keeps_history_resets_and_reports_cost(api, monkeypatch, capsys):
    stdin = ("What is the KV cache of llama-3.1-8b at 32k context?\nAnd for 8 sequences?\n/cost\n/reset\n"
             "hello\n/quit\n")
    code, out, err = run(monkeypatch, capsys, ["chat"], api.env(), stdin=stdin)
    assert code == 0, err
    assert mentions(out, 4.0) or mentions(out, LLAMA_31_8B_KV_32K)
    assert mentions(out, 32.0) or mentions(out, 8 * LLAMA_31_8B_KV_32K)
    assert "(conversation cleared)" in err
    assert err.count("API call(s)") == 2  # /cost, and the summary on leaving
    if not LIVE:
        assert mentions(out, LLAMA_31_8B_KV_32K) and mentions(out, 8 * LLAMA_31_8B_KV_32K)
        assert "Fresh start" in out


@scenario("cli_unauthorized")
def test_api_error_is_one_line_and_exit_1(api, monkeypatch, capsys):
    env = {**api.env(), "ANTHROPIC_API_KEY": "sk-ant-api03-invalid-key-for-tests"} if LIVE else api.env()
    code, _out, err = run(monkeypatch, capsys, ["ask", "How many parameters does Llama 3.1 8B have?"], env)
    assert code == 1
    assert "authentication failed (401)" in one_line_error(err)


@scenario("cli_max_turns")
def test_max_turns_answers_without_tools_and_exits_1(api, monkeypatch, capsys):
    limit = "1" if LIVE else "2"
    code, out, err = run(monkeypatch, capsys, ["ask", "--max-turns", limit, "Compute the KV cache of llama-3.2-1b "
                                               "at 1k, 2k, 4k, 8k and 16k context, one call at a time."], api.env())
    assert code == 1 and out.strip()  # an answer from what it has, marked incomplete
    assert f"--max-turns {limit}" in err and "tools off" in err


# -- no cassette -------------------------------------------------------------------------------------

def test_no_key_exits_2_with_instructions(monkeypatch, capsys):
    code, out, err = run(monkeypatch, capsys, ["ask", "How big is llama-3.1-8b?"])
    assert code == 2 and out == ""
    line = one_line_error(err)
    assert "set ANTHROPIC_API_KEY" in line and "modelmath params" in line


def test_a_model_that_is_not_claude_is_refused_before_any_request(monkeypatch, capsys):
    # QA pass: --model gpt-4 went to the network (three connection retries) before failing. Claude API ids start
    # with "claude-"; a catalog name is pointed at its id. No server here: a request would fail differently.
    env = {"ANTHROPIC_API_KEY": "sk-ant-test", "MODELMATH_NO_LOG": "1"}
    code, out, err = run(monkeypatch, capsys, ["ask", "--model", "gpt-4", "hi"], env)
    assert code == 2 and out == ""
    assert "'gpt-4' is not a Claude model id" in one_line_error(err)
    code, _out, err = run(monkeypatch, capsys, ["ask", "--model", "sonnet-5.5", "hi"], env)
    assert code == 2 and "--model claude-sonnet-5-5 is Claude Sonnet 5.5" in one_line_error(err)


def test_chat_without_key_exits_2(monkeypatch, capsys):
    code, _out, err = run(monkeypatch, capsys, ["chat"])
    assert code == 2 and "ANTHROPIC_API_KEY" in one_line_error(err)


def test_missing_file_exits_2(monkeypatch, capsys, tmp_path):
    code, _out, err = run(monkeypatch, capsys, ["ask", "--file", str(tmp_path / "nope.md"), "check"],
                          {"ANTHROPIC_API_KEY": "sk-ant-x"})
    assert code == 2 and "no such file" in one_line_error(err)


def test_oversized_file_exits_2(monkeypatch, capsys, tmp_path):
    big = tmp_path / "big.md"
    big.write_text("x" * (agent.MAX_DOCUMENT_BYTES + 1))
    code, _out, err = run(monkeypatch, capsys, ["ask", "--file", str(big), "check"], {"ANTHROPIC_API_KEY": "sk-ant-x"})
    assert code == 2 and "at most 200,000" in one_line_error(err)


def test_bad_audience_exits_2(monkeypatch, capsys):
    code, _out, err = run(monkeypatch, capsys, ["ask", "--audience", "sales", "q"])
    assert code == 2 and "sales" in err


def test_connection_error_is_one_line(monkeypatch, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(client, "MAX_RETRIES", 0)
    code, _out, err = run(monkeypatch, capsys, ["ask", "q"], {"ANTHROPIC_API_KEY": "sk-ant-x",
                                                              "ANTHROPIC_BASE_URL": f"http://127.0.0.1:{port}"})
    assert code == 1 and f"cannot connect to http://127.0.0.1:{port}" in one_line_error(err)


def test_offline_cli_does_not_import_the_sdk():
    code = "import sys, modelmath.plugin.cli.main; print('anthropic' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"


def test_answer_writer_styles_markdown_on_a_terminal_only():
    styled, plain = io.StringIO(), io.StringIO()
    text = "## Result\n**16 GiB** per `kv_cache`\n- one\n```\ncode\n```\ntail"
    for out, flag in ((styled, True), (plain, False)):
        w = AnswerWriter(out, styled=flag)
        for i in range(0, len(text), 5):  # arrives in pieces, as a stream does
            w.write(text[i:i + 5])
        w.close()
    assert plain.getvalue() == text + "\n"
    lines = styled.getvalue().splitlines()
    assert lines[0] == "\x1b[1mResult\x1b[0m"
    assert lines[1] == "\x1b[1m16 GiB\x1b[0m per \x1b[36mkv_cache\x1b[0m"
    assert lines[2] == "• one" and lines[3] == "\x1b[2mcode\x1b[0m" and lines[4] == "tail"
