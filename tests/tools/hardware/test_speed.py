"""Speed: published measurements pinned inside our low-high band (the claim the band makes), each with its source,
for every calibrated engine; and the pieces checked by hand. The full validation set, misses included, is
benchmarks/validation/RESULTS.md (tests/benchmarks/test_validation.py keeps it current)."""

import pytest
from modelmath.tools.errors import InvalidInput, UnknownName
from modelmath.tools.hardware import engines, gpus, speed
from modelmath.tools.model.formats import kv_format, weight_format
from modelmath.tools.model.params import parameter_count
from modelmath.tools.model.resolve import resolve_model
from modelmath.tools.registry import run_tool


def _model(name):
    m = resolve_model({"model": name})
    return m.shape, parameter_count(m.shape)


def _decode_seconds(model, gpu, fmt, context, tp=1, engine="vllm", kv="bf16", batch=1):
    shape, params = _model(model)
    return speed.decode_step(shape, params, gpus.lookup(gpu), weight_format(fmt), context, batch, tp,
                             kv_format(kv), engines.lookup(engine)).seconds


# gpt-fast README "Benchmarks" and "Tensor Parallelism" tables (pytorch-labs/gpt-fast @32971d31): A100-80GB at
# 330 W, batch 1, 5-token prompt, 200 new tokens → mean KV length 105. MI250X row: one GCD ("AMD" table).
GPT_FAST = [("llama-3.1-8b", "a100", "bf16", 1, 93.89), ("llama-3.1-8b", "a100", "bf16", 2, 149.10),
            ("llama-3.1-8b", "a100", "bf16", 4, 217.21), ("llama-3.1-8b", "a100", "bf16", 8, 276.01),
            ("llama-3.1-70b", "a100", "bf16", 4, 37.45), ("llama-3.1-70b", "a100", "bf16", 8, 58.78),
            ("llama-3.1-8b", "a100", "int8", 1, 137.64), ("llama-2-7b", "mi250x", "bf16", 1, 76.33)]


@pytest.mark.parametrize("model, gpu, fmt, tp, tokens_per_s", GPT_FAST)
def test_gpt_fast_inside_band(model, gpu, fmt, tp, tokens_per_s):
    s = _decode_seconds(model, gpu, fmt, 105, tp, "gpt-fast")
    assert s.low <= 1 / tokens_per_s <= s.high


# vLLM blog "The State of FP8 KV-Cache and Attention Quantization in vLLM" (2026-04-22), concurrency 1, BF16 KV:
# ITL = slope x input_len + intercept. Llama-3.1-8B on B200: intercept 3.93 ms; on H100 at 65,536 tokens:
# 6.44 + 4.37e-05 x 65,536 = 9.304 ms; gpt-oss-20b (MXFP4 experts) intercepts 4.03-4.07 ms (H100), 3.15 ms (B200).
VLLM = [("llama-3.1-8b", "b200", "bf16", 64, 3.93e-3), ("gpt-oss-20b", "h100", "mxfp4", 64, 4.05e-3),
        ("gpt-oss-20b", "b200", "mxfp4", 64, 3.15e-3)]


@pytest.mark.parametrize("model, gpu, fmt, context, itl", VLLM)
def test_vllm_inter_token_latency_inside_band(model, gpu, fmt, context, itl):
    s = _decode_seconds(model, gpu, fmt, context, engine="vllm")
    assert s.low <= itl <= s.high


def test_vllm_h100_long_context_is_the_worst_calibration_case():
    # Same source, Llama-3.1-8B on H100 at 65,536 tokens: 6.44 + 4.37e-05 x 65,536 = 9.304 ms. The KV slope is
    # right (131,072 B/token at 0.88 of 3.35 TB/s = 4.45e-05 ms/token), but the weight-streaming part of the step
    # is ~1 ms too long on H100 while the B200 rows fit: the worst of vLLM's 7 calibration cases (mid 13% high). A
    # per-architecture step cost did not help: the other H100 cases (gpt-oss-20b, 70B TP4) pull the other way. The
    # band now comes from the calibrated group's leave-one-out errors (tools/data/bands.json), which include this
    # miss (measured/predicted 0.874 refitted without it), so it holds the measurement.
    s = _decode_seconds("llama-3.1-8b", "h100", "bf16", 65_600, engine="vllm")
    assert 0.10 < s.mid / 0.009304 - 1 < 0.15
    assert s.low <= 0.009304 <= s.high


