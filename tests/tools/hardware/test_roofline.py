"""Physical caps: no band end (and no mid) of a speed estimate claims more than the device can do, and a clamped
end says so. Hand derivations from datasheet figures, then a property test over a sample of catalog models x
devices x formats x engines (benchmarks/physics_sweep.py runs every case)."""

from __future__ import annotations

import itertools
import random
import re

import pytest
from modelmath.tools.errors import InvalidInput, UnsupportedConfig
from modelmath.tools.hardware import engines, gpus, serving, speed
from modelmath.tools.hardware.fit import min_placement
from modelmath.tools.model import catalog
from modelmath.tools.model.formats import kv_format, weight_format
from modelmath.tools.model.params import parameter_count
from modelmath.tools.model.resolve import shape_from_entry, shaped_weight_format
from modelmath.tools.registry import run_tool

KV16 = kv_format("bf16")


def _speed(**args) -> dict:
    out = run_tool("speed_estimate", args)
    assert not out.is_error, out.result
    return out.result


def test_decode_high_is_capped_at_peak_bandwidth():
    # Qwen2.5-7B (config.json: hidden 3,584, 28 layers, 4 KV heads of 128, vocab 152,064) in bf16 on an NVIDIA L4
    # (datasheet: 300 GB/s), llama.cpp, 8,000 tokens of KV. Bytes one decode step must read:
    #   weights: (7,615,616,512 params - 152,064 x 3,584 input-embedding rows) x 2 B = 14,141,238,272
    #   KV: 28 layers x 4 heads x 128 x 2 (K, V) x 2 B = 57,344 B/token x 8,000 = 458,752,000
    # -> 14,599,990,272 B / 300e9 B/s = 48.667 ms: at most 20.55 tokens/s, whatever the band's quantile says.
    read = (7_615_616_512 - 152_064 * 3_584) * 2 + 57_344 * 8_000
    assert read == 14_599_990_272
    floor = read / 300e9
    dec = _speed(model="qwen2.5-7b", gpu="l4", engine="llama.cpp", context_tokens=8000)["decode"]
    assert dec["weights_read_per_gpu_bytes"] + dec["kv_read_per_gpu_bytes"] == read
    assert dec["tokens_per_s_per_stream"]["high"] == pytest.approx(1 / floor, rel=1e-3)
    assert dec["inter_token_latency_ms"]["low"] == pytest.approx(floor * 1e3, rel=1e-3)
    assert "capped at the roofline" in dec["band"]["capped"] and "300 GB/s" in dec["band"]["capped"]
    # Where the band's fast end is physically possible, nothing is capped and nothing is said.
    h100 = _speed(model="qwen2.5-7b", gpu="h100", engine="vllm", context_tokens=8000)["decode"]
    assert "capped" not in h100["band"]


def test_prefill_high_is_capped_at_the_dense_peak():
    # Llama-3.1-8B (8,030,261,248 params; untied 128,256 x 4,096 embedding and LM head; 32 layers, 32 heads of
    # 128), one 8,192-token prompt on an A100 (datasheet: 312 dense BF16 TFLOP/s), vLLM (one chunk of 8,192):
    #   matmuls: 2 x (8,030,261,248 - 2 x 525,336,576) x 8,192 + 2 x 525,336,576 (logits of the last token)
    #   attention: 4 x 32 heads x 128 (QK and AV) x 32 layers x 8,192 x 8,193 / 2 causal pairs
    mm = 2 * (8_030_261_248 - 2 * 525_336_576) * 8192 + 2 * 525_336_576
    attention = 4 * 32 * 128 * 32 * 8192 * 8193 // 2
    assert mm + attention == 131_948_955_566_080
    floor = (mm + attention) / 312e12  # 0.4229 s: at most 19,370 prompt tokens/s
    pre = _speed(model="llama-3.1-8b", gpu="a100", prompt_tokens=8192)["prefill"]
    assert pre["seconds"]["low"] == pytest.approx(floor, rel=1e-3)
    assert pre["tokens_per_s"]["high"] == pytest.approx(8192 / floor, rel=1e-3)
    assert "312 TFLOP/s bf16" in pre["band"]["capped"]


