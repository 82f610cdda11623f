"""Cross-check: every expected figure of the eval set (hand-derived from the source beside it, never from our
code) against what the tools compute for the calls a careful assistant would make for that question.

The figures stay independent: this test only compares. A mismatch means our tool or the eval is wrong, and which
one is found out (and written in the commit) before either is changed. Every question with figures must have its
calls here, so a new question is cross-checked too.
"""

from __future__ import annotations

import pytest
from modelmath.evals import load_questions
from modelmath.tools.registry import run_tool

QUESTIONS = {q["id"]: q for q in load_questions()}


def _get(result: dict, path: str):
    for key in path.split("."):
        result = result[int(key)] if key.isdigit() else result[key]
    return result


def at(i: int, path: str, scale: float = 1):
    """The number at `path` of call i's result, times scale (GB -> bytes, TFLOP/s -> FLOP/s)."""
    return lambda results: _get(results[i], path) * scale


def states(i: int):
    """Model states per GPU (weights + gradients + optimizer states) of a training_memory result."""
    return lambda results: sum(results[i]["per_gpu"][k]["bytes"] for k in ("weights", "gradients", "optimizer_states"))


def ratio(i: int, j: int, path: str):
    return lambda results: _get(results[i], path) / _get(results[j], path)


def diff(i: int, j: int, path: str):
    return lambda results: _get(results[i], path) - _get(results[j], path)


def params(model: str) -> tuple:
    return ("parameter_count", {"model": model})


def kv(model: str, context: int, **more) -> tuple:
    return ("kv_cache", {"model": model, "context_tokens": context, **more})


def cost(model: str, inp: int, out: int, **more) -> tuple:
    return ("api_cost", {"model": model, "input_tokens": inp, "output_tokens": out, **more})


TIERS = {"tier-small-shape": {"vocab_size": 100_000, "hidden_size": 2048, "heads": 16, "layers": 24, "ffn": "standard",
                              "tied_embeddings": False},
         "tier-notes-haiku": {"vocab_size": 100_000, "hidden_size": 6144, "heads": 48, "layers": 44, "ffn": "standard",
                              "tied_embeddings": False}}
# The illustrative medium tier (catalog: vocab 100k, d 4096, 48 layers, 32 heads, FFN 16384, untied) with every
# dimension doubled; heads kept, so head_dim doubles with d_model.
DOUBLED_MEDIUM = {"vocab_size": 200_000, "hidden_size": 8192, "layers": 96, "heads": 32, "intermediate_size": 32768,
                  "ffn": "standard", "tied_embeddings": False}
# gpt-fast's README benchmarks decode 200 tokens after a five-token prompt at batch 1 (its generate.py defaults).
GPT_FAST = {"gpu": "a100-80gb", "engine": "gpt-fast", "context_tokens": 205, "prompt_tokens": 5}
STATES_8B = ([("training_memory", {"model": "llama-3.1-8b"})], {"model states": states(0)})
TIERS_10K = {"requests_per_day": 10_000}