def test_nim_llama_70b_fp8_tp2():
    # NVIDIA NIM benchmarking (docs.nvidia.com/nim/benchmarking/llm), Llama-3.3-70B-Instruct NIM 1.8.0, 2 x H100,
    # fp8 TP2, concurrency 1: 500 in / 2000 out → ITL 18.91 ms, TTFT 47.77 ms; 5000 in → TTFT 406.77 ms.
    # NIM runs TensorRT-LLM profiles. Mean KV length while decoding: 500 + 2000/2.
    s = _decode_seconds("llama-3.3-70b", "h100", "fp8", 1500, 2, "trt-llm", "fp8")
    assert s.low <= 0.01891 <= s.high
    shape, params = _model("llama-3.3-70b")
    for prompt, ttft in ((500, 0.04777), (5000, 0.40677)):
        t = speed.time_to_first_token(shape, params, gpus.lookup("h100"), weight_format("fp8"), prompt, 2,
                                      engine=engines.lookup("trt-llm"))
        assert t.low <= ttft <= t.high, (prompt, t)


# llama.cpp llama-bench tg (decode from an empty context): ggml-org/llama.cpp PR #4766 (RTX 4090, LLaMA 7B F16
# 61.03 t/s, Q8_0 98.13 t/s, tg 128 → mean KV 64); XiongjieDai/GPU-Benchmarks-on-LLM-Inference (third party,
# Llama-3-8B Q4_K_M tg 512 → mean KV 256: L40S 115.55, M3 Max 48.97).
LLAMA_CPP = [("llama-2-7b", "rtx-4090", "fp16", 64, 61.03), ("llama-2-7b", "rtx-4090", "q8_0", 64, 98.13),
             ("llama-3-8b", "l40s", "q4_k_m", 256, 115.55), ("llama-3-8b", "m3 max", "q4_k_m", 256, 48.97)]


@pytest.mark.parametrize("model, gpu, fmt, context, tokens_per_s", LLAMA_CPP)
def test_llama_cpp_inside_band(model, gpu, fmt, context, tokens_per_s):
    s = _decode_seconds(model, gpu, fmt, context, engine="llama.cpp", kv="fp16")
    assert s.low <= 1 / tokens_per_s <= s.high


def test_mlx_m3_max_70b_4bit():
    # ml-explore/mlx-examples issue #1029 (third-party report): Llama-3.3-70B 4-bit on a 64 GB M3 Max, 260 prompt +
    # 309 generated tokens → 9.351 tok/s (mean KV 415). MLX 4-bit = codes + fp16 scale and bias per 64 = 4.5
    # bits, q4_0's storage.
    s = _decode_seconds("llama-3.3-70b", "m3 max", "q4_0", 415, engine="mlx", kv="fp16")
    assert s.low <= 1 / 9.351 <= s.high


def test_engines_differ_where_the_data_says():
    # Same model and GPU: gpt-fast's compiled loop pays less per step than vLLM's scheduler (engines.json).
    vllm = _decode_seconds("llama-3.1-8b", "a100", "bf16", 105, engine="vllm")
    fast = _decode_seconds("llama-3.1-8b", "a100", "bf16", 105, engine="gpt-fast")
    assert engines.lookup("gpt-fast").raw["step_overhead_ms"]["any"]["mid"] < \
        engines.lookup("vllm").raw["step_overhead_ms"]["any"]["mid"]
    assert fast.mid != vllm.mid


