"""Every line an MCP client sends over stdio gets an answer: the request goes on to the SDK, or a JSON-RPC
error comes straight back.

The SDK's stdio transport (mcp 2.3) parses each line with pydantic and, when that fails, hands the exception
to the server loop, which drops it: a line with a 5,000-digit integer, arguments nested 300 deep, malformed
JSON, a batch array or an object id reaches nobody and the client waits forever. It also reads lines of any
length. So `modelmath mcp` reads stdin itself (bounded lines) and checks each one here first:

- blank lines are skipped (they carry no message);
- a line over MAX_LINE_BYTES, bytes that are not UTF-8 or text that is not JSON → -32700 parse error;
- JSON beyond tools/jsonsafe.py's limits (depth, integer digits, string length, NaN) → -32600;
- not one JSON-RPC 2.0 object (a batch array, a wrong id type, no method) → -32600;
- tools/call whose name or arguments have the wrong type → -32602 naming the field.

Each error carries the request's id when one can be read from the line (`salvage_id` scans the top level
even when the line as a whole cannot be parsed), else null, as JSON-RPC 2.0 §5 asks (its example answers
`{"jsonrpc": "2.0", "method": 1, "params": "bar"}` with an Invalid Request of id null). Only a well-formed
notification goes unanswered, as the spec requires.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from modelmath.tools import jsonsafe
from modelmath.tools.errors import InvalidInput

MAX_LINE_BYTES = 4 * 2**20  # tool input strings are capped at 100,000 characters (jsonsafe); 4 MiB holds any
PARSE_ERROR, INVALID_REQUEST, INVALID_PARAMS = -32700, -32600, -32602
_SCAN_CHARS = 256 * 1024  # how far salvage_id looks for a top-level "id"


@dataclass(frozen=True)
class Verdict:
    """What to do with one line: hand `forward` (the parsed message) to the SDK, or send `reply` back."""

    forward: object | None = None
    reply: dict | None = None


def error(request_id: int | str | None, code: int, message: str) -> dict:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]]')
_ID_VALUE = re.compile(r'\s*:\s*(-?(?:0|[1-9]\d{0,29})(?![\d.eE])|"(?:[^"\\]|\\.){0,1000}")')


def salvage_id(text: str) -> int | str | None:
    """The top-level "id" of a JSON-RPC object, read without parsing the whole line (which may be too deep,
    hold huge numbers or be cut short); None when there is no usable one."""
    depth = 0
    for m in _TOKEN.finditer(text, 0, _SCAN_CHARS):
        tok = m.group()
        if tok in ("{", "["):
            depth += 1
        elif tok in ("}", "]"):
            depth -= 1
        elif depth == 1 and tok == '"id"':
            v = _ID_VALUE.match(text, m.end())
            if v is None:
                return None
            return json.loads(v.group(1))
    return None


def _valid_id(v: object) -> bool:
    return isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool))


def _tools_call_problem(params: object) -> str | None:
    """Why tools/call params cannot be a call, in words a client can act on (the SDK says only 'Invalid
    request parameters')."""
    if not isinstance(params, dict):
        return "tools/call needs params: an object with name and arguments"
    if not isinstance(params.get("name"), str):
        return f"tools/call params.name must be a tool name (a string), got {jsonsafe.dumps(params.get('name'))[:80]}"
    args = params.get("arguments")
    if args is not None and not isinstance(args, dict):
        return f"tools/call params.arguments must be an object, got {type(args).__name__}"
    return None


def check_line(raw: bytes) -> Verdict | None:
    """The verdict on one line from the client (None: a blank line, nothing to do)."""
    if len(raw) > MAX_LINE_BYTES:
        text = raw[:_SCAN_CHARS].decode("utf-8", "replace")
        return Verdict(reply=error(salvage_id(text), PARSE_ERROR, f"message over {MAX_LINE_BYTES // 2**20} MiB: "
                                   "not read"))
    if not raw.strip():
        return None
    text = raw.decode("utf-8", "replace")
    try:
        value = jsonsafe.loads(raw, what="message")
    except jsonsafe.NotJSON as exc:
        return Verdict(reply=error(salvage_id(text), PARSE_ERROR, f"parse error: {exc.message}"))
    except InvalidInput as exc:  # valid JSON past our limits: the request is refused, by its id
        return Verdict(reply=error(salvage_id(text), INVALID_REQUEST, exc.message))
    return check_message(value)


def check_message(value: object) -> Verdict | None:
    if isinstance(value, list):
        return Verdict(reply=error(None, INVALID_REQUEST, "batches are not supported (MCP removed JSON-RPC "
                                   "batching in 2025-06-18): send one message per line"))
    if not isinstance(value, dict):
        return Verdict(reply=error(None, INVALID_REQUEST, "a JSON-RPC message must be an object"))
    rid = value.get("id")
    if not _valid_id(rid):
        if "id" in value:
            return Verdict(reply=error(None, INVALID_REQUEST, "id must be a string or an integer"))
        rid = None
    if value.get("jsonrpc") != "2.0":
        return Verdict(reply=error(rid, INVALID_REQUEST, 'jsonrpc must be "2.0"'))
    method = value.get("method")
    if "method" in value and not isinstance(method, str):
        return Verdict(reply=error(rid, INVALID_REQUEST, "method must be a string"))
    if method == "tools/call" and rid is not None:
        problem = _tools_call_problem(value.get("params"))
        if problem:
            return Verdict(reply=error(rid, INVALID_PARAMS, problem))
    import mcp_types as types
    from pydantic import ValidationError

    try:
        message = types.jsonrpc_message_adapter.validate_python(value, by_name=False)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"][1:]) or "message"
        return Verdict(reply=error(rid, INVALID_REQUEST, f"not a JSON-RPC 2.0 message: {where}: {first['msg']}"))
    return Verdict(forward=message)