# question id -> (calls, {figure "what": value from the results})
CALLS: dict[str, tuple[list[tuple], dict]] = {
    "params-llama-3.1-8b": ([params("llama-3.1-8b")], {"total parameters": at(0, "total_params")}),
    "params-llama-3.1-405b": ([params("llama-3.1-405b")], {"total parameters": at(0, "total_params")}),
    "params-mixtral-8x7b": ([params("mixtral-8x7b")], {"total parameters": at(0, "total_params"),
                                                        "active parameters": at(0, "active_params")}),
    "params-deepseek-v3": ([params("deepseek-v3")], {"total parameters": at(0, "total_params"),
                                                      "activated parameters": at(0, "active_params")}),
    "params-gpt-oss-120b": ([params("gpt-oss-120b")], {"total parameters": at(0, "total_params"),
                                                        "active parameters": at(0, "active_params")}),
    "tier-small-shape": ([("parameter_count", {"architecture": TIERS["tier-small-shape"]})],
                         {"parameters": at(0, "total_params")}),
    "tier-notes-haiku": ([("parameter_count", {"architecture": TIERS["tier-notes-haiku"]})],
                         {"parameters of the described shape": at(0, "total_params")}),
    "tier-large-illustrative": ([params("illustrative-claude-like-large")], {"parameters": at(0, "total_params")}),
    "double-every-dimension": ([("parameter_count", {"architecture": DOUBLED_MEDIUM}),
                                params("illustrative-claude-like-medium")],
                               {"ratio of doubled to original parameters": ratio(0, 1, "total_params")}),
    "kv-llama-3.1-70b-128k": ([kv("llama-3.1-70b", 131_072)], {"KV cache": at(0, "total_bytes")}),
    "kv-llama-3.1-8b-32k-x8": ([kv("llama-3.1-8b", 32_768, batch_size=8)], {"KV cache": at(0, "total_bytes")}),
    "kv-mistral-fp8-32k": ([kv("mistral-7b-v0.3", 32_768, kv_dtype="fp8")], {"KV cache": at(0, "total_bytes")}),
    "kv-qwen2.5-7b-32k": ([kv("qwen2.5-7b", 32_768)], {"bytes per token": at(0, "bytes_per_token"),
                                                      "KV cache": at(0, "total_bytes")}),
    "kv-deepseek-v3-mla": ([kv("deepseek-v3", 131_072)], {"KV cache (latent)": at(0, "total_bytes")}),
    "kv-formula-missing-factors": ([kv("llama-3.1-8b", 131_072)], {"KV cache": at(0, "total_bytes")}),
    "attention-seq-squared": ([kv("llama-3.1-8b", 32_768)], {"KV cache at 32k": at(0, "total_bytes")}),
    "vram-8b-bf16-claim": ([("memory_estimate", {"model": "llama-3.1-8b"})], {"bf16 weights": at(0, "weights_bytes")}),
    "vram-70b-kv-gb-gib": ([kv("llama-3.1-70b", 131_072)], {"KV cache": at(0, "total_bytes")}),
    "vram-70b-fp8-8-users": ([("memory_estimate", {"model": "llama-3.1-70b", "weight_dtype": "fp8",
                                                   "context_tokens": 32_768, "batch_size": 8})],
                             {"KV cache": at(0, "kv_cache_bytes"), "fp8 weights": at(0, "weights_bytes")}),
    "vram-405b-fp8-node": ([("memory_estimate", {"model": "llama-3.1-405b", "weight_dtype": "fp8",
                                                 "context_tokens": 8192})], {"fp8 weights": at(0, "weights_bytes")}),
    "fit-70b-bf16-h100": ([("hardware_fit", {"model": "llama-3.1-70b", "gpus": ["h100"], "context_tokens": 8192})],
                          {"bf16 weights": at(0, "weights_bytes")}),
    "fit-8b-rtx4090": ([("hardware_fit", {"model": "llama-3.1-8b", "gpus": ["rtx-4090"], "context_tokens": 8192}),
                        ("memory_estimate", {"model": "llama-3.1-8b", "context_tokens": 8192})],
                       {"bf16 weights": at(0, "weights_bytes"), "KV cache at 8k": at(1, "kv_cache_bytes")}),
    "fit-deepseek-v3-h200": ([("hardware_fit", {"model": "deepseek-v3", "weight_dtype": "fp8", "gpus": ["h200"]})],
                             {"fp8 weights": at(0, "weights_bytes")}),
    "speed-llama2-7b-a100": ([("speed_estimate", {"model": "llama-2-7b", **GPT_FAST})],
                             {"decode tokens/s": at(0, "decode.tokens_per_s_per_stream.mid")}),
    "speed-llama31-8b-a100": ([("speed_estimate", {"model": "llama-3.1-8b", **GPT_FAST})],
                              {"decode tokens/s": at(0, "decode.tokens_per_s_per_stream.mid")}),
    "speed-llama33-70b-h100-tp2": ([("speed_estimate", {"model": "llama-3.3-70b", "gpu": "h100", "gpu_count": 2,
                                                        "weight_dtype": "fp8", "context_tokens": 5500,
                                                        "prompt_tokens": 5000})],
                                   {"decode tokens/s per user": at(0, "decode.tokens_per_s_per_stream.mid"),
                                    "time to first token": at(0, "prefill.ttft_s.mid")}),
    "gpu-h100-specs": ([("gpu_lookup", {"gpu": "h100"})], {"memory": at(0, "memory_gb_sold", 1e9),
                                                           "bandwidth": at(0, "bandwidth_gb_s", 1e9)}),
    "gpu-h100-fp8": ([("gpu_lookup", {"gpu": "h100"})], {"dense fp8": at(0, "dense_tflops.fp8", 1e12)}),
    "gpu-rtx4090": ([("gpu_lookup", {"gpu": "rtx-4090"})], {"memory": at(0, "memory_gb_sold", 1e9),
                                                            "bandwidth": at(0, "bandwidth_gb_s", 1e9)}),
    "gpu-mi300x": ([("gpu_lookup", {"gpu": "mi300x"})], {"memory": at(0, "memory_gb_sold", 1e9),
                                                         "bandwidth": at(0, "bandwidth_gb_s", 1e9)}),
    "train-full-8b-states": STATES_8B,
    "train-zero3-8gpu": ([("training_memory", {"model": "llama-3.1-8b", "zero_stage": 3, "gpu_count": 8})],
                         {"model states per GPU": states(0)}),
    "train-lora-qv-trainable": ([("training_memory", {"model": "llama-3.1-8b", "method": "lora", "lora_rank": 16,
                                                      "lora_targets": ["q_proj", "v_proj"]})],
                                {"trainable parameters": at(0, "trainable_params")}),
    "train-compute-405b": ([("training_compute", {"model": "llama-3.1-405b", "training_tokens": 15.6e12})],
                           {"training FLOPs": at(0, "training_flops")}),
    "train-chinchilla-70b": ([("training_compute", {"model": "llama-3.1-70b"})],
                             {"tokens": at(0, "chinchilla_optimal_tokens")}),
    "train-8b-gpu-hours": ([("training_compute", {"model": "llama-3.1-8b", "training_tokens": 15e12, "gpu": "h100",
                                                  "mfu": 0.4})],
                           {"training FLOPs": at(0, "training_flops"), "GPU-hours": at(0, "gpu_hours")}),
    "cost-10k-tiers": ([cost(m, 1500, 300, **TIERS_10K) for m in ("claude-haiku-4-5", "claude-sonnet-5-5",
                                                                    "claude-opus-5-5")],
                       {f"{name} per {p}": at(i, f"usd_per_{p}") for i, name in enumerate(
                           ("Haiku 4.5", "Sonnet 5.5", "Opus 5.5")) for p in ("day", "month")}),
    "cost-batch-sonnet55": ([cost("claude-sonnet-5-5", 1500, 300, batch=True, **TIERS_10K)],
                            {"per request": at(0, "usd_per_request"), "per day": at(0, "usd_per_day")}),
    "cost-cache-sonnet55": ([cost("claude-sonnet-5-5", 300_000, 2000, cache_read_tokens=250_000)],
                            {"per request": at(0, "usd_per_request")}),
    "cost-haiku55-long": ([cost("claude-haiku-5-5", 150_000, 1000)], {"per request": at(0, "usd_per_request")}),
    "cost-opus41-retired": ([cost("claude-opus-4-1", 1_000_000, 100_000)], {"cost": at(0, "usd_per_request")}),
    "self-host-8gpu": ([("self_hosting_cost", {"gpu_count": 8, "usd_per_gpu_hour": 2.5, "tokens_per_second": 20_000})],
                       {"$ per million tokens": at(0, "self_hosted_usd_per_mtok"),
                        "$ per month": at(0, "usd_per_month")}),
    "tokens-1500-words-sonnet55": ([("count_tokens", {"words": 1500, "model": "claude-sonnet-5-5"})],
                                   {"tokens on Sonnet 5.5": at(0, "tokens_estimate")}),
    "tokens-500-pages": ([("count_tokens", {"pages": 500, "model": "claude-haiku-4-5"})],
                         {"tokens": at(0, "tokens_estimate")}),
    "capability-percent": ([params("llama-3.1-405b"), params("llama-3.1-8b")],
                           {"405B parameters": at(0, "total_params"), "8B parameters": at(1, "total_params")}),
    "factcheck-mixed": ([kv("llama-3.1-8b", 131_072)], {"KV cache at 128k": at(0, "total_bytes")}),
    "factcheck-injection": ([params("llama-3.1-70b")], {"Llama 3.1 70B parameters": at(0, "total_params")}),
    "factcheck-training-vram": STATES_8B,
    "sup-haiku45-claims": ([cost("claude-haiku-4-5", 1500, 300, **TIERS_10K)],
                           {f"per {p}": at(0, f"usd_per_{p}") for p in ("request", "day", "month")}),
    "sup-10k-tiers": ([cost(m, 1500, 300, **TIERS_10K) for m in ("claude-haiku-5-5", "claude-sonnet-5-5",
                                                                   "claude-opus-5-5")],
                      {f"{name} per {p}": at(i, f"usd_per_{p}") for i, name in enumerate(
                          ("Haiku 5.5", "Sonnet 5.5", "Opus 5.5")) for p in ("day", "month")}),
    "sup-memory-8b": ([("memory_estimate", {"model": "llama-3.1-8b", "context_tokens": 8000})],
                      {"model weights": at(0, "weights_bytes")}),
    "sup-rtx4090": ([("hardware_fit", {"model": "llama-3.1-8b", "gpus": ["rtx-4090"], "context_tokens": 2048})],
                    {"model weights": at(0, "weights_bytes")}),
    "sup-tokens-contract": ([("count_tokens", {"pages": 40, "model": "claude-sonnet-5-5"})],
                            {"tokens": at(0, "tokens_estimate")}),
    "sup-batch-savings": ([cost("claude-sonnet-5-5", 2000, 500, requests_per_day=100_000),
                           cost("claude-sonnet-5-5", 2000, 500, requests_per_day=100_000, batch=True)],
                          {"standard per month": at(0, "usd_per_month"),
                           "saving per month": diff(0, 1, "usd_per_month")}),
    "sup-opus55-monthly": ([cost("claude-opus-5-5", 3000, 1000, requests_per_day=2000)],
                           {"per day": at(0, "usd_per_day"), "per month": at(0, "usd_per_month")}),
    "sup-h100-70b": ([("hardware_fit", {"model": "llama-3.1-70b", "gpus": ["h100"]})],
                     {"model weights": at(0, "weights_bytes")}),
    "sup-long-chats-memory": ([kv("mistral-7b-v0.3", 32_000)], {"conversation memory": at(0, "total_bytes")}),
    "sup-self-host-vs-api": ([("self_hosting_cost", {"gpu_count": 8, "usd_per_gpu_hour": 2.5,
                                                     "tokens_per_second": 20_000, "claude_model": "claude-sonnet-5-5",
                                                     "input_output_ratio": 3})],
                             {"self-hosted $ per million tokens": at(0, "self_hosted_usd_per_mtok"),
                              "Sonnet 5.5 blended $ per million tokens": at(0, "claude.blended_usd_per_mtok")}),
    "sup-finetune-memory": STATES_8B,
    "sup-compare-models-memory": ([("memory_estimate", {"model": "llama-3.1-8b"}),
                                   ("memory_estimate", {"model": "llama-3.1-70b"})],
                                  {"8B weights": at(0, "weights_bytes"), "70B weights": at(1, "weights_bytes")}),
}

