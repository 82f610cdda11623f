"""77 configs over 66 model_types: parameter counts and cache sizes against transformers' own modules.

Independent source: data/transformers_counts.json. Each case holds the checkpoint's config.json (copied from
a public file or reconstructed: `config_provenance`, `config_source`), the count transformers 5.24.0 gives for
it on the meta device (`counted_with`, `count_method`: sum of parameter numels, tied weights once), and for
hybrid / windowed / MLA models the cache tensors transformers allocates (`cache_probe`). None of it comes
from modelmath. A reconstructed config is not "the real checkpoint", but the count is exact for the dict
stored, which is what these tests read.
"""

import json
from pathlib import Path

import pytest
from modelmath.tools.model.formats import kv_format
from modelmath.tools.model.hf_config import read_hf_config
from modelmath.tools.model.kv import kv_layout
from modelmath.tools.model.params import parameter_count
from modelmath.tools.registry import run_tool

CASES = json.loads((Path(__file__).parent / "data" / "transformers_counts.json").read_text())["cases"]
BY_SLUG = {c["slug"]: c for c in CASES}

# DeepSeek-style routers keep a per-expert score-correction bias (e_score_correction_bias). transformers
# registers it as a buffer, so its count leaves it out; the checkpoints store it as a tensor, and our
# convention counts weights as stored (README, "Conventions"). Ours = transformers' + MoE layers x experts,
# by hand from each config:
STORED_ROUTER_BIAS = {
    "deepseek-v3": (61 - 3) * 256,  # 61 layers, first_k_dense_replace 3 -> 58 MoE layers, 256 routed experts
    "deepseek-v3.2": (61 - 3) * 256,  # same layout
    "kimi-k2-instruct": (61 - 1) * 384,  # first_k_dense_replace 1, 384 experts
    "dots.llm1": (62 - 1) * 128,  # first_k_dense_replace 1, 128 experts
    "glm-4.5-air": (46 - 1) * 128,  # first_k_dense_replace 1, 128 experts
    "glm-4.5": (92 - 3) * 160,  # first_k_dense_replace 3, 160 experts
    "minimax-m2.5": 62 * 256,  # every layer MoE (use_routing_bias), 256 experts
    "nemotron-3-nano-30b-a3b": 23 * 128,  # 23 'E' blocks in hybrid_override_pattern, 128 experts
}


def _expected_total(case: dict) -> int:
    # Multimodal wrappers: we count the text decoder (text_config); the case has it counted alone.
    return case.get("text_decoder_total_params", case["total_params"]) + STORED_ROUTER_BIAS.get(case["slug"], 0)


def _read(case: dict):
    return read_hf_config(case["config"])[0]


def test_the_cases_cover_66_model_types():
    assert len(CASES) == 77
    assert len({c["model_type"] for c in CASES}) == 66


def test_every_supported_model_type_has_an_independent_count():
    from modelmath.tools.model.hf_config import SUPPORTED_MODEL_TYPES

    read = {c["model_type"] for c in CASES} | {_read(c).model_type for c in CASES}
    assert set(SUPPORTED_MODEL_TYPES) <= read


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["slug"])
def test_total_params_match_transformers(case):
    assert parameter_count(_read(case)).total == _expected_total(case)


@pytest.mark.parametrize("case", [c for c in CASES if c.get("active_params_derived")], ids=lambda c: c["slug"])
def test_moe_active_and_expert_params_match_transformers(case):
    # active_params_derived = total - routed_expert_params x (1 - experts_per_token / num_experts) (the case's
    # active_formula, from transformers' per-tensor counts); the stored router bias is always active. For a
    # multimodal wrapper (Llama 4) the case's total includes the vision tower, all of it active: take it off.
    c = parameter_count(_read(case))
    assert c.routed_experts == case["routed_expert_params"]
    towers = case["total_params"] - case.get("text_decoder_total_params", case["total_params"])
    assert c.active == case["active_params_derived"] - towers + STORED_ROUTER_BIAS.get(case["slug"], 0)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["slug"])
def test_embedding_and_lm_head_match_transformers(case):
    # embedding_params = the input embedding table (get_input_embeddings), lm_head_params = the output layer
    # with its bias (0 when tied). Ours adds learned positions (GPT-2's wpe; OPT's table has 2 extra rows)
    # and Gemma 3n's per-layer table to `embeddings`; both are reported apart, so take them off.
    s = _read(case)
    c = parameter_count(s)
    positions = (s.max_position_embeddings + s.position_offset) * s.hidden_size if s.positions == "learned" else 0
    assert c.embeddings - c.per_layer_embeddings - positions == case["embedding_params"]
    assert c.lm_head == case["lm_head_params"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["slug"])
