"""`modelmath web` as a real server process for tests: started on a free port, its address read from the line it
prints at start-up."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

TEST_KEY = "sk-ant-standin-not-a-real-key"


@dataclass
class Served:
    url: str  # http://127.0.0.1:PORT (no trailing slash)
    process: subprocess.Popen
    log: Path


def start_server(tmp: Path, *args: str, env: dict[str, str] | None = None) -> Served:
    """`modelmath web --port 0 ARGS` in a subprocess; its address is read from the line it prints."""
    log = tmp / "web-server.log"
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "MODELMATH_"))}
    full_env |= env or {}
    with log.open("w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "modelmath.plugin.cli.main", "web", "--port", "0", *args],
                                stdout=subprocess.DEVNULL, stderr=err, env=full_env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        text = log.read_text()
        if "serving on " in text:
            url = text.split("serving on ", 1)[1].split()[0].split("#")[0].rstrip("/")
            return Served(url, proc, log)
        if proc.poll() is not None:
            raise AssertionError(f"modelmath web exited with {proc.returncode}: {text}")
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"modelmath web did not start within 30 s: {log.read_text()}")


def stop_server(served: Served) -> None:
    served.process.terminate()
    try:
        served.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        served.process.kill()
