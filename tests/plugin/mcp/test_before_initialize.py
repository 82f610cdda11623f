"""A request sent to the stdio server before `initialize` (R7): the SDK's gate answers -32602 "Invalid request
parameters" with empty data, which reads as a malformed request. Ours keeps the code and says to initialize
first; ping and unknown methods keep their own answers, and after initialize the same request works."""

from __future__ import annotations

import json
import subprocess
import sys

from modelmath.plugin.mcp.server import UNINITIALIZED

INIT = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}


def _lines(*messages: dict) -> str:
    return "".join(json.dumps({"jsonrpc": "2.0", **m}) + "\n" for m in messages)


def test_requests_before_initialize_are_told_to_initialize():
    stdin = _lines({"id": 1, "method": "tools/list"},
                   {"id": 2, "method": "tools/call", "params": {"name": "gpu_lookup", "arguments": {"gpu": "h100"}}},
                   {"id": 3, "method": "ping"},
                   {"id": 4, "method": "no/such_method"},
                   {"id": 5, "method": "initialize", "params": INIT},
                   {"method": "notifications/initialized"},
                   {"id": 6, "method": "tools/list"})
    p = subprocess.run([sys.executable, "-m", "modelmath.plugin.cli.main", "mcp"], input=stdin, capture_output=True,
                       text=True, timeout=120)
    replies = {r["id"]: r for r in map(json.loads, p.stdout.splitlines())}
    assert sorted(replies) == [1, 2, 3, 4, 5, 6], p.stdout
    for rid in (1, 2):
        assert replies[rid]["error"]["code"] == -32602  # the SDK's code, kept: clients may key off it
        assert replies[rid]["error"]["message"] == UNINITIALIZED and "initialize first" in UNINITIALIZED
    assert replies[3]["result"] == {}  # ping is allowed before initialize
    assert replies[4]["error"]["code"] == -32601  # an unknown method is still "not found", not "initialize"
    assert "result" in replies[5]
    assert len(replies[6]["result"]["tools"]) > 0  # the same request, after initialize
