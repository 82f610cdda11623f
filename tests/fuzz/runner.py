"""Runs fuzz cases as separate processes under a memory limit and a time bound, and says what went wrong.

Two ways to start a CLI case:
- `spawn`: a fresh `python -m modelmath.plugin.cli.main ...`, exactly what a user runs (about 0.2 s each);
- `fork`: a server process imports modelmath once and forks one child per case, which runs the same
  `main(argv)` with its own stdin, stdout, stderr, environment and limits (a few ms each), so that ten
  thousand cases take minutes, not an hour.
The MCP server is one real `modelmath mcp` process fed many JSON-RPC lines.

A CLI case passes when it exits 0 or 2 within the time bound, prints no traceback, says an error in one
line (notes about old option spellings aside; `run-tool` prints its error as JSON on stdout instead), and
any JSON on stdout is strict.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import select
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

MEMORY_LIMIT_BYTES = 2 * 2**30
TESTS_DIR = str(Path(__file__).resolve().parents[1])
CLI = [sys.executable, "-m", "modelmath.plugin.cli.main"]


def limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))


def _env(extra: tuple = ()) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("ANTHROPIC_API_KEY", "MODELMATH_PRICES",
                                                               "MODELMATH_DEBUG")}
    return env | dict(extra)


@dataclass
class Outcome:
    case: object
    rc: int | None  # None: killed at the time bound
    stdout: bytes
    stderr: bytes


def _strict(text: bytes) -> bool:
    def refuse(name):
        raise ValueError(name)

    try:
        json.loads(text, parse_constant=refuse)
    except ValueError:
        return False
    return True


def problems(o: Outcome) -> list[str]:
    """What is wrong with one CLI outcome (empty: nothing)."""
    out = []
    if o.rc is None:
        return ["hang"]
    if o.rc not in (0, 2):
        out.append(f"exit {o.rc}")
    if b"Traceback (most recent call last)" in o.stderr:
        out.append("traceback")
    said = [line for line in o.stderr.decode("utf-8", "replace").splitlines() if line.strip()
            and not line.startswith("modelmath: note:")]
    body = o.stdout.lstrip()
    json_error = not said and body.startswith(b'{\n  "error"')  # run-tool: the error as JSON on stdout
    if o.rc == 2 and len(said) != 1 and not json_error:
        out.append("error not one line")
    serving = o.case.argv[:1] == ("mcp",) and not {"--help", "-h"} & set(o.case.argv)
    if serving:  # the MCP server: JSON-RPC lines only, each strict (its --help is text, as any command's)
        if any(not _strict(line) or not line.startswith(b'{"jsonrpc":"2.0"') for line in body.splitlines()):
            out.append("non-protocol stdout")
    elif body[:1] in (b"{", b"[") and not _strict(body):
        out.append("non-strict JSON")
    return out


# -- spawn -----------------------------------------------------------------------------------------------

def spawnable(case) -> bool:
    """What an OS can pass as a command line: no NUL byte in an argument, none over 128 KiB (Linux
    MAX_ARG_STRLEN); the forked runner takes the rest."""
    return all(len(a.encode()) < 128 * 1024 and "\0" not in a for a in case.argv)


def run_spawned(case, timeout_s: float) -> Outcome:
    with open(case.stdin or os.devnull, "rb") as stdin:
        p = subprocess.Popen([*CLI, *case.argv], stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=_env(case.env), preexec_fn=limit_memory)
        try:
            out, err = p.communicate(timeout=timeout_s)
            return Outcome(case, p.returncode, out, err)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            return Outcome(case, None, out, err)


# -- fork server -----------------------------------------------------------------------------------------

def _child(req: dict) -> None:
    """In the forked child: become the case's process, run main(argv), exit with its status."""
    code = 70
    try:
        limit_memory()
        fd = os.open(req["stdin"] or os.devnull, os.O_RDONLY)
        out = os.open(req["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        err = os.open(req["err"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        for src, dst in ((fd, 0), (out, 1), (err, 2)):
            os.dup2(src, dst)
        # Fresh stream objects: the server's may hold read-ahead of other requests.
        sys.stdin = io.TextIOWrapper(io.BufferedReader(io.FileIO(0, "r", closefd=False)))
        sys.stdout = io.TextIOWrapper(io.BufferedWriter(io.FileIO(1, "w", closefd=False)))
        sys.stderr = io.TextIOWrapper(io.BufferedWriter(io.FileIO(2, "w", closefd=False)), errors="backslashreplace",
                                      line_buffering=True)
        os.environ.clear()
        os.environ.update(req["env"])
        from modelmath.plugin.cli.main import main

        try:
            main(req["argv"])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            if isinstance(exc.code, str):
                print(exc.code, file=sys.stderr)
    except BaseException:  # noqa: BLE001 - report it as the case's traceback
        import traceback

        traceback.print_exc()
    finally:
        for s in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # a closed pipe cannot be flushed; the exit code still counts
                s.flush()
        os._exit(code)


def fork_server() -> None:
    """Entry of the fork server: warm imports, then one JSON request per stdin line, one result per line."""
    import modelmath.plugin.assistant.cli  # noqa: F401 - everything a case may import, imported once
    import modelmath.plugin.cli.main  # noqa: F401
    import modelmath.plugin.cli.prices  # noqa: F401
    import modelmath.plugin.mcp.server  # noqa: F401
    import modelmath.plugin.mcp.stdio  # noqa: F401
    from modelmath.tools import registry

    registry.tools()
    for line in sys.stdin:
        req = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(req)
        deadline = time.monotonic() + req["timeout"]
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                rc = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() > deadline:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
                rc = None
                break
            time.sleep(0.002)
        sys.stdout.write(json.dumps({"rc": rc}) + "\n")
        sys.stdout.flush()


class ForkRunner:
    def __init__(self, scratch: Path):
        self.scratch = scratch
        env = _env() | {"PYTHONPATH": os.pathsep.join([TESTS_DIR, os.environ.get("PYTHONPATH", "")])}
        self.proc = subprocess.Popen([sys.executable, "-c", "from fuzz.runner import fork_server; fork_server()"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)

    def run(self, case, timeout_s: float) -> Outcome:
        out, err = self.scratch / "out", self.scratch / "err"
        req = {"argv": list(case.argv), "stdin": case.stdin, "env": _env(case.env), "out": str(out), "err": str(err),
               "timeout": timeout_s}
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline()
        if not reply:
            raise RuntimeError("the fork server died")
        return Outcome(case, json.loads(reply)["rc"], out.read_bytes(), err.read_bytes())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


# -- MCP -------------------------------------------------------------------------------------------------

@dataclass
class MCPReport:
    requests: int = 0
    expected_ids: int = 0
    answered: int = 0
    unanswered: list = field(default_factory=list)
    duplicates: int = 0
    null_id_errors: int = 0
    non_protocol_lines: int = 0
    non_strict_json: int = 0
    tracebacks: int = 0
    exit_code: int | None = None
    hung: bool = False

    def bad(self) -> dict:
        return {k: v for k, v in {"unanswered": len(self.unanswered), "duplicates": self.duplicates,
                                  "non_protocol_lines": self.non_protocol_lines,
                                  "non_strict_json": self.non_strict_json, "tracebacks": self.tracebacks,
                                  "hung": self.hung, "exit": self.exit_code not in (0,)}.items() if v}


INIT = {"jsonrpc": "2.0", "id": "init", "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "fuzz", "version": "0"}}}


def run_mcp(lines: list[bytes], ids: set, timeout_s: float = 120.0) -> MCPReport:
    """One `modelmath mcp` process, the handshake, then every line; each id in `ids` must be answered once."""
    rep = MCPReport(requests=len(lines), expected_ids=len(ids))
    p = subprocess.Popen([*CLI, "mcp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=_env(), preexec_fn=limit_memory)
    head = [json.dumps(INIT).encode(), b'{"jsonrpc":"2.0","method":"notifications/initialized"}']

    def feed():
        try:
            for line in [*head, *lines]:
                p.stdin.write(line + b"\n")
            p.stdin.flush()
        except BrokenPipeError:
            pass

    errors = bytearray()

    def drain_stderr():
        errors.extend(p.stderr.read())

    writer = threading.Thread(target=feed, daemon=True)
    reader = threading.Thread(target=drain_stderr, daemon=True)
    writer.start()
    reader.start()
    seen: Counter = Counter()
    want = {*ids, "init"}
    deadline = time.monotonic() + timeout_s
    buf = b""
    while not want <= set(seen):
        left = deadline - time.monotonic()
        ready, _, _ = select.select([p.stdout], [], [], max(0.0, left))
        if not ready:
            rep.hung = True
            break
        chunk = os.read(p.stdout.fileno(), 1 << 20)
        if not chunk:
            break
        buf += chunk
        *complete, buf = buf.split(b"\n")
        for line in complete:
            _tally(line, seen, rep)
    writer.join(timeout=5)
    with contextlib.suppress(BrokenPipeError):
        p.stdin.close()
    try:
        rep.exit_code = p.wait(timeout=30)  # EOF on stdin ends the server
        for line in (buf + p.stdout.read()).split(b"\n"):
            if line.strip():
                _tally(line, seen, rep)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        rep.hung = True
    reader.join(timeout=5)
    rep.tracebacks = errors.count(b"Traceback (most recent call last)")
    rep.answered = len(set(seen) & ids)
    rep.unanswered = sorted(ids - set(seen))
    rep.duplicates = sum(n - 1 for k, n in seen.items() if k is not None and n > 1)
    return rep


def _tally(line: bytes, seen: Counter, rep: MCPReport) -> None:
    try:
        msg = json.loads(line)
    except ValueError:
        rep.non_protocol_lines += 1
        return
    if not isinstance(msg, dict) or msg.get("jsonrpc") != "2.0":
        rep.non_protocol_lines += 1
        return
    if not _strict(line):
        rep.non_strict_json += 1
    if "id" in msg:
        seen[msg["id"]] += 1
        if msg["id"] is None:
            rep.null_id_errors += 1