def test_breakdown_sums_to_total(case):
    c = parameter_count(_read(case))
    assert sum(c.breakdown().values()) == c.total


# -- caches -----------------------------------------------------------------------------------------
# By hand from the tensors each cache probe recorded (cache_probe.per_layer_type_tensors; shapes are
# [batch, heads, tokens, head_dim] for K/V, [batch, channels, kernel] for conv states, recurrent states as
# shown), in bytes: bf16 = 2, float32 = 4. kv = K/V bytes per token of the layers that keep every token,
# windowed = per token of sliding/chunked layers until their window fills, state = per sequence.
CACHE_BY_HAND = {
    # linear x29: conv [8448, 4] bf16 + ssm [128, 64, 128] fp32; full x3: K,V [8, T, 128] bf16
    "bamba-9b": dict(kv=3 * 2 * 8 * 128 * 2, state=29 * (8448 * 4 * 2 + 128 * 64 * 128 * 4)),
    # MLA: keys [1, T, 512] (latent) + values [1, T, 64] (rope key), 27 layers
    "deepseek-v2-lite": dict(kv=27 * (512 + 64) * 2),
    "deepseek-v3": dict(kv=61 * (512 + 64) * 2),
    # V3.2 adds indexer_keys [T, 128] per layer (bf16 in transformers). Serving engines store that key as fp8 +
    # one fp32 scale per 128 values = 132 bytes (vLLM DeepseekV32IndexerCache, SGLang DSA pool, TensorRT-LLM
    # _get_indexer_k_cache_bytes_per_token: index_head_dim + index_head_dim // 128 * 4): our convention.
    "deepseek-v3.2": dict(kv=61 * (512 + 64 + 128) * 2, kv_engines=61 * ((512 + 64) * 2 + 128 + 4)),
    # full x16 and sliding x48 (window 4096), K,V [8, T, 128]
    "exaone-4.0-32b": dict(kv=16 * 2 * 8 * 128 * 2, windowed=48 * 2 * 8 * 128 * 2, window=4096),
    # hybrid x36: K,V [2, T, 64] + conv [1792, 4] bf16 + ssm [24, 64, 128] fp32
    "falcon-h1-0.5b": dict(kv=36 * 2 * 2 * 64 * 2, state=36 * (1792 * 4 * 2 + 24 * 64 * 128 * 4)),
    # full x5, sliding x29 (window 1024), K,V [4, T, 256]
    "gemma3-4b-it": dict(kv=5 * 2 * 4 * 256 * 2, windowed=29 * 2 * 4 * 256 * 2, window=1024),
    # own caches: full x4, sliding x16 (window 512), K,V [2, T, 256]; 15 KV-shared layers hold nothing
    "gemma3n-e4b": dict(kv=4 * 2 * 2 * 256 * 2, windowed=16 * 2 * 2 * 256 * 2, window=512),
    # full x12, sliding x12 (window 128), K,V [8, T, 64]
    "gpt-oss-20b": dict(kv=12 * 2 * 8 * 64 * 2, windowed=12 * 2 * 8 * 64 * 2, window=128),
    # linear x36: conv [4352, 4] + ssm [64, 64, 128] fp32; full x4: K,V [8, T, 64]
    "granite-4.0-h-micro": dict(kv=4 * 2 * 8 * 64 * 2, state=36 * (4352 * 4 * 2 + 64 * 64 * 128 * 4)),
    # Mamba-1 x28: conv [8192, 4] + ssm [8192, 16] fp32; full x4: K,V [8, T, 128]
    "jamba-v0.1": dict(kv=4 * 2 * 8 * 128 * 2, state=28 * (8192 * 4 * 2 + 8192 * 16 * 4)),
    # short conv x10: conv [1024, 3] bf16 only; full x6: K,V [8, T, 64]
    "lfm2-350m": dict(kv=6 * 2 * 8 * 64 * 2, state=10 * 1024 * 3 * 2),
    # full (NoPE) x12, chunked x36 (attention_chunk_size 8192), K,V [8, T, 128]
    "llama4-scout-17b-16e": dict(kv=12 * 2 * 8 * 128 * 2, windowed=36 * 2 * 8 * 128 * 2, window=8192),
    # Mamba-2 x64: conv [10240, 4] + ssm [128, 64, 128] fp32; no attention
    "mamba-codestral-7b": dict(kv=0, state=64 * (10240 * 4 * 2 + 128 * 64 * 128 * 4)),
    # lightning x70: linear_cache [64, 128, 128] in bf16 (transformers' MiniMaxCache); full x10: K,V [8, T, 128]
    "minimax-text-01": dict(kv=10 * 2 * 8 * 128 * 2, state=70 * 64 * 128 * 128 * 2, state_dtype="bf16"),
    # Mamba-2 x23: conv [6144, 4] + ssm [64, 64, 128] fp32; full x6: K,V [2, T, 128]; MoE blocks hold nothing
    "nemotron-3-nano-30b-a3b": dict(kv=6 * 2 * 2 * 128 * 2, state=23 * (6144 * 4 * 2 + 64 * 64 * 128 * 4)),
    # Mamba-2 x54: conv [20480, 4] + ssm [256, 64, 256] fp32; full x10: K,V [8, T, 128]
    "nemotron-h-56b": dict(kv=10 * 2 * 8 * 128 * 2, state=54 * (20480 * 4 * 2 + 256 * 64 * 256 * 4)),
    # gated DeltaNet x36: conv [8192, 4] + recurrent [32, 128, 128] fp32; full x12: K,V [2, T, 256]
    "qwen3-next-80b-a3b": dict(kv=12 * 2 * 2 * 256 * 2, state=36 * (8192 * 4 * 2 + 32 * 128 * 128 * 4)),
}


