"""One default context for the inference tools: memory, fit and speed answer the same question the same way
when no context is given (memory defaulted to 0 tokens while fit and speed used 8,192; QA pass), and each
says what it assumed."""

from __future__ import annotations

from modelmath.tools.registry import run_tool

# Llama 3.1 8B (config: 32 layers, 8 KV heads, head_dim 128): K and V x 32 x 8 x 128 x 2 bytes (bf16)
# = 131,072 bytes per token; 8,192 tokens -> 1,073,741,824 bytes = exactly 1 GiB.
KV_8K = 2 * 32 * 8 * 128 * 2 * 8192


def _ok(name: str, inp: dict) -> dict:
    out = run_tool(name, inp)
    assert not out.is_error, out.result
    return out.result


def test_memory_defaults_to_the_context_fit_and_speed_use():
    mem = _ok("memory_estimate", {"model": "llama-3.1-8b"})
    assert mem["context_tokens"] == 8192 and mem["kv_cache_bytes"] == KV_8K == 2**30
    assert any("context_tokens not given: 8,192 assumed" in a for a in mem["assumptions"])
    fit = _ok("hardware_fit", {"model": "llama-3.1-8b", "gpus": ["h100"]})
    speed = _ok("speed_estimate", {"model": "llama-3.1-8b", "gpu": "h100"})
    assert fit["context_tokens"] == speed["context_tokens"] == mem["context_tokens"]
    for r in (fit, speed):
        assert any("context_tokens not given: 8,192 assumed" in a for a in r["assumptions"])


def test_memory_context_zero_is_weights_without_kv():
    mem = _ok("memory_estimate", {"model": "llama-3.1-8b", "context_tokens": 0})
    assert mem["kv_cache_bytes"] == 0
    assert not any("not given" in a for a in mem["assumptions"])


def test_hourly_prices_say_whether_per_gpu_or_for_all():
    # gpu_lookup: one device's price; hardware_fit and self_hosting_cost: all N GPUs of the deployment (both
    # were "usd_per_hour"; QA pass). H100 SXM catalog price $2.95/GPU-hour (tools/data/gpus.json); Llama 3.1
    # 70B in bf16 needs tp 2 on H100 (141 GB of weights > 79 GiB), so the fit row costs 2 x 2.95 = $5.90/hour.
    gpu = _ok("gpu_lookup", {"gpu": "h100"})
    assert gpu["price"]["usd_per_gpu_hour"] == 2.95 and "usd_per_hour" not in gpu["price"]
    row = _ok("hardware_fit", {"model": "llama-3.1-70b", "gpus": ["h100"]})["gpus"][0]
    assert row["gpus"] == 2 and row["usd_per_hour_all_gpus"] == 5.9 and "usd_per_hour" not in row
    listed = _ok("gpu_lookup", {})["gpus"]
    assert next(r for r in listed if r["id"] == "h100-sxm")["usd_per_gpu_hour"] == 2.95
    # 8 GPUs x $2.5 = $20 an hour for the whole deployment.
    sh = _ok("self_hosting_cost", {"gpu_count": 8, "usd_per_gpu_hour": 2.5, "tokens_per_second": 20000})
    assert sh["usd_per_hour_all_gpus"] == 20 and "usd_per_hour" not in sh
