"""Over the network (`modelmath web`'s HTTP API, `modelmath mcp --transport streamable-http`) a `model` naming a
path on the server is refused before anything looks at the file system; catalog names and Hub ids (through the
stand-in Hub, HF_ENDPOINT) still work; `--allow-local-paths` opts in. The stdio server and the CLI still read
local checkpoints (their user is the one running them).

Expected bytes: tests/standin_hub/expected.py (hand derivations for the Llama-3.1-8B layouts); 8,030,261,248
parameters of Llama 3.1 8B: hand count in tests/plugin/mcp/test_server.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from modelmath.plugin.web.app import WebConfig, build_app
from modelmath.tools.model.reference import REMOTE_FORMS, local_paths
from modelmath.tools.registry import run_tool
from standin_hub import models
from standin_hub.checkpoints import write_gguf, write_safetensors
from standin_hub.expected import AWQ_TOTAL, PARAMS
from starlette.testclient import TestClient

CLI = [sys.executable, "-m", "modelmath.plugin.cli.main"]
BASE = "http://127.0.0.1:8001"
REFUSAL = "local paths are not accepted over HTTP"


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def ckpt(tmp_path) -> Path:
    """A local Llama-3.1-8B AWQ checkpoint (config.json + one safetensors file, headers only matter)."""
    d = tmp_path / "local-awq"
    d.mkdir()
    (d / "config.json").write_text(json.dumps(models.config(models.LLAMA_8B, "awq")))
    write_safetensors(str(d / "model.safetensors"), models.tensors(models.LLAMA_8B, "awq"))
    return d


@pytest.fixture
def gguf(tmp_path) -> Path:
    path = tmp_path / "tiny.gguf"
    write_gguf(str(path), "llama", {"llama.block_count": 1, "llama.embedding_length": 8,
                                    "llama.attention.head_count": 2, "llama.feed_forward_length": 16},
               [("token_embd.weight", "F32", (10, 8))], ["a", "b"])
    return path


@pytest.fixture
def hub_repo(hub, publish) -> str:
    publish.safetensors_repo("acme/Llama-AWQ", models.config(models.LLAMA_8B, "awq"),
                             models.tensors(models.LLAMA_8B, "awq"))
    return "acme/Llama-AWQ"


def refused_paths(ckpt: Path, gguf: Path) -> list[str]:
    """Every local form: absolute, relative, home, a .gguf file, file:// URLs - existing paths and missing ones."""
    return ["/etc", "./x", "~/m", str(gguf), "missing.gguf", "file:///etc", f"file://{ckpt}", str(ckpt)]


def _check_refusal(err: dict, path: str) -> None:
    assert err["type"] == "invalid_input" and err["field"] == "model", err
    assert REFUSAL in err["message"] and repr(path) in err["message"], err
    assert "org/name" in err["message"] and "catalog name" in err["message"]  # what is accepted instead
    assert err["allowed"] == list(REMOTE_FORMS)


# -- the policy itself ------------------------------------------------------------------------------------

def test_refusal_does_not_depend_on_whether_the_path_exists(hub, ckpt, gguf):
    # The point of refusing: a remote client must not learn which paths exist. An existing checkpoint and a
    # missing one get the same error, the quoted path aside.
    with local_paths(False):
        there = run_tool("memory_estimate", {"model": str(ckpt)}).result["error"]
        gone = run_tool("memory_estimate", {"model": str(ckpt) + "-missing"}).result["error"]
    assert there["message"].replace(repr(str(ckpt)), "P") == gone["message"].replace(repr(str(ckpt) + "-missing"), "P")
    assert {k: v for k, v in there.items() if k != "message"} == {k: v for k, v in gone.items() if k != "message"}
    # With the policy on (CLI, stdio, library) the same checkpoint is read.
    assert run_tool("memory_estimate", {"model": str(ckpt)}).result["weights_bytes"] == AWQ_TOTAL


