"""Refuse an option given twice with different values (`--engine llama.cpp --engine vllm`): click keeps the last
one silently, and a calculator must not guess which the user meant. Options that collect values (multiple=True,
counts) may repeat; the same value twice is harmless and allowed."""

from __future__ import annotations

import click


def _owner(cmd: click.Command, token: str) -> tuple[click.Option, str | None] | None:
    """The option a command-line token names, and the value attached with '=' (None when it is the next token)."""
    name, eq, attached = token.partition("=")
    for p in cmd.params:
        if isinstance(p, click.Option) and (name in p.opts or name in p.secondary_opts):
            value = attached if eq else ("off" if name in p.secondary_opts else None)
            return p, value
    return None


def repeated_option(cmd: click.Command, args: list[str]) -> str | None:
    """The message for the first single-valued option given twice with different values, else None."""
    seen: dict[str, tuple[str, str]] = {}
    i = 0
    while i < len(args):
        token = args[i]
        if token == "--":
            break
        hit = _owner(cmd, token) if token.startswith("-") and len(token) > 1 else None
        if hit is None:
            i += 1
            continue
        opt, value = hit
        if value is None:
            if opt.is_flag:
                value = "on"
            else:
                value = args[i + 1] if i + 1 < len(args) else ""
                i += 1
        i += 1
        if opt.multiple or opt.count or opt.name is None:
            continue
        spelled = token.partition("=")[0]
        if opt.name in seen and seen[opt.name][1] != value:
            first, before = seen[opt.name]
            return (f"{spelled} given twice ({first} {before!r}, then {spelled} {value!r}): give it once")
        seen.setdefault(opt.name, (spelled, value))
    return None


class OnceCommand(click.Command):
    """A command that refuses a single-valued option given twice with different values."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        message = repeated_option(self, args)
        if message:
            raise click.UsageError(message, ctx)
        return super().parse_args(ctx, args)
