"""A scripted stand-in for the Anthropic Messages API on 127.0.0.1, used only to record test cassettes.

This environment cannot reach the real API, so the cassettes in cassettes/ are recorded from this
server. It speaks the wire format the real API speaks (shapes from public recordings, 2025-2026, e.g.
simonw/llm-anthropic tests/cassettes/test_anthropic/{test_tools,test_refusal_raises}.yaml and
pydantic/pydantic-ai tests/models/cassettes/test_anthropic/*_stream*.yaml): compact JSON, `msg_`/`toolu_`
ids, usage with cache fields, the SSE event order message_start → content_block_start → ping →
deltas → content_block_stop → message_delta (final usage) → message_stop, data lines padded with
spaces before their closing brace, a bare `{"type": "ping"}`, a mid-stream `event: error`, and error
bodies `{"type":"error","error":{"details":null,"type","message"},"request_id"}` with
`x-should-retry`. It checks requests the way the API does (tool_use/tool_result pairing, cache
breakpoints, non-empty content, required fields) and answers from a scenario script (scenarios.py)
that reads the tool results the client actually sent, so the numbers in its final text come from
our tools, never from the script.
"""

from __future__ import annotations

import base64
import json
import random
import string
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .rules import THINKING_TYPES, PromptCache, _tokens, check_request
from .wire import compact, error_body, sse_body

_ID_CHARS = string.ascii_letters + string.digits


class ScenarioError(Exception):
    """The client sent something the scenario did not expect: answered as a 400 marked `standin:`."""


@dataclass
class ToolResult:
    text: str
    is_error: bool

    def json(self) -> dict:
        if self.is_error:
            raise ScenarioError(f"expected a successful tool result, got an error: {self.text}")
        return json.loads(self.text)


@dataclass
class Request:
    body: dict
    headers: dict

    @property
    def stream(self) -> bool:
        return bool(self.body.get("stream"))

    @property
    def messages(self) -> list[dict]:
        return self.body["messages"]

    @property
    def tool_choice(self) -> str:
        return (self.body.get("tool_choice") or {"type": "auto"})["type"]

    def system_text(self) -> str:
        s = self.body.get("system", "")
        return s if isinstance(s, str) else "\n".join(b.get("text", "") for b in s)

    def last_user_text(self) -> str:
        last = self.messages[-1]
        if last["role"] != "user":
            raise ScenarioError("expected the last message to be the user's")
        return _text_of(last["content"])

    def results(self) -> dict[str, ToolResult]:
        """tool_use_id → result, from the last user message."""
        content = self.messages[-1]["content"]
        out = {}
        for b in content if isinstance(content, list) else []:
            if b.get("type") == "tool_result":
                c = b.get("content", "")
                out[b["tool_use_id"]] = ToolResult(c if isinstance(c, str) else _text_of(c), bool(b.get("is_error")))
        return out

    def result(self, tool_use: dict) -> ToolResult:
        got = self.results()
        if tool_use["id"] not in got:
            raise ScenarioError(f"no tool_result for {tool_use['id']} ({tool_use['name']}); got {sorted(got)}")
        return got[tool_use["id"]]


def _text_of(content) -> str:
    if isinstance(content, str):
        return content
    return "".join(b.get("text", "") for b in content if b.get("type") == "text")


@dataclass
class Reply:
    status: int = 200
    blocks: list[dict] = field(default_factory=list)
    stop_reason: str | None = None
    stop_details: dict | None = None
    error: tuple[str, str] | None = None  # (type, message)
    # An `event: error` sent inside a 200 stream after this many content blocks (the API failing after it
    # began answering); the connection then closes with no message_delta or message_stop.
    stream_error: tuple[str, str] | None = None
    stream_error_after_blocks: int = 1
    headers: dict = field(default_factory=dict)
    delay_s: float = 0.0
    # Billed thinking the client never sees (display "omitted" returns only a signature; the thinking is still
    # billed as output), or None to count the visible blocks only.
    hidden_thinking_tokens: int = 0
    output_tokens: int | None = None  # e.g. the request's max_tokens when a reply is cut there


Scenario = Callable[["Script", Request], Generator[Reply, Request, None]]


