"""Bands from calibration errors (tools/bands.py): the split-conformal order statistics on residuals written here
and computed by hand, and what the tools report from tools/data/bands.json."""

import math

import pytest
from modelmath.tools import bands
from modelmath.tools.registry import run_tool

# 19 log-ratio residuals, deliberately out of order. Sorted: -0.30, -0.20, -0.15, -0.10, -0.08, -0.05, -0.03, -0.02,
# -0.01, 0.00, 0.01, 0.02, 0.04, 0.06, 0.09, 0.12, 0.18, 0.25, 0.40.
RESIDUALS_19 = [0.04, -0.30, 0.12, -0.01, 0.25, -0.08, 0.00, 0.40, -0.15, 0.02, -0.05, 0.18, -0.20, 0.06, -0.03,
                0.01, -0.10, 0.09, -0.02]


def test_ranks_by_hand():
    # 80% two-sided: alpha/2 = 0.1. n = 19: k_lo = floor(20 x 0.1) = 2, k_hi = ceil(20 x 0.9) = 18.
    assert bands.ranks(19, 0.8) == (2, 18)
    # n = 9: floor(10 x 0.1) = 1, ceil(10 x 0.9) = 9 -> the extremes; n = 8: floor(0.9) = 0 -> no finite band.
    assert bands.ranks(9, 0.8) == (1, 9)
    assert bands.ranks(8, 0.8) == (0, 9)
    assert bands.min_cases(0.8) == 9
    # 90%: alpha/2 = 0.05, n + 1 must reach 20 for k_lo = 1.
    assert bands.min_cases(0.9) == 19


def test_conformal_interval_on_hand_computed_fixture():
    # The 2nd smallest (-0.20) and the 18th smallest (0.25) of the 19 above.
    assert bands.conformal_interval(RESIDUALS_19, 0.8) == (-0.20, 0.25)
    # Too few residuals: no band from them (the generator pools).
    assert bands.conformal_interval(RESIDUALS_19[:8], 0.8) is None
    # Nine residuals, all above zero: the band still contains the mid (q_lo clamped to 0), high = the largest.
    assert bands.conformal_interval([0.05, 0.10, 0.02, 0.30, 0.07, 0.01, 0.04, 0.12, 0.09], 0.8) == (0.0, 0.30)


def test_band_rule_applies_quantiles_and_inverts():
    r = bands.BandRule("decode", "calibrated", -0.20, 0.25, 19, "", 0.8, "seconds per step")
    low, mid, high = r.apply(100.0)
    # 100 x e^-0.20 = 81.873, 100 x e^0.25 = 128.403
    assert (round(low, 3), mid, round(high, 3)) == (81.873, 100.0, 128.403)
    # A rate from a time: the tails swap. 100 x e^-0.25 = 77.880, 100 x e^0.20 = 122.140
    low, mid, high = r.apply(100.0, inverse=True)
    assert (round(low, 3), round(high, 3)) == (77.880, 122.140)
    d = r.describe("calibrated: vllm on nvidia-hbm")
    assert d["coverage"] == 0.8 and d["group"] == "calibrated" and "19 calibration cases" in d["from"]


def test_every_kind_and_group_has_a_rule_containing_the_mid():
    for kind in ("decode", "serving", "ttft", "inference_memory", "kv_capacity", "training_memory",
                 "training_throughput", "training_compute"):
        prev = None
        for group in bands.GROUPS:
            r = bands.rule(kind, group)
            assert r.q_low <= 0 <= r.q_high and r.coverage == bands.coverage() == 0.8
            if prev is not None:  # less calibration never reads as more certainty
                assert r.q_low <= prev.q_low and r.q_high >= prev.q_high, (kind, group)
            prev = r


def _ratio_band(band: dict) -> tuple[float, float]:
    return band["low"] / band["mid"], band["high"] / band["mid"]


def test_speed_estimate_reports_its_band_group():
    out = run_tool("speed_estimate", {"model": "llama-3.1-8b", "gpu": "h100", "engine": "vllm",
                                      "context_tokens": 1024}).result
    dec = out["decode"]
    assert dec["band"]["group"] == "calibrated" and dec["band"]["setup"] == "calibrated: vllm on nvidia-hbm"
    r = bands.rule("decode", "calibrated")
    lo, hi = _ratio_band(dec["inter_token_latency_ms"])
    assert lo == pytest.approx(math.exp(r.q_low), rel=2e-3) and hi == pytest.approx(math.exp(r.q_high), rel=2e-3)
    # tokens/s is the reciprocal: its low end comes from the time's high quantile.
    lo, hi = _ratio_band(dec["tokens_per_s_per_stream"])
    assert lo == pytest.approx(math.exp(-r.q_high), rel=2e-3)
    other = run_tool("speed_estimate", {"model": "llama-3.1-8b", "gpu": "h100", "engine": "generic",
                                        "context_tokens": 1024}).result["decode"]["band"]
    assert other["group"] == "generic" and "generic profile" in other["setup"]
    kv = out["engine_memory"]["band"]
    assert kv["kv_capacity_tokens"]["mid"] == out["engine_memory"]["kv_capacity_tokens"]


def test_memory_and_training_tools_report_bands():
    mem = run_tool("memory_estimate", {"model": "llama-3.1-8b", "context_tokens": 4096}).result
    assert mem["total_band"]["low"] <= mem["total_bytes"] == mem["total_band"]["mid"] <= mem["total_band"]["high"]
    assert mem["band"]["coverage"] == 0.8
    tc = run_tool("training_compute", {"model": "llama-3.1-8b", "framework": "megatron", "gpu": "h100"}).result
    assert tc["band"]["throughput"]["group"] == "calibrated"
    tpu = run_tool("training_compute", {"model": "llama-3.1-8b", "framework": "maxtext", "gpu": "tpu-v6e"}).result
    assert tpu["band"]["throughput"]["group"] == "uncalibrated" and "tpu-v5p" in tpu["band"]["throughput"]["setup"]
    unnamed = run_tool("training_compute", {"model": "llama-3.1-8b", "gpu": "h100"}).result
    assert unnamed["band"]["throughput"]["group"] == "generic"
    # GPU-hours take their own (whole-run) rule: at least as wide as throughput's.
    h, t = unnamed["gpu_hours_band"], unnamed["tokens_per_second_per_gpu"]
    assert h["high"] / h["mid"] >= t["mid"] / t["low"] * 0.999
    tm = run_tool("training_memory", {"model": "llama-3.1-8b", "framework": "torchtune", "method": "lora"}).result
    assert tm["band"]["group"] == "calibrated"
    assert run_tool("training_memory", {"model": "llama-3.1-8b"}).result["band"]["group"] == "uncalibrated"
