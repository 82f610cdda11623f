"""hardware_fit rows as a user reads them (QA final pass): what a row that does not fit needs per GPU, derived by
hand; max_context_on_one on every row (0 where not one token fits, null + "unbounded" where memory does not grow
with context); the 'needs more than N' note names the largest count actually tried."""

from __future__ import annotations

from modelmath.tools.registry import run_tool

GiB = 2**30

# Mamba-130m's config.json (state-spaces/mamba-130m-hf): 24 Mamba layers, no attention, no max_position_embeddings.
MAMBA_130M = {"model_type": "mamba", "hidden_size": 768, "num_hidden_layers": 24, "vocab_size": 50280,
              "state_size": 16, "expand": 2, "conv_kernel": 4, "tie_word_embeddings": True}


def _rows(**inp) -> list[dict]:
    out = run_tool("hardware_fit", inp)
    assert not out.is_error, out.result
    return out.result["gpus"]


def test_llama_70b_fp8_32k_on_two_rtx_4090_needs_by_hand():
    # Llama-3.1-70B config.json: hidden 8,192, 80 layers, 64 heads, 8 KV heads, head_dim 128, intermediate 28,672,
    # vocab 128,256; 70,553,706,496 params. Per GPU at tp 2, as README "Fit" states the placement:
    # weights fp8, embeddings + LM head (2 x 128,256 x 8,192 = 2,101,346,304) kept in 16-bit:
    #   (70,553,706,496 - 2,101,346,304) x 1 + 2,101,346,304 x 2 = 72,655,052,800 B, / 2 = 36,327,526,400
    # KV bf16: 2 x 128 x 2 B x 80 layers = 40,960 B per KV head per token; 4 of 8 heads per GPU x 32,000 tokens
    #   = 163,840 x 32,000 = 5,242,880,000
    # activations of one 8,192-token chunk: residual 2 x 8,192 whole + max(attention 64x128x2 + 2x8x128 = 18,432,
    #   MLP 28,672 x 3 = 86,016) / 2 = 16,384 + 43,008 = 59,392 per token x 2 B x 8,192 = 973,078,528,
    #   + fp32 logits 128,256 x 4 = 513,024 -> 973,591,552
    # overhead 1 GiB + 1.79 GiB all-reduce buffers = 1,073,741,824 + int(1.79 x 2^30) = 2,995,738,869
    need = 36_327_526_400 + 5_242_880_000 + 973_591_552 + 2_995_738_869  # 45,539,736,821 B = 42.41 GiB
    usable_gib = 23.6  # gpus.json rtx-4090 usable_gib (vLLM logs: 23.55-23.58 GiB total on 24 GB cards)
    [row] = _rows(model="llama-3.1-70b", weight_dtype="fp8", context_tokens=32_000, gpus=["rtx-4090"], gpu_count=2)
    assert not row["fits_on_one"] and row["at_gpus"] == 2
    assert row["needs_per_gpu_gib"] == round(need / GiB, 1) == 42.4
    assert row["short_per_gpu_gib"] == round(need / GiB - usable_gib, 1) == 18.8
    # 67.7 GiB of weights alone exceed one card's 23.6 GiB: not one token fits, and the row says 0 (was absent).
    assert (row["max_context_on_one"], row["max_context_on_one_limit"]) == (0, "memory")


def test_a_state_space_model_without_a_window_is_unbounded_not_two_to_the_64():
    # Mamba layers keep a fixed state per sequence and the config has no window: nothing grows with context, so
    # there is no longest context (kv_cache's budget says 'unbounded' too). Was max_context_on_one 2**64, the
    # search's guard, printed as a context length.
    [row] = _rows(hf_config=MAMBA_130M, gpus=["h100"])
    assert row["max_context_on_one"] is None and row["max_context_on_one_limit"] == "unbounded"
    # the law behind it: a trillion tokens still fit on the one GPU
    [far] = _rows(hf_config=MAMBA_130M, gpus=["h100"], context_tokens=10**12)
    assert far["fits_on_one"]
    budget = run_tool("kv_cache", {"hf_config": MAMBA_130M, "context_tokens": 1000, "memory_budget_gib": 1})
    assert budget.result["budget"]["max_context_tokens_at_batch"] is None


def test_a_row_with_an_unusable_gpu_count_still_gives_max_context_on_one():
    # Llama-3.1-8B bf16 on one H100: weights 16,060,522,496 B (14.96 GiB) + KV at its 131,072-token window
    # (32 layers x 8 KV heads x 128 x 2 x 2 B = 131,072 B per token x 131,072 = 16 GiB) + activations + 1 GiB is
    # well under 79.2 GiB usable: the window ends the search.
    [row] = _rows(model="llama-3.1-8b", gpus=["h100"], gpu_count=3)
    assert "not usable" in row["note"]
    assert (row["max_context_on_one"], row["max_context_on_one_limit"]) == (131_072, "window")


