"""Conversation memory: every `ask`/`chat` exchange in a SQLite database in the user's data directory (the
idea of simonw/llm's logs.db; our own schema and code, stdlib sqlite3 only).

Where: $MODELMATH_LOGS_DB if set, else $XDG_DATA_HOME/modelmath/logs.db (~/.local/share/modelmath on Linux,
~/Library/Application Support/modelmath on macOS, %LOCALAPPDATA%\\modelmath on Windows). MODELMATH_NO_LOG=1 or
--no-log turns logging off. A database that cannot be written never costs the user an answer: the caller
reports one warning line and carries on.

Each response row keeps the question, answer, tool calls (with their reproduce commands), sources, usage and
exact cost, and the API messages the exchange added (thinking blocks and signatures included), so a
conversation can be resumed exactly (`chat --continue`, `--conversation ID`).
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path

DB_ENV = "MODELMATH_LOGS_DB"
OFF_ENV = "MODELMATH_NO_LOG"

# Applied in order, each once; the names are recorded in _migrations. Never edit one: add the next.
MIGRATIONS: tuple[tuple[str, str], ...] = (
    ("m001_conversations_responses", """
        CREATE TABLE conversations (
            id TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            model TEXT NOT NULL,
            audience TEXT NOT NULL
        );
        CREATE TABLE responses (
            id TEXT PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            created_at TEXT NOT NULL,
            model TEXT NOT NULL,
            question TEXT NOT NULL,
            document_name TEXT,
            answer TEXT NOT NULL,
            complete INTEGER NOT NULL,
            notice TEXT,
            stop_reason TEXT,
            effort TEXT,
            max_tokens INTEGER,
            tool_calls TEXT NOT NULL,
            sources TEXT NOT NULL,
            usage TEXT NOT NULL,
            cost_usd TEXT,
            messages TEXT NOT NULL
        );
        CREATE INDEX responses_by_conversation ON responses (conversation_id, created_at);
    """),
)


def logging_disabled(environ=None) -> bool:
    v = (environ if environ is not None else os.environ).get(OFF_ENV, "")
    return v.strip().lower() not in ("", "0", "false", "no")


def user_data_dir(environ=None, platform: str | None = None) -> Path:
    env = environ if environ is not None else os.environ
    platform = platform or sys.platform
    if env.get("XDG_DATA_HOME"):
        return Path(env["XDG_DATA_HOME"]) / "modelmath"
    home = Path(env.get("HOME") or Path.home())
    if platform == "darwin":
        return home / "Library" / "Application Support" / "modelmath"
    if platform.startswith("win") and env.get("LOCALAPPDATA"):
        return Path(env["LOCALAPPDATA"]) / "modelmath"
    return home / ".local" / "share" / "modelmath"


def db_path(environ=None) -> Path:
    env = environ if environ is not None else os.environ
    return Path(env[DB_ENV]) if env.get(DB_ENV) else user_data_dir(env) / "logs.db"


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id(now_ms: int | None = None) -> str:
    """26 characters, sortable by time: 48 bits of milliseconds then 80 random bits, Crockford base32 (the
    ULID layout), so `logs` lists newest first by id alone."""
    n = ((now_ms if now_ms is not None else time.time_ns() // 1_000_000) << 80) | secrets.randbits(80)
    return "".join(_CROCKFORD[(n >> (5 * i)) & 31] for i in reversed(range(26)))


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@dataclass(frozen=True)
class Response:
    id: str
    conversation_id: str
    created_at: str
    model: str
    question: str
    document_name: str | None
    answer: str
    complete: bool
    notice: str | None
    stop_reason: str | None
    effort: str | None
    max_tokens: int | None
    tool_calls: list
    sources: list
    usage: dict
    cost_usd: str | None
    messages: list

    def to_json(self, *, with_messages: bool = False) -> dict:
        out = {k: getattr(self, k) for k in ("id", "conversation_id", "created_at", "model", "question",
                                            "document_name", "answer", "complete", "notice", "stop_reason",
                                            "effort", "max_tokens", "tool_calls", "sources", "usage")}
        out["cost_usd"] = float(self.cost_usd) if self.cost_usd is not None else None
        if with_messages:
            out["messages"] = self.messages
        return out


_COLUMNS = ("id", "conversation_id", "created_at", "model", "question", "document_name", "answer", "complete",
            "notice", "stop_reason", "effort", "max_tokens", "tool_calls", "sources", "usage", "cost_usd",
            "messages")
_JSON_COLUMNS = ("tool_calls", "sources", "usage", "messages")


def _response(row: sqlite3.Row) -> Response:
    values = {k: row[k] for k in _COLUMNS}
    for k in _JSON_COLUMNS:
        values[k] = json.loads(values[k])
    values["complete"] = bool(values["complete"])
    return Response(**values)


class LogError(Exception):
    """The log database cannot be opened, read or written (or holds no such id)."""


class LogDB:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(self.path)
            self.conn.row_factory = sqlite3.Row
            self.migrate()
        except (OSError, sqlite3.Error) as exc:
            raise LogError(f"cannot open the log database {self.path}: {exc}") from exc

    def close(self) -> None:
        self.conn.close()

    def migrate(self) -> list[str]:
        """Apply the migrations not yet recorded; returns their names."""
        with self.conn:
            self.conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT "
                              "NOT NULL)")
        done = {r[0] for r in self.conn.execute("SELECT name FROM _migrations")}
        applied = []
        for name, sql in MIGRATIONS:
            if name in done:
                continue
            with self.conn:  # one transaction per migration: all of it or none of it
                for statement in filter(str.strip, sql.split(";")):
                    self.conn.execute(statement)
                self.conn.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", (name, _now()))
            applied.append(name)
        return applied

    # -- writing -------------------------------------------------------------------------------------

    def new_conversation(self, model: str, audience: str) -> str:
        cid = new_id()
        with self.conn:
            self.conn.execute("INSERT INTO conversations (id, created_at, model, audience) VALUES (?, ?, ?, ?)",
                              (cid, _now(), model, audience))
        return cid

    def log(self, conversation_id: str, answer, *, question: str, document_name: str | None,
            messages: list[dict], effort: str | None, max_tokens: int | None) -> str:
        """Store one exchange (an agent.Answer) and return its id."""
        rid = new_id()
        cost = answer.cost_usd
        row = {"id": rid, "conversation_id": conversation_id, "created_at": _now(), "model": answer.model,
               "question": question, "document_name": document_name, "answer": answer.text,
               "complete": int(answer.complete), "notice": answer.notice, "stop_reason": answer.stop_reason,
               "effort": effort, "max_tokens": max_tokens,
               "tool_calls": json.dumps([c.to_dict() for c in answer.tool_calls], ensure_ascii=False),
               "sources": json.dumps(answer.sources, ensure_ascii=False),
               "usage": json.dumps({**answer.usage, "calls": [c.to_dict() for c in answer.calls]}),
               "cost_usd": None if cost is None else str(cost),
               "messages": json.dumps(messages, ensure_ascii=False)}
        try:
            with self.conn:
                self.conn.execute(f"INSERT INTO responses ({', '.join(_COLUMNS)}) VALUES "
                                  f"({', '.join('?' * len(_COLUMNS))})", [row[k] for k in _COLUMNS])
        except sqlite3.Error as exc:
            raise LogError(f"cannot write to the log database {self.path}: {exc}") from exc
        return rid

    # -- reading -------------------------------------------------------------------------------------

    def conversation(self, conversation_id: str) -> dict | None:
        row = self.conn.execute("SELECT * FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
        return dict(row) if row else None

    def latest_conversation_id(self) -> str | None:
        row = self.conn.execute("SELECT conversation_id FROM responses ORDER BY rowid DESC LIMIT 1").fetchone()
        return row[0] if row else None

    def responses(self, *, conversation_id: str | None = None, limit: int | None = None) -> list[Response]:
        """Newest first; all of them when limit is None. In the order they were logged (rowid): ids sort by
        their millisecond, and two responses logged within one millisecond differ only in random bits."""
        sql, args = "SELECT * FROM responses", []
        if conversation_id:
            sql += " WHERE conversation_id = ?"
            args.append(conversation_id)
        sql += " ORDER BY rowid DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return [_response(r) for r in self.conn.execute(sql, args)]

    def find(self, some_id: str) -> list[Response]:
        """A response id → [it]; a conversation id → its responses, oldest first."""
        row = self.conn.execute("SELECT * FROM responses WHERE id = ?", (some_id,)).fetchone()
        if row:
            return [_response(row)]
        found = list(reversed(self.responses(conversation_id=some_id)))
        if not found:
            raise LogError(f"no logged response or conversation with id {some_id!r}; `modelmath logs` lists them")
        return found

    def history(self, conversation_id: str) -> list[dict]:
        """The conversation's API messages, exchange after exchange, for resuming it."""
        messages: list[dict] = []
        for r in reversed(self.responses(conversation_id=conversation_id)):
            for m in r.messages:
                if messages and m["role"] == "user" and messages[-1]["role"] == "user":
                    # an exchange that stopped on tool results: the next question joins that user turn
                    messages[-1] = {"role": "user", "content": [*messages[-1]["content"], *m["content"]]}
                else:
                    messages.append(m)
        return messages


def strip_thinking(messages: list[dict]) -> list[dict]:
    """Thinking blocks belong to the model that wrote them: when a conversation resumes on another model,
    Anthropic's thinking page says to strip them from earlier turns."""
    out = []
    for m in messages:
        if m["role"] == "assistant":
            content = [b for b in m["content"] if b.get("type") not in ("thinking", "redacted_thinking")]
            if content:
                out.append({"role": "assistant", "content": content})
        else:
            out.append(m)
    return out