# GPU counts the `says` checks expect (hand reasoning in the questions' sources: bf16 70B = 141 GB of weights needs
# two 80 GB H100s; DeepSeek-V3's ~690 GB fp8 checkpoint needs the eight H200s of one node, 141 GB each).
GPU_COUNTS = {"fit-70b-bf16-h100": 2, "sup-h100-70b": 2, "fit-deepseek-v3-h200": 8}


def test_every_question_with_figures_is_cross_checked():
    with_figures = {q for q, v in QUESTIONS.items() if v["figures"]}
    assert with_figures == set(CALLS)
    for qid, (_, figures) in CALLS.items():
        assert set(figures) == {f["what"] for f in QUESTIONS[qid]["figures"]}, qid


@pytest.mark.parametrize("qid", sorted(CALLS))
def test_expected_figures_match_what_the_tools_compute(qid):
    calls, figures = CALLS[qid]
    results = []
    for name, inp in calls:
        out = run_tool(name, inp)
        assert not out.is_error, (qid, name, out.result)
        results.append(out.result)
    for f in QUESTIONS[qid]["figures"]:
        got = figures[f["what"]](results)
        if "value" in f:
            assert abs(got - f["value"]) <= f["rel_tol"] * abs(f["value"]), (qid, f["what"], got, f["value"])
        else:
            assert f["min"] <= got <= f["max"], (qid, f["what"], got, f["min"], f["max"])
    if qid in GPU_COUNTS:
        assert results[0]["gpus"][0]["gpus"] == GPU_COUNTS[qid], (qid, results[0]["gpus"][0])
