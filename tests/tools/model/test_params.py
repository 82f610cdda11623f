"""Parameter counts against model cards, papers and hand derivations (written out here, never our output)."""

import pytest
from modelmath.tools.model.catalog import lookup
from modelmath.tools.model.params import parameter_count
from modelmath.tools.model.resolve import shape_from_entry
from modelmath.tools.model.shape import ModelShape


def count(model_id: str):
    return parameter_count(shape_from_entry(lookup(model_id)))


def test_llama_31_8b_exact():
    # Hand derivation (config: vocab 128256, hidden 4096, 32 layers, 32 heads, 8 KV heads, head_dim 128,
    # intermediate 14336, SwiGLU, RMSNorm, untied). Matches the 8,030,261,248 quoted in the issue / HF.
    emb = 128256 * 4096  # 525,336,576 (and the same again for the untied LM head)
    attn = 4096 * 4096 + 2 * 4096 * 1024 + 4096 * 4096  # q, k, v, o = 41,943,040
    mlp = 3 * 4096 * 14336  # 176,160,768
    norms = 2 * 4096
    expected = 2 * emb + 32 * (attn + mlp + norms) + 4096
    assert expected == 8_030_261_248
    c = count("llama-3.1-8b")
    assert c.total == expected
    assert c.active == expected  # dense
    assert c.non_embedding == expected - 2 * emb


def test_gpt2_small_exact():
    # Hand derivation: learned positions 1024x768, LayerNorm with bias, biases everywhere, tied head.
    # 124,439,808 is the parameter count transformers reports for "gpt2".
    layer = (2 * 768) + (768 * 2304 + 2304) + (768 * 768 + 768) + (2 * 768) \
        + (768 * 3072 + 3072) + (3072 * 768 + 768)
    expected = 50257 * 768 + 1024 * 768 + 12 * layer + 2 * 768
    assert expected == 124_439_808
    assert count("gpt2").total == expected


def test_pythia_160m_matches_model_card_table():
    # EleutherAI/pythia-160m model card, "exact parameter counts" table: 85,056,000 non-embedding;
    # total 162,322,944 (untied embed_in + embed_out of 50304 x 768 each).
    c = count("pythia-160m")
    assert c.non_embedding == 85_056_000
    assert c.total == 162_322_944


def test_pythia_14b_non_embedding_matches_model_card_table():
    # Same table: Pythia-1.4B non-embedding params 1,208,602,624.
    assert count("pythia-1.4b").non_embedding == 1_208_602_624


def test_llama_32_1b_tied_embeddings_counted_once():
    # Hand derivation: vocab 128256, hidden 2048, 16 layers, 32 heads, 8 KV heads (head_dim 64),
    # intermediate 8192, tie_word_embeddings true → LM head shares the embedding matrix.
    emb = 128256 * 2048
    layer = 2 * 2048 * 2048 + 2 * 2048 * 512 + 3 * 2048 * 8192 + 2 * 2048
    expected = emb + 16 * layer + 2048
    assert expected == 1_235_814_400
    c = count("llama-3.2-1b")
    assert c.total == expected
    assert c.lm_head == 0


def test_gemma2_9b_head_dim_is_not_hidden_over_heads():
    # Gemma 2 9B: hidden 3584, 16 heads but head_dim 256 (not 224), 8 KV heads, intermediate 14336,
    # GeGLU, 4 RMSNorms per layer, tied. Hand derivation:
    emb = 256000 * 3584
    attn = 3584 * 4096 + 2 * 3584 * 2048 + 4096 * 3584
    layer = attn + 3 * 3584 * 14336 + 4 * 3584
    expected = emb + 42 * layer + 3584
    assert expected == 9_241_705_984
    assert count("gemma-2-9b").total == expected


def test_phi3_mini_exact():
    # Phi-3-mini: vocab 32064, hidden 3072, 32 layers, 32 heads (MHA), intermediate 8192, untied.
    expected = 2 * 32064 * 3072 + 32 * (4 * 3072 * 3072 + 3 * 3072 * 8192 + 2 * 3072) + 3072
    assert expected == 3_821_079_552
    assert count("phi-3-mini-4k").total == expected


