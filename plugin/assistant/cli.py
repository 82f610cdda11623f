"""`modelmath ask` and `modelmath chat`: the assistant on the command line.

The anthropic SDK is imported only when one of these commands runs (via plugin.agent), so the offline
calculators start fast. Answers stream to stdout (lightly styled Markdown on a terminal, plain text when
piped); tool calls, notices and errors go to stderr.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from pathlib import Path

import click

from .. import files
from .agent import (
    AUDIENCES,
    DEFAULT_MAX_TOKENS,
    DEFAULT_MAX_TURNS,
    MAX_DOCUMENT_BYTES,
    Assistant,
    AssistantError,
    ToolCall,
    make_client,
    resolve_model_id,
    total_cost,
    usage_totals,
)


class AssistantFailure(click.ClickException):
    """One line on stderr; exit 1 for API/network failures, 2 for configuration."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


# -- output ------------------------------------------------------------------------------------------

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

    def write(self, text: str) -> None:
        self.wrote = True
        if not self.styled:
            self.out.write(text)
            self.out.flush()
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

    def close(self) -> None:
        """Flush a partial last line and end the answer with a newline."""
        if self.pending:
            self._line(self.pending, "")
            self.pending = ""
        if self.wrote:
            self.out.write("\n")
            self.out.flush()
        self.wrote = False
        self.in_fence = False


def _short(obj: object, limit: int = 240) -> str:
    s = obj if isinstance(obj, str) else json.dumps(obj, separators=(",", ":"))
    return s if len(s) <= limit else s[: limit - 1] + "…"


def show_tool(call: ToolCall) -> None:
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


# -- shared setup ------------------------------------------------------------------------------------

def _read_document(path: str) -> str:
    try:
        return files.read_text(path, MAX_DOCUMENT_BYTES, what="--file")
    except files.FileRefused as exc:
        raise AssistantFailure(exc.message, 2) from exc


def _assistant(model: str | None, audience: str, max_turns: int, max_tokens: int, *, stream: bool,
               on_text, verbose: bool) -> Assistant:
    try:
        client = make_client()
        model_id = resolve_model_id(model)
    except AssistantError as exc:
        raise AssistantFailure(exc.message, exc.exit_code) from exc
    return Assistant(client, model=model_id, audience=audience, max_turns=max_turns, max_tokens=max_tokens,
                     stream=stream, on_text=on_text, on_tool=show_tool if verbose else None)


def _common(fn):
    opts = [
        click.option("--model", help="Claude model id (default: $MODELMATH_MODEL, else the current Sonnet)."),
        click.option("--audience", type=click.Choice(AUDIENCES), default="developer", show_default=True,
                     help="developer: formulas and terms; support: plain, customer-ready wording."),
        click.option("--max-turns", type=click.IntRange(1, 50), default=DEFAULT_MAX_TURNS, show_default=True,
                     help="Most model calls for one question (each tool round is one)."),
        click.option("--max-tokens", type=click.IntRange(1, 128_000), default=DEFAULT_MAX_TOKENS,
                     show_default=True, help="Most tokens in one model reply."),
        click.option("--verbose", "-v", is_flag=True, help="Show each tool call and result, and usage, on stderr."),
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


# -- commands ----------------------------------------------------------------------------------------

@click.command("ask")
@click.argument("question", nargs=-1, required=True)
@_common
@click.option("--file", "file_", type=click.Path(dir_okay=False),
              help='A text/Markdown file to check or use, e.g. --file notes.md "check every number in this".')
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object: answer, model, tool_calls, usage, cost_usd.")
@click.pass_context
def ask_cmd(ctx, question, model, audience, max_turns, max_tokens, verbose, file_, as_json):
    """Ask Claude a question; every number in the answer comes from the calculators (needs
    ANTHROPIC_API_KEY)."""
    text = " ".join(question).strip()
    if not text:
        raise AssistantFailure("the question is empty", 2)
    document = _read_document(file_) if file_ else None
    writer = None if as_json else AnswerWriter()
    assistant = _assistant(model, audience, max_turns, max_tokens, stream=not as_json,
                           on_text=writer.write if writer else None, verbose=verbose)
    try:
        answer = assistant.ask(text, document=document, document_name=Path(file_).name if file_ else "document")
    except AssistantError as exc:
        if writer:
            writer.close()
        raise AssistantFailure(exc.message, exc.exit_code) from exc
    if writer:
        writer.close()
    else:
        click.echo(json.dumps(answer.to_json(), indent=2, ensure_ascii=False))
    if answer.notice:
        click.echo(f"modelmath: {answer.notice}", err=True)
    if verbose:
        click.echo(cost_line(answer.calls, answer.model), err=True)
    if not answer.complete:
        ctx.exit(1)


CHAT_HELP = "/reset clears the conversation, /cost shows tokens and cost so far, /quit leaves (or Ctrl-D)"


@click.command("chat")
@_common
def chat_cmd(model, audience, max_turns, max_tokens, verbose):
    """Talk with the assistant; the conversation is kept until /reset (needs ANTHROPIC_API_KEY)."""
    writer = AnswerWriter()
    assistant = _assistant(model, audience, max_turns, max_tokens, stream=True, on_text=writer.write,
                           verbose=verbose)
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401 - line editing and ↑ history for input(), where the platform has it
    click.echo(f"modelmath chat with {assistant.model}. {CHAT_HELP}; Ctrl-C stops an answer.", err=True)
    while True:
        try:
            line = input("you> ").strip()
        except EOFError:
            click.echo("", err=True)
            break
        except KeyboardInterrupt:
            click.echo("\n(Ctrl-C: /quit or Ctrl-D leaves)", err=True)
            continue
        if not line:
            continue
        if line.startswith("/"):
            cmd = line.split()[0].lower()
            if cmd in ("/quit", "/exit", "/q"):
                break
            if cmd == "/reset":
                assistant.reset()
                click.echo("(conversation cleared)", err=True)
            elif cmd == "/cost":
                click.echo(cost_line(assistant.calls, assistant.model), err=True)
            else:
                click.echo(f"(unknown command {cmd}: {CHAT_HELP})", err=True)
            continue
        try:
            answer = assistant.ask(line)
        except KeyboardInterrupt:
            writer.close()
            click.echo("(answer stopped; the question was dropped from the conversation)", err=True)
            continue
        except AssistantError as exc:
            writer.close()
            click.echo(f"modelmath: error: {exc.message}", err=True)
            continue
        writer.close()
        if answer.notice:
            click.echo(f"modelmath: {answer.notice}", err=True)
        if verbose:
            click.echo(cost_line(answer.calls, answer.model), err=True)
    if assistant.calls:
        click.echo(cost_line(assistant.calls, assistant.model), err=True)
