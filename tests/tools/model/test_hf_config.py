"""The config.json reader: every supported model_type, defaults, wrappers and refusals."""

import pytest
from modelmath.tools.errors import InvalidInput, UnsupportedConfig
from modelmath.tools.model.catalog import entries
from modelmath.tools.model.hf_config import (
    MAX_CONFIG_BYTES,
    SUPPORTED_MODEL_TYPES,
    config_size_ok,
    shape_from_hf_config,
)
from modelmath.tools.model.params import parameter_count

REQUIRED_TYPES = {"llama", "mistral", "mixtral", "qwen2", "qwen2_moe", "qwen3", "qwen3_moe", "gemma", "gemma2",
                  "gemma3_text", "gemma3", "phi3", "gpt2", "gpt_neox", "falcon", "deepseek_v2", "deepseek_v3",
                  "gpt_oss", "olmo2", "olmoe"}


def test_all_required_model_types_supported():
    assert set(SUPPORTED_MODEL_TYPES) >= REQUIRED_TYPES


def test_catalog_covers_every_model_type():
    # Each reader is exercised by at least one real config copied into the catalog (or a test below).
    seen = {e.config["model_type"] for e in entries() if e.config}
    assert REQUIRED_TYPES - seen <= {"gemma3"}  # gemma3 (multimodal wrapper) is tested below


def test_unknown_model_type_names_supported_ones():
    # The supported names are listed once, in `allowed` (a tool result sent to Claude carried all 68 twice);
    # the message says how many there are, and the CLI prints the list after it.
    with pytest.raises(UnsupportedConfig) as exc:
        shape_from_hf_config({"model_type": "rwkv"})
    assert "rwkv" in exc.value.message and f"{len(exc.value.allowed)} supported" in exc.value.message
    assert "qwen3_moe" in exc.value.allowed and "qwen3_moe" not in exc.value.message


def test_a_config_without_model_type_says_so():
    # Not "model_type None": the file simply has none (found by the new-user QA pass).
    with pytest.raises(UnsupportedConfig) as exc:
        shape_from_hf_config({})
    assert "None" not in exc.value.message and "has no model_type" in exc.value.message


@pytest.mark.parametrize("bad", [[], "llama", None, 3])
def test_non_object_config_refused(bad):
    with pytest.raises(UnsupportedConfig):
        shape_from_hf_config(bad)


def test_oversized_config_refused():
    config_size_ok(20_000)
    with pytest.raises(UnsupportedConfig):
        config_size_ok(MAX_CONFIG_BYTES + 1)


def test_code_references_are_ignored():
    # auto_map points at remote code; we read data only, so it changes nothing.
    cfg = {"model_type": "llama", "auto_map": {"AutoModel": "evil.Model"}, "trust_remote_code": True}
    assert shape_from_hf_config(cfg).hidden_size == 4096


def test_bad_field_type_is_structured_error():
    with pytest.raises(InvalidInput) as exc:
        shape_from_hf_config({"model_type": "llama", "hidden_size": "4096"})
    assert exc.value.field == "hf_config.hidden_size"


def test_missing_fields_take_transformers_defaults():
    # transformers LlamaConfig defaults: vocab 32000, hidden 4096, intermediate 11008, 32 layers, 32 heads,
    # num_key_value_heads = num_attention_heads, untied → the Llama-2-7B shape, 6,738,415,616 params
    # (hand: 2*32000*4096 + 32*(4*4096^2 + 3*4096*11008 + 2*4096) + 4096).
    expected = 2 * 32000 * 4096 + 32 * (4 * 4096**2 + 3 * 4096 * 11008 + 2 * 4096) + 4096
    assert expected == 6_738_415_616
    assert parameter_count(shape_from_hf_config({"model_type": "llama"})).total == expected


def test_gemma3_multimodal_wrapper_reads_text_config():
    # Gemma 3 27B text fields (gemma3 config.json text_config): hidden 5376, 62 layers, 32 heads of 128,
    # 16 KV heads, intermediate 21504, vocab 262208, window 1024, 5 local : 1 global.
    text = {"hidden_size": 5376, "num_hidden_layers": 62, "num_attention_heads": 32, "num_key_value_heads": 16,
            "head_dim": 128, "intermediate_size": 21504, "vocab_size": 262208, "sliding_window": 1024,
            "sliding_window_pattern": 6, "model_type": "gemma3_text"}
    s = shape_from_hf_config({"model_type": "gemma3", "text_config": text, "vision_config": {}})
    assert s.kinds.count("full") == 10  # layers 5, 11, ..., 59
    assert s.kinds[5] == "full" and s.kinds[0] == "sliding"
    # Hand derivation: tied embedding; per layer q/k/v/o, GeGLU, 4 norms + q/k norms of head_dim.
    layer = 5376 * 4096 + 2 * 5376 * 2048 + 4096 * 5376 + 3 * 5376 * 21504 + 4 * 5376 + 2 * 128
    assert parameter_count(s).total == 262208 * 5376 + 62 * layer + 5376