def test_falcon_7b_multi_query():
    # Falcon-7B: hidden 4544, 71 heads of 64, multi_query → fused qkv is 4544 x (71 + 2) * 64; plain
    # 4x GELU MLP; one LayerNorm (w+b) per parallel block; tied embeddings; no biases.
    layer = 4544 * (73 * 64) + 4544 * 4544 + 2 * 4544 * 18176 + 2 * 4544
    expected = 65024 * 4544 + 32 * layer + 2 * 4544
    assert count("falcon-7b").total == expected


def test_mixtral_8x7b_total_and_active():
    # Mistral AI's Mixtral announcement: 46.7B total, 12.9B used per token. Exact by hand: 8 experts of
    # SwiGLU 4096→14336, top-2, router 4096x8 per layer, GQA 8 KV heads, untied.
    expert = 3 * 4096 * 14336
    attn = 2 * 4096 * 4096 + 2 * 4096 * 1024
    shared = 2 * 32000 * 4096 + 32 * (attn + 4096 * 8 + 2 * 4096) + 4096
    total = shared + 32 * 8 * expert
    active = shared + 32 * 2 * expert
    c = count("mixtral-8x7b")
    assert (c.total, c.active) == (total, active)
    assert round(c.total / 1e9, 1) == 46.7 and round(c.active / 1e9, 1) == 12.9


@pytest.mark.parametrize("model_id,total_b,active_excl_input_emb_b", [
    # gpt-oss model card (OpenAI, arXiv 2508.10925) Table 1: total 116.83B / 20.91B, active 5.13B / 3.61B.
    # Its active counts include the unembedding but not the input embedding table.
    ("gpt-oss-120b", 116.83, 5.13),
    ("gpt-oss-20b", 20.91, 3.61),
])
def test_gpt_oss_matches_model_card(model_id, total_b, active_excl_input_emb_b):
    c = count(model_id)
    assert round(c.total / 1e9, 2) == total_b
    assert round((c.active - c.embeddings) / 1e9, 2) == active_excl_input_emb_b


def test_deepseek_v3_matches_paper():
    # DeepSeek-V3 technical report (arXiv 2412.19437) abstract: 671B total, 37B activated per token
    # (main model; the 14B multi-token-prediction module is separate).
    c = count("deepseek-v3")
    assert round(c.total / 1e9) == 671
    assert round(c.active / 1e9) in (37, 38)  # "37B" rounds a figure that includes/excludes embeddings
    assert round((c.active - c.embeddings) / 1e9) == 37


@pytest.mark.parametrize("model_id,total_b,nonemb_b", [
    # Qwen3 model cards ("Number of Parameters" / "Non-Embedding"): 0.6B/0.44B, 8.2B/6.95B, 30.5B/29.9B,
    # 14.8B/13.2B.
    ("qwen3-0.6b", 0.6, 0.44),
    ("qwen3-8b", 8.2, 6.95),
    ("qwen3-30b-a3b", 30.5, 29.9),
    ("qwen3-14b", 14.8, 13.2),  # Qwen3-14B card: 14.8B / 13.2B
])
def test_qwen3_matches_model_cards(model_id, total_b, nonemb_b):
    c = count(model_id)
    digits = len(str(total_b).split(".")[1])
    assert round(c.total / 1e9, digits) == total_b
    assert round(c.non_embedding / 1e9, len(str(nonemb_b).split(".")[1])) == nonemb_b


def test_moe_active_counts_from_model_cards():
    # Qwen3-30B-A3B card: 3.3B activated; Qwen1.5-MoE-A2.7B card: 14.3B total, 2.7B activated;
    # OLMoE-1B-7B card: 6.9B total, 1.3B active; Qwen3-235B-A22B card: 235B total, 22B activated.
    # The card's "3.3B" truncates (3.35B by hand from the config): allow the card's last digit.
    assert abs(count("qwen3-30b-a3b").active / 1e9 - 3.3) < 0.1
    q15 = count("qwen1.5-moe-a2.7b")
    assert (round(q15.total / 1e9, 1), round(q15.active / 1e9, 1)) == (14.3, 2.7)
    olmoe = count("olmoe-1b-7b")
    assert (round(olmoe.total / 1e9, 1), round(olmoe.active / 1e9, 1)) == (6.9, 1.3)
    big = count("qwen3-235b-a22b")
    assert (round(big.total / 1e9), round(big.active / 1e9)) == (235, 22)


