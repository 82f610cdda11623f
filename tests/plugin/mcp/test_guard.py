"""`modelmath mcp` answers every request over stdio, including lines the SDK's own parser drops (huge
integers, arguments nested hundreds deep, malformed JSON-RPC, wrong types, batches): checked line by line
(plugin/mcp/guard.py), over a raw subprocess pipe, and with the official client."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.shared.exceptions import MCPError
from modelmath.plugin.mcp import guard

SERVER_CMD = [sys.executable, "-m", "modelmath.plugin.cli.main", "mcp"]
INIT = {"jsonrpc": "2.0", "id": "init", "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}


def call(rid, arguments, name="kv_cache") -> str:
    return json.dumps({"jsonrpc": "2.0", "id": rid, "method": "tools/call",
                       "params": {"name": name, "arguments": arguments}})


# (line, the id the answer must carry, its JSON-RPC error code)
HOSTILE = [
    ('{"jsonrpc":"2.0","id":' + "9" * 5000 + ',"method":"tools/list"}', None, guard.INVALID_REQUEST),
    (call(1, {"model": "gpt2", "context_tokens": 10**40}), 1, guard.INVALID_REQUEST),
    ('{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"kv_cache","arguments":{"model":'
     + "[" * 300 + "]" * 300 + "}}}", 2, guard.INVALID_REQUEST),
    (call(3, {"x": json.loads("[" * 70 + "]" * 70)}), 3, guard.INVALID_REQUEST),
    ('{"jsonrpc":"2.0","id":4,"method":', 4, guard.PARSE_ERROR),  # cut short: the id is still read
    ('{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"kv_cache","arguments":{"a":NaN}}}', 5,
     guard.INVALID_REQUEST),
    ('{"id":6,"method":"tools/list"}', 6, guard.INVALID_REQUEST),  # no "jsonrpc": "2.0"
    ('{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"kv_cache","arguments":[1,2]}}', 7,
     guard.INVALID_PARAMS),
    ('{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"kv_cache","arguments":"x"}}', 8,
     guard.INVALID_PARAMS),
    ('{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":5}}', 9, guard.INVALID_PARAMS),
    ('{"jsonrpc":"2.0","id":10,"method":"tools/call"}', 10, guard.INVALID_PARAMS),
    ('{"jsonrpc":"2.0","id":{"a":1},"method":"tools/list"}', None, guard.INVALID_REQUEST),
    ('{"jsonrpc":"2.0","id":true,"method":"tools/list"}', None, guard.INVALID_REQUEST),
    ('[{"jsonrpc":"2.0","id":11,"method":"tools/list"}]', None, guard.INVALID_REQUEST),
    ('"just a string"', None, guard.INVALID_REQUEST),
    ('{"jsonrpc":"2.0","id":12,"method":7}', 12, guard.INVALID_REQUEST),
    ('{"jsonrpc":"2.0","method":1,"params":"bar"}', None, guard.INVALID_REQUEST),  # JSON-RPC 2.0 spec's example
    ('{"jsonrpc":"2.0","id":"s13","method":"tools/list","params":5}', "s13", guard.INVALID_REQUEST),
    ("{" * 100_000, None, guard.PARSE_ERROR),  # an object key is expected first: not JSON
]


@pytest.mark.parametrize(("line", "rid", "code"), HOSTILE, ids=[f"hostile-{i}" for i in range(len(HOSTILE))])
def test_each_hostile_line_gets_an_error_with_its_id(line, rid, code):
    verdict = guard.check_line(line.encode())
    assert verdict is not None and verdict.forward is None
    assert verdict.reply["id"] == rid and verdict.reply["error"]["code"] == code
    assert verdict.reply["error"]["message"]


def test_bytes_that_are_not_utf8_and_oversized_lines():
    v = guard.check_line(b'{"jsonrpc":"2.0","id":1,"method":"tools/list","x":"\xff"}')
    assert v.reply["id"] == 1 and v.reply["error"]["code"] == guard.PARSE_ERROR and "UTF-8" in v.reply["error"][
        "message"]
    big = ('{"jsonrpc":"2.0","id":77,"method":"tools/call","params":{"name":"count_tokens","arguments":{"text":"'
           + "a" * guard.MAX_LINE_BYTES + '"}}}').encode()
    v = guard.check_line(big)
    assert v.reply["id"] == 77 and "over 4 MiB" in v.reply["error"]["message"]


def test_good_messages_pass_and_blank_lines_are_nothing():
    assert guard.check_line(b"   \n") is None
    assert guard.check_line(json.dumps(INIT).encode()).forward is not None
    assert guard.check_line(b'{"jsonrpc":"2.0","method":"notifications/initialized"}').forward is not None
    assert guard.check_line(call(1, {"model": "gpt2", "context_tokens": 8}).encode()).forward is not None


def test_salvage_id_reads_only_the_top_level():
    assert guard.salvage_id('{"params":{"id":5},"id":"x"}') == "x"
    assert guard.salvage_id('{"params":{"id":5}}') is None
    assert guard.salvage_id('{"id": -3, "method": [[[') == -3
    assert guard.salvage_id('{"id": 1.5}') is None  # not a valid JSON-RPC id: answered with null
    assert guard.salvage_id('{"x":"\\"id\\":4"}') is None  # inside a string


# -- a real subprocess, raw bytes on stdin -----------------------------------------------------------------

def _answers(proc, wanted: set, timeout_s: float = 60.0) -> dict:
    """Read stdout lines until every wanted id has an answer (each line must be a JSON-RPC message)."""
    got: dict = {}
    deadline = time.monotonic() + timeout_s
    buf = b""
    while not wanted <= set(got):
        # os.read, not readline: select() cannot see lines already sitting in a buffered reader.
        ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
        assert ready, f"no answer for {wanted - set(got)} within {timeout_s} s"
        chunk = os.read(proc.stdout.fileno(), 1 << 16)
        assert chunk, "the server closed stdout"
        *lines, buf = (buf + chunk).split(b"\n")
        for line in lines:
            msg = json.loads(line)
            assert msg["jsonrpc"] == "2.0" and ("result" in msg) != ("error" in msg)
            got.setdefault(msg["id"], []).append(msg)
    assert buf == b""  # nothing but whole lines
    return got


@pytest.mark.skipif(os.name == "nt", reason="select() on pipes is POSIX-only")
def test_raw_stdio_every_request_answered_and_the_stream_stays_in_step():
    proc = subprocess.Popen(SERVER_CMD, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        proc.stdin.write((json.dumps(INIT) + "\n").encode())
        proc.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n\n')
        # The hostile lines with a readable id, each followed by a good call: every one is answered, in step.
        with_ids = [(line, rid) for line, rid, _ in HOSTILE if rid is not None]
        for n, (line, _) in enumerate(with_ids):
            proc.stdin.write(line.encode() + b"\n" + call(f"ok{n}", {"model": "gpt2", "context_tokens": 8}).encode()
                             + b"\n")
        # 5 MiB on one line (over the cap), then one more request.
        proc.stdin.write(b'{"jsonrpc":"2.0","id":"big","method":"x","params":{"p":"' + b"a" * (5 * 2**20) + b'"}}\n')
        proc.stdin.write(call("last", {"model": "gpt2", "context_tokens": 8}).encode() + b"\n")
        proc.stdin.flush()
        wanted = {"init", "big", "last", *(rid for _, rid in with_ids), *(f"ok{n}" for n in range(len(with_ids)))}
        got = _answers(proc, wanted)
        proc.stdin.close()
        tail = proc.stdout.read()
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert all(len(v) == 1 for v in got.values()), "one answer per request"
    for _, rid in with_ids:
        assert "error" in got[rid][0]
    # GPT-2 KV per token: 12 layers x 2 x 12 heads x 64 x 2 B = 36,864 B; 8 tokens = 294,912 B.
    assert got["last"][0]["result"]["structuredContent"]["total_bytes"] == 8 * 36_864
    assert got["big"][0]["error"]["code"] == guard.PARSE_ERROR
    for line in tail.splitlines():
        assert json.loads(line)["jsonrpc"] == "2.0"


# -- the official client -------------------------------------------------------------------------------------

@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.mark.anyio
async def test_official_client_gets_answers_not_silence(tmp_path):
    params = StdioServerParameters(command=SERVER_CMD[0], args=SERVER_CMD[1:])
    deep: object = 1
    for _ in range(200):
        deep = [deep]
    with open(tmp_path / "stderr.txt", "w") as errlog, anyio.fail_after(60):
        async with Client(stdio_client(params, errlog=errlog), mode="legacy") as client:
            for arguments in ({"model": "gpt2", "context_tokens": 10**40}, {"model": "gpt2", "x": deep}):
                with pytest.raises(MCPError) as exc:
                    await client.call_tool("kv_cache", arguments)
                assert exc.value.error.code == guard.INVALID_REQUEST
                assert "at most" in exc.value.error.message
            # A float count is an integer to JSON Schema: it is computed with the int (8 tokens as above).
            ok = await client.call_tool("kv_cache", {"model": "gpt2", "context_tokens": 8.0})
            assert not ok.is_error and ok.structured_content["total_bytes"] == 8 * 36_864
            assert isinstance(ok.structured_content["context_tokens"], int)


def test_a_line_without_end_closes_the_session_instead_of_reading_forever():
    # /dev/zero is one endless line: past 4 MiB it is refused, past 64 MiB more the session ends, answered.
    with open("/dev/zero", "rb") as zero:
        p = subprocess.run(SERVER_CMD, stdin=zero, capture_output=True, timeout=60)
    assert p.returncode == 0 and b"Traceback" not in p.stderr
    (reply,) = [json.loads(line) for line in p.stdout.splitlines()]
    assert reply["id"] is None and reply["error"]["code"] == guard.PARSE_ERROR and "no end" in reply["error"]["message"]


def test_requests_written_before_end_of_input_are_all_answered():
    # `printf '…' | modelmath mcp`: the requests, then end of input at once. The SDK stops at end of input and
    # cancels calls still running; the server now passes the end on only after every request is answered.
    calls = [call(f"c{n}", {"model": "gpt2", "context_tokens": 8 + n}) for n in range(6)]
    lines = [json.dumps(INIT), '{"jsonrpc":"2.0","method":"notifications/initialized"}',
             '{"jsonrpc":"2.0","id":"list","method":"tools/list"}', *calls,
             call("slow", {"model": "llama-3.1-405b", "gpus": ["h100", "a100", "mi300x", "h200"]}, "hardware_fit")]
    p = subprocess.run(SERVER_CMD, input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    got = {m["id"]: m for m in map(json.loads, p.stdout.splitlines())}
    assert set(got) == {"init", "list", "slow", *(f"c{n}" for n in range(6))}
    # GPT-2 KV: 36,864 B per token (12 layers x 2 x 12 heads x 64 x 2 B), so 8 + n tokens hold (8 + n) x 36,864 B.
    for n in range(6):
        assert got[f"c{n}"]["result"]["structuredContent"]["total_bytes"] == (8 + n) * 36_864
    assert not got["slow"]["result"].get("isError"), got["slow"]
