"""The assistant: Claude's tool-calling loop over the registry's calculators (stable Messages API).

One `Assistant` holds a conversation. `ask()` sends the question with the registry's tool definitions
and the system prompt (both marked for prompt caching), runs every `tool_use` block of a turn through
`registry.run_tool` (validated, never raises), returns all results in one user message, and repeats
until the model ends its turn or the turn budget is spent. The `anthropic` SDK is imported lazily
(when a client is made or an API error is described), so the offline CLI never pays for it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from modelmath.tools.errors import ModelMathError
from modelmath.tools.registry import ToolOutcome, definitions, run_tool

if TYPE_CHECKING:  # decimal and importlib.resources are imported where used: `modelmath` starts up faster
    from decimal import Decimal

DEFAULT_MAX_TURNS = 8  # model calls per question; a typical answer needs 2-4
DEFAULT_MAX_TOKENS = 4096
MAX_RETRIES = 3  # SDK retries 408/409/429/5xx/529 and connection errors with backoff
TIMEOUT_S = 300.0
AUDIENCES = ("developer", "support")
MAX_DOCUMENT_BYTES = 200_000  # a fact-check document; larger files are refused, not truncated
EPHEMERAL = {"type": "ephemeral"}

NO_KEY_MESSAGE = (
    "no Anthropic API key: set ANTHROPIC_API_KEY (export ANTHROPIC_API_KEY=sk-ant-..., a key from the Claude "
    "Console) to use `modelmath ask` and `modelmath chat`; the calculators need no key: try `modelmath params "
    "llama-3.1-8b`, `modelmath memory --help` or `modelmath tools`")


class AssistantError(Exception):
    """A failure the user sees as one line: exit status 2 for configuration, 1 for the API or network."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    input: object
    result: dict
    is_error: bool

    def to_dict(self) -> dict:
        return {"name": self.name, "input": self.input, "result": self.result, "is_error": self.is_error}


_USAGE_KEYS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")


@dataclass(frozen=True)
class CallUsage:
    """Token usage of one API call, as the API reported it, and its cost (None: model not in the catalog)."""

    model: str
    stop_reason: str | None
    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int
    cost_usd: Decimal | None

    def to_dict(self) -> dict:
        return {"model": self.model, "stop_reason": self.stop_reason,
                **{k: getattr(self, k) for k in _USAGE_KEYS}, "cost_usd": _money(self.cost_usd)}


def usage_totals(calls: list[CallUsage]) -> dict:
    return {k: sum(getattr(c, k) for c in calls) for k in _USAGE_KEYS}


def total_cost(calls: list[CallUsage]) -> Decimal | None:
    """Sum of the calls' costs; None if any call's model had no price (a partial sum would mislead)."""
    from decimal import Decimal

    if any(c.cost_usd is None for c in calls):
        return None
    return sum((c.cost_usd for c in calls), Decimal(0))  # type: ignore[misc]


def _money(d: Decimal | None) -> float | None:
    # JSON has no decimal type: the nearest float to the exact Decimal (sub-cent figures stay visible).
    return None if d is None else float(d)


@dataclass
class Answer:
    text: str
    model: str
    tool_calls: list[ToolCall]
    calls: list[CallUsage]
    stop_reason: str | None
    complete: bool = True
    notice: str | None = None  # why the answer is incomplete, or what the user should know

    @property
    def usage(self) -> dict:
        return usage_totals(self.calls)

    @property
    def cost_usd(self) -> Decimal | None:
        return total_cost(self.calls)

    def to_json(self) -> dict:
        return {"answer": self.text, "model": self.model, "tool_calls": [t.to_dict() for t in self.tool_calls],
                "usage": {**self.usage, "calls": [c.to_dict() for c in self.calls]},
                "cost_usd": _money(self.cost_usd), "stop_reason": self.stop_reason, "complete": self.complete,
                "notice": self.notice}


# -- prompts and model -------------------------------------------------------------------------------

def prompt(name: str) -> str:
    from importlib.resources import files

    return (files("modelmath.prompts") / f"{name}.md").read_text(encoding="utf-8").strip()


def system_blocks(audience: str = "developer", *, document: bool = False) -> list[dict]:
    if audience not in AUDIENCES:
        raise AssistantError(f"unknown audience {audience!r} (allowed: {', '.join(AUDIENCES)})", exit_code=2)
    parts = [prompt("system"), prompt(f"audience_{audience}")]
    if document:
        parts.append(prompt("factcheck"))
    # One block, one breakpoint: tools + system are cached together as the stable prefix.
    return [{"type": "text", "text": "\n\n".join(parts), "cache_control": EPHEMERAL}]


