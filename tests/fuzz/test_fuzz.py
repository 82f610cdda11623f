"""Process-level fuzzing (beside the in-process hypothesis tests): the CLI and the MCP server, as separate
processes under a 2 GiB memory limit and a time bound, fed generated hostile command lines, files
(/dev/zero, a FIFO, a directory, 100,000-deep JSON, 5,000-digit integers, NaN, binary), standard input
and JSON-RPC lines. Every CLI case must exit 0 or 2 with no traceback, an error in one line and strict
JSON; the MCP server must answer every request once, print nothing but protocol on stdout, and exit 0 at
the end of its input.

CI runs a few hundred cases (seed FUZZ_SEED, default 9); `python benchmarks/fuzz_cli.py` runs tens of
thousands and prints the counts.
"""

from __future__ import annotations

import os
import random

import click
import pytest
from modelmath.plugin.cli.main import cli
from modelmath.tools.registry import tools

from fuzz.cases import Files, cli_case, mcp_lines, run_tool_case
from fuzz.runner import ForkRunner, problems, run_mcp, run_spawned, spawnable

SEED = int(os.environ.get("FUZZ_SEED", "9"))
pytestmark = pytest.mark.skipif(os.name != "posix", reason="fork, FIFOs and setrlimit are POSIX")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return Files.make(tmp_path_factory.mktemp("fuzz-files"))


def _commands() -> dict:
    ctx = click.Context(cli)
    return {name: cli.get_command(ctx, name) for name in cli.list_commands(ctx)}


def cases(rng: random.Random, n: int, files: Files) -> list:
    commands, registry_tools = _commands(), list(tools())
    return [cli_case(rng, commands, files) if rng.random() < 0.8 else run_tool_case(rng, registry_tools)
            for _ in range(n)]


def _report(outcomes) -> str:
    bad = [(o, p) for o in outcomes for p in [problems(o)] if p]
    return "\n".join(f"{p}: {o.case.describe()[:300]}\n  stderr: {o.stderr[-500:]!r}" for o, p in bad[:10])


def test_cli_cases_forked(files, tmp_path):
    runner = ForkRunner(tmp_path)
    try:
        outcomes = [runner.run(c, timeout_s=30) for c in cases(random.Random(SEED), 250, files)]
    finally:
        runner.close()
    assert not _report(outcomes), _report(outcomes)
    assert {o.rc for o in outcomes} == {0, 2}  # both answers and refusals were reached


def test_cli_cases_spawned(files):
    # The real entry point, start-up included: fewer cases, each a fresh interpreter.
    outcomes = [run_spawned(c, timeout_s=60) for c in cases(random.Random(SEED + 1), 16, files) if spawnable(c)]
    assert not _report(outcomes), _report(outcomes)


def test_the_nasty_files_end_fast(files, tmp_path):
    """Each hostile file on each file-taking option: refused (or read) in time, never a hang."""
    from fuzz.cases import Case

    runner = ForkRunner(tmp_path)
    try:
        outcomes = []
        for path in files.paths.values():
            for argv in (["params", "--config", path], ["cost", "haiku-4.5", "--input-tokens", "1", "--output-tokens",
                                                         "1", "--prices", path], ["tokens", "--file", path],
                         ["ask", "--file", path, "question"], ["prices", "--prices", path]):
                outcomes.append(runner.run(Case(tuple(argv), stdin="/dev/zero"), timeout_s=30))
            outcomes.append(runner.run(Case(("params",), env=(("MODELMATH_PRICES", path),)), timeout_s=30))
    finally:
        runner.close()
    assert not _report(outcomes), _report(outcomes)


def test_mcp_server_answers_every_request():
    lines, ids = mcp_lines(random.Random(SEED), list(tools()), 400)
    rep = run_mcp(lines, ids, timeout_s=120)
    assert rep.bad() == {}, (rep.bad(), rep.unanswered[:10])
    assert rep.answered == len(ids) and rep.null_id_errors > 0  # some lines had no readable id
