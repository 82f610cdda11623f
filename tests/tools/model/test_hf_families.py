"""Config reading for the families added with the architecture round: layer placement rules, wrappers,
per-layer lists, and refusals. Placement rules are those of the transformers config classes (5.24.0),
restated by hand below."""

import pytest
from modelmath.tools.errors import InvalidInput, UnsupportedConfig
from modelmath.tools.model.hf_config import SUPPORTED_MODEL_TYPES, read_hf_config, shape_from_hf_config
from modelmath.tools.model.params import parameter_count


def test_supported_list_has_the_new_families():
    assert {"qwen3_next", "nemotron_h", "falcon_h1", "granitemoehybrid", "bamba", "jamba", "mamba", "mamba2",
            "lfm2", "minimax", "minimax_m2", "llama4", "llama4_text", "deepseek_v32", "glm4_moe", "gemma3n",
            "smollm3", "ernie4_5", "ernie4_5_moe", "hunyuan_v1_dense", "hunyuan_v1_moe", "phi", "phimoe",
            "opt", "bloom", "gpt_neo", "gpt_bigcode", "codegen"} <= set(SUPPORTED_MODEL_TYPES)


def test_qwen3_next_every_fourth_layer_is_full_attention():
    s = shape_from_hf_config({"model_type": "qwen3_next", "num_hidden_layers": 8})
    assert s.kinds == ("linear", "linear", "linear", "full") * 2
    s = shape_from_hf_config({"model_type": "qwen3_next", "num_hidden_layers": 6, "full_attention_interval": 2})
    assert s.kinds == ("linear", "full") * 3


def test_jamba_places_attention_and_experts_by_period_and_offset():
    # attention where i % attn_layer_period == attn_layer_offset (8, 4); experts where i % 2 == 1.
    s = shape_from_hf_config({"model_type": "jamba", "num_hidden_layers": 16})
    assert [i for i, k in enumerate(s.kinds) if k == "full"] == [4, 12]
    assert s.moe.dense_layers == tuple(range(0, 16, 2))
    assert s.linear.kind == "mamba" and s.linear.dt_rank == 256  # "auto": ceil(4096 / 16)


def test_llama4_chunked_and_moe_interleave():
    # Maverick: interleave_moe_layer_step 2 → MoE on layers 1, 3, 5, …; every 4th layer NoPE and global.
    s = shape_from_hf_config({"model_type": "llama4_text", "num_hidden_layers": 8, "interleave_moe_layer_step": 2})
    assert s.kinds == ("chunked", "chunked", "chunked", "full") * 2
    assert s.moe.dense_layers == (0, 2, 4, 6) and s.attention_chunk_size == 8192
    assert s.intermediate_size == 16384 and s.moe.expert_intermediate_size == 8192
    # No attention_chunk_size: every layer global.
    s = shape_from_hf_config({"model_type": "llama4_text", "num_hidden_layers": 4, "attention_chunk_size": None})
    assert s.kinds == ("full",) * 4


def test_wrappers_are_read_through_text_config_and_say_so():
    shape, notes = read_hf_config({"model_type": "llama4", "text_config": {"num_hidden_layers": 4},
                                   "vision_config": {}})
    assert shape.model_type == "llama4_text" and shape.num_layers == 4
    assert any("text decoder only" in n for n in notes)
    shape, notes = read_hf_config({"model_type": "gemma3n"})
    assert shape.model_type == "gemma3n_text" and shape.kv_shared_layers == 15
    assert any("no text_config" in n for n in notes)
    shape, _ = read_hf_config({"model_type": "mistral3", "text_config": {"num_hidden_layers": 2}})
    assert shape.model_type == "mistral"


def test_nemotron_h_pattern():
    s = shape_from_hf_config({"model_type": "nemotron_h", "hybrid_override_pattern": "M-M*E"})
    assert s.num_layers == 5 and s.kinds == ("linear", "none", "linear", "full", "none")
    assert s.no_ffn_layers == (0, 2, 3) and s.moe.dense_layers == (1,) and s.moe_layer_count == 1
    same = shape_from_hf_config({"model_type": "nemotron_h", "layers_block_type": [
        "linear_attention", "mlp", "linear_attention", "full_attention", "moe"]})
    assert parameter_count(same).total == parameter_count(s).total
    with pytest.raises(InvalidInput):
        shape_from_hf_config({"model_type": "nemotron_h", "hybrid_override_pattern": "MXM"})
    with pytest.raises(UnsupportedConfig) as exc:
        shape_from_hf_config({"model_type": "nemotron_h", "hybrid_override_pattern": "ME", "moe_latent_size": 1024})
    assert exc.value.field == "hf_config.moe_latent_size"


