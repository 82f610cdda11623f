"""fit's memory per GPU follows the engine, rows that do not fit say by how much, the advice leaves out what the
run already does, and every row reports the longest context one device holds (QA tryout 3, R1-R3).

Shapes used (from the models' config.json, as the catalog holds them):
- Llama 3.1 8B: hidden 4096, 32 heads of 128, 8 KV heads, 32 layers, gated MLP 14,336, vocab 128,256,
  8,030,261,248 parameters (the count of its safetensors), window 131,072.
- Llama 3.1 70B: hidden 8192, 64 heads of 128, 8 KV heads, 80 layers, gated MLP 28,672, vocab 128,256,
  70,553,706,496 parameters.
Bytes per token of bf16 KV: layers x 8 KV heads x 128 x 2 (K and V) x 2 B = 131,072 (8B), 327,680 (70B).
"""

from __future__ import annotations

from modelmath.tools.hardware import gpus
from modelmath.tools.hardware.fit import place
from modelmath.tools.model.formats import kv_format, weight_format
from modelmath.tools.model.params import parameter_count
from modelmath.tools.model.resolve import resolve_model
from modelmath.tools.registry import run_tool

GiB = 1 << 30


def _fit(**inp) -> dict:
    out = run_tool("hardware_fit", {"model": "llama-3.1-8b", **inp})
    assert not out.is_error, out.result
    return out.result


def _llama8b():
    shape = resolve_model({"model": "llama-3.1-8b"}).shape
    return shape, parameter_count(shape)


def test_llama_cpp_splits_by_layer_without_all_reduce_buffers():
    # llama.cpp's default --split-mode is layer (common/arg.cpp: "layer (default): split layers and KV across
    # GPUs"): no tensor-parallel all-reduce, so no communication buffers; its reserve is its compute buffer, built
    # from one n_ubatch (512-token) worst-case graph (src/llama-context.cpp, sched_reserve). By hand, Llama 3.1 8B
    # at bf16, 8,192 tokens, one sequence, over 2 GPUs:
    #   weights 8,030,261,248 x 2 B / 2 GPUs                         = 8,030,261,248
    #   KV 131,072 x 8,192 / 2 GPUs                                  =   536,870,912
    #   compute buffer, whole layers, 512 tokens: (2 x 4096 + max(32x128x2 + 2x8x128, 3 x 14,336)) x 2 B x 512
    #     = 51,200 x 1,024 = 52,428,800, + last-position fp32 logits 128,256 x 4 = 513,024 =  52,941,824
    #   runtime 1 GiB, no all-reduce buffers                         = 1,073,741,824
    #   per GPU                                                      = 9,693,815,808
    shape, params = _llama8b()
    h100 = gpus.lookup("h100")
    p = place(shape, params, h100, weight_format("bf16"), kv_format("bf16"), context=8192, batch=1, tp=2,
              engine="llama.cpp")
    assert (p.weights, p.kv, p.activations, p.overhead) == (8_030_261_248, 536_870_912, 52_941_824, 1 << 30)
    assert p.total == 9_693_815_808
    row = _fit(engine="llama.cpp", gpus=["h100"], gpu_count=2)["gpus"][0]
    assert row["per_gpu_gib"] == 9.03  # 9,693,815,808 / 2^30 = 9.028
    # vLLM at the same count keeps its all-reduce buffers (1.79 GiB, PR #10511's measured difference).
    vllm = place(shape, params, h100, weight_format("bf16"), kv_format("bf16"), context=8192, batch=1, tp=2)
    assert vllm.overhead == (1 << 30) + int(1.79 * GiB)


def test_llama_cpp_says_how_it_places_the_model():
    out = _fit(engine="llama.cpp", gpus=["h100"])
    assert any("--split-mode layer" in a and "no all-reduce buffers" in a for a in out["assumptions"])
    assert not any("llama.cpp splits" in a for a in _fit(gpus=["h100"])["assumptions"])


def test_a_row_that_does_not_fit_says_the_need_and_the_shortfall():
    # Llama 3.1 70B at bf16, 8,192 tokens, on one H100 (usable 85,061,827,297 B in the catalog):
    #   weights 70,553,706,496 x 2                                   = 141,107,412,992
    #   KV 327,680 x 8,192                                           =   2,684,354,560
    #   activations of an 8,192-token chunk (vLLM's max_num_batched_tokens): (2 x 8192 + max(64x128x2 + 2x8x128,
    #     3 x 28,672)) x 2 B x 8,192 = 102,400 x 16,384 = 1,677,721,600, + logits 513,024   =   1,678,234,624
    #   runtime 1 GiB                                                =   1,073,741,824
    #   total 146,543,744,000 B = 136.48 GiB; short 146,543,744,000 - 85,061,827,297 = 61,481,916,703 B = 57.26 GiB
    out = run_tool("hardware_fit", {"model": "llama-3.1-70b", "gpus": ["h100"], "gpu_count": 1}).result
    row = out["gpus"][0]
    assert "gpus" not in row
    assert (row["at_gpus"], row["needs_per_gpu_gib"], row["short_per_gpu_gib"]) == (1, 136.5, 57.3)
    assert "136.5 GiB per GPU needed at 1" in row["note"] and "short by 57.3 GiB" in row["note"]