def tool_definitions() -> list[dict]:
    defs = [dict(d) for d in definitions()]
    if defs:
        defs[-1]["cache_control"] = EPHEMERAL
    return defs


def resolve_model_id(explicit: str | None = None) -> str:
    """--model, then MODELMATH_MODEL, then the current Sonnet from the price catalog."""
    if explicit:
        return explicit
    if os.environ.get("MODELMATH_MODEL"):
        return os.environ["MODELMATH_MODEL"]
    from modelmath.tools.prices import default_model_id

    return default_model_id()


def call_cost(model_ids: tuple[str, ...], usage: dict) -> Decimal | None:
    from modelmath.tools.prices import usage_cost_usd

    for model_id in model_ids:  # the echoed (dated) id first, then the id we asked for
        try:
            return usage_cost_usd(model_id, usage)
        except ModelMathError:
            continue
    return None


# -- client and errors -------------------------------------------------------------------------------

def make_client(*, api_key: str | None = None, base_url: str | None = None, max_retries: int | None = None,
                timeout: float | None = None):
    """An `anthropic.Anthropic` client. The key is passed explicitly so the SDK never falls back to an
    on-disk profile the user did not ask for; ANTHROPIC_BASE_URL is honoured when base_url is None."""
    api_key = api_key or os.environ.get("ANTHROPIC_API_KEY") or None
    auth_token = None if api_key else (os.environ.get("ANTHROPIC_AUTH_TOKEN") or None)
    if not api_key and not auth_token:
        raise AssistantError(NO_KEY_MESSAGE, exit_code=2)
    import anthropic

    creds = {"api_key": api_key} if api_key else {"auth_token": auth_token}
    return anthropic.Anthropic(**creds, base_url=base_url or os.environ.get("ANTHROPIC_BASE_URL") or None,
                               max_retries=MAX_RETRIES if max_retries is None else max_retries,
                               timeout=TIMEOUT_S if timeout is None else timeout)


def describe_api_error(exc: BaseException, *, base_url: str = "", retries: int = MAX_RETRIES) -> str:
    """One line for an SDK exception: what happened and what to do about it."""
    import anthropic

    rid = getattr(exc, "request_id", None)
    tail = f" (request id {rid})" if rid else ""
    detail = getattr(exc, "api_message", None) or ""
    if isinstance(exc, anthropic.AuthenticationError):
        return f"authentication failed (401): the API key was rejected; check ANTHROPIC_API_KEY{tail}"
    if isinstance(exc, anthropic.PermissionDeniedError):
        return f"permission denied (403): {detail or 'this key cannot use this model or endpoint'}{tail}"
    if isinstance(exc, anthropic.NotFoundError):
        return f"not found (404): {detail or 'unknown model or endpoint'}; check --model / MODELMATH_MODEL{tail}"
    if isinstance(exc, anthropic.RateLimitError):
        if "spend limit" in detail.lower() or getattr(exc, "error_code", None) in _SPEND_LIMIT_CODES:
            # Also a 429 rate_limit_error, but waiting a minute does not clear it.
            return f"spend limit reached (429): {detail or 'usage limit'}; raise it in the Claude Console{tail}"
        return f"rate limited (429) after {retries} retries: {detail or 'too many requests'}; wait and retry{tail}"
    if isinstance(exc, anthropic.OverloadedError):
        return f"the Anthropic API is overloaded (529) after {retries} retries; try again shortly{tail}"
    if isinstance(exc, anthropic.BadRequestError):
        return f"bad request (400): {detail or exc}{tail}"
    if isinstance(exc, anthropic.InternalServerError):
        return f"API server error ({exc.status_code}) after {retries} retries: {detail or 'try again'}{tail}"
    if isinstance(exc, anthropic.APIStatusError) and exc.status_code < 400:
        # An `event: error` inside a 200 SSE stream: the API failed after it began answering. The SDK raises
        # it with the stream's status (200) and does not retry it, so name the error's type instead.
        kind = getattr(exc, "type", None) or "error"
        return (f"the API stopped mid-answer with {kind}: {detail or 'no message'}; nothing from this question "
                f"was kept; try again{' shortly' if kind == 'overloaded_error' else ''}{tail}")
    if isinstance(exc, anthropic.APIStatusError):
        return f"API error ({exc.status_code}): {detail or exc}{tail}"
    if isinstance(exc, anthropic.APITimeoutError):
        return f"the request to {base_url or 'the Anthropic API'} timed out; try again or ask a shorter question"
    if isinstance(exc, anthropic.APIConnectionError):
        cause = exc.__cause__ or exc.__context__
        why = f": {type(cause).__name__}" if cause else ""
        return (f"cannot connect to {base_url or 'the Anthropic API'}{why}; check the network, a proxy, or "
                "ANTHROPIC_BASE_URL")
    return f"{type(exc).__name__}: {exc}"