class Script:
    """What a scenario uses to build replies; ids come from a generator seeded with the scenario name,
    so re-recording gives the same cassettes."""

    def __init__(self, name: str):
        self.rng = random.Random(name)

    def ident(self, prefix: str, n: int = 22) -> str:
        return prefix + "".join(self.rng.choice(_ID_CHARS) for _ in range(n))

    @staticmethod
    def text(s: str) -> dict:
        return {"type": "text", "text": s}

    def tool_use(self, name: str, inp: dict) -> dict:
        return {"type": "tool_use", "id": self.ident("toolu_01"), "name": name, "input": inp,
                "caller": {"type": "direct"}}

    def thinking(self, text: str = "") -> dict:
        """A thinking block; text "" as with display "omitted", the default on current models. The signature is
        opaque, base64-like and long, as on the real API."""
        raw = bytes(self.rng.getrandbits(8) for _ in range(120))
        return {"type": "thinking", "thinking": text, "signature": "Er" + base64.b64encode(raw).decode()}

    def redacted(self) -> dict:
        raw = bytes(self.rng.getrandbits(8) for _ in range(90))
        return {"type": "redacted_thinking", "data": "EmwK" + base64.b64encode(raw).decode()}

    @staticmethod
    def reply(*blocks: dict, stop_reason: str | None = None, stop_details: dict | None = None) -> Reply:
        if stop_reason is None:
            stop_reason = "tool_use" if any(b["type"] == "tool_use" for b in blocks) else "end_turn"
        return Reply(blocks=list(blocks), stop_reason=stop_reason, stop_details=stop_details)

    @staticmethod
    def error(status: int, type_: str, message: str, *, retry: bool | None = None, **headers: str) -> Reply:
        h = {k.replace("_", "-"): v for k, v in headers.items()}
        if retry is not None:
            h["x-should-retry"] = "true" if retry else "false"
        return Reply(status=status, error=(type_, message), headers=h)


# -- rendering ---------------------------------------------------------------------------------------

def message_json(script: Script, req: Request, reply: Reply, usage: dict) -> dict:
    # A reply with no content (a refusal before any output) reports 0 output tokens, as the API does.
    out_tokens = sum(_tokens(b.get("text") or b.get("thinking") or b.get("data") or b.get("input"))
                     for b in reply.blocks) + (1 if reply.blocks else 0) + reply.hidden_thinking_tokens
    if reply.output_tokens is not None:
        out_tokens = reply.output_tokens
    return {"model": req.body["model"], "id": script.ident("msg_01"), "type": "message", "role": "assistant",
            "content": reply.blocks, "stop_reason": reply.stop_reason, "stop_sequence": None,
            "stop_details": reply.stop_details,
            "usage": {**usage, "output_tokens": out_tokens, "service_tier": "standard", "inference_geo": "global"}}


# -- the server --------------------------------------------------------------------------------------

