"""Serving under continuous batching and the engines' KV pools, against published logs and by hand."""

import pytest
from modelmath.tools.hardware import engines, gpus, serving
from modelmath.tools.model.formats import kv_format, weight_format
from modelmath.tools.model.params import parameter_count
from modelmath.tools.model.resolve import resolve_model


def _setup(model):
    m = resolve_model({"model": model})
    return m.shape, parameter_count(m.shape)


def test_vllm_kv_capacity_mi300x_rocm_blog():
    # ROCm blog "vLLM optimization" (ROCm/rocm-blogs, 2024-10): Llama-3-8B-Instruct on one MI300X, default
    # gpu_memory_utilization: "# GPU blocks: 78897" (x 16 tokens), and 157794 with --kv-cache-dtype fp8.
    # Inside the ±10% the validation runner declares for memory quantities.
    # Logs dated 2024-08-29: vLLM 0.5.5, V0 (profile of max(max_model_len 8192, 2048) tokens, 256 sequences).
    shape, params = _setup("llama-3-8b")
    mi300x, vllm = gpus.lookup("mi300x"), engines.lookup("vllm")
    for kv, blocks in (("bf16", 78_897), ("fp8", 157_794)):
        cap = serving.kv_capacity(shape, params, mi300x, weight_format("bf16"), kv_format(kv), 1, vllm,
                                  version="0.5.5")
        assert cap.tokens == pytest.approx(blocks * 16, rel=0.10)


def test_vllm_kv_pool_h100_memory_profile():
    # vLLM PR #10511 log, Llama-3-8B on H100 (79.22 GiB): 71.29 usable - weights 14.96 - non-torch 1.79 - activation
    # peak 1.26 = available_kv_cache_memory 53.29 GiB. The PR predates v0.7.0 (merged 2024-12-16).
    shape, params = _setup("llama-3-8b")
    cap = serving.kv_capacity(shape, params, gpus.lookup("h100"), weight_format("bf16"), kv_format("bf16"), 1,
                              engines.lookup("vllm"), version="0.6.5")
    assert cap.pool_per_gpu / 2**30 == pytest.approx(53.29, rel=0.002)
    assert cap.activations_per_gpu / 2**30 == pytest.approx(1.26, abs=0.005)  # the sampler's peak, not the forward's
    assert cap.weights_per_gpu / 2**30 == pytest.approx(14.96, abs=0.01)  # 8,030,261,248 x 2 B


def test_saturated_concurrency_is_what_the_pool_holds():
    shape, params = _setup("llama-3.1-8b")
    h100, trt = gpus.lookup("h100"), engines.lookup("trt-llm")
    cap = serving.kv_capacity(shape, params, h100, weight_format("fp8"), kv_format("fp8"), 1, trt)
    n, why = serving.max_concurrency(cap, shape, kv_format("fp8"), 1000, 1000, 1, trt)
    # fp8 KV: 65,536 B per token; a request reserves 2,000 tokens = 131,072,000 B.
    assert (n, why) == (cap.pool_per_gpu // 131_072_000, "kv_pool")
    short, why_short = serving.max_concurrency(cap, shape, kv_format("fp8"), 64, 64, 1, trt)
    assert (short, why_short) == (2048, "engine_cap")


def test_serving_laws():
    shape, params = _setup("llama-3.1-8b")
    h100, vllm, bf16, kv = gpus.lookup("h100"), engines.lookup("vllm"), weight_format("bf16"), kv_format("bf16")
    rates = []
    for b in (1, 4, 16, 64, 256):
        s = serving.serve(shape, params, h100, bf16, kv, prompt=1000, output=500, concurrency=b,
                          limited_by="requested", tp=1, engine=vllm)
        assert s.request_latency_s(500).mid == pytest.approx(500 * s.step.seconds.mid)
        assert s.output_tokens_per_s.mid == pytest.approx(b / s.step.seconds.mid)
        rates.append(s.output_tokens_per_s.mid)
    assert rates == sorted(rates)  # more concurrency, more total throughput
    # A longer prompt per output token adds prefill work to every step: slower.
    short = serving.serve(shape, params, h100, bf16, kv, prompt=100, output=500, concurrency=64,
                          limited_by="requested", tp=1, engine=vllm)
    long = serving.serve(shape, params, h100, bf16, kv, prompt=4000, output=500, concurrency=64,
                         limited_by="requested", tp=1, engine=vllm)
    assert long.step.seconds.mid > short.step.seconds.mid


def test_long_prompts_prefill_in_chunks_that_do_not_hide_under_decode():
    # vLLM's step token budget is 8192 (max_num_batched_tokens of `vllm serve` on an 80 GB H100). 8 requests of
    # 20,000 prompt + 2,000 output tokens need 8 x 20,000 / 2,000 = 80 prompt tokens per decode step on average,
    # but a prompt is processed in chunks of min(20,000, 8,192) = 8,192 tokens: a fraction f = 80 / 8,192 of the
    # steps carries a chunk, the rest decode only. Mean step = (1 - f) x decode + f x (decode + chunk).
    from modelmath.tools.hardware import speed

    shape, params = _setup("llama-3.1-8b")
    h100, vllm, bf16, kv = gpus.lookup("h100"), engines.lookup("vllm"), weight_format("bf16"), kv_format("bf16")
    assert vllm.step_token_budget == 8192
    s = serving.serve(shape, params, h100, bf16, kv, prompt=20_000, output=2_000, concurrency=8,
                      limited_by="requested", tp=1, engine=vllm)
    kw = dict(decode_batch=8, context=21_000, prefill_context=20_000, gpus=1, kv_fmt=kv, engine=vllm)
    dec = speed.mixed_step(shape, params, h100, bf16, prefill_tokens=0, **kw).seconds.mid
    chunk = speed.mixed_step(shape, params, h100, bf16, prefill_tokens=8192, **kw).seconds.mid
    f = 80 / 8192
    assert s.step.seconds.mid == pytest.approx((1 - f) * dec + f * chunk)
    # Step time is a convex function of the tokens in the step (sums of maxima of linear terms), so bunching the
    # prompt work into chunks is never faster than spreading the same tokens evenly over every step (Jensen).
    even = speed.mixed_step(shape, params, h100, bf16, prefill_tokens=80, **kw).seconds.mid
    assert s.step.seconds.mid > even
    # When every step has at least a whole prompt to prefill (short prompts, many requests), the prompt tokens ride
    # in every step: 256 x 100 / 50 = 512 >= min(100, 8192).
    busy = serving.serve(shape, params, h100, bf16, kv, prompt=100, output=50, concurrency=256,
                         limited_by="requested", tp=1, engine=vllm)
    kw.update(decode_batch=256, context=125, prefill_context=100)
    assert busy.step.seconds.mid == pytest.approx(
        speed.mixed_step(shape, params, h100, bf16, prefill_tokens=512, **kw).seconds.mid)