_SPEND_LIMIT_CODES = ("contract_spend_limit_reached", "enforced_spend_limit_reached")


# -- tool results ------------------------------------------------------------------------------------

def tool_result_block(tool_use_id: str, outcome: ToolOutcome) -> dict:
    if not outcome.is_error:
        return {"type": "tool_result", "tool_use_id": tool_use_id, "content": json.dumps(outcome.result)}
    # Error results take text only; name the field and what is allowed so the model can correct itself.
    err = outcome.result.get("error", {})
    text = f"{err.get('type', 'error')}: {err.get('message', 'tool failed')}"
    if err.get("field"):
        text += f" | field: {err['field']}"
    allowed = err.get("allowed")
    if allowed:
        text += " | allowed: " + (", ".join(map(str, allowed)) if isinstance(allowed, list) else str(allowed))
    return {"type": "tool_result", "tool_use_id": tool_use_id, "content": text, "is_error": True}


def _block_param(block) -> dict:
    """An assistant content block as it goes back into the history (minimal, known-good shapes)."""
    if block.type == "text":
        return {"type": "text", "text": block.text}
    if block.type == "tool_use":
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
    return block.model_dump(mode="json", exclude_none=True)  # thinking, server tools: returned as-is


_INCOMPLETE = {
    "max_tokens": "the answer was cut off at the max_tokens limit ({max_tokens} tokens); ask for less or "
                  "raise --max-tokens",
    "model_context_window_exceeded": "the conversation no longer fits the model's context window; start a "
                                     "new one (/reset in chat) or use a shorter --file",
    "refusal": "Claude declined to answer this request{why}; the exchange was removed from the history",
    # A streamed message always ends with a stop_reason (non-streaming ones always carry one): None means
    # the stream ended early, without an error event.
    None: "the response stream ended before the answer was complete; ask again",
    "tool_use": "Claude announced a tool call but sent none; ask again",
    "empty": "Claude ended its turn without writing an answer{after}; ask again",
}


# -- the loop ----------------------------------------------------------------------------------------

