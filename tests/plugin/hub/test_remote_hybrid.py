"""A hybrid model's GGUF on the (stand-in) Hub, asked for as org/name:file.gguf: the same parameters, KV and state
as its config.json, and no weight byte read. Expected values: transformers' meta-device count
(tests/tools/model/data/transformers_counts.json) and the by-hand cache sizes written out below (the same
derivation as CACHE_BY_HAND in tests/tools/model/test_transformers_counts.py)."""

from __future__ import annotations

import json
from pathlib import Path

from modelmath.tools.registry import run_tool
from standin_hub.gguf_hybrids import WRITERS

_DATA = Path(__file__).parents[2] / "tools" / "model" / "data" / "transformers_counts.json"


def test_qwen3_next_gguf_in_a_repository(hub, publish):
    case = next(c for c in json.loads(_DATA.read_text())["cases"] if c["slug"] == "qwen3-next-80b-a3b")
    arch, kv, tensors = WRITERS["qwen3_next"](case["config"])
    name = "Qwen3-Next-80B-A3B-Instruct-Q4_0.gguf"
    _, offsets = publish.gguf_repo("acme/Qwen3-Next-80B-A3B-Instruct-GGUF", {
        name: (arch, {f"{arch}.{k}": v for k, v in kv.items()}, tensors, None)})
    model = f"acme/Qwen3-Next-80B-A3B-Instruct-GGUF:{name}"
    out = run_tool("parameter_count", {"model": model})
    assert not out.is_error, out.result
    assert out.result["total_params"] == case["total_params"] == 79_674_391_296
    ctx = 100_000
    kv_out = run_tool("kv_cache", {"model": model, "context_tokens": ctx, "kv_dtype": "bf16"})
    assert not kv_out.is_error, kv_out.result
    # Full attention x12: K,V [2 heads, T, 256] bf16; gated DeltaNet x36: conv [8192, 4] bf16 + state
    # [32, 128, 128] fp32.
    state = 36 * (8192 * 4 * 2 + 32 * 128 * 128 * 4)
    assert kv_out.result["state_bytes_per_sequence"] == state == case["cache_probe"]["state_bytes_per_sequence"]
    assert kv_out.result["bytes_per_sequence"] == 12 * 2 * 2 * 256 * 2 * ctx + state
    for name_, end in offsets.items():  # headers only
        assert max(last for _, last in hub.bytes_served(name_)) < end
