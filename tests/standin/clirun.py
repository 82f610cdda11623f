"""Run `modelmath ARGS` in-process through the real entry point, so cassettes apply: shared by the CLI tests."""

from __future__ import annotations

import io
import sys

import pytest
from modelmath.plugin.cli.main import main

MODEL = "claude-sonnet-5-5"  # pinned so cassettes replay whatever the catalog's default becomes


def run(monkeypatch, capsys, args: list[str], env: dict | None = None, stdin: str = "") -> tuple[int, str, str]:
    """Run `modelmath ARGS` in-process (so cassettes apply) and return (exit status, stdout, stderr)."""
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    monkeypatch.setenv("MODELMATH_MODEL", MODEL)
    for k, v in (env or {}).items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    with pytest.raises(SystemExit) as done:
        main(args)
    out, err = capsys.readouterr()
    return done.value.code or 0, out, err


def one_line_error(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("modelmath: error: ")
    return lines[0]