def test_weights_read_per_token_match_gpt_fast_bandwidth_column():
    # gpt-fast reports 1410.76 GB/s at 93.89 tok/s for Llama-3.1-8B: 15.03 GB read per token. By hand: all
    # 8,030,261,248 params except the 128,256 × 4096 = 525,336,576 input-embedding rows, at 2 B each.
    shape, params = _model("llama-3.1-8b")
    touched = speed.weights_touched_bytes(params, shape, weight_format("bf16"), 1)
    assert touched == (8_030_261_248 - 525_336_576) * 2
    assert abs(touched / (1410.76e9 / 93.89) - 1) < 0.002


def test_step_adds_kernel_times_and_overheads_by_hand():
    # Llama-3.1-8B bf16 on H100, batch 1, 1 token of KV, vLLM mids: weights 15,009,849,344 B / (3.35e12 x e_w)
    # + KV 131,072 B / (3.35e12 x e_kv) + step overhead; FLOPs are far below the memory time at batch 1.
    e = engines.lookup("vllm")
    f = engines.factors(e, gpus.lookup("h100"), "bf16", False)
    expected = 15_009_849_344 / (3.35e12 * f.weight_bw.mid) + 131_072 / (3.35e12 * f.kv_bw.mid) + \
        f.step_overhead_s.mid
    assert _decode_seconds("llama-3.1-8b", "h100", "bf16", 1).mid == pytest.approx(expected, rel=1e-9)


def test_experts_touched():
    assert speed.experts_touched(8, 2, 1) == pytest.approx(2)
    # 256 experts, top-8, 32 tokens: 256 · (1 − (1 − 8/256)^32) = 256 · (1 − 0.36206) = 163.31.
    assert speed.experts_touched(256, 8, 32) == pytest.approx(163.31, abs=0.01)
    assert speed.experts_touched(8, 2, 10_000) == pytest.approx(8)


def test_moe_decode_reads_active_experts_only_and_pays_per_moe_layer():
    # Mixtral-8x7B at batch 1 reads 2 of 8 experts per layer: far less than its 46.7B total.
    shape, params = _model("mixtral-8x7b")
    one = speed.weights_touched_bytes(params, shape, weight_format("bf16"), 1)
    assert one == pytest.approx((params.active - params.embeddings) * 2, rel=1e-6)
    many = speed.weights_touched_bytes(params, shape, weight_format("bf16"), 64)
    assert many > 0.99 * (params.total - params.embeddings) * 2  # 64 tokens hit nearly every expert
    step = speed.decode_step(shape, params, gpus.lookup("h100"), weight_format("bf16"), 64, 1, 2)
    f = step.factors
    assert step.overhead_seconds.mid == pytest.approx(f.step_overhead_s.mid + 32 * f.moe_layer_s.mid)  # 32 MoE layers


def test_large_batch_short_context_is_compute_bound():
    # 512 × 2 × 7.5e9 FLOPs = 7.7 TFLOP per step vs ~15 GB of weights + 8.6 GB of KV at 128 tokens:
    # at 989 TFLOP/s and 3.35 TB/s the FLOPs take longer.
    shape, params = _model("llama-3.1-8b")
    h100 = gpus.lookup("h100")
    assert speed.decode_step(shape, params, h100, weight_format("bf16"), 128, 512).bound == "compute"
    assert speed.decode_step(shape, params, h100, weight_format("bf16"), 8192, 1).bound == "memory"


def test_ttft_is_the_prefill_pass():
    shape, params = _model("llama-3.1-8b")
    h100, bf16 = gpus.lookup("h100"), weight_format("bf16")
    assert speed.time_to_first_token(shape, params, h100, bf16, 2000) == speed.prefill(shape, params, h100, bf16,
                                                                                        2000).seconds
    assert "prefill forward pass" in engines.ttft_definition()


