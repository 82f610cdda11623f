"""`modelmath` command line. Calculator commands are derived from the registry; heavy imports (anthropic,
mcp, tiktoken) happen only inside the commands that need them, keeping the offline path fast."""

from __future__ import annotations

import os
import sys

import click
from modelmath.tools import jsonsafe
from modelmath.tools.errors import ModelMathError
from modelmath.tools.model import catalog
from modelmath.tools.registry import cli_commands, cli_tool, definitions, run_tool, tools

from .. import hub
from .build import CommandExtras, InputError, build_command, echo_json, format_error
from .repeats import OnceCommand

hub.install()  # model inputs may name Hub repositories and local checkpoints (read only when one is used)

# Hand-written commands and CLI-only extras live in their own modules, imported only when that command
# runs: `modelmath params` never loads the agent, the MCP server or the price file plumbing.
_LAZY_COMMANDS = {
    "ask": "assistant.cli:ask_cmd",
    "chat": "assistant.cli:chat_cmd",
    "eval": "assistant.evalcmd:eval_cmd",
    "logs": "assistant.logs_cli:logs_cmd",
    "mcp": "mcp.server:mcp_cmd",
    "prices": "cli.prices:prices_cmd",
    "tokens": "cli.prices:tokens_cmd",
    "web": "web.cli:web_cmd",
}
_LAZY_EXTRAS = {  # --prices FILE and $ rendering on the derived cost commands
    "cost": "cli.prices:PRICED_EXTRAS",
    "self-host": "cli.prices:PRICED_EXTRAS",
}


def _load(ref: str):
    from importlib import import_module

    module, attr = ref.split(":")  # relative to modelmath.plugin
    return getattr(import_module(f"modelmath.plugin.{module}"), attr)


class ToolGroup(click.Group):
    """Calculator commands are built from the registry on demand, so starting `modelmath params` does not
    build every other command; hand-written commands are imported on demand too."""

    command_class = OnceCommand  # @cli.command: an option given twice with different values is refused

    def list_commands(self, ctx):
        return sorted({*super().list_commands(ctx), *cli_commands(), *_LAZY_COMMANDS})

    def get_command(self, ctx, name):
        cmd = super().get_command(ctx, name)
        if cmd is not None:
            return cmd
        if name in _LAZY_COMMANDS:
            return _load(_LAZY_COMMANDS[name])
        tool = cli_tool(name)
        if tool is None:
            return None
        extras: CommandExtras | None = _load(_LAZY_EXTRAS[name]) if name in _LAZY_EXTRAS else None
        return build_command(tool, extras)


@click.group(cls=ToolGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="modelmath")
def cli() -> None:
    """Exact, explained numbers about LLMs: parameters, KV cache, memory, GPUs, speed, cost."""
    if os.environ.get("MODELMATH_TODAY"):
        # The day prices and model status are computed for when an input gives no date: a Reproduce command
        # pins it, so the command prints the identical result on any later day.
        from modelmath.tools.errors import InvalidInput
        from modelmath.tools.pricing.lifecycle import parse_date, set_today

        try:
            pinned = parse_date(os.environ["MODELMATH_TODAY"], "MODELMATH_TODAY")
        except InvalidInput as exc:
            raise click.UsageError(str(exc)) from None
        set_today(lambda: pinned)
    if os.environ.get("MODELMATH_PRICES"):
        # A user price file applies to every command that prices (cost, ask, chat, mcp); read lazily.
        from .prices import install

        install()


@cli.command("models")
@click.argument("query", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def models_cmd(query: str | None, as_json: bool) -> None:
    """List catalog models (optionally matching QUERY) with source dates."""
    found = catalog.search(query)
    if as_json:
        echo_json([e.provenance() | {"hf_repo": e.hf_repo} for e in found])
        return
    if not found:
        raise InputError(f"no catalog model matches {query!r}; `modelmath models` lists them all")
    width = max(len(e.id) for e in found)
    for e in found:
        flag = "  [speculative]" if e.speculative else ""
        click.echo(f"{e.id.ljust(width)}  {e.name}  (as of {e.as_of}){flag}")


@cli.command("tools")
@click.option("--json", "as_json", is_flag=True, help="Print the definitions exactly as sent to Claude.")
def tools_cmd(as_json: bool) -> None:
    """List the calculator tools (the same definitions Claude and MCP clients see)."""
    if as_json:
        echo_json(definitions())
        return
    for t in tools():
        click.echo(f"{t.name}: {t.description}\n")


@cli.command("run-tool")
@click.argument("name")
@click.argument("input_json", metavar="'JSON'", default="{}")
def run_tool_cmd(name: str, input_json: str) -> None:
    """Run one tool exactly as the model would and print its JSON result (errors too, exit 2)."""
    from modelmath.tools.model.hf_config import NONFINITE_KEYS  # a pasted config.json may hold them

    try:
        inp = jsonsafe.loads(input_json, what="tool input", nonfinite_as_null=NONFINITE_KEYS)
    except ModelMathError as exc:
        click.echo(jsonsafe.dumps({"error": {"type": "invalid_json", "message": exc.message}}, indent=2))
        sys.exit(2)
    outcome = run_tool(name, inp)
    click.echo(jsonsafe.dumps(outcome.result, indent=2))
    if outcome.is_error:
        sys.exit(2)


def one_line(message: str) -> str:
    """An error as one terminal line: control characters and line breaks from echoed input are escaped,
    very long runs shortened."""
    from modelmath.tools.errors import shorten

    return shorten("".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in message))


def _say(message: str) -> None:
    click.echo(f"modelmath: {one_line(message)}", err=True)


def main(argv: list[str] | None = None) -> None:
    """Entry point: every user error is one line on stderr and exit status 2, never a traceback."""
    try:
        rv = cli.main(args=argv, prog_name="modelmath", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        _say("aborted")
        sys.exit(130)
    except click.UsageError as exc:
        hint = f" (try 'modelmath {exc.ctx.command_path.split(' ', 1)[-1]} --help')" if exc.ctx else ""
        _say(f"error: {exc.format_message()}{hint if exc.ctx and exc.ctx.parent else ''}")
        sys.exit(2)
    except click.ClickException as exc:
        _say(f"error: {exc.format_message()}")
        sys.exit(exc.exit_code)
    except ModelMathError as exc:
        _say(f"error: {format_error({'error': exc.to_dict()})}")
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:  # `modelmath ... | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001 - our bug: one line (traceback with MODELMATH_DEBUG=1), never a dump
        if os.environ.get("MODELMATH_DEBUG"):
            raise
        _say(f"internal error: {type(exc).__name__}: {exc} (MODELMATH_DEBUG=1 shows where)")
        sys.exit(1)
    sys.exit(rv if isinstance(rv, int) else 0)


if __name__ == "__main__":
    main()
