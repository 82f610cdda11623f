"""The assistant: Claude's tool-calling loop over the registry's calculators (stable Messages API).

One `Assistant` holds a conversation. `ask()` sends the question with the registry's tool definitions and the
system prompt (both marked for prompt caching), runs every `tool_use` block of a turn through
`registry.run_tool` (validated, never raises), returns all results in one user message, and repeats until
the model ends its turn. Thinking and redacted_thinking blocks go back exactly as received. An identical
repeated call is answered with an error pointing at the earlier result; when the turn budget is spent, one
last request with tool_choice none lets the model answer from what it has (marked incomplete). Failed
requests are retried here, not in the SDK, so each retry can be shown; an error event inside a stream is
retried once when no answer text was shown yet. The `anthropic` SDK is imported lazily.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from modelmath.tools.errors import ModelMathError
from modelmath.tools.registry import definitions, run_tool

from .. import hub
from . import provenance
from .answer import Answer, CallUsage, ToolCall, total_cost, usage_totals  # noqa: F401 (re-exported)
from .blocks import (  # noqa: F401 (tool_result_block, _with_cache_breakpoint re-exported for tests)
    EPHEMERAL,
    THINKING_BLOCKS,
    _block_param,
    _with_cache_breakpoint,
    duplicate_outcome,
    tool_result_block,
)
from .client import (  # noqa: F401 (MAX_RETRIES, make_client re-exported)
    MAX_RETRIES,
    MID_STREAM_DELAY_S,
    AssistantError,
    backoff_s,
    describe_api_error,
    make_client,
    mid_stream_reason,
    retry_after_s,
    retry_reason,
)
from .options import DEFAULT_MAX_TOKENS, RequestOptions, resolve  # noqa: F401 (DEFAULT_MAX_TOKENS re-exported)

hub.install()  # the model's tool calls may name Hub repositories or local checkpoints, as the CLI's do

if TYPE_CHECKING:  # decimal and importlib.resources are imported where used: `modelmath` starts up faster
    from decimal import Decimal

DEFAULT_MAX_TURNS = 8  # model calls with tools per question; a typical answer needs 2-4
AUDIENCES = ("developer", "support")
MAX_DOCUMENT_BYTES = 200_000  # a fact-check document; larger files are refused, not truncated


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
    import os

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


_INCOMPLETE = {
    "max_tokens": "the answer was cut off at the max_tokens limit ({max_tokens:,} tokens); ask for less or "
                  "raise --max-tokens",
    "max_tokens_thinking": "the reply was cut off at the max_tokens limit ({max_tokens:,} tokens) while Claude "
                           "was still thinking, before it wrote an answer (thinking counts toward max_tokens); "
                           "raise --max-tokens{ceiling}{effort}",
    "model_context_window_exceeded": "the conversation no longer fits the model's context window; start a "
                                     "new one (/reset in chat) or use a shorter --file",
    "refusal": "Claude declined to answer this request{why}; the exchange was removed from the history",
    # A streamed message always ends with a stop_reason (non-streaming ones always carry one): None means
    # the stream ended early, without an error event.
    None: "the response stream ended before the answer was complete; ask again",
    "tool_use": "Claude announced a tool call but sent none; ask again",
    "empty": "Claude ended its turn without writing an answer{after}; ask again",
    "budget": "the turn budget ran out (--max-turns {max_turns}): Claude answered from the tool results so far, "
              "with tools off, so the answer may be incomplete; ask a narrower question or raise --max-turns",
}


# -- the loop ----------------------------------------------------------------------------------------

@dataclass
class Assistant:
    client: object
    model: str
    audience: str = "developer"
    max_turns: int = DEFAULT_MAX_TURNS
    max_tokens: int | None = None  # None: options.resolve's default for the model
    effort: str | None = None  # None: options.resolve's default for the model
    stream: bool = True
    on_text: Callable[[str], None] | None = None
    on_tool: Callable[[ToolCall], None] | None = None  # after a tool ran
    on_tool_start: Callable[[str, object], None] | None = None  # before it runs: name, input
    on_wait: Callable[[str | None], None] | None = None  # "waiting" / "thinking" / "calling X"; None: stop
    on_retry: Callable[[str], None] | None = None
    sleep: Callable[[float], None] = time.sleep
    messages: list[dict] = field(default_factory=list)
    calls: list[CallUsage] = field(default_factory=list)  # every call of the conversation, for /cost
    last_exchange: list[dict] = field(default_factory=list)  # the messages the last ask() added
    _document: bool = False

    def __post_init__(self) -> None:
        system_blocks(self.audience)  # validate the audience early
        self.tools = tool_definitions()
        self.options: RequestOptions = resolve(self.model, self.max_tokens, self.effort)
        self.max_tokens = self.options.max_tokens
        # The SDK's own retries are turned off: the loop retries, so it can say so (client.max_retries = budget).
        self.retries = getattr(self.client, "max_retries", MAX_RETRIES)
        with_options = getattr(self.client, "with_options", None)
        self.api = with_options(max_retries=0) if with_options else self.client
        self.rng = random.Random()

    def reset(self) -> None:
        self.messages.clear()
        self.calls.clear()
        self._document = False

    def request(self, *, final: bool = False) -> dict:
        """The Messages API arguments for the next call; `final`: tools stay defined (the cached prefix is
        unchanged) but tool_choice none makes the model answer in text."""
        kw = {"model": self.model, **self.options.params(), "tools": self.tools,
              "system": system_blocks(self.audience, document=self._document),
              "messages": _with_cache_breakpoint(self.messages)}
        if final:
            kw["tool_choice"] = {"type": "none"}
        return kw

    def ask(self, question: str, *, document: str | None = None, document_name: str = "document") -> Answer:
        content = question
        if document is not None:
            self._document = True
            content = f'<document name="{document_name}">\n{document}\n</document>\n\n{question}'
        start = len(self.messages)
        tail = len(self.messages[-1]["content"]) if self.messages else 0
        self.last_exchange = []
        try:
            answer = self._loop(content, start)
            self.last_exchange = self._exchange(start, tail)
            return answer
        except BaseException as exc:
            del self.messages[start:]  # keep the history valid for the next question (chat, Ctrl-C)
            import anthropic

            if isinstance(exc, anthropic.AnthropicError):
                raise AssistantError(describe_api_error(
                    exc, base_url=str(getattr(self.client, "base_url", "")), retries=self.retries)) from exc
            raise
        finally:
            self._wait(None)

    def _exchange(self, start: int, tail: int) -> list[dict]:
        """The messages this question added (for the log). A question that joined a pending user turn (after
        a stopped loop) contributes a user message holding just its own blocks."""
        added = self.messages[start:]
        if start and len(self.messages) >= start and self.messages[start - 1]["role"] == "user":
            joined = self.messages[start - 1]["content"][tail:]
            if joined:
                added = [{"role": "user", "content": joined}, *added]
        return [dict(m) for m in added]

    def load_history(self, messages: list[dict]) -> None:
        """Resume a logged conversation (its API messages as logs.LogDB.history returns them)."""
        self.messages[:] = messages
        self._document = any('<document name="' in b.get("text", "") for m in messages if m["role"] == "user"
                             for b in m["content"] if b.get("type") == "text")

    def _loop(self, content: str, start: int) -> Answer:
        self._append_user([{"type": "text", "text": content}])
        texts: list[str] = []
        tool_calls: list[ToolCall] = []
        calls: list[CallUsage] = []
        seen: dict[str, str] = {}  # canonical (name, input) → first tool_use id, this question
        msg, paused = None, False
        for turn in range(self.max_turns + 1):
            final = turn == self.max_turns  # the budget is spent: one last call, tools off
            msg = self._call(separate=bool(texts) and not paused, final=final)
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
            if msg.stop_reason == "tool_use" and uses and not final:
                self.messages.append({"role": "assistant", "content": blocks})
                self._append_user([self._run(b, seen, tool_calls) for b in uses])
                continue
            if paused and not final:  # the API paused a long turn: send it back to continue
                self.messages.append({"role": "assistant", "content": blocks})
                continue
            answer = self._finish(msg, texts, tool_calls, calls, start, blocks)
            if final and (answer.complete or msg.stop_reason == "tool_use"):
                answer.complete = False
                answer.notice = _INCOMPLETE["budget"].format(max_turns=self.max_turns)
            return answer
        raise AssertionError("unreachable: the final turn always returns")

    def _run(self, block, seen: dict[str, str], tool_calls: list[ToolCall]) -> dict:
        key = json.dumps([block.name, block.input], sort_keys=True)
        if key in seen:
            outcome = duplicate_outcome(block.name, seen[key])
            call = ToolCall(block.id, block.name, block.input, outcome.result, True, duplicate_of=seen[key])
        else:
            seen[key] = block.id
            if self.on_tool_start:
                self.on_tool_start(block.name, block.input)
            outcome = run_tool(block.name, block.input)
            call = ToolCall(block.id, block.name, block.input, outcome.result, outcome.is_error,
                            command=provenance.reproduce_command(block.name, block.input))
        tool_calls.append(call)
        if self.on_tool:
            self.on_tool(call)
        return tool_result_block(block.id, outcome)

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
        key = stop
        if stop == "max_tokens" and not any(b["type"] == "text" for b in blocks) and \
                any(b["type"] in THINKING_BLOCKS for b in blocks):
            key = "max_tokens_thinking"
        o = self.options
        answer.notice = _INCOMPLETE.get(key, f"the model stopped early ({stop})").format(
            max_tokens=self.max_tokens,
            ceiling=f" (this model allows up to {o.model_max_output:,})" if o.model_max_output else "",
            effort=f" or lower --effort (now {o.effort})" if o.effort and o.effort != "low" else "")
        # A cut-off turn keeps only its text: a tool_use cut mid-input cannot be answered, and thinking need
        # only go back with tool results (Anthropic's thinking page), so a cut block is dropped too.
        kept = [b for b in blocks if b["type"] not in ("tool_use", *THINKING_BLOCKS)]
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

    # -- one model call, with retries ------------------------------------------------------------------

    def _call(self, separate: bool, final: bool = False):
        kw = self.request(final=final)
        retried, mid_stream_retried = 0, False
        while True:
            shown = [False]
            try:
                return self._attempt(kw, separate, shown)
            except Exception as exc:  # noqa: BLE001 - classified below; anything else is re-raised
                kind = mid_stream_reason(exc)
                if kind and not shown[0] and not mid_stream_retried:
                    mid_stream_retried = True
                    delay = MID_STREAM_DELAY_S * (1 - 0.25 * self.rng.random())
                    why = f"{kind.replace('_error', '')} mid-answer"
                else:
                    reason = retry_reason(exc)
                    if reason is None or retried >= self.retries or kind:
                        raise
                    delay = retry_after_s(exc) or backoff_s(retried, self.rng)
                    retried += 1
                    why = f"{reason}, retry {retried} of {self.retries}"
                self._wait(None)
                if self.on_retry:
                    self.on_retry(f"{why}: retrying in {delay:.1f} s")
                self.sleep(delay)

    def _attempt(self, kw: dict, separate: bool, shown: list[bool]):
        def emit(text: str) -> None:
            if self.on_text and text:
                if not shown[0]:
                    self._wait(None)
                    if separate:
                        self.on_text("\n\n")  # text after a tool round starts a new paragraph
                shown[0] = True
                self.on_text(text)

        self._wait("waiting for Claude")  # the timer restarts with every model call
        try:
            if not self.stream:
                msg = self.api.messages.create(**kw)
                for b in msg.content:
                    if b.type == "text":
                        emit(b.text)
                return msg
            with self.api.messages.stream(**kw) as stream:
                for event in stream:
                    if event.type == "text":
                        emit(event.text)
                    elif event.type == "content_block_start" and not shown[0]:
                        block = event.content_block
                        if block.type in THINKING_BLOCKS:
                            self._wait("thinking")
                        elif block.type == "tool_use":
                            self._wait(f"writing a {block.name} call")
                return stream.get_final_message()
        finally:
            self._wait(None)

    def _wait(self, label: str | None) -> None:
        if self.on_wait:
            self.on_wait(label)

    def _usage(self, msg) -> CallUsage:
        u = msg.usage
        usage = {"input_tokens": u.input_tokens or 0, "output_tokens": u.output_tokens or 0,
                 "cache_creation_input_tokens": u.cache_creation_input_tokens or 0,
                 "cache_read_input_tokens": u.cache_read_input_tokens or 0}
        cost = call_cost((msg.model, self.model), usage)
        return CallUsage(msg.model, msg.stop_reason, **usage, cost_usd=cost)