@pytest.mark.parametrize(("gpu", "fmt", "engine", "tflops", "why"), [
    ("rtx-4090", "q4_k_m", "llama.cpp", 660.6, "Ada whitepaper: 660.6 dense INT8 TOPS (MMQ's integer dot products)"),
    ("rtx-4090", "fp16", "llama.cpp", 330.3, "FP16 with FP16 accumulate, the cuBLAS path ggml uses"),
    ("rtx-4090", "awq", "vllm", 165.2, "dequantised to FP16, FP32 accumulate (Marlin)"),
    ("h100-sxm", "fp8", "vllm", 1979, "H100 SXM datasheet: 1,979 dense FP8 TFLOP/s"),
    ("a100", "fp8", "vllm", 312, "no FP8 on Ampere: weight-only, BF16 math"),
])
def test_the_cap_uses_the_fastest_format_the_path_can_use(gpu, fmt, engine, tflops, why):
    plan = speed.compute_plan(gpus.lookup(gpu), weight_format(fmt), engines.lookup(engine))
    assert plan.peak_tflops == tflops, why


def test_fit_rows_carry_the_decode_band_block_speed_reports():
    fit = run_tool("hardware_fit", {"model": "qwen2.5-7b", "context_tokens": 8000, "engine": "llama.cpp",
                                    "gpus": ["l4", "h100", "rtx-4090"]}).result
    for row in fit["gpus"]:
        dec = _speed(model="qwen2.5-7b", gpu=row["gpu"], gpu_count=row["gpus"], engine="llama.cpp",
                     context_tokens=8000)["decode"]
        assert row["decode_band"] == dec["band"]
        assert {"coverage", "group", "setup", "from"} <= set(row["decode_band"])
        low, high = (float(x.replace(",", "")) for x in row["decode_range"].split("-"))
        assert high == pytest.approx(dec["tokens_per_s_per_stream"]["high"], rel=5e-3)  # 3 figures
        assert low == pytest.approx(dec["tokens_per_s_per_stream"]["low"], rel=5e-3)
    capped = [r["gpu"] for r in fit["gpus"] if "capped" in r["decode_band"]]
    assert capped == ["l4"]
    assert any("capped at the roofline" in w and "l4" in w for w in fit["warnings"])
    # The terminal table shows the block as its group and coverage, not a Python dict.
    from modelmath.plugin.cli.render import render

    text = render(fit)
    assert "calibrated 80%, capped" in text and "{'coverage'" not in text


def test_kv_pool_high_is_capped_at_usable_memory_less_weights():
    # llama.cpp gives its KV whatever is left; the band's high (x1.19 on the pool) would exceed the card. RTX 4090:
    # 23.6 GiB usable (catalog) - Llama-3.1-8B bf16 weights 8,030,261,248 x 2 B = 9,279,784,550 B at most, i.e.
    # 9,279,784,550 // 131,072 B per token (32 layers x 8 KV heads x 128 x 2 x 2 B) = 70,799 tokens.
    room = int(23.6 * 2**30) - 8_030_261_248 * 2
    assert room == 9_279_784_550
    band = _speed(model="llama-3.1-8b", gpu="rtx-4090", engine="llama.cpp")["engine_memory"]["band"]
    assert band["kv_pool_per_gpu_bytes"]["high"] == room
    assert band["kv_capacity_tokens"]["high"] == room // 131_072 == 70_799
    assert "usable memory less the weights" in band["capped"]


def test_long_prompt_decodes_at_prompt_plus_output():
    # The QA report: speed --prompt 100000 --output 1000 decoded at 8,192 tokens. The last decode step of such a
    # request holds 101,000 tokens of KV: Llama-3.1-8B bf16, 131,072 B per token -> 13,238,272,000 B read.
    r = _speed(model="llama-3.1-8b", gpu="h100", prompt_tokens=100_000, output_tokens=1000)
    assert r["context_tokens"] == 101_000
    assert r["decode"]["kv_read_per_gpu_bytes"] == 101_000 * 131_072 == 13_238_272_000
    assert r["assumptions"][0].startswith("context_tokens not given: prompt + output = 101,000 tokens")
    with pytest.raises(InvalidInput) as e:  # an explicit context must hold both
        from modelmath.tools.hardware.speed_tool import speed_result
        speed_result({"model": "llama-3.1-8b", "gpu": "h100", "prompt_tokens": 100_000, "output_tokens": 1000,
                      "context_tokens": 100_500})
    assert e.value.field == "output_tokens"


# -- property: every band end under the roofline, over a sample of the catalog ------------------------------

_INTEGER = re.compile(r"^(int8|i?q\d.*)$")


