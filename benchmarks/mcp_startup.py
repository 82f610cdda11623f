"""Startup time of `modelmath mcp` over stdio: from spawning the process until its answer to `initialize`.

This is the wait an IDE host (Claude Code, Claude Desktop, Cursor) sees each time it starts the server.
The request is written as soon as the process exists, as hosts do; the clock stops when the response
line arrives on stdout. Prints the median (and min / max) of N runs, with a bare `python -c pass` start
beside it for scale.

    python benchmarks/mcp_startup.py            # 10 runs of `python -m modelmath.plugin.cli.main mcp`
    python benchmarks/mcp_startup.py -n 20 --command modelmath mcp
"""

from __future__ import annotations

import argparse
import json
import os
import select
import statistics
import subprocess
import sys
import time

INITIALIZE = {
    "jsonrpc": "2.0", "id": 1, "method": "initialize",
    # 2025-11-25 is the newest handshake-era protocol version, the one current hosts send.
    "params": {"protocolVersion": "2025-11-25", "capabilities": {},
               "clientInfo": {"name": "mcp-startup-benchmark", "version": "0"}},
}


def time_initialize(command: list[str], timeout_s: float = 60.0) -> float:
    """Seconds from spawn to the `initialize` response (raises if none arrives or it is not one)."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write((json.dumps(INITIALIZE) + "\n").encode())
        proc.stdin.flush()
        ready, _, _ = select.select([proc.stdout], [], [], timeout_s)
        if not ready:
            raise TimeoutError(f"no answer to initialize within {timeout_s} s")
        line = proc.stdout.readline()
        elapsed = time.perf_counter() - start
        reply = json.loads(line)
        if reply.get("id") != 1 or "result" not in reply:
            raise RuntimeError(f"unexpected first message: {line[:200]!r}")
        return elapsed
    finally:
        proc.stdin.close()  # EOF on stdin is how a host ends a stdio server
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def time_bare_python(runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--runs", type=int, default=10)
    ap.add_argument("--command", nargs=argparse.REMAINDER,
                    help="server command (default: this Python with -m modelmath.plugin.cli.main mcp)")
    args = ap.parse_args()
    command = args.command or [sys.executable, "-m", "modelmath.plugin.cli.main", "mcp"]
    if os.name == "nt":
        sys.exit("select() on pipes needs a POSIX system")

    time_initialize(command)  # warm-up: .pyc compilation and the page cache, not what a host sees twice
    samples = [time_initialize(command) for _ in range(args.runs)]
    print(f"command: {' '.join(command)}")
    print(f"initialize answered after: median {statistics.median(samples) * 1000:.0f} ms "
          f"(min {min(samples) * 1000:.0f}, max {max(samples) * 1000:.0f}; {args.runs} runs)")
    print(f"bare `python -c pass`:     median {time_bare_python(args.runs) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