def test_names_that_are_also_local_folders_are_not_read(hub, hub_repo, tmp_path, ckpt, monkeypatch):
    # A bare name and an org/name are looked up as paths first on the CLI; off, neither touches the disk.
    (tmp_path / "acme").mkdir()
    os.symlink(ckpt, tmp_path / "acme" / "Llama-AWQ")  # same name as the Hub repository
    os.symlink(ckpt, tmp_path / "my-finetune")
    monkeypatch.chdir(tmp_path)
    assert run_tool("memory_estimate", {"model": "my-finetune"}).result["weights_bytes"] == AWQ_TOTAL  # CLI rule
    with local_paths(False):
        bare = run_tool("memory_estimate", {"model": "my-finetune"}).result
        repo = run_tool("memory_estimate", {"model": hub_repo}).result
    assert bare["error"]["type"] == "unknown_name"  # the catalog's answer, as if no such folder existed
    assert "commit" in repo["model"]["shape_source"]  # read from the Hub, not from ./acme/Llama-AWQ
    assert hub.requests and repo["weights_bytes"] == AWQ_TOTAL


# -- the web app's HTTP API -------------------------------------------------------------------------------

def test_web_api_refuses_local_paths_and_accepts_catalog_and_hub(hub, hub_repo, ckpt, gguf):
    client = TestClient(build_app(WebConfig()), base_url=BASE)
    for path in refused_paths(ckpt, gguf):
        for tool in ("parameter_count", "memory_estimate", "model_lookup"):
            r = client.post(f"/api/tools/{tool}", json={"model": path})
            assert r.status_code == 400, (tool, path, r.text)
            _check_refusal(r.json()["error"], path)
    assert hub.requests == []  # refused before anything was asked
    r = client.post("/api/tools/parameter_count", json={"model": "llama-3.1-8b"})
    assert r.status_code == 200 and r.json()["total_params"] == PARAMS
    r = client.post("/api/tools/memory_estimate", json={"model": hub_repo})
    assert r.status_code == 200 and r.json()["weights_bytes"] == AWQ_TOTAL


def test_web_api_reads_local_paths_when_allowed(hub, ckpt):
    client = TestClient(build_app(WebConfig(allow_local_paths=True)), base_url=BASE)
    r = client.post("/api/tools/memory_estimate", json={"model": str(ckpt)})
    assert r.status_code == 200 and r.json()["weights_bytes"] == AWQ_TOTAL


# -- MCP ----------------------------------------------------------------------------------------------------