def test_compute_plan_reports_missing_formats():
    a100, t4, h100, b200 = (gpus.lookup(n) for n in ("a100", "t4", "h100", "b200"))
    plan = speed.compute_plan(a100, weight_format("fp8"))
    assert (plan.fmt, plan.weight_only, plan.code) == ("bf16", True, "no_fp8")
    assert speed.compute_plan(t4, weight_format("bf16")).fmt == "fp16"
    assert speed.compute_plan(h100, weight_format("fp8")).fmt == "fp8"
    assert speed.compute_plan(h100, weight_format("awq")).weight_only
    # NVFP4 runs W4A4 on Blackwell's FP4 tensor cores (9,000 dense TFLOP/s on B200); Hopper has none.
    assert (speed.compute_plan(b200, weight_format("nvfp4")).fmt, speed.compute_plan(b200, weight_format(
        "nvfp4")).tflops) == ("fp4", 9000)
    assert speed.compute_plan(h100, weight_format("nvfp4")).code == "no_fp4"


def test_uncalibrated_platform_takes_the_uncalibrated_band():
    # No vLLM case on a TPU: the step says so and its band comes from the "uncalibrated" group of bands.json, never
    # narrower than the calibrated group's (the generic profile's is wider still or equal).
    calibrated = _decode_seconds("llama-3.1-8b", "h100", "bf16", 1024)
    step = speed.decode_step(*_model("llama-3.1-8b"), gpus.lookup("tpu v5e"), weight_format("bf16"), 1024, 1)
    assert not step.factors.calibrated and "google-hbm" in step.factors.why_uncalibrated
    assert step.band.group == "uncalibrated" and step.band.kind == "decode"
    tpu = step.seconds
    assert tpu.high / tpu.low >= calibrated.high / calibrated.low
    generic = _decode_seconds("llama-3.1-8b", "tpu v5e", "bf16", 1024, engine="generic")
    assert generic.high / generic.mid >= tpu.high / tpu.mid and generic.mid / generic.low >= tpu.mid / tpu.low


def test_tensor_parallel_must_divide_heads():
    shape, params = _model("llama-3.1-8b")  # 32 heads
    with pytest.raises(InvalidInput):
        speed.decode_tokens_per_second(shape, params, gpus.lookup("h100"), weight_format("bf16"), 1024, 1, 3)
    with pytest.raises(InvalidInput):
        speed.decode_tokens_per_second(shape, params, gpus.lookup("h100"), weight_format("bf16"), 1024, 1, 0)


def test_speed_tool():
    out = run_tool("speed_estimate", {"model": "llama-3.1-8b", "gpu": "a100", "weight_dtype": "fp8",
                                      "context_tokens": 2048})
    assert not out.is_error
    d = out.result["decode"]["tokens_per_s_per_stream"]
    assert d["low"] <= d["mid"] <= d["high"]
    assert any("no FP8" in w for w in out.result["warnings"])
    assert out.result["engine"]["id"] == "vllm"
    assert any("(the default engine)" in a for a in out.result["assumptions"])
    bad = run_tool("speed_estimate", {"model": "llama-3.1-8b", "gpu": "h100", "gpu_count": 3})
    assert bad.is_error and bad.result["error"]["field"] == "gpu_count"
    assert run_tool("speed_estimate", {"model": "llama-3.1-8b"}).is_error  # gpu is required
    wrong = run_tool("speed_estimate", {"model": "llama-3.1-8b", "gpu": "h100", "engine": "vllm2"})
    assert wrong.is_error and wrong.result["error"]["field"] == "engine"
    with pytest.raises(UnknownName):
        engines.lookup("vllm2")


