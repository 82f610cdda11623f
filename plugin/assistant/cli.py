"""`modelmath ask` and `modelmath chat`: the assistant on the command line.

The anthropic SDK is imported only when one of these commands runs (via plugin.agent), so the offline
calculators start fast. Answers stream to stdout (lightly styled Markdown on a terminal, plain text when
piped) and end with "Reproduce" (an offline command per tool call) and "Sources" (catalog entries with their
dates), both computed from the tool calls. Progress (each tool call as it starts, retries, an elapsed timer
while Claude thinks on a terminal), notices and errors go to stderr. Every exchange is logged (logs.py).
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click
from modelmath.plugin.cli.paths import FilePath
from modelmath.plugin.cli.repeats import OnceCommand
from modelmath.tools import jsonsafe

from .. import files
from . import logs as logstore
from .agent import (
    AUDIENCES,
    DEFAULT_MAX_TURNS,
    MAX_DOCUMENT_BYTES,
    Assistant,
    AssistantError,
    ToolCall,
    make_client,
    resolve_model_id,
)
from .output import AnswerWriter, cost_line, footer, show_tool
from .progress import Progress

EFFORTS = ("low", "medium", "high", "xhigh", "max")


class AssistantFailure(click.ClickException):
    """One line on stderr; exit 1 for API/network failures, 2 for configuration."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


def _read_document(path: str) -> str:
    try:
        return files.read_text(path, MAX_DOCUMENT_BYTES, what="--file")
    except files.FileRefused as exc:
        raise AssistantFailure(exc.message, 2) from exc


def _warn(message: str) -> None:
    click.echo(f"modelmath: {message}", err=True)


def _check_model_id(model: str) -> None:
    """A name that is no Claude model id is refused before any request (--model gpt-4 went through three
    connection retries first). Claude API ids start with 'claude-'; a catalog name such as sonnet-5.5 is
    pointed at its id. Behind ANTHROPIC_BASE_URL (a gateway may name models its own way) nothing is checked."""
    import os

    if model.startswith("claude-") or os.environ.get("ANTHROPIC_BASE_URL"):
        return
    from modelmath.tools.pricing.prices import active_catalog

    entry = active_catalog().find(model)
    hint = f"--model {entry.id} is {entry.name}" if entry else "`modelmath prices` lists them"
    raise AssistantFailure(f"{model!r} is not a Claude model id (Claude API ids start with 'claude-'); {hint}", 2)


