"""How an answer is written on a terminal or a pipe: streamed Markdown with light styling, the provenance
footer (Reproduce, Sources), tool results for --verbose, and the usage/cost line."""

from __future__ import annotations

import os
import re
import sys

import click
from modelmath.tools import jsonsafe

from .answer import Answer, ToolCall, total_cost, usage_totals
from .provenance import shorten

_BOLD, _DIM, _CODE, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[36m", "\x1b[0m"


def _style_line(line: str) -> str:
    heading = re.match(r"#{1,6}\s+(.*)", line)
    if heading:
        return f"{_BOLD}{heading.group(1)}{_RESET}"
    line = re.sub(r"^(\s*)[-*]\s+", r"\1• ", line)
    line = re.sub(r"\*\*(.+?)\*\*", lambda m: f"{_BOLD}{m.group(1)}{_RESET}", line)
    return re.sub(r"`([^`]+)`", lambda m: f"{_CODE}{m.group(1)}{_RESET}", line)


class AnswerWriter:
    """Streams answer text. On a terminal, whole lines are styled (headings, bold, code, bullets) as they
    complete; piped output is written as it arrives, unchanged."""

    def __init__(self, stream=None, styled: bool | None = None):
        self.out = stream or sys.stdout
        if styled is None:
            styled = self.out.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
        self.styled = styled
        self.pending = ""
        self.in_fence = False
        self.wrote = False
        self.at_line_start = True  # what the terminal shows: used to start progress lines on a fresh line

    def write(self, text: str) -> None:
        self.wrote = True
        if not self.styled:
            self.out.write(text)
            self.out.flush()
            self.at_line_start = text.endswith("\n")
            return
        self.pending += text
        while "\n" in self.pending:
            line, self.pending = self.pending.split("\n", 1)
            self._line(line, "\n")

    def _line(self, line: str, end: str) -> None:
        if line.lstrip().startswith("```"):
            self.in_fence = not self.in_fence
            return
        self.out.write((f"{_DIM}{line}{_RESET}" if self.in_fence else _style_line(line)) + end)
        self.out.flush()
        self.at_line_start = end == "\n"

    def end_line(self) -> None:
        """Finish the current output line (before a progress line on the same terminal)."""
        if self.pending:
            self._line(self.pending, "\n")
            self.pending = ""
        elif not self.at_line_start:
            self.out.write("\n")
            self.out.flush()
            self.at_line_start = True

    def close(self) -> None:
        """Flush a partial last line and end the answer with a newline."""
        if self.pending:
            self._line(self.pending, "")
            self.pending = ""
        if self.wrote and not self.at_line_start:
            self.out.write("\n")
            self.out.flush()
        self.at_line_start = True
        self.wrote = False
        self.in_fence = False


def footer(answer: Answer) -> str:
    """Reproduce and Sources, from the tool calls (never from the model's text)."""
    used = [c for c in answer.tool_calls if not c.is_error and c.command]
    if not used:
        return "\nReproduce: no calculator result was used in this answer."
    lines = ["", "Reproduce (offline, no API key; each prints the exact result Claude was given):"]
    lines += [f"  {shorten(c.command)}" for c in used]  # type: ignore[arg-type]
    src = answer.sources
    if src:
        lines.append("Sources:")
        lines += [f"  {s['name']} ({s['kind']} catalog, as of {s['as_of']}): {s['source']}" for s in src]
    return "\n".join(lines)


def _short(obj: object, limit: int = 240) -> str:
    try:
        s = obj if isinstance(obj, str) else jsonsafe.dumps(obj, separators=(",", ":"))
    except ValueError:  # a NaN in what the model sent: shown as Python writes it, never as would-be JSON
        s = repr(obj)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def show_tool(call: ToolCall) -> None:
    """--verbose: each tool's input and result."""
    click.echo(f"[tool] {call.name} {_short(call.input)}", err=True)
    if call.is_error:
        err = call.result.get("error", {})
        click.echo(f"[tool]   error: {_short(err.get('message', err))}", err=True)
    else:
        click.echo(f"[tool]   ok: {_short(call.result)}", err=True)


def cost_line(calls: list, model: str) -> str:
    u = usage_totals(calls)
    cost = total_cost(calls)
    money = f"${cost:.4f}" if cost is not None else "cost unknown (model not in the price catalog)"
    return (f"{len(calls)} API call(s), {model}: {u['input_tokens']:,} input + {u['cache_creation_input_tokens']:,} "
            f"cache-write + {u['cache_read_input_tokens']:,} cache-read + {u['output_tokens']:,} output tokens; "
            f"{money}")