def test_speed_tool_serving_and_engine_memory():
    # TensorRT-LLM perf-overview (NVIDIA/TensorRT-LLM docs/source/performance/perf-overview.md @00f37686):
    # Llama-3.1-8B FP8 on one H100, 1000 in / 1000 out, offline: 15,220 output tokens/s.
    out = run_tool("speed_estimate", {"model": "llama-3.1-8b", "gpu": "h100", "engine": "trt-llm",
                                      "weight_dtype": "fp8", "kv_dtype": "fp8", "prompt_tokens": 1000,
                                      "output_tokens": 1000, "batch_size": 8})
    assert not out.is_error
    sat = out.result["serving"]["saturated"]
    assert sat["output_tokens_per_s_total"]["low"] <= 15_220 <= sat["output_tokens_per_s_total"]["high"]
    at8 = out.result["serving"]["at_batch"]
    assert at8["concurrency"] == 8 and at8["limited_by"] == "requested"
    assert at8["output_tokens_per_s_total"]["mid"] < sat["output_tokens_per_s_total"]["mid"]
    mem = out.result["engine_memory"]
    # Llama-3.1-8B fp8 KV: 32 layers x 8 KV heads x 128 x 2 (K, V) x 1 B = 65,536 B per token.
    assert mem["kv_bytes_per_token_per_gpu"] == 65_536
    assert mem["kv_capacity_tokens"] == mem["kv_pool_per_gpu_bytes"] // 65_536


def test_llama_cpp_f16_gemms_accumulate_in_fp16_on_geforce():
    # ggml-cuda multiplies F16 weights with cublasGemmEx(..., CUBLAS_COMPUTE_16F): FP16 accumulation. The Ada
    # whitepaper (appendix A) gives the RTX 4090 330.3 dense FP16 TFLOP/s with FP16 accumulate, 165.2 with FP32
    # accumulate; an L40S (data-center Ada) runs both at its listed rate. Other engines accumulate in FP32.
    f16, bf16 = weight_format("fp16"), weight_format("bf16")
    cpp, vllm = engines.lookup("llama.cpp"), engines.lookup("vllm")
    assert speed.compute_plan(gpus.lookup("rtx-4090"), f16, cpp).tflops == 330.3
    assert speed.compute_plan(gpus.lookup("rtx-3090"), f16, cpp).tflops == 142
    assert speed.compute_plan(gpus.lookup("rtx-4090"), f16, vllm).tflops == 165.2
    assert speed.compute_plan(gpus.lookup("rtx-4090"), bf16, cpp).tflops == 165.2  # ggml BF16: FP32 accumulate
    assert speed.compute_plan(gpus.lookup("l40s"), f16, cpp).tflops == 362.05
    # XiongjieDai/GPU-Benchmarks-on-LLM-Inference (third party): Llama-3-8B F16 pp512 on an RTX 4090, 9,382 t/s:
    # 512 x 2 x 7.5e9 matmul weights in 54.6 ms is 141 TFLOP/s, 85% of the FP32-accumulate peak but 43% of the
    # FP16-accumulate one; our band holds it.
    shape, params = _model("llama-3-8b")
    t = speed.time_to_first_token(shape, params, gpus.lookup("rtx-4090"), f16, 512, engine=cpp)
    assert t.low <= 512 / 9382 <= t.high


def test_llama_cpp_multiplies_gguf_prompts_at_the_fp16_accumulate_rate():
    # ggml-cuda ggml_cuda_op_mul_mat_cublas: use_fp16 = (src0->type == GGML_TYPE_F16 || ggml_is_quantized(src0->type))
    # -> a quantized matrix is converted to F16 and multiplied by cublasGemmEx(..., CUBLAS_COMPUTE_16F): on an RTX
    # 4090 that is 330.3 dense TFLOP/s (Ada whitepaper, FP16 tensor with FP16 accumulate), twice the 165.2 the
    # catalog lists for FP32 accumulation. Engines without that path (vLLM) keep the 16-bit rate.
    g = gpus.lookup("rtx-4090")
    llama = engines.lookup("llama.cpp")
    for fmt in ("q4_0", "q4_k_m", "q8_0"):
        plan = speed.compute_plan(g, weight_format(fmt), llama)
        assert (plan.fmt, plan.tflops, plan.weight_only) == ("fp16", 330.3, True)
    assert speed.compute_plan(g, weight_format("q4_0"), engines.lookup("vllm")).tflops == 165.2
    assert speed.compute_plan(g, weight_format("awq"), llama).tflops == 165.2  # not a GGUF type
    assert speed.compute_plan(gpus.lookup("h100"), weight_format("q4_0"), llama).tflops == 989  # H100 datasheet bf16
