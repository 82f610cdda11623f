"""The context window convention (tools/model/window.py) and its one warning, used by every calculator."""

from __future__ import annotations

import pytest
from modelmath.tools.errors import InvalidInput
from modelmath.tools.model import catalog
from modelmath.tools.model.hf_config import read_hf_config
from modelmath.tools.model.resolve import shape_from_entry
from modelmath.tools.registry import run_tool

# Qwen2.5-7B-Instruct as its card describes it: config.json says max_position_embeddings 32,768; for longer
# inputs the card says to add {"factor": 4.0, "original_max_position_embeddings": 32768, "type": "yarn"}
# (https://huggingface.co/Qwen/Qwen2.5-7B-Instruct, "Processing Long Texts"), 32,768 x 4 = 131,072 tokens.
QWEN_DIMS = {"model_type": "qwen2", "vocab_size": 152064, "hidden_size": 3584, "intermediate_size": 18944,
             "num_hidden_layers": 28, "num_attention_heads": 28, "num_key_value_heads": 4,
             "max_position_embeddings": 32768, "tie_word_embeddings": False}
YARN_4X = {"factor": 4.0, "original_max_position_embeddings": 32768, "type": "yarn"}


def _window(cfg: dict) -> int | None:
    return read_hf_config(cfg)[0].context_limit


def test_no_scaling_the_window_is_max_position_embeddings():
    assert _window(QWEN_DIMS) == 32768


def test_yarn_extends_to_original_times_factor():
    shape = read_hf_config({**QWEN_DIMS, "rope_scaling": YARN_4X})[0]
    assert shape.context_limit == 32768 * 4 == 131072
    assert "YaRN" in shape.context_window_basis and "32,768" in shape.context_window_basis


def test_transformers_5_rope_parameters_spelling_is_read_too():
    rope = {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768, "rope_theta": 1e6}
    assert _window({**QWEN_DIMS, "rope_parameters": rope}) == 131072


def test_llama3_scaling_keeps_max_position_embeddings():
    # Llama 3.2 1B config (mlc-llm MODEL_PRESETS['llama3_2_1b']): factor 32 over 8,192 would be 262,144, but
    # the model's window is max_position_embeddings 131,072 (Meta's card: 128K).
    shape = shape_from_entry(catalog.lookup("llama-3.2-1b"))
    assert shape.context_limit == 131072
    assert "llama3" in shape.context_window_basis and "8,192" in shape.context_window_basis


def test_released_yarn_configs_state_the_product_as_max_position_embeddings():
    """Property of every catalog YaRN config: original x factor == max_position_embeddings, so the convention
    changes nothing for released models (DeepSeek 4,096 x 40 = 163,840; gpt-oss, Kimi K2 4,096 x 32 = 131,072)."""
    seen = 0
    for e in catalog.entries():
        cfg = (e.config or {}).get("text_config", e.config) or {}
        rope = cfg.get("rope_scaling") or {}
        if rope.get("rope_type", rope.get("type")) == "yarn":
            seen += 1
            assert rope["original_max_position_embeddings"] * rope["factor"] == cfg["max_position_embeddings"], e.id
            assert shape_from_entry(e).context_limit == cfg["max_position_embeddings"]
    assert seen >= 7


def test_deepseek_v2_window_is_its_yarn_window():
    # DeepSeek-V2 config.json: max_position_embeddings 163,840 = original 4,096 x YaRN factor 40; the V2 paper
    # (arXiv 2405.04434) extends the context to 128K with YaRN.
    shape = shape_from_entry(catalog.lookup("deepseek-v2"))
    assert shape.context_limit == 4096 * 40 == 163840
    ok = run_tool("kv_cache", {"model": "deepseek-v2", "context_tokens": 128000})
    assert not ok.is_error and not ok.result.get("warnings")
    over = run_tool("kv_cache", {"model": "deepseek-v2", "context_tokens": 163841})
    assert "163,840" in over.result["warnings"][0]


@pytest.mark.parametrize("tool,extra", [
    ("kv_cache", {}),
    ("memory_estimate", {}),
    ("hardware_fit", {"gpus": ["h100"]}),
    ("speed_estimate", {"gpu": "h100", "output_tokens": 16}),
])
def test_every_calculator_warns_with_the_same_window(tool, extra):
    cfg = {**QWEN_DIMS, "rope_scaling": YARN_4X}
    inside = run_tool(tool, {"hf_config": cfg, "context_tokens": 131072, **extra})
    assert not inside.is_error, inside.result
    assert not any("context window" in w for w in inside.result.get("warnings", []))
    beyond = run_tool(tool, {"hf_config": cfg, "context_tokens": 131073, **extra})
    assert any("context window of 131,072 tokens" in w for w in beyond.result.get("warnings", [])), beyond.result


def test_bad_rope_scaling_is_a_structured_error():
    with pytest.raises(InvalidInput) as exc:
        read_hf_config({**QWEN_DIMS, "rope_scaling": {"type": "yarn", "factor": "4",
                                                      "original_max_position_embeddings": 32768}})
    assert exc.value.field == "hf_config.rope_scaling.factor"