def _advice(out: dict) -> str:
    (said,) = [w for w in out["warnings"] if w.startswith("no requested GPU fits")]
    return said


def test_advice_leaves_out_what_the_run_already_does():
    # 405B at q4_k_m (4-bit already) with fp8 KV (already) and one sequence (already): on 2 RTX 4090s nothing
    # fits and no format fits one; the advice must not offer fp8 KV, a 4-bit format or a smaller batch.
    already = run_tool("hardware_fit", {"model": "llama-3.1-405b", "gpus": ["rtx-4090"], "gpu_count": 2,
                                        "weight_dtype": "q4_k_m", "kv_dtype": "fp8"}).result
    said = _advice(already)
    assert "fp8 KV" not in said and "4-bit" not in said and "smaller batch" not in said
    assert "fewer tokens" in said and "more GPUs" in said
    # The same model at bf16, bf16 KV and 4 sequences: each of those is offered.
    wide = run_tool("hardware_fit", {"model": "llama-3.1-405b", "gpus": ["rtx-4090"], "gpu_count": 2,
                                     "batch_size": 4}).result
    said = _advice(wide)
    assert all(k in said for k in ("fp8 KV", "a 4-bit format", "a smaller batch", "fewer tokens"))


def test_fitting_rows_report_the_longest_context_on_one():
    # Llama 3.1 8B bf16 on one RTX 4090 (usable 25,340,307,046 B): above 8,192 tokens the prefill chunk is fixed,
    # so the longest context is floor((usable - weights - activations - 1 GiB) / 131,072 B per token)
    #   = floor((25,340,307,046 - 16,060,522,496 - 839,373,824 - 1,073,741,824) / 131,072)
    #   = floor(7,366,668,902 / 131,072) = 56,203 tokens; activations at 8,192 tokens: 51,200 x 2 B x 8,192 +
    #   513,024 = 839,373,824.
    row = _fit(gpus=["rtx-4090"], context_tokens=4096)["gpus"][0]
    assert row["gpus"] == 1 and row["max_context_on_one"] == 56_203 and row["max_context_on_one_limit"] == "memory"
    assert _fit(gpus=["rtx-4090"], context_tokens=56_203)["gpus"][0]["fits_on_one"]
    assert not _fit(gpus=["rtx-4090"], context_tokens=56_204)["gpus"][0]["fits_on_one"]
    # On an H100 memory outlasts the model's window (131,072 for Llama 3.1): the window ends it, and says so.
    row = _fit(gpus=["h100"])["gpus"][0]
    assert (row["max_context_on_one"], row["max_context_on_one_limit"]) == (131_072, "window")


def test_max_context_for_qwen_72b_awq_on_one_h100_is_the_forward_boundary():
    # The question users ask. Property, not a number: at the reported limit it fits one H100, one more token
    # does not (the limit is memory here: the window is 131,072).
    inp = {"model": "qwen2.5-72b", "weight_dtype": "awq", "gpus": ["h100"]}
    row = run_tool("hardware_fit", inp).result["gpus"][0]
    limit = row["max_context_on_one"]
    assert row["fits_on_one"] and row["max_context_on_one_limit"] == "memory" and 8192 < limit < 131_072
    at = run_tool("hardware_fit", {**inp, "context_tokens": limit}).result["gpus"][0]
    over = run_tool("hardware_fit", {**inp, "context_tokens": limit + 1}).result["gpus"][0]
    assert at["fits_on_one"] and not over["fits_on_one"]


def _decode(engine: str, n: int) -> dict:
    out = run_tool("speed_estimate", {"model": "llama-3.1-8b", "weight_dtype": "q4_k_m", "gpu": "rtx-4090",
                                      "gpu_count": n, "engine": engine})
    assert not out.is_error, out.result
    return out.result


def test_a_layer_split_adds_memory_not_single_stream_speed():
    # llama.cpp's default --split-mode layer (common/arg.cpp: "split layers and KV across GPUs"): one token passes
    # GPU 1's layers, then GPU 2's, so a step reads the same bytes at the same bandwidth as one GPU holding the
    # whole model, with no all-reduce. Law: tokens/s on 2 GPUs = on 1; memory per GPU drops.
    one, two = _decode("llama.cpp", 1), _decode("llama.cpp", 2)
    assert two["decode"]["tokens_per_s_per_stream"] == one["decode"]["tokens_per_s_per_stream"]
    assert two["decode"]["allreduce_ms"]["mid"] == 0
    assert two["memory_per_gpu_bytes"] < one["memory_per_gpu_bytes"]
    assert any("as long as one GPU running the whole model" in a for a in two["assumptions"])
    assert not any("as long as one GPU running the whole model" in a for a in one["assumptions"])
    # Tensor parallelism (vLLM) does split each step's weight reads: 2 GPUs decode faster than 1.
    assert (_decode("vllm", 2)["decode"]["tokens_per_s_per_stream"]["mid"]
            > _decode("vllm", 1)["decode"]["tokens_per_s_per_stream"]["mid"])