def test_explicit_layer_types_win():
    cfg = {"model_type": "gpt_oss", "num_hidden_layers": 4,
           "layer_types": ["full_attention", "full_attention", "sliding_attention", "full_attention"]}
    assert shape_from_hf_config(cfg).kinds == ("full", "full", "sliding", "full")


def test_bad_layer_types_refused():
    with pytest.raises(InvalidInput):
        shape_from_hf_config({"model_type": "gemma2", "num_hidden_layers": 2, "layer_types": ["chunked", "x"]})


def test_qwen2_sliding_only_when_enabled_and_above_max_window_layers():
    off = shape_from_hf_config({"model_type": "qwen2", "num_hidden_layers": 4, "sliding_window": 4096})
    assert off.kinds == ("full",) * 4
    on = shape_from_hf_config({"model_type": "qwen2", "num_hidden_layers": 4, "use_sliding_window": True,
                               "sliding_window": 4096, "max_window_layers": 2})
    assert on.kinds == ("full", "full", "sliding", "sliding")


def test_qwen2_bias_on_qkv_only():
    s = shape_from_hf_config({"model_type": "qwen2"})
    assert s.qkv_bias and not s.o_bias


def test_deepseek_first_dense_layers():
    s = shape_from_hf_config({"model_type": "deepseek_v3"})
    assert s.moe.dense_layers == (0, 1, 2)  # first_k_dense_replace = 3
    assert s.mla.kv_lora_rank == 512 and s.mla.qk_rope_head_dim == 64


def test_deepseek_v2_lite_has_no_q_lora():
    lite = next(e for e in entries() if e.id == "deepseek-v2-lite")
    assert shape_from_hf_config(lite.config).mla.q_lora_rank is None


def test_falcon_new_architecture_uses_num_kv_heads():
    s = shape_from_hf_config({"model_type": "falcon", "new_decoder_architecture": True, "num_kv_heads": 8,
                              "num_attention_heads": 128, "hidden_size": 8192})
    assert s.num_kv_heads == 8 and s.norms_per_layer == 2


def test_mixtral_and_olmoe_are_moe():
    assert shape_from_hf_config({"model_type": "mixtral"}).moe.experts_per_token == 2
    olmoe = shape_from_hf_config({"model_type": "olmoe"})
    assert (olmoe.moe.num_experts, olmoe.moe.experts_per_token, olmoe.qk_norm) == (64, 8, "full")


def test_qwen2_moe_shared_expert_and_sparse_step():
    s = shape_from_hf_config({"model_type": "qwen2_moe", "num_hidden_layers": 4, "decoder_sparse_step": 2,
                              "mlp_only_layers": [3]})
    # layer i is sparse when (i+1) % 2 == 0 and i not in mlp_only_layers → only layer 1.
    assert s.moe.dense_layers == (0, 2, 3)
    assert s.moe.shared_intermediate_size == 5632 and s.moe.shared_expert_gate


def test_model_type_inferred_from_architectures():
    # A config with only "architectures" reads as transformers would load it: the Mixtral defaults
    # (8x7B, 46,702,792,704 params, hand-derived in test_params.py).
    s = shape_from_hf_config({"architectures": ["MixtralForCausalLM"]})
    assert parameter_count(s).total == 46_702_792_704
    with pytest.raises(UnsupportedConfig):
        shape_from_hf_config({"architectures": ["RwkvForCausalLM"]})


def test_config_outside_the_catalog_smollm2_135m():
    # HuggingFaceTB/SmolLM2-135M config.json fields (llama): vocab 49152, hidden 576, 30 layers, 9 heads,
    # 3 KV heads, intermediate 1536, tied. Hand: 49152*576 + 30*(576*576*2 + 576*192*2 + 3*576*1536
    # + 2*576) + 576 = 134,515,008.
    cfg = {"model_type": "llama", "vocab_size": 49152, "hidden_size": 576, "num_hidden_layers": 30,
           "num_attention_heads": 9, "num_key_value_heads": 3, "intermediate_size": 1536,
           "tie_word_embeddings": True, "max_position_embeddings": 8192, "rope_scaling": None}
    expected = 49152 * 576 + 30 * (576 * 576 * 2 + 576 * 192 * 2 + 3 * 576 * 1536 + 2 * 576) + 576
    assert expected == 134_515_008
    assert parameter_count(shape_from_hf_config(cfg)).total == expected


def test_unknown_model_type_read_by_architecture_class_with_a_note():
    # Kimi-K2's config says model_type "kimi_k2" but architectures ["DeepseekV3ForCausalLM"]: it is read as
    # deepseek_v3 (here with that family's defaults: 671,026,419,200 params, test_params.py), and says so.
    from modelmath.tools.model.hf_config import read_hf_config

    shape, notes = read_hf_config({"model_type": "kimi_k2", "architectures": ["DeepseekV3ForCausalLM"]})
    assert parameter_count(shape).total == parameter_count(shape_from_hf_config({"model_type": "deepseek_v3"})).total
    assert notes and "kimi_k2" in notes[0] and "deepseek_v3" in notes[0]