@dataclass
class Assistant:
    client: object
    model: str
    audience: str = "developer"
    max_turns: int = DEFAULT_MAX_TURNS
    max_tokens: int = DEFAULT_MAX_TOKENS
    stream: bool = True
    on_text: Callable[[str], None] | None = None
    on_tool: Callable[[ToolCall], None] | None = None
    messages: list[dict] = field(default_factory=list)
    calls: list[CallUsage] = field(default_factory=list)  # every call of the conversation, for /cost
    _document: bool = False

    def __post_init__(self) -> None:
        system_blocks(self.audience)  # validate the audience early
        self.tools = tool_definitions()

    def reset(self) -> None:
        self.messages.clear()
        self.calls.clear()
        self._document = False

    def request(self) -> dict:
        """The Messages API arguments for the next call."""
        return {"model": self.model, "max_tokens": self.max_tokens, "tools": self.tools,
                "system": system_blocks(self.audience, document=self._document),
                "messages": _with_cache_breakpoint(self.messages)}

    def ask(self, question: str, *, document: str | None = None, document_name: str = "document") -> Answer:
        content = question
        if document is not None:
            self._document = True
            content = f'<document name="{document_name}">\n{document}\n</document>\n\n{question}'
        start = len(self.messages)
        try:
            return self._loop(content, start)
        except BaseException as exc:
            del self.messages[start:]  # keep the history valid for the next question (chat, Ctrl-C)
            import anthropic

            if isinstance(exc, anthropic.AnthropicError):
                raise AssistantError(describe_api_error(
                    exc, base_url=str(getattr(self.client, "base_url", "")),
                    retries=getattr(self.client, "max_retries", MAX_RETRIES))) from exc
            raise

    def _loop(self, content: str, start: int) -> Answer:
        self._append_user([{"type": "text", "text": content}])
        texts: list[str] = []
        tool_calls: list[ToolCall] = []
        calls: list[CallUsage] = []
        msg, paused = None, False
        for _ in range(self.max_turns):
            msg = self._call(separate=bool(texts) and not paused)
            calls.append(self._usage(msg))
            self.calls.append(calls[-1])
            text = "".join(b.text for b in msg.content if b.type == "text")
            if text and paused and texts:
                texts[-1] += text  # a resumed turn continues the same paragraph
            elif text:
                texts.append(text)
            paused = msg.stop_reason == "pause_turn"
            # The API rejects empty text blocks in a request ("text content blocks must be non-empty").
            blocks = [_block_param(b) for b in msg.content if b.type != "text" or b.text]
            uses = [b for b in msg.content if b.type == "tool_use"]
            if msg.stop_reason == "tool_use" and uses:  # a tool_use stop with no tool_use block ends the turn
                self.messages.append({"role": "assistant", "content": blocks})
                results = []
                for b in uses:
                    outcome = run_tool(b.name, b.input)
                    call = ToolCall(b.id, b.name, b.input, outcome.result, outcome.is_error)
                    tool_calls.append(call)
                    if self.on_tool:
                        self.on_tool(call)
                    results.append(tool_result_block(b.id, outcome))
                self._append_user(results)
                continue
            if msg.stop_reason == "pause_turn":  # the API paused a long turn: send it back to continue
                self.messages.append({"role": "assistant", "content": blocks})
                continue
            return self._finish(msg, texts, tool_calls, calls, start, blocks)
        notice = (f"stopped after {self.max_turns} model calls without a final answer (the limit is "
                  "--max-turns); ask a narrower question or raise the limit")
        return Answer("\n\n".join(texts), msg.model if msg else self.model, tool_calls, calls,
                      msg.stop_reason if msg else None, complete=False, notice=notice)

    def _finish(self, msg, texts, tool_calls, calls, start, blocks) -> Answer:
        stop = msg.stop_reason
        answer = Answer("\n\n".join(texts), msg.model, tool_calls, calls, stop)
        if stop in ("end_turn", "stop_sequence") and blocks:
            self.messages.append({"role": "assistant", "content": blocks})
            return answer
        answer.complete = False
        if stop in ("end_turn", "stop_sequence"):
            # An empty final turn (seen after tool results). Not stored: the API rejects a message with no
            # content anywhere but last, and the next question merges into the pending tool results.
            after = " after the tool results" if tool_calls else ""
            answer.notice = _INCOMPLETE["empty"].format(after=after)
            return answer
        if stop == "refusal":
            details = getattr(msg, "stop_details", None)
            why = getattr(details, "explanation", None) or getattr(details, "category", None)
            answer.notice = _INCOMPLETE["refusal"].format(why=f" ({why})" if why else "")
            del self.messages[start:]  # a refused exchange left in the history would taint later questions
            return answer
        answer.notice = _INCOMPLETE.get(stop, f"the model stopped early ({stop})").format(max_tokens=self.max_tokens)
        # A tool_use cut off mid-input cannot be answered; keep only the text so the history stays valid.
        kept = [b for b in blocks if b["type"] != "tool_use"]
        if kept:
            self.messages.append({"role": "assistant", "content": kept})
        return answer

    def _append_user(self, blocks: list[dict]) -> None:
        # After a stopped loop the history can end with a user turn (tool results): merge, since the API
        # expects the next assistant turn to follow all of the user's blocks.
        if self.messages and self.messages[-1]["role"] == "user":
            self.messages[-1] = {"role": "user", "content": [*self.messages[-1]["content"], *blocks]}
        else:
            self.messages.append({"role": "user", "content": blocks})

    def _call(self, separate: bool):
        kw = self.request()
        emitted = False

        def emit(text: str) -> None:
            nonlocal emitted
            if self.on_text and text:
                if separate and not emitted:
                    self.on_text("\n\n")  # text after a tool round starts a new paragraph
                emitted = True
                self.on_text(text)

        if not self.stream:
            msg = self.client.messages.create(**kw)
            for b in msg.content:
                if b.type == "text":
                    emit(b.text)
            return msg
        with self.client.messages.stream(**kw) as stream:
            for event in stream:
                if event.type == "text":
                    emit(event.text)
            return stream.get_final_message()

    def _usage(self, msg) -> CallUsage:
        u = msg.usage
        usage = {"input_tokens": u.input_tokens or 0, "output_tokens": u.output_tokens or 0,
                 "cache_creation_input_tokens": u.cache_creation_input_tokens or 0,
                 "cache_read_input_tokens": u.cache_read_input_tokens or 0}
        cost = call_cost((msg.model, self.model), usage)
        return CallUsage(msg.model, msg.stop_reason, **usage, cost_usd=cost)


def _with_cache_breakpoint(messages: list[dict]) -> list[dict]:
    """The history with one cache breakpoint on its last block, so each round of a tool loop reads the
    previous rounds from cache. Copies: the stored history never carries breakpoints, which keeps the
    total at 3 (tools, system, last message) of the 4 the API allows."""
    if not messages:
        return []
    last = messages[-1]
    blocks = [dict(b) for b in last["content"]]
    blocks[-1]["cache_control"] = EPHEMERAL
    return [*messages[:-1], {"role": last["role"], "content": blocks}]
