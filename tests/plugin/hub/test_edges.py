"""The same Hub resolution at every edge: the CLI (a real process, environment as a user sets it), the MCP
server and the agent; and catalog answers never import huggingface_hub."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from modelmath.tools.registry import run_tool
from standin_hub import models
from standin_hub.expected import FP8_TOTAL


def _cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "modelmath.plugin.cli.main", *args], capture_output=True, text=True,
                          timeout=120, env=env)


@pytest.fixture
def env(hub, tmp_path):
    return {**os.environ, "HF_HOME": str(tmp_path / "cli-home")}


def test_cli_reads_a_hub_repository(hub, publish, env):
    publish.safetensors_repo("acme/Llama-FP8", models.config(models.LLAMA_8B, "fp8_block"),
                             models.tensors(models.LLAMA_8B, "fp8_block"), shards=2)
    p = _cli("memory", "acme/Llama-FP8", "--context", "8k", "--json", env=env)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["weights_bytes"] == FP8_TOTAL
    human = _cli("fit", "acme/Llama-FP8", "--gpu", "h100", env=env)
    assert human.returncode == 0 and "acme/Llama-FP8" in human.stdout and "checkpoint:" in human.stdout
    # Offline, from the cache the first call filled, in a new process.
    p = _cli("params", "acme/Llama-FP8", "--json", env={**env, "HF_HUB_OFFLINE": "1"})
    assert p.returncode == 0 and json.loads(p.stdout)["total_params"] == 8_030_261_248


def test_cli_errors_are_one_line(hub, publish, env):
    publish.safetensors_repo("acme/Gated", models.LLAMA_8B, models.tensors(models.LLAMA_8B, "bf16"), gated=True)
    for args, needle in ((("params", "acme/Gated"), "HF_TOKEN"), (("params", "acme/missing"), "not found"),
                         (("kv", "acme/Gated@nope", "--context", "8"), "revision 'nope'")):
        p = _cli(*args, env=env)
        assert p.returncode == 2 and p.stdout == "", p.stderr
        assert p.stderr.count("\n") == 1 and p.stderr.startswith("modelmath: error:") and needle in p.stderr
    p = _cli("params", "acme/missing", env={**env, "HF_HUB_OFFLINE": "1"})
    assert p.returncode == 2 and "offline" in p.stderr and "Traceback" not in p.stderr


def test_catalog_answers_do_not_import_huggingface_hub(hub, env):
    code = ("import sys; from modelmath.plugin.cli.main import main\n"
            "try:\n    main(['memory', 'llama-3.1-8b', '--json'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('huggingface_hub', 'gguf', 'httpx2', 'numpy') if m in sys.modules),"
            " file=sys.stderr)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert p.stderr.strip().splitlines()[-1] == "[]", p.stderr
    assert hub.requests == []


@pytest.mark.anyio
async def test_mcp_resolves_like_the_registry(hub, publish):
    from mcp import Client
    from modelmath.plugin.mcp.server import build_server

    publish.safetensors_repo("acme/Llama-AWQ", models.config(models.LLAMA_8B, "awq"),
                             models.tensors(models.LLAMA_8B, "awq"))
    async with Client(build_server()) as client:
        res = await client.call_tool("memory_estimate", {"model": "acme/Llama-AWQ", "context_tokens": 4096})
        missing = await client.call_tool("memory_estimate", {"model": "acme/none"})
    assert not res.is_error
    assert res.structured_content == run_tool("memory_estimate", {"model": "acme/Llama-AWQ",
                                                                  "context_tokens": 4096}).result
    assert missing.is_error and missing.structured_content["error"]["reason"] == "repo_not_found"


def test_agent_installs_the_same_reader(env):
    code = ("import modelmath.plugin.assistant.agent\n"
            "from modelmath.tools.model.resolve import reference_reader\n"
            "from modelmath.plugin.hub import read_reference\n"
            "print(reference_reader() is read_reference)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert p.stdout.strip() == "True", p.stderr
