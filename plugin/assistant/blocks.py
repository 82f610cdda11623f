"""Content blocks on their way back to the API: tool results (errors as text naming the field and what is
allowed), the answer to a repeated call, assistant blocks as stored in the history (thinking exactly as
received), and the history with its one moving cache breakpoint."""

from __future__ import annotations

from modelmath.tools import jsonsafe
from modelmath.tools.registry import ToolOutcome

EPHEMERAL = {"type": "ephemeral"}
THINKING_BLOCKS = ("thinking", "redacted_thinking")


def tool_result_block(tool_use_id: str, outcome: ToolOutcome) -> dict:
    if not outcome.is_error:
        return {"type": "tool_result", "tool_use_id": tool_use_id, "content": jsonsafe.dumps(outcome.result)}
    # Error results take text only; name the field and what is allowed so the model can correct itself.
    err = outcome.result.get("error", {})
    text = f"{err.get('type', 'error')}: {err.get('message', 'tool failed')}"
    if err.get("field"):
        text += f" | field: {err['field']}"
    allowed = err.get("allowed")
    if allowed:
        text += " | allowed: " + (", ".join(map(str, allowed)) if isinstance(allowed, list) else str(allowed))
    return {"type": "tool_result", "tool_use_id": tool_use_id, "content": text, "is_error": True}


def duplicate_outcome(name: str, earlier_id: str) -> ToolOutcome:
    return ToolOutcome({"error": {"type": "duplicate_call", "earlier_tool_use_id": earlier_id, "message": (
        f"this {name} input is identical to call {earlier_id} earlier in this question; the tools are "
        "deterministic, so its result (above) is the answer: use it instead of calling again")}}, True)


def _block_param(block) -> dict:
    """An assistant content block as it goes back into the history. Text and tool_use in minimal shapes;
    everything else (thinking with its signature, redacted_thinking, server tools) exactly as received."""
    if block.type == "text":
        return {"type": "text", "text": block.text}
    if block.type == "tool_use":
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
    return block.model_dump(mode="json", exclude_none=True)


def _with_cache_breakpoint(messages: list[dict]) -> list[dict]:
    """The history with one cache breakpoint on its last cacheable block, so each round of a tool loop reads
    the previous rounds from cache. Thinking blocks cannot carry cache_control (Anthropic's prompt-caching
    page); they are cached with what follows them. Copies: the stored history never carries breakpoints,
    which keeps the total at 3 (tools, system, last message) of the 4 the API allows."""
    if not messages:
        return []
    last = messages[-1]
    blocks = [dict(b) for b in last["content"]]
    for b in reversed(blocks):
        if b.get("type") not in THINKING_BLOCKS:
            b["cache_control"] = EPHEMERAL
            break
    return [*messages[:-1], {"role": last["role"], "content": blocks}]
