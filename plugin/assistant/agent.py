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

from .client import MAX_RETRIES, AssistantError, describe_api_error, make_client  # noqa: F401 (re-exported)

if TYPE_CHECKING:  # decimal and importlib.resources are imported where used: `modelmath` starts up faster
    from decimal import Decimal

DEFAULT_MAX_TURNS = 8  # model calls per question; a typical answer needs 2-4
DEFAULT_MAX_TOKENS = 4096
AUDIENCES = ("developer", "support")
MAX_DOCUMENT_BYTES = 200_000  # a fact-check document; larger files are refused, not truncated
EPHEMERAL = {"type": "ephemeral"}

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
    from modelmath.tools.pricing.prices import default_model_id

    return default_model_id()


def call_cost(model_ids: tuple[str, ...], usage: dict) -> Decimal | None:
    from modelmath.tools.pricing.prices import usage_cost_usd

    for model_id in model_ids:  # the echoed (dated) id first, then the id we asked for
        try:
            return usage_cost_usd(model_id, usage)
        except ModelMathError:
            continue
    return None


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
