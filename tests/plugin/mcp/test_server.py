"""The MCP server, driven by the official `mcp` client: in-process, over a real stdio subprocess
(`python -m modelmath.plugin.cli.main mcp`, what `modelmath mcp` runs) and over streamable HTTP.

Expected numbers come from model configs and hand derivations written out below, never from our code.
Every registry tool must have an entry in EXAMPLES: a tool added without one fails
`test_every_registry_tool_has_an_example`, so whoever adds a tool also adds a checked call here.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.shared.exceptions import MCPError
from modelmath.plugin.mcp.server import build_server
from modelmath.tools import registry

REPO = Path(__file__).resolve().parents[3]
SERVER_CMD = [sys.executable, "-m", "modelmath.plugin.cli.main", "mcp"]

GiB = 2**30

# -- independent references --------------------------------------------------------------------------
# Llama 3.1 8B, config.json of meta-llama/Llama-3.1-8B on Hugging Face: vocab_size 128256, hidden_size 4096,
# intermediate_size 14336, num_hidden_layers 32, num_attention_heads 32, num_key_value_heads 8
# (head_dim 4096/32 = 128), tie_word_embeddings false. Hand count:
#   embed_tokens         128256 x 4096                        =   525,336,576
#   lm_head (untied)     128256 x 4096                        =   525,336,576
#   per layer: q, o      2 x 4096 x 4096                      =    33,554,432
#              k, v      2 x 4096 x (8 x 128)                 =     8,388,608
#              MLP       3 x 4096 x 14336 (gate, up, down)    =   176,160,768
#              2 RMSNorm 2 x 4096                             =         8,192
#              layer total                                    =   218,112,000
#   32 layers                                                 = 6,979,584,000
#   final RMSNorm                                             =         4,096
#   total                                                     = 8,030,261,248
# (the Hugging Face model page reports the safetensors size as "8.03B params").
LLAMA31_8B_ARCH = {"vocab_size": 128256, "hidden_size": 4096, "layers": 32, "heads": 32, "kv_heads": 8,
                   "intermediate_size": 14336, "tied_embeddings": False}
LLAMA31_8B_PARAMS = 8_030_261_248
# KV cache per token, bf16: 2 (K and V) x 8 KV heads x 128 head_dim x 2 bytes x 32 layers = 131,072 B.
LLAMA31_8B_KV_BYTES_PER_TOKEN = 2 * 8 * 128 * 2 * 32

# Llama 3.1 70B, config.json of meta-llama/Llama-3.1-70B: num_hidden_layers 80, num_attention_heads 64,
# num_key_value_heads 8, hidden_size 8192 (head_dim 128). KV per token, bf16:
# 2 x 8 x 128 x 2 bytes x 80 layers = 327,680 bytes.
LLAMA31_70B_KV_BYTES_PER_TOKEN = 327_680

# GPT-2 small (openai-community/gpt2 config: n_embd 768, n_layer 12, n_head 12, n_positions 1024,
# vocab 50257, tied LM head, biases everywhere, LayerNorm, learned positions). Hand count:
#   wte 50257 x 768 = 38,597,376; wpe 1024 x 768 = 786,432
#   per layer: ln_1 1,536 + c_attn (768 x 2304 + 2304) 1,771,776 + attn c_proj (768 x 768 + 768) 590,592
#              + ln_2 1,536 + c_fc (768 x 3072 + 3072) 2,362,368 + mlp c_proj (3072 x 768 + 768) 2,360,064
#              = 7,087,872; x 12 = 85,054,464
#   ln_f 1,536; total 38,597,376 + 786,432 + 85,054,464 + 1,536 = 124,439,808.
GPT2_ARCH = {"vocab_size": 50257, "hidden_size": 768, "layers": 12, "heads": 12, "intermediate_size": 3072,
             "ffn": "standard", "tied_embeddings": True, "qkv_bias": True, "o_bias": True, "mlp_bias": True,
             "norm": "layernorm", "positions": "learned", "max_position_embeddings": 1024}
GPT2_PARAMS = 124_439_808


@dataclass(frozen=True)
class Example:
    input: dict
    check: Callable[[dict], None]
    why: str


def _params_llama_8b(r: dict) -> None:
    assert r["total_params"] == LLAMA31_8B_PARAMS
    assert r["active_params"] == LLAMA31_8B_PARAMS  # dense: every weight is active


def _params_gpt2(r: dict) -> None:
    assert r["total_params"] == GPT2_PARAMS


def _kv_llama_70b(r: dict) -> None:
    assert r["bytes_per_token"] == LLAMA31_70B_KV_BYTES_PER_TOKEN
    # 327,680 B x 8,192 tokens = 2,684,354,560 B = exactly 2.5 GiB; batch 2 doubles it.
    assert r["bytes_per_sequence"] == 2_684_354_560
    assert r["total_bytes"] == 2 * 2_684_354_560
    assert r["total_gib"] == 5.0


def _memory_llama_8b(r: dict) -> None:
    assert r["weights_bytes"] == 2 * LLAMA31_8B_PARAMS  # bf16: 2 bytes per weight = 16,060,522,496
    assert r["kv_cache_bytes"] == LLAMA31_8B_KV_BYTES_PER_TOKEN * 8192 == GiB  # 131,072 B x 8,192 = 1 GiB
    assert r["overhead_bytes"] == GiB // 2  # overhead_gib 0.5 as given
    assert r["activations_bytes"] > 0
    assert r["total_bytes"] == (r["weights_bytes"] + r["kv_cache_bytes"] + r["activations_bytes"]
                                + r["overhead_bytes"])


def _lookup_llama_8b(r: dict) -> None:
    assert r["total_params"] == LLAMA31_8B_PARAMS
    s = r["shape"]
    assert (s["layers"], s["hidden_size"], s["heads"], s["kv_heads"], s["head_dim"]) == (32, 4096, 32, 8, 128)
    assert (s["vocab_size"], s["intermediate_size"], s["tied_embeddings"]) == (128256, 14336, False)


def _cost_haiku_claims(r: dict) -> None:
    # Anthropic pricing page: Claude Haiku 4.5 $1 / MTok input, $5 / MTok output. Per request:
    # 1,500 x $1/1e6 + 300 x $5/1e6 = $0.0015 + $0.0015 = $0.003; x 10,000/day = $30; x 30 days = $900.
    assert r["usd_per_request"] == 0.003
    assert r["usd_per_day"] == 30.0
    assert r["usd_per_month"] == 900.0


def _self_hosting(r: dict) -> None:
    # 2 GPUs x $3/h = $6/h; 1,000 tok/s x 3,600 s = 3.6M tokens/h → $6 / 3.6 MTok = $1.667/MTok.
    # Haiku 4.5 blended at 3 input : 1 output = (3 x $1 + $5) / 4 = $2/MTok; $6 x 720 h = $4,320/month
    # breaks even at 4,320 / 2 = 2,160 MTok/month.
    assert round(r["self_hosted_usd_per_mtok"], 3) == 1.667
    assert r["claude"]["blended_usd_per_mtok"] == 2.0
    assert r["break_even_tokens_per_month"] == 2_160_000_000


def _tokens_from_words(r: dict) -> None:
    # OpenAI's tokenizer help page rule of thumb: 1 token ~ 3/4 of a word → 750 words ~ 1,000 tokens.
    assert r["tokens_estimate"] == 1000


def _gpu_h100(r: dict) -> None:
    # NVIDIA H100 SXM datasheet: 80 GB HBM3, 3.35 TB/s; BF16 1,979 TFLOPS "with sparsity" → 989 dense.
    assert r["memory_gb_sold"] == 80
    assert r["bandwidth_gb_s"] == 3350
    assert r["dense_tflops"]["bf16"] == 989


def _fit_llama_70b_h100(r: dict) -> None:
    # 70,553,706,496 params x 2 bytes = 141.1 GB of bf16 weights > one 80 GB H100 → needs at least two.
    assert r["weights_bytes"] == 2 * 70_553_706_496
    row = r["gpus"][0]
    assert row["fits_on_one"] is False and row["gpus"] >= 2


def _speed_gpt_fast(r: dict) -> None:
    # pytorch-labs/gpt-fast README: Llama-3.1-8B bf16, batch 1, one A100-80GB: 93.89 tok/s.
    # The goal is ±25% of such measurements.
    mid = r["decode"]["tokens_per_s_per_stream"]["mid"]
    assert 0.75 * 93.89 <= mid <= 1.25 * 93.89


def _train_memory_states(r: dict) -> None:
    # ZeRO paper (Rajbhandari et al. 2020, §3.1): mixed-precision Adam keeps 2 + 2 + 12 = 16 bytes per
    # parameter of model states: 8,030,261,248 x 16 = 128,484,179,968 bytes.
    g = r["per_gpu"]
    assert g["weights"]["bytes"] + g["gradients"]["bytes"] + g["optimizer_states"]["bytes"] == 16 * 8_030_261_248


def _train_compute_llama3(r: dict) -> None:
    # Llama 3 paper (arXiv 2407.21783) §1: 405B parameters on 15.6T tokens ≈ 3.8e25 FLOPs (6·N·D).
    assert round(r["training_flops"] / 1e25, 1) == 3.8


# One or more checked calls per registry tool. Adding a tool to the registry? Add it here, with expected
# values from a source or a derivation written out above.
EXAMPLES: dict[str, list[Example]] = {
    "parameter_count": [
        Example({"model": "llama-3.1-8b"}, _params_llama_8b, "catalog model"),
        Example({"architecture": LLAMA31_8B_ARCH}, _params_llama_8b, "explicit architecture"),
        Example({"architecture": GPT2_ARCH}, _params_gpt2, "biases, LayerNorm, tied head, learned positions"),
    ],
    "kv_cache": [
        Example({"model": "llama-3.1-70b", "context_tokens": 8192, "batch_size": 2}, _kv_llama_70b, "GQA"),
    ],
    "memory_estimate": [
        Example({"architecture": LLAMA31_8B_ARCH, "context_tokens": 8192, "overhead_gib": 0.5},
                _memory_llama_8b, "bf16 weights + KV"),
    ],
    "model_lookup": [
        Example({"model": "llama-3.1-8b"}, _lookup_llama_8b, "catalog entry"),
    ],
    "api_cost": [
        Example({"model": "claude-haiku-4-5", "input_tokens": 1500, "output_tokens": 300,
                 "requests_per_day": 10000}, _cost_haiku_claims, "10k claims a day"),
    ],
    "self_hosting_cost": [
        Example({"gpu_count": 2, "usd_per_gpu_hour": 3.0, "tokens_per_second": 1000,
                 "claude_model": "claude-haiku-4-5"},
                _self_hosting, "break-even vs Haiku 4.5"),
    ],
    "gpu_lookup": [Example({"gpu": "h100 sxm"}, _gpu_h100, "datasheet figures")],
    "hardware_fit": [Example({"model": "llama-3.1-70b", "gpus": ["h100"], "context_tokens": 8192},
                             _fit_llama_70b_h100, "70B bf16 needs two H100s")],
    "speed_estimate": [Example({"model": "llama-3.1-8b", "gpu": "a100-80gb-sxm", "context_tokens": 512},
                               _speed_gpt_fast, "gpt-fast calibration case")],
    "training_memory": [Example({"model": "llama-3.1-8b"}, _train_memory_states, "16 bytes/param states")],
    "training_compute": [Example({"model": "llama-3.1-405b", "training_tokens": 15.6e12},
                                 _train_compute_llama3, "Llama 3 405B compute")],
    "count_tokens": [
        Example({"words": 750}, _tokens_from_words, "words to tokens rule of thumb"),
    ],
}

CASES = [pytest.param(name, ex, id=f"{name}-{ex.why}") for name, exs in EXAMPLES.items() for ex in exs]

# Invalid input -> is_error result naming the field (and what is allowed, where there is a finite set).
INVALID = [
    pytest.param("kv_cache", {"model": "llama-3.1-70b", "context_tokens": 0}, "context_tokens", "minimum 1",
                 id="below-minimum"),
    pytest.param("kv_cache", {"model": "llama-3.1-70b", "context_tokens": 1024, "kv_dtype": "fp7"}, "kv_dtype",
                 ["fp32", "fp16", "bf16", "fp8", "int8", "int4"], id="not-in-enum"),
    pytest.param("kv_cache", {"model": "llama-3.1-70b"}, "context_tokens", None, id="missing-required"),
    pytest.param("parameter_count", {"model": "llama-3.1-8b", "colour": "red"}, "colour",
                 ["architecture", "hf_config", "model"], id="unknown-field"),
    pytest.param("model_lookup", {"model": "llama-9-9000b"}, "model", None, id="unknown-model"),
]


def _text(result) -> str:
    assert len(result.content) == 1 and result.content[0].type == "text"
    return result.content[0].text


def _definitions_as_listed(listed) -> list[dict]:
    return [{"name": t.name, "description": t.description, "input_schema": t.input_schema} for t in listed.tools]


@pytest.fixture
def anyio_backend():
    return "asyncio"


# -- in-process ---------------------------------------------------------------------------------------

@pytest.fixture(params=["auto", "legacy"])
def mode(request):
    """`auto` is the 2026-07-28 per-request protocol; `legacy` the initialize handshake hosts use today."""
    return request.param


def test_every_registry_tool_has_an_example():
    missing = [t.name for t in registry.tools() if t.name not in EXAMPLES]
    assert not missing, f"add checked example calls for {missing} to EXAMPLES in {Path(__file__).name}"
    stale = set(EXAMPLES) - {t.name for t in registry.tools()}
    assert not stale, f"EXAMPLES names tools the registry no longer has: {stale}"


@pytest.mark.anyio
async def test_lists_exactly_the_registry_definitions(mode):
    async with Client(build_server(), mode=mode) as client:
        listed = await client.list_tools()
    assert _definitions_as_listed(listed) == registry.definitions()
    for tool in listed.tools:
        a = tool.annotations
        # A tool taking `model` may read the Hugging Face Hub (config and headers): open-world.
        takes_model = "model" in tool.input_schema.get("properties", {})
        assert (a.read_only_hint, a.idempotent_hint, a.destructive_hint, a.open_world_hint) == (
            True, True, False, takes_model), tool.name


@pytest.mark.anyio
@pytest.mark.parametrize(("name", "example"), CASES)
async def test_call_every_tool(name, example, mode):
    async with Client(build_server(), mode=mode) as client:
        result = await client.call_tool(name, example.input)
    assert not result.is_error, _text(result)
    # Structured output is the result dict itself; the text block is the same JSON for text-only hosts.
    assert result.structured_content == json.loads(_text(result))
    example.check(result.structured_content)


@pytest.mark.anyio
@pytest.mark.parametrize(("name", "inp", "field", "allowed"), INVALID)
async def test_invalid_input_is_an_error_result_naming_the_field(name, inp, field, allowed, mode):
    async with Client(build_server(), mode=mode) as client:
        result = await client.call_tool(name, inp)
    assert result.is_error
    err = json.loads(_text(result))["error"]  # what the model reads
    assert err["field"] == field
    assert field in err["message"] or field == "model"  # unknown model names echo the value instead
    if allowed is not None:
        assert err["allowed"] == allowed
    assert result.structured_content == {"error": err}


@pytest.mark.anyio
async def test_unknown_field_is_rejected_by_every_tool():
    # Nothing is silently ignored: a misspelt input name must come back as an error, for every tool.
    async with Client(build_server()) as client:
        for tool in registry.tools():
            result = await client.call_tool(tool.name, {"not_a_field": 1})
            assert result.is_error, tool.name


@pytest.mark.anyio
async def test_unknown_tool_is_a_protocol_error():
    async with Client(build_server()) as client:
        with pytest.raises(MCPError, match="unknown tool 'no_such_tool'"):
            await client.call_tool("no_such_tool", {})


# -- real subprocesses ----------------------------------------------------------------------------------

def test_tools_json_cli_matches_the_registry():
    out = subprocess.run([sys.executable, "-m", "modelmath.plugin.cli.main", "tools", "--json"], capture_output=True,
                         text=True, check=True, timeout=60).stdout
    assert json.loads(out) == registry.definitions()


@pytest.mark.anyio
@pytest.mark.parametrize("client_mode", ["legacy", "auto"])
async def test_stdio_subprocess_lists_and_runs_every_tool(client_mode, tmp_path):
    cli_defs = json.loads(subprocess.run([sys.executable, "-m", "modelmath.plugin.cli.main", "tools", "--json"],
                                         capture_output=True, text=True, check=True, timeout=60).stdout)
    params = StdioServerParameters(command=SERVER_CMD[0], args=SERVER_CMD[1:])
    with open(tmp_path / "stderr.txt", "w+") as errlog:
        async with Client(stdio_client(params, errlog=errlog), mode=client_mode) as client:
            listed = await client.list_tools()
            assert _definitions_as_listed(listed) == cli_defs
            for name, exs in EXAMPLES.items():
                for ex in exs:
                    result = await client.call_tool(name, ex.input)
                    assert not result.is_error, _text(result)
                    ex.check(result.structured_content)
            bad = await client.call_tool("kv_cache", {"model": "llama-3.1-70b", "context_tokens": 1024,
                                                      "kv_dtype": "fp7"})
            assert bad.is_error and json.loads(_text(bad))["error"]["field"] == "kv_dtype"
        errlog.seek(0)
        logged = errlog.read()
    assert f"serving {len(registry.tools())} tools over stdio" in logged  # logs go to stderr


def _read_line(stream, timeout_s: float = 60.0) -> bytes:
    # `stream` must be unbuffered (Popen(bufsize=0)): a buffered readline() can pull two replies into Python's
    # buffer, and select() on the pipe would then wait for data that already arrived.
    ready, _, _ = select.select([stream], [], [], timeout_s)
    assert ready, f"no output within {timeout_s} s"
    return stream.readline()


@pytest.mark.skipif(os.name == "nt", reason="select() on pipes is POSIX-only")
def test_stdout_carries_nothing_but_protocol():
    """Raw JSON-RPC, no SDK client: every stdout line must be a JSON-RPC message; logs go to stderr."""
    proc = subprocess.Popen(SERVER_CMD, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            bufsize=0)
    try:
        init = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                           "clientInfo": {"name": "test", "version": "0"}}}
        proc.stdin.write((json.dumps(init) + "\n").encode())
        proc.stdin.flush()
        first = json.loads(_read_line(proc.stdout))
        assert first["id"] == 1 and first["result"]["serverInfo"]["name"] == "modelmath"
        assert first["result"]["capabilities"]["tools"] is not None
        rest = [{"jsonrpc": "2.0", "method": "notifications/initialized"},
                {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                 "params": {"name": "kv_cache", "arguments": {"model": "llama-3.1-70b", "context_tokens": 0}}},
                {"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                 "params": {"name": "kv_cache", "arguments": {"model": "llama-3.1-70b", "context_tokens": 1}}}]
        for msg in rest:
            proc.stdin.write((json.dumps(msg) + "\n").encode())
        proc.stdin.flush()
        replies = {}
        while len(replies) < 2:
            msg = json.loads(_read_line(proc.stdout))
            assert msg["jsonrpc"] == "2.0"
            replies[msg.get("id")] = msg
        proc.stdin.close()  # EOF: the server exits
        tail, stderr = proc.stdout.read(), proc.stderr.read()
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    for line in tail.splitlines():
        assert json.loads(line)["jsonrpc"] == "2.0"
    assert replies[2]["result"]["isError"] is True
    assert replies[2]["result"]["structuredContent"]["error"]["field"] == "context_tokens"
    assert replies[3]["result"]["isError"] is False
    assert replies[3]["result"]["structuredContent"]["bytes_per_token"] == LLAMA31_70B_KV_BYTES_PER_TOKEN
    assert b"serving" in stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.anyio
async def test_streamable_http_transport(tmp_path):
    port = _free_port()
    with open(tmp_path / "stderr.txt", "w+") as errlog:
        proc = subprocess.Popen([*SERVER_CMD, "--transport", "streamable-http", "--port", str(port)],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errlog)
        try:
            deadline = time.monotonic() + 60
            while True:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
                assert proc.poll() is None, "server exited before listening"
                assert time.monotonic() < deadline, "server did not listen within 60 s"
                time.sleep(0.1)
            async with Client(f"http://127.0.0.1:{port}/mcp") as client:
                listed = await client.list_tools()
                assert _definitions_as_listed(listed) == registry.definitions()
                result = await client.call_tool("kv_cache", {"model": "llama-3.1-70b", "context_tokens": 8192,
                                                             "batch_size": 2})
                assert not result.is_error
                _kv_llama_70b(result.structured_content)
        finally:
            proc.terminate()
            stdout, _ = proc.communicate(timeout=30)
        errlog.seek(0)
        assert f"http://127.0.0.1:{port}/mcp" in errlog.read()
    assert stdout == b""  # HTTP mode logs to stderr too, nothing on stdout


def test_mcp_options_are_checked():
    r = subprocess.run([*SERVER_CMD, "--port", "9000"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "only to --transport streamable-http" in r.stderr and r.stdout == ""
    r = subprocess.run([*SERVER_CMD, "--transport", "streamable-http", "--port", "70000"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2 and "--port" in r.stderr and "Traceback" not in r.stderr


def test_a_busy_port_is_one_line_and_exit_2_before_claiming_to_serve():
    # QA pass: on a busy port the server logged "serving … at http://…", then uvicorn's error, and exited 3.
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = subprocess.run([*SERVER_CMD, "--transport", "streamable-http", "--port", str(port)], capture_output=True,
                           text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.strip().splitlines() == [f"modelmath: error: cannot listen on 127.0.0.1:{port}: the port is "
                                              "already in use (another server is listening there); stop it or give "
                                              "another --port"]


def test_offline_cli_does_not_import_mcp():
    code = ("import sys, modelmath.plugin.cli.main; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('mcp', 'mcp_types', 'anthropic', 'uvicorn')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60).stdout
    assert out.strip() == "[]"


# -- Claude Code plugin files ---------------------------------------------------------------------------

def test_plugin_manifest_mcp_config_and_marketplace_agree():
    plugin_dir = REPO / "plugin"
    manifest = json.loads((plugin_dir / ".claude-plugin" / "plugin.json").read_text())
    mcp_config = json.loads((plugin_dir / ".mcp.json").read_text())
    market = json.loads((REPO / ".claude-plugin" / "marketplace.json").read_text())
    assert manifest["name"] == "modelmath"
    # The plugin starts the installed console script; pyproject must declare it.
    assert mcp_config == {"modelmath": {"command": "modelmath", "args": ["mcp"]}}
    assert 'modelmath = "modelmath.plugin.cli.main:main"' in (REPO / "pyproject.toml").read_text()
    assert market["owner"]["name"] and market["name"] == "modelmath"
    (entry,) = [p for p in market["plugins"] if p["name"] == manifest["name"]]
    assert entry["source"] == "./plugin" and (REPO / entry["source"] / ".claude-plugin" / "plugin.json").is_file()
    assert entry["version"] == manifest["version"]


def test_skill_has_frontmatter_and_the_ground_rules():
    text = (REPO / "plugin" / "skills" / "modelmath" / "SKILL.md").read_text()
    head, _, body = text.removeprefix("---\n").partition("\n---\n")
    fields = dict(line.split(": ", 1) for line in head.splitlines())
    assert fields["name"] == "modelmath" and len(fields["description"]) > 100
    for rule in ("GiB", "Anthropic does not publish", "Quote the numbers"):
        assert rule in body