def test_every_cache_probe_has_a_hand_derivation():
    assert set(CACHE_BY_HAND) == {c["slug"] for c in CASES if "cache_probe" in c}


@pytest.mark.parametrize("slug", sorted(CACHE_BY_HAND))
def test_hand_derivations_agree_with_the_probe(slug):
    probe, hand = BY_SLUG[slug]["cache_probe"], CACHE_BY_HAND[slug]
    assert hand["kv"] == probe["kv_bytes_per_token_bf16_full_layers"]
    assert hand.get("windowed", 0) == sum(probe["kv_bytes_per_token_bf16_windowed_layers"].values())
    assert hand.get("state", 0) == probe["state_bytes_per_sequence"]


@pytest.mark.parametrize("slug", sorted(CACHE_BY_HAND))
def test_cache_layout_matches_hand_derivation(slug):
    hand = CACHE_BY_HAND[slug]
    lay = kv_layout(_read(BY_SLUG[slug]), kv_format("bf16"), hand.get("state_dtype", "fp32"))
    assert lay.bytes_per_token_per_layer * lay.full_layers == hand.get("kv_engines", hand["kv"])
    assert lay.bytes_per_token_per_layer * lay.sliding_layers == hand.get("windowed", 0)
    assert lay.window == hand.get("window")
    assert lay.state_bytes_per_sequence == hand.get("state", 0)


@pytest.mark.parametrize("slug,context", [("qwen3-next-80b-a3b", 100_000), ("llama4-scout-17b-16e", 100_000),
                                          ("llama4-scout-17b-16e", 5_000), ("gemma3n-e4b", 300)])
def test_kv_cache_tool_totals_by_hand(slug, context):
    hand = CACHE_BY_HAND[slug]
    out = run_tool("kv_cache", {"hf_config": BY_SLUG[slug]["config"], "context_tokens": context, "batch_size": 3})
    assert not out.is_error, out.result
    held = min(context, hand["window"]) if "window" in hand else 0
    per_seq = hand["kv"] * context + hand.get("windowed", 0) * held + hand.get("state", 0)
    assert out.result["bytes_per_sequence"] == per_seq
    assert out.result["total_bytes"] == 3 * per_seq
    assert out.result.get("state_bytes_per_sequence", 0) == hand.get("state", 0)


@pytest.mark.parametrize("entry_id,slug", [
    ("qwen3-next-80b-a3b", "qwen3-next-80b-a3b"), ("llama-4-scout", "llama4-scout-17b-16e"),
    ("llama-4-maverick", "llama4-maverick-17b-128e"), ("glm-4.5-air", "glm-4.5-air"), ("kimi-k2", "kimi-k2-instruct"),
    ("minimax-m2.5", "minimax-m2.5"), ("deepseek-v3.2", "deepseek-v3.2"),
    ("nemotron-3-nano-30b-a3b", "nemotron-3-nano-30b-a3b"), ("nemotron-h-56b", "nemotron-h-56b"),
    ("phi-4-mini", "phi-4-mini-instruct"), ("phi-3.5-mini", "phi-3.5-mini-instruct"),
    ("ministral-3-3b", "ministral-3-3b-2512"), ("starcoder2-7b", "starcoder2-7b"), ("gpt-j-6b", "gpt-j-6b"),
    ("opt-125m", "opt-125m"), ("bloom-560m", "bloom-560m"),
])
def test_catalog_entries_count_as_their_checked_configs(entry_id, slug):
    # The catalog keeps the same config minus non-architecture keys: the count must not move.
    from modelmath.tools.model.catalog import lookup
    from modelmath.tools.model.resolve import shape_from_entry

    assert parameter_count(shape_from_entry(lookup(entry_id))).total == _expected_total(BY_SLUG[slug])