class Session:
    """One command's assistant, progress display and log: shared by ask and chat."""

    def __init__(self, opts: dict, *, writer: AnswerWriter | None):
        self.opts = opts
        self.writer = writer
        self.log: logstore.LogDB | None = None
        self.conversation_id: str | None = None
        resumed = self._open_log()
        both_tty = writer is not None and writer.out.isatty() and sys.stderr.isatty()
        self.progress = Progress(quiet=opts["quiet"], before_line=writer.end_line if both_tty else None)
        try:
            client = make_client()
            model = resolve_model_id(opts["model"] or (resumed or {}).get("model"))
            _check_model_id(model)
            audience = opts["audience"] or (resumed or {}).get("audience") or "developer"
            self.assistant = Assistant(
                client, model=model, audience=audience, max_turns=opts["max_turns"],
                max_tokens=opts["max_tokens"], effort=opts["effort"], stream=True,
                on_text=writer.write if writer else None, on_tool=show_tool if opts["verbose"] else None,
                on_tool_start=self.progress.tool_started, on_wait=self.progress.waiting,
                on_retry=self.progress.retrying)
        except AssistantError as exc:
            raise AssistantFailure(exc.message, exc.exit_code) from exc
        for notice in self.assistant.options.notices:
            _warn(notice)
        if resumed:
            history = self.log.history(self.conversation_id)  # type: ignore[union-attr]
            if resumed["model"] != self.assistant.model:
                history = logstore.strip_thinking(history)
            self.assistant.load_history(history)

    def _open_log(self) -> dict | None:
        """Open the log unless turned off; returns the conversation being resumed, if any."""
        wanted = self.opts.get("conversation") or (self.opts.get("continue_") and "latest")
        if self.opts["no_log"] or logstore.logging_disabled():
            if wanted:
                raise AssistantFailure("--continue / --conversation need the log, which is turned off "
                                       f"(--no-log or {logstore.OFF_ENV})", 2)
            return None
        try:
            self.log = logstore.LogDB(logstore.db_path())
        except logstore.LogError as exc:
            if wanted:
                raise AssistantFailure(str(exc), 2) from exc
            _warn(f"warning: {exc}; this exchange is not logged")
            return None
        if not wanted:
            return None
        cid = self.log.latest_conversation_id() if wanted == "latest" else wanted
        conv = self.log.conversation(cid) if cid else None
        if conv is None:
            raise AssistantFailure("no logged conversation to continue" if wanted == "latest" else
                                   f"no logged conversation with id {wanted!r}; `modelmath logs` lists them", 2)
        self.conversation_id = cid
        return conv

    def ask(self, question: str, *, document: str | None = None, document_name: str | None = None):
        a = self.assistant
        try:
            answer = a.ask(question, document=document, document_name=document_name or "document")
        finally:
            self.progress.close()
            if self.writer:
                self.writer.close()
        answer.log_id = self._record(question, document_name, answer)
        return answer

    def _record(self, question: str, document_name: str | None, answer) -> str | None:
        if self.log is None:
            return None
        a = self.assistant
        try:
            if self.conversation_id is None:
                self.conversation_id = self.log.new_conversation(a.model, a.audience)
            return self.log.log(self.conversation_id, answer, question=question, document_name=document_name,
                                messages=a.last_exchange, effort=a.options.effort, max_tokens=a.max_tokens)
        except logstore.LogError as exc:
            _warn(f"warning: {exc}; logging stops for this session")
            self.log = None
            return None

    def new_conversation(self) -> None:
        self.assistant.reset()
        self.conversation_id = None


