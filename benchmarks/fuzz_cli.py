"""Fuzz the CLI and the MCP server with tens of thousands of hostile inputs and print the counts.

    python benchmarks/fuzz_cli.py                       # 10,000 CLI cases + 500 spawned + 10,000 MCP lines
    python benchmarks/fuzz_cli.py --cli 2000 --mcp 2000 --seed 7 --jobs 2

The cases and checks are those of tests/fuzz (cases.py, runner.py): every CLI case runs as its own process
(forked from a warm server, or spawned fresh) under a 2 GiB memory limit and a 30 s bound, and must exit 0 or
2 with no traceback, a one-line error and strict JSON; the MCP server must answer every request exactly
once with nothing but protocol on stdout. The goal for every count under "problems" is 0.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import click  # noqa: E402
from fuzz.cases import Files, cli_case, mcp_lines, run_tool_case  # noqa: E402
from fuzz.runner import ForkRunner, MCPReport, problems, run_mcp, run_spawned, spawnable  # noqa: E402
from modelmath.plugin.cli.main import cli  # noqa: E402
from modelmath.tools.registry import tools  # noqa: E402


def make_cases(rng: random.Random, n: int, files: Files) -> list:
    ctx = click.Context(cli)
    commands = {name: cli.get_command(ctx, name) for name in cli.list_commands(ctx)}
    registry_tools = list(tools())
    return [cli_case(rng, commands, files) if rng.random() < 0.8 else run_tool_case(rng, registry_tools)
            for _ in range(n)]


def run_forked(cases: list, jobs: int, scratch: Path) -> list:
    outcomes: list = [None] * len(cases)

    def work(k: int) -> None:
        d = scratch / f"job{k}"
        d.mkdir()
        runner = ForkRunner(d)
        try:
            for i in range(k, len(cases), jobs):
                outcomes[i] = runner.run(cases[i], timeout_s=30)
        finally:
            runner.close()

    threads = [threading.Thread(target=work, args=(k,)) for k in range(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def summarize(name: str, outcomes: list, seconds: float) -> Counter:
    bad: Counter = Counter()
    examples: dict = {}
    for o in outcomes:
        for p in problems(o):
            bad[p] += 1
            examples.setdefault(p, o)
    exits = Counter("hang" if o.rc is None else o.rc for o in outcomes)
    print(f"{name}: {len(outcomes):,} cases in {seconds:.0f} s; exit codes {dict(sorted(exits.items(), key=str))}")
    for p in ("traceback", "hang", "error not one line", "non-strict JSON", "non-protocol stdout"):
        print(f"  {p:22s} {bad[p]:,}")
    other = sum(n for p, n in bad.items() if p.startswith("exit "))
    print(f"  {'exit other than 0/2':22s} {other:,}")
    for p, o in examples.items():
        print(f"  e.g. {p}: {o.case.describe()[:200]}\n       {o.stderr[-300:]!r}")
    return bad


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cli", type=int, default=10_000, help="CLI cases run in forked processes")
    ap.add_argument("--spawned", type=int, default=500, help="CLI cases run as fresh interpreters")
    ap.add_argument("--mcp", type=int, default=10_000, help="JSON-RPC lines sent to MCP servers")
    ap.add_argument("--per-server", type=int, default=2_500, help="lines per MCP server process")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        files = Files.make(scratch / "files")
        t = time.monotonic()
        forked = run_forked(make_cases(rng, args.cli, files), args.jobs, scratch)
        bad = summarize("CLI, forked", forked, time.monotonic() - t)
        t = time.monotonic()
        spawned = [run_spawned(c, 60) for c in make_cases(rng, args.spawned, files) if spawnable(c)]
        bad += summarize("CLI, spawned", spawned, time.monotonic() - t)
    t = time.monotonic()
    total = MCPReport()
    servers = 0
    for start in range(0, args.mcp, args.per_server):
        lines, ids = mcp_lines(rng, list(tools()), min(args.per_server, args.mcp - start))
        rep = run_mcp(lines, ids, timeout_s=600)
        servers += 1
        for f in ("requests", "expected_ids", "answered", "duplicates", "null_id_errors", "non_protocol_lines",
                  "non_strict_json", "tracebacks"):
            setattr(total, f, getattr(total, f) + getattr(rep, f))
        total.unanswered += rep.unanswered
        total.hung |= rep.hung
        if rep.exit_code != 0:
            total.exit_code = rep.exit_code
    print(f"MCP: {total.requests:,} lines to {servers} server processes in {time.monotonic() - t:.0f} s; "
          f"{total.expected_ids:,} requests with an id, {total.answered:,} answered, "
          f"{total.null_id_errors:,} errors with id null (lines without a readable id)")
    for label, v in (("unanswered", len(total.unanswered)), ("answered twice", total.duplicates),
                     ("non-protocol stdout lines", total.non_protocol_lines),
                     ("non-strict JSON", total.non_strict_json), ("tracebacks", total.tracebacks),
                     ("hung", int(total.hung)),
                     ("server exit other than 0", int(total.exit_code not in (None, 0)))):
        print(f"  {label:26s} {v:,}")
    n = len(forked) + len(spawned) + total.requests
    problems_total = sum(bad.values()) + len(total.unanswered) + total.duplicates + total.non_protocol_lines + \
        total.non_strict_json + total.tracebacks + int(total.hung)
    print(f"total: {n:,} inputs, {problems_total:,} problems")
    sys.exit(1 if problems_total else 0)


if __name__ == "__main__":
    main()
