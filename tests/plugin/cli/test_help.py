"""Help texts: every option of every derived command says what it is (the QA pass found ~40 architecture
flags with none), and what the help promises matches what the command does."""

from __future__ import annotations

import pytest
from modelmath.plugin.cli.build import build_command
from modelmath.tools.registry import definitions, get_tool, tools

_DERIVED = [t for t in tools() if t.cli]


@pytest.mark.parametrize("tool", _DERIVED, ids=lambda t: t.cli.command)
def test_every_visible_option_has_help(tool):
    cmd = build_command(tool)
    bare = [p.opts[0] for p in cmd.params if getattr(p, "help", "x") in (None, "") and not getattr(p, "hidden", False)
            and p.param_type_name == "option"]
    assert not bare, f"{tool.cli.command}: no help for {bare}"


def test_architecture_help_stays_out_of_what_claude_is_sent():
    # The per-field descriptions are for the CLI and the web forms; the tool definitions keep the one-line
    # ARCHITECTURE_DOC (parameter_count) or a pointer to it (every other tool), so the prompt does not grow.
    for d in definitions():
        arch = d["input_schema"]["properties"].get("architecture")
        if arch is not None:
            assert set(arch) == {"type", "description"}, d["name"]
    full = get_tool("kv_cache").schema_for_validation["properties"]["architecture"]["properties"]
    assert all(s.get("description") for s in full.values())


def test_every_command_option_has_help():
    # The hand-written commands too (ask, chat, eval, logs, mcp, web, prices, tokens, models, tools).
    import click
    from modelmath.plugin.cli.main import cli

    ctx = click.Context(cli)
    bare = []
    for name in cli.list_commands(ctx):
        cmd = cli.get_command(ctx, name)
        subs = [cmd.get_command(ctx, n) for n in cmd.list_commands(ctx)] if isinstance(cmd, click.Group) else []
        for c in (cmd, *subs):
            bare += [f"{c.name} {p.opts[0]}" for p in c.params
                     if p.param_type_name == "option" and not p.help and not p.hidden]
    assert not bare