def test_minimax_reads_its_own_attn_type_list():
    # MiniMax-Text-01's own config.json: attn_type_list, 1 = softmax attention, 0 = lightning.
    s = shape_from_hf_config({"model_type": "minimax", "num_hidden_layers": 8, "attn_type_list": [0] * 7 + [1]})
    assert s.kinds == ("linear",) * 7 + ("full",)
    assert s.linear.kind == "lightning" and s.linear.head_dim == 128  # 4096 / 32 heads


def test_exaone4_patterns():
    assert shape_from_hf_config({"model_type": "exaone4", "num_hidden_layers": 4}).kinds == (
        "sliding", "sliding", "sliding", "full")
    s = shape_from_hf_config({"model_type": "exaone4", "num_hidden_layers": 6, "sliding_window_pattern": "LLG"})
    assert s.kinds == ("sliding", "sliding", "full", "sliding", "sliding", "full")
    assert shape_from_hf_config({"model_type": "exaone4", "num_hidden_layers": 3,
                                 "sliding_window": None}).kinds == ("full",) * 3


def test_lfm2_ffn_width_and_conv_layers():
    # Lfm2MLP: int(2 * 6656 / 3) = 4437, x 1.0, rounded up to a multiple of 256 → 4608.
    s = shape_from_hf_config({"model_type": "lfm2", "num_hidden_layers": 4, "intermediate_size": 6656,
                              "full_attn_idxs": [1, 3]})
    assert s.intermediate_size == 4608 and s.kinds == ("linear", "full", "linear", "full")
    assert s.linear.kind == "short_conv" and s.linear.recurrent_state_elements == 0


def test_per_layer_lists_must_be_constant():
    with pytest.raises(UnsupportedConfig) as exc:
        shape_from_hf_config({"model_type": "hunyuan_v1_moe", "num_hidden_layers": 2, "num_experts": 8,
                              "moe_topk": [2, 4]})
    assert exc.value.field == "hf_config.moe_topk"
    s = shape_from_hf_config({"model_type": "hunyuan_v1_moe", "num_hidden_layers": 2, "num_experts": [8, 8],
                              "moe_topk": [2, 2]})
    assert (s.moe.num_experts, s.moe.experts_per_token) == (8, 2)


def test_layer_types_outside_the_family_are_refused():
    with pytest.raises(InvalidInput) as exc:
        shape_from_hf_config({"model_type": "qwen3_next", "num_hidden_layers": 2,
                              "layer_types": ["linear_attention", "sliding_attention"]})
    assert exc.value.field == "hf_config.layer_types"


def test_deepseek_v32_explicit_mlp_layer_types_and_indexer():
    s = shape_from_hf_config({"model_type": "deepseek_v32", "num_hidden_layers": 4,
                              "mlp_layer_types": ["dense", "sparse", "dense", "sparse"]})
    assert s.moe.dense_layers == (0, 2) and (s.indexer.n_heads, s.indexer.head_dim) == (64, 128)


def test_opt_with_projection_is_refused_and_gpt_neo_local_layers_slide():
    with pytest.raises(UnsupportedConfig):
        shape_from_hf_config({"model_type": "opt", "hidden_size": 1024, "word_embed_proj_dim": 512})
    s = shape_from_hf_config({"model_type": "gpt_neo", "num_layers": 4, "attention_types": [[["global", "local"], 2]]})
    assert s.kinds == ("full", "sliding", "full", "sliding") and s.sliding_window == 256
    with pytest.raises(InvalidInput):
        shape_from_hf_config({"model_type": "gpt_neo", "num_layers": 4, "attention_types": [[["global"], 3]]})


def test_new_families_found_by_architecture_class():
    shape, notes = read_hf_config({"architectures": ["Qwen3NextForCausalLM"], "num_hidden_layers": 4})
    assert shape.model_type == "qwen3_next" and not notes