def test_breakdown_sums_to_total():
    for model_id in ("deepseek-v3", "gpt-oss-120b", "qwen1.5-moe-a2.7b", "gpt2", "gemma-3-1b"):
        c = count(model_id)
        assert sum(c.breakdown().values()) == c.total, model_id


def test_layernorm_and_biases_counted():
    # A toy 1-layer GPT-style block, by hand: LayerNorm = 2h params, qkv/o/mlp biases.
    s = ModelShape(vocab_size=10, hidden_size=4, num_layers=1, num_heads=2, intermediate_size=8,
                   ffn="standard", tied_embeddings=True, qkv_bias=True, o_bias=True, mlp_bias=True,
                   norm="layernorm")
    expected = 10 * 4 + (4 * 12 + 12) + (4 * 4 + 4) + (4 * 8 + 8) + (8 * 4 + 4) + 2 * (2 * 4) + 2 * 4
    assert parameter_count(s).total == expected


def test_mistral_7b_v01_exact():
    # Mistral 7B: vocab 32000, hidden 4096, 32 layers, 32 heads / 8 KV heads, intermediate 14336, untied.
    layer = 2 * 4096 * 4096 + 2 * 4096 * 1024 + 3 * 4096 * 14336 + 2 * 4096
    expected = 2 * 32000 * 4096 + 32 * layer + 4096
    assert expected == 7_241_732_096
    assert count("mistral-7b-v0.1").total == expected


def test_gemma3_1b_exact():
    # Gemma 3 1B (gemma3_text): vocab 262144, hidden 1152, 26 layers, 4 heads / 1 KV head of 256,
    # intermediate 6912, 4 norms per layer + q/k norms of head_dim, tied: 999,885,952 ("1B").
    layer = 1152 * 1024 + 2 * 1152 * 256 + 1024 * 1152 + 3 * 1152 * 6912 + 4 * 1152 + 2 * 256
    expected = 262144 * 1152 + 26 * layer + 1152
    assert expected == 999_885_952
    assert count("gemma-3-1b").total == expected


def test_gemma_7b_exact():
    # Gemma 7B: vocab 256000, hidden 3072, 28 layers, 16 heads of 256 (not 3072/16 = 192), MHA,
    # intermediate 24576, GeGLU, tied.
    layer = 4 * 3072 * 4096 + 3 * 3072 * 24576 + 2 * 3072
    expected = 256000 * 3072 + 28 * layer + 3072
    assert expected == 8_537_680_896
    assert count("gemma-7b").total == expected


def test_olmo2_7b_full_width_qk_norms():
    # OLMo-2 7B: vocab 100352, hidden 4096, 32 layers, MHA, intermediate 11008, untied; RMSNorm q_norm and
    # k_norm over the full 4096-wide projections, two (post-)norms per layer.
    layer = 4 * 4096 * 4096 + 3 * 4096 * 11008 + 2 * 4096 + 2 * 4096
    expected = 2 * 100352 * 4096 + 32 * layer + 4096
    assert count("olmo-2-7b").total == expected


def test_qwen25_7b_matches_model_card():
    # Qwen2.5-7B model card: 7.61B parameters, 6.53B non-embedding (the card truncates: allow its last digit).
    c = count("qwen2.5-7b")
    assert abs(c.total / 1e9 - 7.61) < 0.01
    assert abs(c.non_embedding / 1e9 - 6.53) < 0.01


def test_deepseek_v2_matches_paper():
    # DeepSeek-V2 paper (arXiv 2405.04434) abstract: 236B total, 21B activated per token.
    c = count("deepseek-v2")
    assert round(c.total / 1e9) == 236
    assert round(c.active / 1e9) == 21
