"""`modelmath web` as a command: it refuses unsafe bindings with one line, and serves over a real socket
(uvicorn) with the same rules the in-process tests check."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from modelmath.plugin.web.cli import page_url
from modelmath.plugin.web.guard import is_loopback
from webhelpers import start_server, stop_server


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "modelmath.plugin.cli.main", "web", *args], capture_output=True,
                          text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})


def test_non_localhost_host_needs_a_token():
    p = run("--host", "0.0.0.0")
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "--token" in lines[0] and "Traceback" not in p.stderr


def test_token_must_be_long_enough():
    p = run("--host", "0.0.0.0", "--token", "short")
    assert p.returncode == 2 and "at least 16 characters" in p.stderr


def test_a_bad_price_file_stops_before_serving(tmp_path):
    bad = tmp_path / "prices.json"
    bad.write_text('{"schema_version": 1, "models": [{"id": "x"}]}')
    p = run("--prices", str(bad))
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1 and "price file" in p.stderr


def test_a_busy_port_or_unknown_host_is_one_line_and_exit_2():
    # QA pass: uvicorn's bind error and exit status 3 after the server had started up.
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        p = run("--port", str(port))
    assert p.returncode == 2 and "serving" not in p.stderr
    assert p.stderr.strip().splitlines() == [f"modelmath: error: cannot listen on 127.0.0.1:{port}: the port is "
                                             "already in use (another server is listening there); stop it or give "
                                             "another --port"]
    p = run("--host", "no-such-host.invalid", "--token", "x" * 16)  # .invalid never resolves (RFC 2606)
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1 and "not a known host" in p.stderr


def test_listen_binds_every_address_of_a_name_on_one_port():
    # localhost is 127.0.0.1 and, where configured, ::1 (as asyncio's create_server binds it); port 0 picks one
    # free port and uses it for each address.
    from modelmath.plugin.listen import listen

    socks = listen("localhost", 0)
    try:
        assert {s.getsockname()[0] for s in socks} >= {"127.0.0.1"}
        assert len({s.getsockname()[1] for s in socks}) == 1
    finally:
        for s in socks:
            s.close()


@pytest.mark.parametrize("host,loop", [("127.0.0.1", True), ("localhost", True), ("::1", True), ("127.0.0.2", True),
                                       ("0.0.0.0", False), ("192.168.1.5", False), ("example.com", False),
                                       ("::", False)])
def test_loopback_detection(host, loop):
    assert is_loopback(host) is loop


def test_page_url_carries_the_token_in_the_fragment():
    assert page_url("0.0.0.0", 8001, "t" * 20) == f"http://127.0.0.1:8001/#token={'t' * 20}"
    assert page_url("::1", 8001, None) == "http://[::1]:8001/"


def _request(url: str, *, body: dict | None = None, headers: dict | None = None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"content-type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_real_server_runs_tools_and_checks_host_and_token(tmp_path):
    token = "a-real-server-token-1234"
    served = start_server(tmp_path, "--token", token)
    try:
        auth = {"authorization": f"Bearer {token}"}
        status, out = _request(f"{served.url}/api/tools/kv_cache", body={"model": "llama-3.1-8b",
                                                                         "context_tokens": 1024}, headers=auth)
        # Llama 3.1 8B: 2 (K, V) x 32 layers x 8 KV heads x 128 head_dim x 2 bytes (bf16) = 131,072 bytes per token.
        assert status == 200 and out["bytes_per_token"] == 131_072
        assert _request(f"{served.url}/api/tools", headers={"host": "rebound.example"} | auth)[0] == 421
        assert _request(f"{served.url}/api/tools")[0] == 401
        status, out = _request(f"{served.url}/api/tools/kv_cache", body={"context_tokens": 0}, headers=auth)
        assert status == 400 and out["error"]["field"] == "context_tokens"
    finally:
        stop_server(served)