def _peaks(g, plan_fmt: str, plan_tflops: float, fmt: str, engine) -> tuple[float, float]:
    """Peak FLOP/s for matmuls and attention, from the device catalog: the plan's format; FP16-accumulate where the
    engine accumulates in FP16 (gpus.json fp16_accumulate_tflops); INT8 for int8 and GGUF weights."""
    half = g.tflops.get("bf16") or g.tflops.get("fp16")
    acc16 = g.fp16_accumulate_tflops if engine.raw.get("gemm_fp16_accumulate") and g.fp16_accumulate_tflops else 0
    mm = max(plan_tflops, acc16 if plan_fmt in ("fp16", "bf16") else 0,
             g.tflops.get("int8") or 0 if _INTEGER.match(fmt) else 0)
    return mm * 1e12, max(half, acc16) * 1e12


def _cases(n: int, seed: int):
    models = [shape_from_entry(e) for e in catalog.entries()]
    grid = list(itertools.product(range(len(models)), gpus.catalog(), ("bf16", "fp8", "q4_k_m", "awq", "nvfp4"),
                                  engines.catalog()))
    for i, g, fmt, e in random.Random(seed).sample(grid, n):
        shape = models[i]
        try:
            wfmt, _ = shaped_weight_format(weight_format(fmt), shape)
        except UnsupportedConfig:
            continue
        yield shape, parameter_count(shape), g, fmt, wfmt, e


def test_no_band_end_beats_the_roofline():
    checked = 0
    for shape, params, g, fmt, wfmt, e in _cases(5000, 12):
        p = min_placement(shape, params, g, wfmt, KV16, context=8192, batch=1)
        tp = p.tp if p is not None else 1
        try:
            steps = [speed.decode_step(shape, params, g, wfmt, 8192, 1, tp, KV16, e),
                     speed.decode_step(shape, params, g, wfmt, 1024, 64, tp, KV16, e),
                     speed.prefill(shape, params, g, wfmt, 8192, tp, e)]
        except InvalidInput:
            continue
        cap = serving.kv_capacity(shape, params, g, wfmt, KV16, tp, e)
        most, why = serving.max_concurrency(cap, shape, KV16, 1000, 200, tp, e)
        if most:
            steps.append(serving.serve(shape, params, g, wfmt, KV16, prompt=1000, output=200, concurrency=most,
                                       limited_by=why, tp=tp, engine=e).step)
        for s in steps:
            mm_peak, at_peak = _peaks(g, s.plan.fmt, s.plan.tflops, fmt, e)
            bytes_read = s.weight_bytes_per_gpu + s.kv_bytes_per_gpu
            flop_time = s.matmul_flops_per_gpu / mm_peak + s.attention_flops_per_gpu / at_peak
            where = (shape.name, g.id, fmt, e.id, tp)
            for t in (s.seconds.low, s.seconds.mid, s.seconds.high):
                assert bytes_read / t <= g.bandwidth_bytes_per_s * (1 + 1e-9), where
                assert flop_time <= t * (1 + 1e-9), where
            checked += 1
    assert checked > 10_000


def test_no_training_band_beats_the_roofline_or_mfu_one():
    rng = random.Random(5)
    models = [e.id for e in catalog.entries()]
    frameworks = (None, "megatron", "torchtitan", "torchtune", "maxtext")
    grid = list(itertools.product(models, gpus.catalog(), frameworks, ("bf16", "fp8"), (2048, 32_768)))
    checked = 0
    for model, g, fw, prec, seq in rng.sample(grid, 3000):
        if prec == "fp8" and not g.tflops.get("fp8"):
            continue
        args = {"model": model, "gpu": g.id, "precision": prec, "context_tokens": seq, "training_tokens": 1e12,
                **({"framework": fw} if fw else {})}
        r = run_tool("training_compute", args).result
        if "error" in r:
            continue
        peak16 = (g.tflops.get("bf16") or g.tflops.get("fp16")) * 1e12
        mm_peak = g.tflops["fp8"] * 1e12 if prec == "fp8" else peak16
        fpt = r["flops_per_token"]  # rounded to 3 significant figures: 0.5% allowance
        hw = (fpt["hardware"] - fpt["attention_causal_hardware"]) / mm_peak + fpt["attention_causal_hardware"] / peak16
        for k in ("low", "mid", "high"):
            assert r["tokens_per_second_per_gpu"][k] * hw <= 1.005, (model, g.id, fw, prec, seq)
            if prec == "bf16":
                assert r["mfu_band"][k] <= 1.0, (model, g.id, fw, seq)
        # the fewest GPU-hours cannot need more than the roofline's tokens/s either
        assert 1e12 / (r["gpu_hours_band"]["low"] * 3600) * hw <= 1.005, (model, g.id, fw, prec, seq)
        checked += 1
    assert checked > 2000
