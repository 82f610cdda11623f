"""Conversation memory (plugin/assistant/logs.py, logs_cli.py): every ask/chat exchange in SQLite, `modelmath
logs`, and resuming with `chat --continue` / `--conversation ID`. The cassette cli_continue is recorded from
the stand-in server, which refuses the resumed question unless it carries the first exchange."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from modelmath.plugin.assistant import logs as logstore
from modelmath.plugin.assistant.answer import Answer, CallUsage, ToolCall
from standin.clirun import run
from standin.fixtures import LIVE, mentions, scenario

# Llama 3.1 8B KV cache in bf16: 131,072 bytes per token (2*32*8*128*2); 32,768 tokens → 4,294,967,296 bytes
# (4 GiB); 8 sequences → 34,359,738,368 bytes (32 GiB).
KV_32K = 4_294_967_296


def test_where_the_database_lives(tmp_path):
    assert logstore.user_data_dir({"XDG_DATA_HOME": "/x"}, "linux") == Path("/x/modelmath")
    assert logstore.user_data_dir({"HOME": "/h"}, "linux") == Path("/h/.local/share/modelmath")
    assert logstore.user_data_dir({"HOME": "/h"}, "darwin") == Path("/h/Library/Application Support/modelmath")
    assert logstore.user_data_dir({"HOME": "/h", "LOCALAPPDATA": "C:/L"}, "win32") == Path("C:/L/modelmath")
    assert logstore.db_path({"MODELMATH_LOGS_DB": str(tmp_path / "a.db")}) == tmp_path / "a.db"
    assert logstore.db_path({"HOME": "/h"}) == Path("/h/.local/share/modelmath/logs.db")
    for value, off in (("1", True), ("yes", True), ("", False), ("0", False), ("false", False)):
        assert logstore.logging_disabled({"MODELMATH_NO_LOG": value}) is off


def test_ids_sort_by_time_and_use_crockford_base32():
    a, b = logstore.new_id(1_700_000_000_000), logstore.new_id(1_700_000_000_001)
    assert len(a) == 26 and a < b and set(a + b) <= set(logstore._CROCKFORD)
    assert logstore.new_id(0).startswith("0000000000")  # the first 10 characters are the 48-bit time


def test_migrations_apply_once_and_are_recorded(tmp_path):
    db = logstore.LogDB(tmp_path / "l.db")
    names = [r[0] for r in db.conn.execute("SELECT name FROM _migrations")]
    assert names == [n for n, _ in logstore.MIGRATIONS]
    assert db.migrate() == []  # nothing left to apply
    db.close()
    assert logstore.LogDB(tmp_path / "l.db").migrate() == []


def _answer(text: str, calls=()) -> Answer:
    usage = CallUsage("claude-sonnet-5-5", "end_turn", 10, 5, 0, 0, Decimal("0.00007"))
    return Answer(text, "claude-sonnet-5-5", list(calls), [usage], "end_turn")


def test_responses_keep_the_order_they_were_logged_in_even_within_one_millisecond(tmp_path, monkeypatch):
    # Ids sort by millisecond, then by random bits: three responses logged in the same millisecond must still
    # come back in the order they were logged (this test flaked on a loaded machine before).
    ids = iter([logstore.new_id(5)[:10] + suffix for suffix in ("C" * 16, "Z" * 16, "0" * 16, "M" * 16)])
    monkeypatch.setattr(logstore, "new_id", lambda now_ms=None: next(ids))
    db = logstore.LogDB(tmp_path / "l.db")
    cid = db.new_conversation("claude-sonnet-5-5", "developer")
    for q in ("q1", "q2", "q3"):
        db.log(cid, _answer("a"), question=q, document_name=None, messages=[], effort=None, max_tokens=1)
    assert [r.question for r in db.find(cid)] == ["q1", "q2", "q3"]
    assert [r.question for r in db.responses()] == ["q3", "q2", "q1"]


def test_log_round_trip_and_history_rebuild(tmp_path):
    db = logstore.LogDB(tmp_path / "l.db")
    cid = db.new_conversation("claude-sonnet-5-5", "developer")
    call = ToolCall("toolu_1", "parameter_count", {"model": "llama-3.1-8b"}, {"total_params": 1}, False,
                    command="modelmath run-tool parameter_count '{\"model\":\"llama-3.1-8b\"}'")
    first = [{"role": "user", "content": [{"type": "text", "text": "q1"}]},
             {"role": "assistant", "content": [{"type": "thinking", "thinking": "", "signature": "Er9"},
                                               {"type": "text", "text": "a1"}]}]
    # An exchange that stopped on tool results, then a question that joined that user turn.
    second = [{"role": "user", "content": [{"type": "text", "text": "q2"}]},
              {"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "x", "input": {}}]},
              {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": "{}"}]}]
    third = [{"role": "user", "content": [{"type": "text", "text": "q3"}]},
             {"role": "assistant", "content": [{"type": "text", "text": "a3"}]}]
    r1 = db.log(cid, _answer("a1", [call]), question="q1", document_name=None, messages=first, effort="medium",
                max_tokens=16000)
    db.log(cid, _answer(""), question="q2", document_name="notes.md", messages=second, effort=None, max_tokens=1)
    db.log(cid, _answer("a3"), question="q3", document_name=None, messages=third, effort=None, max_tokens=1)
    got = db.find(r1)[0]
    assert got.tool_calls[0]["command"].startswith("modelmath run-tool parameter_count")
    assert got.cost_usd == "0.00007" and got.to_json()["cost_usd"] == 0.00007 and got.effort == "medium"
    assert [r.question for r in db.find(cid)] == ["q1", "q2", "q3"]  # a conversation id: oldest first
    history = db.history(cid)
    assert [m["role"] for m in history] == ["user", "assistant", "user", "assistant", "user", "assistant"]
    assert [b.get("text") or b["type"] for b in history[4]["content"]] == ["tool_result", "q3"]
    assert history[1]["content"][0] == {"type": "thinking", "thinking": "", "signature": "Er9"}
    assert logstore.strip_thinking(history)[1]["content"] == [{"type": "text", "text": "a1"}]
    with pytest.raises(logstore.LogError, match="no logged response or conversation"):
        db.find("nope")


def test_a_database_that_cannot_be_opened_is_a_log_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(logstore.LogError, match="cannot open the log database"):
        logstore.LogDB(blocker / "sub" / "logs.db")  # a path under a plain file


@scenario("cli_continue", standin_only=True)
def test_chat_continue_resumes_the_logged_conversation_and_logs_lists_it(api, monkeypatch, capsys, tmp_path):
    code, out, err = run(monkeypatch, capsys, ["ask", "What is the KV cache of llama-3.1-8b at 32k context?"],
                         api.env())
    assert code == 0, err
    assert mentions(out, KV_32K)
    code, out, err = run(monkeypatch, capsys, ["chat", "--continue"], api.env(),
                         stdin="And for 8 sequences?\n/quit\n")
    assert code == 0, err
    assert "continuing conversation" in err and mentions(out, 8 * KV_32K)
    code, out, err = run(monkeypatch, capsys, ["logs", "--json"], {})
    rows = json.loads(out)
    assert [r["question"] for r in rows] == ["And for 8 sequences?", "What is the KV cache of llama-3.1-8b at 32k "
                                                                      "context?"]
    assert rows[0]["conversation_id"] == rows[1]["conversation_id"] and rows[1]["tool_calls"][0]["command"]
    assert rows[1]["sources"][0]["id"] == "llama-3.1-8b" and rows[0]["cost_usd"] > 0
    code, out, err = run(monkeypatch, capsys, ["logs", "show", rows[0]["conversation_id"]], {})
    assert code == 0 and out.count("## ") == 2 and "modelmath run-tool kv_cache" in out
    code, out, err = run(monkeypatch, capsys, ["logs", "show", rows[1]["id"], "--json"], {})
    shown = json.loads(out)[0]["messages"]
    assert shown[1]["content"][0]["type"] == "thinking" and shown[1]["content"][0]["signature"]  # kept exactly
    code, out, err = run(monkeypatch, capsys, ["logs"], {})
    assert code == 0 and rows[0]["id"] in out and "And for 8 sequences?" in out


@scenario("cli_ask_stream")
def test_no_log_writes_nothing(api, monkeypatch, capsys):
    code, out, err = run(monkeypatch, capsys, ["ask", "--no-log", "What is the KV cache of llama-3.1-8b at 128k "
                                               "context?"], api.env())
    assert code == 0, err
    path = logstore.db_path()
    assert not path.exists() or sqlite3.connect(path).execute("SELECT count(*) FROM responses").fetchone()[0] == 0
    code, out, err = run(monkeypatch, capsys, ["logs"], {})
    assert code == 2 and "nothing has been logged" in err  # like a query matching nothing


@pytest.mark.skipif(LIVE, reason="no API call")
def test_continue_without_a_log_is_a_clear_error(monkeypatch, capsys):
    code, _out, err = run(monkeypatch, capsys, ["chat", "--conversation", "01NOPE"], {"ANTHROPIC_API_KEY": "sk-ant-x"})
    assert code == 2 and "no logged conversation with id '01NOPE'" in err
    code, _out, err = run(monkeypatch, capsys, ["ask", "-c", "q"], {"ANTHROPIC_API_KEY": "sk-ant-x",
                                                                 "MODELMATH_NO_LOG": "1"})
    assert code == 2 and "log, which is turned off" in err


@scenario("cli_ask_stream")
def test_an_unwritable_log_costs_a_warning_not_the_answer(api, monkeypatch, capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    env = {**api.env(), "MODELMATH_LOGS_DB": str(blocker / "sub" / "logs.db")}
    code, out, err = run(monkeypatch, capsys, ["ask", "What is the KV cache of llama-3.1-8b at 128k context?"], env)
    assert code == 0 and "Reproduce" in out
    assert "warning: cannot open the log database" in err and "not logged" in err