class StandIn:
    """`with StandIn(scenarios) as s: s.play("one_tool"); ... s.url`"""

    def __init__(self, scenarios: dict[str, Scenario]):
        self.scenarios = scenarios
        self.lock = threading.Lock()
        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.standin = self  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.play(None)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> StandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def play(self, name: str | None) -> None:
        with self.lock:
            self.name, self.gen, self.count = name, None, 0
            self.script = Script(name or "")
            self.cache = PromptCache()
            self.seen: list[dict] = []
            self.thinking_sent: list[dict] = []  # every thinking block sent, as sent
            self.thinking_with_tools: dict[str, list[dict]] = {}  # tool_use id → thinking blocks of its reply

    def handle(self, headers: dict, raw: bytes) -> tuple[int, dict, bytes]:
        with self.lock:
            self.count += 1
            self.delay_s = 0.0
            out = self._handle(headers, raw)
            delay = self.delay_s
        time.sleep(delay)  # outside the lock: a slow reply must not hold up the next test
        return out

    def _handle(self, headers: dict, raw: bytes) -> tuple[int, dict, bytes]:
        s = self.script
        common = {"request-id": s.ident("req_011C", 20), "anthropic-organization-id": "standin-org",
                  "anthropic-ratelimit-requests-limit": "50", "anthropic-ratelimit-requests-remaining": "49",
                  "cf-ray": s.ident("", 16) + "-STANDIN", "via": "1.1 anthropic-standin",
                  "traceresponse": f"00-{s.rng.getrandbits(128):032x}-{s.rng.getrandbits(64):016x}-01"}
        if not (headers.get("x-api-key") or headers.get("authorization", "").startswith("Bearer ")):
            return self._error(common, Script.error(401, "authentication_error", "x-api-key header is required"))
        if "anthropic-version" not in headers:
            return self._error(common, Script.error(400, "invalid_request_error",
                                                    "anthropic-version: header is required"))
        try:
            body = json.loads(raw)
        except ValueError:
            return self._error(common, Script.error(400, "invalid_request_error", "request body is not valid JSON"))
        self.seen.append(body)
        problem = check_request(body) or self._check_thinking(body)
        if problem:
            return self._error(common, Script.error(400, "invalid_request_error", problem))
        req = Request(body, headers)
        try:
            if self.name is None:
                raise ScenarioError("no scenario loaded")
            if self.gen is None:
                self.gen = self.scenarios[self.name](s, req)
                reply = next(self.gen)
            else:
                reply = self.gen.send(req)
        except StopIteration:
            reply = Script.error(400, "invalid_request_error", f"standin: scenario {self.name} has no step "
                                 f"for request {self.count}")
        except (ScenarioError, KeyError, ValueError) as exc:
            reply = Script.error(400, "invalid_request_error", f"standin: scenario {self.name}: {exc}")
        self.delay_s = reply.delay_s
        if reply.error:
            return self._error(common, reply)
        if req.tool_choice == "none" and any(b["type"] == "tool_use" for b in reply.blocks):
            reply = Script.error(400, "invalid_request_error", f"standin: scenario {self.name} called a tool "
                                 "although the request said tool_choice none")
            return self._error(common, reply)
        thinking = [b for b in reply.blocks if b["type"] in THINKING_TYPES]
        self.thinking_sent += thinking
        for b in reply.blocks:
            if b["type"] == "tool_use":
                self.thinking_with_tools[b["id"]] = thinking
        msg = message_json(s, req, reply, self.cache.usage(body))
        if req.stream:
            sse = sse_body(s.rng, msg, stream_error=reply.stream_error,
                           error_after_blocks=reply.stream_error_after_blocks, request_id=common["request-id"])
            return 200, {**common, "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache"}, \
                sse.encode()
        if reply.stream_error:  # without a stream the failure is an ordinary error response
            return self._error(common, Script.error(529 if reply.stream_error[0] == "overloaded_error" else 500,
                                                    *reply.stream_error, retry=True))
        return 200, {**common, "content-type": "application/json"}, compact(msg).encode()

    def _check_thinking(self, body: dict) -> str | None:
        """As the API does: thinking blocks come back exactly as sent, and the latest assistant message that
        called tools carries all the thinking blocks of its reply, in order ("`thinking` or `redacted_thinking`
        blocks in the latest assistant message cannot be modified", Anthropic's thinking troubleshooting page)."""
        modified = ("`thinking` or `redacted_thinking` blocks in the latest assistant message cannot be modified. "
                    "These blocks must remain as they were in the original response.")
        msgs = body["messages"]
        for i, m in enumerate(msgs):
            for j, b in enumerate(m["content"] if isinstance(m["content"], list) else []):
                if b.get("type") in THINKING_TYPES and b not in self.thinking_sent:
                    return f"messages.{i}.content.{j}: {modified}"
        latest = next((i for i in range(len(msgs) - 1, -1, -1) if msgs[i]["role"] == "assistant"), None)
        if latest is None or not isinstance(msgs[latest]["content"], list):
            return None
        content = msgs[latest]["content"]
        uses = [b["id"] for b in content if b.get("type") == "tool_use"]
        expected = self.thinking_with_tools.get(uses[0]) if uses else None
        if expected is not None and [b for b in content if b.get("type") in THINKING_TYPES] != expected:
            return f"messages.{latest}: {modified}"
        return None

    def _error(self, common: dict, reply: Reply) -> tuple[int, dict, bytes]:
        body = error_body(*reply.error, common["request-id"])  # type: ignore[misc]
        return reply.status, {**common, "content-type": "application/json", **reply.headers}, compact(body).encode()


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        pass  # a client that timed out and hung up is part of a test, not a server failure


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def version_string(self) -> str:
        return "anthropic-standin"

    def log_message(self, *args) -> None:  # quiet: pytest output is for test results
        pass

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        raw = self.rfile.read(int(self.headers.get("content-length", 0)))
        headers = {k.lower(): v for k, v in self.headers.items()}
        if self.path.split("?")[0] != "/v1/messages":
            status, extra, body = 404, {"content-type": "application/json"}, compact(
                error_body("not_found_error", "Not Found")).encode()
        else:
            status, extra, body = self.server.standin.handle(headers, raw)  # type: ignore[attr-defined]
        self.send_response(status)
        for k, v in extra.items():
            self.send_header(k, v)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