def test_needs_more_than_names_the_largest_count_tried():
    # 32 attention heads: the largest power-of-two degree dividing them is 32, below the H100's 64-device maximum,
    # so the note said 'needs more than 64' next to 'needed at 32'.
    [row] = _rows(model="llama-3.1-8b", gpus=["h100"], context_tokens=10**12)
    assert row["at_gpus"] == 32 and row["note"].startswith("needs more than 32 x h100-sxm")


def test_speed_refuses_more_devices_than_the_catalog_places():
    # gpus.json: an Apple M-series entry is one Mac's built-in GPU (max_count 1, interconnect 'single machine'); the
    # H100's max_count is 64. speed answered '--gpus 2' on an M4 Max with all-reduces between two laptops' GPUs.
    out = run_tool("speed_estimate", {"model": "llama-3.1-8b", "gpu": "m4-max", "gpu_count": 2})
    assert out.is_error and out.result["error"]["field"] == "gpu_count"
    assert out.result["error"]["allowed"] == "1..1" and "modelmath" not in out.result["error"]["message"]
    out = run_tool("speed_estimate", {"model": "llama-3.1-8b", "gpu": "h100", "gpu_count": 128})
    assert out.is_error and out.result["error"]["allowed"] == "1..64"
    assert not run_tool("speed_estimate", {"model": "llama-3.1-8b", "gpu": "m4-max", "gpu_count": 1}).is_error


def test_a_pure_mamba_model_caches_nothing_per_token():
    # Mamba-130m has no attention layer: every layer keeps a fixed state (conv window 1,536 x 4 x 2 B = 12,288 and
    # ssm state 1,536 x 16 x 4 B = 98,304 per layer, x 24 = 2,654,208 B), nothing per token. kv_cache printed
    # bytes_per_token_per_layer 3,072 (2 x 768 x 2 B, a K/V pair of heads no layer has) beside bytes_per_token 0.
    r = run_tool("kv_cache", {"hf_config": MAMBA_130M, "context_tokens": 1000}).result
    assert (r["bytes_per_token"], r["bytes_per_token_per_layer"]) == (0, 0)
    assert r["state_bytes_per_sequence"] == 24 * (1536 * 4 * 2 + 1536 * 16 * 4) == 2_654_208


def test_speed_refuses_a_max_model_len_below_the_context_asked_about():
    # vLLM refuses a request whose prompt + output exceed --max-model-len (its docs: 'Model context length'); a KV
    # pool sized for max_model_len 1 beside decode figures at 8,192 tokens answered a setup that cannot run.
    out = run_tool("speed_estimate", {"model": "llama-3.1-8b", "gpu": "h100", "max_model_len": 1})
    assert out.is_error and out.result["error"]["field"] == "max_model_len"
    assert out.result["error"]["allowed"] == "at least 8192"  # the default context
    ok = run_tool("speed_estimate", {"model": "llama-3.1-8b", "gpu": "h100", "max_model_len": 4096,
                                     "prompt_tokens": 1000, "output_tokens": 200})
    assert not ok.is_error, ok.result


def test_fit_and_speed_say_the_dtype_and_batch_defaults_they_used():
    # Schema defaults (tools/schemas.py descriptions): weight_dtype bf16 for a catalog model, kv_dtype bf16,
    # batch_size 1. fit and speed applied them without a word in assumptions (memory_estimate states its own).
    fit = run_tool("hardware_fit", {"model": "llama-3.1-8b", "gpus": ["h100"]}).result
    assert "not given, so the defaults: weight_dtype bf16, kv_dtype bf16, batch_size 1" in fit["assumptions"]
    speed = run_tool("speed_estimate", {"model": "llama-3.1-8b", "gpu": "h100", "weight_dtype": "fp8",
                                        "batch_size": 4}).result
    assert "not given, so the defaults: kv_dtype bf16" in speed["assumptions"]
    given = run_tool("hardware_fit", {"model": "llama-3.1-8b", "gpus": ["h100"], "weight_dtype": "fp8",
                                      "kv_dtype": "fp8", "batch_size": 2}).result
    assert not any(a.startswith("not given, so the defaults") for a in given["assumptions"])


def test_an_unusable_count_under_llama_cpp_does_not_blame_llama_cpp():
    # llama.cpp's --split-mode layer (its default, common/arg.cpp) spreads whole layers over any number of GPUs;
    # the powers-of-two-dividing-the-heads rule is vLLM's tensor parallelism (num_heads % tp == 0). The row keeps
    # the counts fit models, and says the limit is ours, not llama.cpp's.
    [row] = _rows(model="llama-3.1-8b", gpus=["h100"], gpu_count=3, engine="llama.cpp")
    assert "allowed: 1, 2, 4, 8, 16, 32" in row["note"] and "layer split itself takes any count" in row["note"]
    [vllm] = _rows(model="llama-3.1-8b", gpus=["h100"], gpu_count=3)
    assert "layer split" not in vllm["note"]
