"""`POST /api/ask`: the assistant in support mode, streamed to the page as server-sent events.

The Assistant loop is synchronous (the anthropic SDK's sync client), so each question runs in a worker thread
and hands its events to the response through the event loop. Conversations live in memory, a bounded number
of them, keyed by an id the page keeps; the API key never leaves this process.

Events, each `event: NAME` + `data: JSON`:
  start {conversation, model}   text {text}   tool {name, input, result, is_error, command?}
  progress {kind: wait|tool_start|retry, label?, name?}  (label None: the wait is over)
  done  Answer.to_json() (answer, tool_calls, usage, cost_usd, complete, notice, sources?)
  error {error: {type, message}}
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
import secrets
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from modelmath.tools import jsonsafe
from modelmath.tools.errors import InvalidInput

MAX_QUESTION_CHARS = 20_000
MAX_CONVERSATIONS = 32  # oldest dropped first; each holds its history in memory
AUDIENCE = "support"


def has_key() -> bool:
    return bool(os.environ.get("ANTHROPIC_API_KEY") or os.environ.get("ANTHROPIC_AUTH_TOKEN"))


class Stopped(Exception):
    """The page went away mid-answer: the worker stops at its next event."""


@dataclass
class Conversation:
    assistant: object
    lock: threading.Lock = field(default_factory=threading.Lock)


class Conversations:
    """In-memory conversations, least recently used dropped first."""

    def __init__(self, factory: Callable[[], object], limit: int = MAX_CONVERSATIONS):
        self.factory = factory
        self.limit = limit
        self.items: OrderedDict[str, Conversation] = OrderedDict()
        self.lock = threading.Lock()

    def get_or_create(self, cid: str | None) -> tuple[str, Conversation]:
        with self.lock:
            if cid and cid in self.items:
                self.items.move_to_end(cid)
                return cid, self.items[cid]
        conv = Conversation(self.factory())  # may raise AssistantError (no key): outside the lock
        with self.lock:
            cid = secrets.token_urlsafe(12)
            self.items[cid] = conv
            while len(self.items) > self.limit:
                self.items.popitem(last=False)
        return cid, conv


def parse_question(body: bytes) -> tuple[str, str | None]:
    """The question and conversation id from the request body; InvalidInput names what is wrong."""
    data = jsonsafe.loads(body, what="request body")
    if not isinstance(data, dict):
        raise InvalidInput("the request body must be a JSON object", field=None)
    extra = sorted(set(data) - {"question", "conversation"})
    if extra:
        raise InvalidInput(f"unknown field(s) {', '.join(extra)}", field=extra[0], allowed=["question", "conversation"])
    question = data.get("question")
    if not isinstance(question, str) or not question.strip():
        raise InvalidInput("question must be a non-empty string", field="question")
    if len(question) > MAX_QUESTION_CHARS:
        raise InvalidInput(f"question is {len(question):,} characters; at most {MAX_QUESTION_CHARS:,}",
                           field="question")
    cid = data.get("conversation")
    if cid is not None and not isinstance(cid, str):
        raise InvalidInput("conversation must be a string (the id a previous answer gave)", field="conversation")
    return question.strip(), cid


def sse(event: str, data: object) -> bytes:
    return f"event: {event}\ndata: {jsonsafe.dumps(data, ensure_ascii=False)}\n\n".encode()


def make_assistant(model: str | None = None):
    """The support-mode assistant with a client from the environment (ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL)."""
    from modelmath.plugin.assistant.agent import Assistant, make_client, resolve_model_id

    return Assistant(make_client(), resolve_model_id(model), audience=AUDIENCE)


async def answer_events(conv: Conversation, cid: str, question: str) -> AsyncIterator[bytes]:
    """Run one question in a worker thread and yield its events as SSE; stop the worker if the client leaves."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, object] | None] = asyncio.Queue()
    stop = threading.Event()
    assistant = conv.assistant

    def put(item: tuple[str, object] | None) -> None:
        if stop.is_set():
            raise Stopped
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the event loop is gone (server shutting down)
            stop.set()
            raise Stopped from None

    def work() -> None:
        from modelmath.plugin.assistant.agent import AssistantError

        assistant.on_text = lambda text: put(("text", {"text": text}))
        assistant.on_tool = lambda call: put(("tool", call.to_dict()))
        # Progress, where the assistant reports it: waiting / thinking, a tool about to run, a retry.
        if hasattr(assistant, "on_wait"):
            assistant.on_wait = lambda label: put(("progress", {"kind": "wait", "label": label}))
        if hasattr(assistant, "on_tool_start"):
            assistant.on_tool_start = lambda name, inp: put(("progress", {"kind": "tool_start", "name": name}))
        if hasattr(assistant, "on_retry"):
            assistant.on_retry = lambda message: put(("progress", {"kind": "retry", "label": message}))
        try:
            answer = assistant.ask(question)
            put(("done", answer.to_json()))
        except Stopped:
            pass
        except AssistantError as exc:
            put(("error", {"error": {"type": "assistant_error", "message": exc.message}}))
        except Exception as exc:  # noqa: BLE001 - a bug must reach the page as a message, not a hung stream
            import logging

            logging.getLogger("modelmath.web").error("ask failed: %s: %s", type(exc).__name__, exc)
            put(("error", {"error": {"type": "internal_error", "message": f"{type(exc).__name__}: {exc}"}}))
        finally:
            conv.lock.release()
            with contextlib.suppress(RuntimeError):  # the loop may be gone already
                loop.call_soon_threadsafe(queue.put_nowait, None)

    # Taken here, not in the route: a response that never starts streaming must not leave it held. The
    # worker releases it.
    if not conv.lock.acquire(blocking=False):
        yield sse("error", {"error": {"type": "busy", "message": "this conversation is still answering; wait for "
                                      "it, or start a new conversation"}})
        return
    # A copy of this request's context: the server's policies (local paths off) hold for its tool calls too.
    context = contextvars.copy_context()
    threading.Thread(target=context.run, args=(work,), name="modelmath-ask", daemon=True).start()
    try:
        yield sse("start", {"conversation": cid, "model": getattr(assistant, "model", None)})
        while (item := await queue.get()) is not None:
            yield sse(*item)
    finally:
        stop.set()  # the client left (or we finished): a worker still running stops at its next event
