"""What one question produces: the tool calls (with their reproduce commands), the usage and exact cost of
each API call, and the answer with the sources it drew on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import provenance

if TYPE_CHECKING:
    from decimal import Decimal


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    input: object
    result: dict
    is_error: bool
    command: str | None = None  # offline command printing this exact result; None when no tool ran
    duplicate_of: str | None = None  # the earlier identical call's id

    def to_dict(self) -> dict:
        return {"name": self.name, "input": self.input, "result": self.result, "is_error": self.is_error,
                "command": self.command}


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
    log_id: str | None = None  # the response id in the log database, once logged

    @property
    def usage(self) -> dict:
        return usage_totals(self.calls)

    @property
    def cost_usd(self) -> Decimal | None:
        return total_cost(self.calls)

    @property
    def sources(self) -> list[dict]:
        return provenance.sources(c.result for c in self.tool_calls if not c.is_error)

    def to_json(self) -> dict:
        return {"answer": self.text, "model": self.model, "tool_calls": [t.to_dict() for t in self.tool_calls],
                "sources": self.sources, "usage": {**self.usage, "calls": [c.to_dict() for c in self.calls]},
                "cost_usd": _money(self.cost_usd), "stop_reason": self.stop_reason, "complete": self.complete,
                "notice": self.notice}