def _common(fn):
    opts = [
        click.option("--model", help="Claude model id (default: $MODELMATH_MODEL, else the current Sonnet; a "
                                     "resumed conversation keeps its model)."),
        click.option("--audience", type=click.Choice(AUDIENCES), default=None,
                     help="developer (default): formulas and terms; support: plain, customer-ready wording."),
        click.option("--effort", type=click.Choice(EFFORTS), default=None,
                     help="output_config.effort: how much Claude thinks and writes (default medium where the "
                          "model supports effort; not sent to models without it)."),
        click.option("--max-turns", type=click.IntRange(1, 50), default=DEFAULT_MAX_TURNS, show_default=True,
                     help="Most model calls with tools for one question; then one last call answers without "
                          "tools (marked incomplete)."),
        click.option("--max-tokens", type=click.IntRange(1, 300_000), default=None,
                     help="Most tokens in one model reply, thinking included (default 16,000, 64,000 at effort "
                          "xhigh/max; never above the model's max output)."),
        click.option("--verbose", "-v", is_flag=True, help="Also show each tool result, and usage, on stderr."),
        click.option("--quiet", "-q", is_flag=True, help="No progress lines or thinking timer on stderr."),
        click.option("--no-log", is_flag=True, help=f"Do not log this exchange (also ${logstore.OFF_ENV}=1)."),
        click.option("--continue", "-c", "continue_", is_flag=True,
                     help="Continue the most recent logged conversation."),
        click.option("--conversation", "--cid", "conversation", metavar="ID",
                     help="Continue the logged conversation ID (`modelmath logs` lists them)."),
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


# -- commands ----------------------------------------------------------------------------------------

@click.command("ask", cls=OnceCommand)
@click.argument("question", nargs=-1, required=True)
@_common
@click.option("--file", "file_", type=FilePath(dir_okay=False),
              help='A text/Markdown file to check or use, e.g. --file notes.md "check every number in this".')
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object: answer, tool_calls (with command), sources, usage, cost_usd.")
@click.pass_context
def ask_cmd(ctx, question, file_, as_json, **opts):
    """Ask Claude a question; every number in the answer comes from the calculators (needs
    ANTHROPIC_API_KEY)."""
    text = " ".join(question).strip()
    if not text:
        raise AssistantFailure("the question is empty", 2)
    document = _read_document(file_) if file_ else None
    session = Session(opts, writer=None if as_json else AnswerWriter())
    try:
        answer = session.ask(text, document=document, document_name=Path(file_).name if file_ else None)
    except AssistantError as exc:
        raise AssistantFailure(exc.message, exc.exit_code) from exc
    a = session.assistant
    if as_json:
        out = {**answer.to_json(), "effort": a.options.effort, "max_tokens": a.max_tokens,
               "id": answer.log_id, "conversation_id": session.conversation_id if answer.log_id else None}
        click.echo(jsonsafe.dumps(out, indent=2, ensure_ascii=False))
    else:
        click.echo(footer(answer))
    if answer.notice:
        _warn(answer.notice)
    if opts["verbose"]:
        click.echo(cost_line(answer.calls, answer.model), err=True)
    if not answer.complete:
        ctx.exit(1)


def next_question(stream=None) -> str:
    """The next line of the conversation. A terminal gets input()'s line editing; a pipe or file is read one
    line of at most MAX_DOCUMENT_BYTES at a time (`chat < /dev/zero` has no line end and would never stop)."""
    if stream is None and sys.stdin.isatty():
        return input("you> ")
    raw = (stream or getattr(sys.stdin, "buffer", sys.stdin)).readline(MAX_DOCUMENT_BYTES + 1)
    if not raw:
        raise EOFError
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise AssistantFailure(f"standard input: a line over {MAX_DOCUMENT_BYTES:,} bytes is not a question; "
                               "stopped", 2)
    return raw if isinstance(raw, str) else raw.decode("utf-8", "replace")


CHAT_HELP = "/reset starts a new conversation, /cost shows tokens and cost so far, /quit leaves (or Ctrl-D)"


@click.command("chat", cls=OnceCommand)
@_common
def chat_cmd(**opts):
    """Talk with the assistant; the conversation is kept (and logged) until /reset (needs
    ANTHROPIC_API_KEY)."""
    writer = AnswerWriter()
    session = Session(opts, writer=writer)
    assistant = session.assistant
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401 - line editing and ↑ history for input(), where the platform has it
    resumed = f", continuing conversation {session.conversation_id}" if assistant.messages else ""
    click.echo(f"modelmath chat with {assistant.model}{resumed}. {CHAT_HELP}; Ctrl-C stops an answer.", err=True)
    while True:
        try:
            line = next_question().strip()
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
                session.new_conversation()
                click.echo("(conversation cleared)", err=True)
            elif cmd == "/cost":
                click.echo(cost_line(assistant.calls, assistant.model), err=True)
            else:
                click.echo(f"(unknown command {cmd}: {CHAT_HELP})", err=True)
            continue
        try:
            answer = session.ask(line)
        except KeyboardInterrupt:
            click.echo("(answer stopped; the question was dropped from the conversation)", err=True)
            continue
        except AssistantError as exc:
            click.echo(f"modelmath: error: {exc.message}", err=True)
            continue
        click.echo(footer(answer))
        if answer.notice:
            _warn(answer.notice)
        if opts["verbose"]:
            click.echo(cost_line(answer.calls, answer.model), err=True)
    if assistant.calls:
        click.echo(cost_line(assistant.calls, assistant.model), err=True)


__all__ = ["AnswerWriter", "ToolCall", "ask_cmd", "chat_cmd"]
