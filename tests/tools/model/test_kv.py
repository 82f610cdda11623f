"""KV-cache sizes, each expected value derived by hand from the published config."""

import pytest
from modelmath.tools.model.catalog import lookup
from modelmath.tools.model.formats import kv_format
from modelmath.tools.model.kv import bytes_for_sequence, kv_layout, max_context_for_budget, max_sequences_for_budget
from modelmath.tools.model.kv_tool import kv_report
from modelmath.tools.model.resolve import resolve_model, shape_from_entry

KiB, GiB = 2**10, 2**30


def layout(model_id, dtype="bf16"):
    return kv_layout(shape_from_entry(lookup(model_id)), kv_format(dtype))


def report(model_id, context, batch=1, dtype="bf16", budget=None):
    return kv_report(resolve_model({"model": model_id}), context, batch, dtype, budget)


def test_llama_31_70b_gqa_320_kib_per_token():
    # 80 layers x 2 (K,V) x 8 KV heads x 128 head_dim x 2 bytes = 327,680 B = 320 KiB (issue's reference).
    r = report("llama-3.1-70b", 8192)
    assert r["bytes_per_token"] == 80 * 2 * 8 * 128 * 2 == 320 * KiB
    assert r["total_bytes"] == 8192 * 320 * KiB


def test_deepseek_v3_mla_latent():
    # 61 layers x (kv_lora_rank 512 + rope 64) x 2 bytes = 70,272 B/token (issue's reference); naive MHA
    # expansion: 61 x 128 heads x ((128+64) K + 128 V) x 2 bytes = 4,997,120 B (~4.77 MiB).
    r = report("deepseek-v3", 1000)
    assert r["bytes_per_token"] == 61 * 576 * 2 == 70_272
    assert r["mla"]["naive_expanded_bytes_per_token"] == 61 * 128 * (192 + 128) * 2 == 4_997_120
    assert r["mla"]["compression_vs_expanded"] == round(4_997_120 / 70_272, 2)


def test_deepseek_v32_sparse_attention_caches_as_the_engines_store_them():
    # DeepSeek-V3.2 config: 61 layers, kv_lora_rank 512, qk_rope_head_dim 64, index_head_dim 128.
    # Indexer key, every KV dtype: 128 fp8 + 128 // 128 fp32 scales x 4 = 132 B (vLLM DeepseekV32IndexerCache;
    # SGLang dsa_indexer_bytes_per_token_per_layer; TensorRT-LLM _get_indexer_k_cache_bytes_per_token).
    # bf16 latent: (512 + 64) x 2 = 1,152 B. fp8 latent, FlashMLA's sparse layout ("each token's KV cache is 656
    # Bytes": 512 float8_e4m3 + 4 float32 scales + 64 bfloat16 rope) = 512 + 16 + 128 = 656 B.
    assert report("deepseek-v3.2", 1000)["bytes_per_token"] == 61 * (1152 + 132) == 78_324
    assert report("deepseek-v3.2", 1000, dtype="fp8")["bytes_per_token"] == 61 * (656 + 132) == 48_068
    # DeepSeek-V3 (no indexer) keeps the plain layouts: fp8 = 576 B, per-tensor scale.
    assert report("deepseek-v3", 1000, dtype="fp8")["bytes_per_token"] == 61 * 576


def test_qwen3_head_dim_from_config():
    # Qwen3-8B: 36 layers, 8 KV heads, head_dim 128 (hidden/heads would give 4096/32 = 128 too, so use
    # Qwen3-0.6B: hidden 1024, 16 heads → 64 by division, but head_dim 128): 28 layers x 2 x 8 x 128 x 2.
    assert report("qwen3-0.6b", 1)["bytes_per_token"] == 28 * 2 * 8 * 128 * 2 == 114_688


def test_mqa_falcon_7b():
    # Falcon-7B multi-query: 32 layers x 2 x 1 KV head x 64 x 2 bytes = 8,192 B/token.
    assert report("falcon-7b", 1)["bytes_per_token"] == 8192