@pytest.mark.anyio
async def test_mcp_without_local_paths_refuses_them_with_the_web_apps_error(hub, hub_repo, ckpt, gguf):
    from mcp import Client
    from modelmath.plugin.mcp.server import build_server

    web = TestClient(build_app(WebConfig()), base_url=BASE)
    async with Client(build_server(local_paths=False)) as client:
        for path in refused_paths(ckpt, gguf):
            res = await client.call_tool("kv_cache", {"model": path, "context_tokens": 1024})
            assert res.is_error
            _check_refusal(res.structured_content["error"], path)
            assert res.structured_content == web.post("/api/tools/kv_cache", json={
                "model": path, "context_tokens": 1024}).json()  # one error shape on both surfaces
        ok = await client.call_tool("memory_estimate", {"model": hub_repo})
        catalog = await client.call_tool("parameter_count", {"model": "llama-3.1-8b"})
    assert not ok.is_error and ok.structured_content["weights_bytes"] == AWQ_TOTAL
    assert catalog.structured_content["total_params"] == PARAMS
    async with Client(build_server()) as client:  # stdio's server: the user's own files
        res = await client.call_tool("memory_estimate", {"model": str(ckpt)})
    assert not res.is_error and res.structured_content["weights_bytes"] == AWQ_TOTAL


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _http_mcp(tmp_path: Path, *extra: str):
    port = _free_port()
    log = tmp_path / f"mcp-{port}.log"
    with log.open("w") as err:
        proc = subprocess.Popen([*CLI, "mcp", "--transport", "streamable-http", "--port", str(port), *extra],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.monotonic() + 60
        while True:  # the startup line comes before uvicorn listens on the bound socket: wait for both
            if "serving" in log.read_text():
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "not serving within 60 s"
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp", log
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.anyio
async def test_streamable_http_server_refuses_local_paths_unless_allowed(hub, hub_repo, ckpt, gguf, tmp_path):
    from mcp import Client

    with _http_mcp(tmp_path) as (url, log):
        async with Client(url) as client:
            for path in ("/etc", "./x", "~/m", str(gguf), "file:///etc"):
                res = await client.call_tool("parameter_count", {"model": path})
                assert res.is_error
                _check_refusal(res.structured_content["error"], path)
            ok = await client.call_tool("memory_estimate", {"model": hub_repo})
            assert not ok.is_error and ok.structured_content["weights_bytes"] == AWQ_TOTAL
        startup = next(x for x in log.read_text().splitlines() if "serving" in x)
        assert "local paths" not in startup  # the startup line speaks of them only when they are on
    with _http_mcp(tmp_path, "--allow-local-paths") as (url, log):
        assert "local paths accepted as model inputs (--allow-local-paths)" in log.read_text()
        async with Client(url) as client:
            res = await client.call_tool("memory_estimate", {"model": str(ckpt)})
        assert not res.is_error and res.structured_content["weights_bytes"] == AWQ_TOTAL


def test_allow_local_paths_is_for_streamable_http_only():
    p = subprocess.run([*CLI, "mcp", "--allow-local-paths"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and p.stdout == "" and "only to --transport streamable-http" in p.stderr


@pytest.mark.anyio
async def test_stdio_server_and_cli_read_a_local_checkpoint(hub, ckpt, tmp_path):
    from mcp import Client, StdioServerParameters
    from mcp.client.stdio import stdio_client

    params = StdioServerParameters(command=CLI[0], args=[*CLI[1:], "mcp"])
    with open(tmp_path / "stderr.txt", "w") as errlog:
        async with Client(stdio_client(params, errlog=errlog)) as client:
            res = await client.call_tool("memory_estimate", {"model": str(ckpt)})
    assert not res.is_error and res.structured_content["weights_bytes"] == AWQ_TOTAL
    p = subprocess.run([*CLI, "memory", str(ckpt), "--json"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and json.loads(p.stdout)["weights_bytes"] == AWQ_TOTAL


# -- `modelmath web` as a process: the flag and its startup line ---------------------------------------------

def _web(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen, str, str]:
    log = tmp_path / f"web-{len(extra)}.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "MODELMATH_"))}
    with log.open("w") as err:
        proc = subprocess.Popen([*CLI, "web", "--port", "0", *extra], stdout=subprocess.DEVNULL, stderr=err, env=env)
    deadline = time.monotonic() + 60
    while "serving on " not in (text := log.read_text()):
        assert proc.poll() is None and time.monotonic() < deadline, text
        time.sleep(0.05)
    line = next(x for x in text.splitlines() if "serving on " in x)
    return proc, line.split("serving on ", 1)[1].split()[0].rstrip("/"), line


def _post(url: str, body: dict) -> tuple[int, dict]:
    req = urllib.request.Request(url, json.dumps(body).encode(), {"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_web_command_refuses_by_default_and_allow_local_paths_opts_in(hub, ckpt, tmp_path):
    default, url, line = _web(tmp_path)
    allowed, url2, line2 = _web(tmp_path, "--allow-local-paths")
    try:
        assert "local paths" not in line
        assert "local paths accepted as model inputs (--allow-local-paths)" in line2
        status, body = _post(f"{url}/api/tools/memory_estimate", {"model": str(ckpt)})
        assert status == 400
        _check_refusal(body["error"], str(ckpt))
        status, body = _post(f"{url2}/api/tools/memory_estimate", {"model": str(ckpt)})
        assert status == 200 and body["weights_bytes"] == AWQ_TOTAL
    finally:
        for p in (default, allowed):
            p.terminate()
            p.wait(timeout=30)
