"""Engine profiles: lookup, platforms, where each constant comes from, and the KV-pool rules by hand
(tests/benchmarks/test_validation.py checks no holdout case chose a constant)."""

import json
from pathlib import Path

import pytest
from modelmath.tools.errors import UnknownName
from modelmath.tools.hardware import engines, gpus
from modelmath.tools.units import GiB


def test_lookup_aliases_and_default():
    assert engines.default_id() == "vllm" and engines.lookup(None).id == "vllm"
    assert engines.lookup("TensorRT-LLM").id == engines.lookup("nim").id == "trt-llm"
    assert engines.lookup("llamacpp").id == engines.lookup("ollama").id == "llama.cpp"
    assert {"vllm", "sglang", "trt-llm", "llama.cpp", "gpt-fast", "transformers"} <= set(engines.ids())
    with pytest.raises(UnknownName) as e:
        engines.lookup("deepspeed-mii")
    assert e.value.field == "engine" and "vllm" in e.value.allowed


@pytest.mark.parametrize("gpu, platform", [("h100", "nvidia-hbm"), ("rtx 4090", "nvidia-gddr"),
                                           ("m2 ultra", "apple-lpddr"), ("mi300x", "amd-hbm"),
                                           ("tpu v5e", "google-hbm")])
def test_platform(gpu, platform):
    assert engines.platform(gpus.lookup(gpu)) == platform


def test_every_constant_is_sourced_and_banded():
    data = json.loads((Path(engines.__file__).parent.parent / "data" / "engines.json").read_text())
    assert data["kv_bandwidth"]["source"] and data["arch_matmul_ceiling"]["source"]
    for e in data["engines"]:
        assert e["memory"]["source"] and e["prior"]["source"], e["id"]
        gemm = e["gemm_efficiency"]
        blocks = [*e["weight_bandwidth"].values(), *e["step_overhead_ms"].values(), e["quantized_bandwidth_factor"],
                  e["moe_layer_overhead_us"], *([gemm] if "mid" in gemm else gemm.values())]
        for b in blocks:
            assert 0 <= b["low"] <= b["mid"] <= b["high"], e["id"]
        # a platform is called calibrated only when some calibration case ran there
        assert bool(e["calibrated"]) == bool(e["cases"]), e["id"]


def test_kv_pool_rules_by_hand():
    # usable 80 GiB, weights 16 GiB, activations 2 GiB at tp 2. vLLM: 0.9 x 80 - 16 - 2 - (1.79 + 1.79) = 50.42 GiB.
    usable, w, a = 80 * GiB, 16 * GiB, 2 * GiB
    vllm = engines.lookup("vllm")
    assert engines.kv_pool_bytes(vllm, usable, w, a, 2) == int(0.9 * usable - w - a - int(1.79 * GiB) * 2)
    # SGLang: mem_fraction_static x total - weights - runtime (activations come out of the remaining 12%).
    sgl = engines.lookup("sglang")
    assert engines.kv_pool_bytes(sgl, usable, w, a, 1, fraction=0.93) == int(0.93 * usable - w - 1 * GiB)
    # TensorRT-LLM: 0.9 of what is free after weights, activations and runtime buffers (2 GiB + 1 GiB at tp > 1).
    trt = engines.lookup("trt-llm")
    assert engines.kv_pool_bytes(trt, usable, w, a, 2) == int((usable - w - a - 3 * GiB) * 0.9)
    assert engines.kv_pool_bytes(vllm, usable, 100 * GiB, a, 1) == 0  # never negative


def test_matmul_ceiling_prefers_the_device_measurement():
    # ml-engineering MAMF table: H100 SXM bf16 0.803, fp8 0.709; B200 has none, B300's Blackwell figures stand in.
    h100, b200, l4 = gpus.lookup("h100"), gpus.lookup("b200"), gpus.lookup("l4")
    assert engines.matmul_ceiling(h100, "fp8") == (0.709, True)
    assert engines.matmul_ceiling(b200, "fp8") == (0.745, True)
    assert engines.matmul_ceiling(l4, "bf16") == (0.7, False)  # Ada: no measurement, assumed
    assert engines.matmul_ceiling(b200, "fp4") == (0.745, False)  # FP4 = FP8's figure: an assumption, said so
