"""`modelmath logs`: list and show logged `ask`/`chat` exchanges (plugin/assistant/logs.py)."""

from __future__ import annotations

from decimal import Decimal

import click
from modelmath.tools import jsonsafe

from . import logs as logstore
from .provenance import shorten


class NothingLogged(click.ClickException):
    """Nothing to show is an answer about the input (like a query that matches nothing): exit status 2."""

    exit_code = 2


def _db() -> logstore.LogDB:
    path = logstore.db_path()
    if not path.exists():
        raise NothingLogged(f"no log database yet at {path}: nothing has been logged"
                            + (f" ({logstore.OFF_ENV} is set)" if logstore.logging_disabled() else ""))
    try:
        return logstore.LogDB(path)
    except logstore.LogError as exc:
        raise click.ClickException(str(exc)) from exc


def _money(cost: str | None) -> str:
    if cost is None:
        return "cost unknown"
    d = Decimal(cost)
    return f"${d:.4f}" if d < 1 else f"${d:,.2f}"


def _first_line(text: str, limit: int = 70) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


@click.group("logs", invoke_without_command=True)
# SQLite integers are 64-bit: a larger count would overflow in the query, not list more.
@click.option("-n", "--count", type=click.IntRange(1, 2**63 - 1), default=10, show_default=True,
              help="How many to list.")
@click.option("--conversation", "--cid", "conversation", metavar="ID", help="Only this conversation.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def logs_cmd(ctx, count: int, conversation: str | None, as_json: bool) -> None:
    """Logged questions and answers, newest first (`logs show ID` for one; `logs path` for the database)."""
    if ctx.invoked_subcommand is not None:
        return
    db = _db()
    rows = db.responses(conversation_id=conversation, limit=count)
    if as_json:
        click.echo(jsonsafe.dumps([r.to_json() for r in rows], indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("no logged exchanges" + (f" in conversation {conversation}" if conversation else ""))
        return
    for r in rows:
        flag = "" if r.complete else "  [incomplete]"
        click.echo(f"{r.id}  {r.created_at}  {r.model}  {_money(r.cost_usd)}  conv {r.conversation_id}{flag}\n"
                   f"    {_first_line(r.question)}")


@logs_cmd.command("show")
@click.argument("some_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (with the API messages, thinking included).")
def show_cmd(some_id: str, as_json: bool) -> None:
    """One response by its id, or a whole conversation by the conversation id."""
    try:
        found = _db().find(some_id)
    except logstore.LogError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(jsonsafe.dumps([r.to_json(with_messages=True) for r in found], indent=2, ensure_ascii=False))
        return
    for r in found:
        u = r.usage
        click.echo(f"## {r.id}  ({r.created_at}, {r.model}, conversation {r.conversation_id})")
        click.echo(f"Question: {r.question}" + (f"  [file: {r.document_name}]" if r.document_name else ""))
        click.echo(f"\n{r.answer}\n")
        if r.notice:
            click.echo(f"Notice: {r.notice}")
        for c in r.tool_calls:
            state = "error" if c["is_error"] else "ok"
            click.echo(f"  tool {c['name']} ({state}): {shorten(c['command']) if c.get('command') else '-'}")
        for s in r.sources:
            click.echo(f"  source: {s['name']} ({s['kind']}, as of {s['as_of']}): {s['source']}")
        click.echo(f"  usage: {u.get('input_tokens', 0):,} input + {u.get('cache_creation_input_tokens', 0):,} "
                   f"cache-write + {u.get('cache_read_input_tokens', 0):,} cache-read + "
                   f"{u.get('output_tokens', 0):,} output tokens; {_money(r.cost_usd)}\n")


@logs_cmd.command("path")
def path_cmd() -> None:
    """Where the log database is (set MODELMATH_LOGS_DB to move it, MODELMATH_NO_LOG=1 to stop logging)."""
    click.echo(str(logstore.db_path()))