def test_gpt_oss_sliding_layers_capped_at_window():
    # gpt-oss-120b: 36 layers alternating sliding (window 128) / full; 8 KV heads x 64 → 2*8*64*2 = 2,048
    # B per token per layer. At 131,072 tokens: 18 full layers hold all, 18 sliding layers hold 128.
    r = report("gpt-oss-120b", 131072)
    per_layer = 2 * 8 * 64 * 2
    assert r["bytes_per_token_per_layer"] == per_layer
    assert r["total_bytes"] == per_layer * (18 * 131072 + 18 * 128)
    kinds = {x["type"]: x for x in r["by_layer_type"]}
    assert kinds["sliding"]["tokens_held_per_sequence"] == 128 and kinds["full"]["layers"] == 18


def test_gemma3_1b_five_to_one_pattern():
    # Gemma 3 1B: 26 layers, every 6th full (i = 5, 11, 17, 23 → 4 full), window 512, 1 KV head x 256.
    r = report("gemma-3-1b", 32768, batch=2)
    per_layer = 2 * 1 * 256 * 2
    assert r["total_bytes"] == 2 * per_layer * (4 * 32768 + 22 * 512)


def test_kv_dtypes():
    # int4 groups of 32 with 4 bytes (fp16 scale + zero) per group: a 128-dim vector = 64 + 4*4 = 80 B.
    assert kv_format("int4").bytes_for(128) == 80
    assert kv_format("fp8").bytes_for(128) == 128
    assert kv_format("fp32").bytes_for(128) == 512
    assert report("llama-3.1-8b", 1, dtype="fp8")["bytes_per_token"] == 32 * 2 * 8 * 128 * 1


def test_batch_multiplies():
    one = report("llama-3.1-8b", 4096)["total_bytes"]
    assert report("llama-3.1-8b", 4096, batch=8)["total_bytes"] == 8 * one


def test_inverse_max_context_and_sequences():
    # Llama-3.1-8B bf16: 32 x 2 x 8 x 128 x 2 = 131,072 B/token. A 16 GiB budget holds 131,072 tokens
    # for one sequence, or 16 sequences of 8,192 tokens (1 GiB each).
    lay = layout("llama-3.1-8b")
    assert max_context_for_budget(lay, 16 * GiB, 1) == 131072
    assert max_context_for_budget(lay, 16 * GiB, 4) == 32768
    assert max_sequences_for_budget(lay, 16 * GiB, 8192) == 16


def test_inverse_with_sliding_layers():
    # gpt-oss-120b: 18 sliding layers stop at 128 tokens (18 x 128 x 2048 B = 4,718,592 B fixed); the
    # 18 full layers cost 36,864 B/token. Budget 1 GiB → (2^30 - 4,718,592) // 36,864 tokens.
    lay = layout("gpt-oss-120b")
    expected = (GiB - 18 * 128 * 2048) // (18 * 2048)
    assert max_context_for_budget(lay, GiB, 1) == expected
    assert bytes_for_sequence(lay, expected) <= GiB < bytes_for_sequence(lay, expected + 1)


def test_budget_in_report_and_all_sliding_unbounded():
    r = report("mistral-7b-v0.1", 8192, budget=1 * GiB)  # every layer slides with window 4096
    assert r["budget"]["max_context_tokens_at_batch"] is None
    assert any("unbounded" in a for a in r["assumptions"])
    # 32 layers x 2 x 8 x 128 x 2 = 131,072 B/token, capped at 4,096 tokens = 512 MiB per sequence.
    assert r["total_bytes"] == 131072 * 4096
    assert r["budget"]["max_sequences_at_context"] == 2


def test_context_beyond_window_warns_but_computes():
    r = report("llama-2-7b", 8192)  # max_position_embeddings 4096
    assert r["warnings"] and r["total_bytes"] == 8192 * 32 * 2 * 32 * 128 * 2


@pytest.mark.parametrize("dtype", ["fp5", ""])
def test_unknown_kv_dtype(dtype):
    from modelmath.tools.errors import UnknownName

    with pytest.raises(UnknownName):
        kv_format(dtype)


def test_deepseek_v32_fp8_assumptions_name_its_own_layout_not_fp8s_generic_note():
    # Its fp8 latent carries fp32 block scales (FlashMLA, 16 B per token per layer): "scales negligible" would be wrong.
    a = report("deepseek-v3.2", 1000, dtype="fp8")["assumptions"]
    assert not any("negligible" in x for x in a) and any("FlashMLA" in x for x in a)
    assert any("negligible" in x for x in report("deepseek-v3", 1000, dtype="fp8")["assumptions"])
