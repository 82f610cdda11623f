"""Cold start of the offline CLI against a bare interpreter.

    python benchmarks/cold_start.py [--runs 20]

Runs `modelmath params llama-3.1-8b --json` and `python -c pass` alternately, reports medians and the
ratio (goal ≤ 3x), and the import-time share of the heaviest modules (python -X importtime).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def timed(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    exe = Path(sys.executable).with_name("modelmath")
    cli = [str(exe)] if exe.exists() else [sys.executable, "-m", "modelmath.plugin.cli.main"]
    ours = [*cli, "params", "llama-3.1-8b", "--json"]
    bare = [sys.executable, "-c", "pass"]
    floor = [sys.executable, "-c", "import click"]  # any click CLI pays this before doing anything
    timed(ours), timed(bare), timed(floor)  # warm the page cache and .pyc files
    a, b, c = [], [], []
    for _ in range(args.runs):
        a.append(timed(ours))
        b.append(timed(bare))
        c.append(timed(floor))
    ma, mb, mc = statistics.median(a), statistics.median(b), statistics.median(c)
    print(f"modelmath params --json : {ma * 1000:7.1f} ms (median of {args.runs})")
    print(f"python -c pass          : {mb * 1000:7.1f} ms")
    print(f"python -c 'import click': {mc * 1000:7.1f} ms  ({mc / mb:.2f}x bare: the floor for a click CLI)")
    print(f"ratio                   : {ma / mb:7.2f}x  (goal <= 3x)")
    env = dict(os.environ, PYTHONPROFILEIMPORTTIME="1")
    p = subprocess.run([sys.executable, "-X", "importtime", "-m", "modelmath.plugin.cli.main", "params", "llama-3.1-8b",
                        "--json"], capture_output=True, text=True, env=env)
    rows = []
    for line in p.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cum, name = (x.strip() for x in line[len("import time:"):].split("|"))
            if cum.isdigit() and not name.startswith(" ") and "." not in name.strip():
                rows.append((int(cum), name.strip()))
    print("top-level imports by cumulative time:")
    for cum, name in sorted(rows, reverse=True)[:8]:
        print(f"  {name:24s} {cum / 1000:6.1f} ms")


if __name__ == "__main__":
    main()
