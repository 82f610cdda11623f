"""Silent nonsense is refused or stated: impossible combinations come back as a structured error naming the
field and what is allowed; what a reader filled in (family defaults, a 4 x hidden FFN) is in `assumptions`;
tool errors point at tools, never at CLI commands."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from click.testing import CliRunner
from modelmath.plugin.cli.main import cli
from modelmath.tools.registry import run_tool

TOOLS_DIR = Path(__file__).resolve().parents[2] / "tools"


def error(tool: str, inp: dict) -> dict:
    out = run_tool(tool, inp)
    assert out.is_error, out.result
    return out.result["error"]


def ok(tool: str, inp: dict) -> dict:
    out = run_tool(tool, inp)
    assert not out.is_error, out.result
    return out.result


# -- LoRA ------------------------------------------------------------------------------------------------

def test_lora_rank_above_the_smallest_adapted_dimension():
    # Llama-3.1-8B config: hidden 4096, 32 heads, 8 KV heads of 128 → k_proj/v_proj are 4096 x 1024, so
    # with every linear adapted the smallest dimension is 1024 (the MLP's 4096 x 14336 is larger).
    e = error("training_memory", {"model": "llama-3.1-8b", "method": "lora", "lora_rank": 1025})
    assert e["field"] == "lora_rank" and e["allowed"] == "1..1024" and "1,024" in e["message"]
    r = ok("training_memory", {"model": "llama-3.1-8b", "method": "lora", "lora_rank": 1024})
    assert r["lora"]["rank"] == 1024
    # q_proj alone is 4096 x 4096: rank 4096 is its ceiling. Adapter params = 32 layers x r x (4096 + 4096).
    r = ok("training_memory", {"model": "llama-3.1-8b", "method": "lora", "lora_rank": 4096,
                               "lora_targets": ["q_proj"]})
    assert r["trainable_params"] == 32 * 4096 * (4096 + 4096)
    assert error("training_memory", {"model": "llama-3.1-8b", "method": "lora", "lora_rank": 4097,
                                     "lora_targets": ["q_proj"]})["allowed"] == "1..4096"


def test_the_issue_example_100000_rank_is_refused():
    # Was: 262 billion trainable parameters on an 8-billion-parameter model.
    assert error("training_memory", {"model": "llama-3.1-8b", "method": "lora", "lora_rank": 100_000})[
        "field"] == "lora_rank"


@pytest.mark.parametrize("extra", [{"lora_rank": 8}, {"lora_targets": ["q_proj"]}])
def test_lora_options_with_full_fine_tuning(extra):
    e = error("training_memory", {"model": "llama-3.1-8b", **extra})
    assert e["field"] in extra and "method is full (the default)" in e["message"]
    assert e["allowed"] == ["lora", "qlora"]
    e = error("training_memory", {"model": "llama-3.1-8b", "method": "full", **extra})
    assert "(the default)" not in e["message"]


# -- speed ---------------------------------------------------------------------------------------------

def test_prompt_longer_than_context():
    e = error("speed_estimate", {"model": "llama-3.1-8b", "gpu": "h100", "context_tokens": 1000,
                                 "prompt_tokens": 100_000})
    assert e["field"] == "prompt_tokens" and e["allowed"] == "1..1000"
    # Without context_tokens a prompt sets it (prompt + output, tests/tools/hardware/test_speed.py): no error.
    out = ok("speed_estimate", {"model": "llama-3.1-8b", "gpu": "h100", "prompt_tokens": 9000})
    assert out["context_tokens"] == 9000
    e = error("speed_estimate", {"model": "llama-3.1-8b", "gpu": "h100", "context_tokens": 1000,
                                 "prompt_tokens": 900, "output_tokens": 101})
    assert e["field"] == "output_tokens" and e["allowed"] == "1..100"
    assert ok("speed_estimate", {"model": "llama-3.1-8b", "gpu": "h100", "context_tokens": 1000,
                                 "prompt_tokens": 1000})["prompt_tokens"] == 1000


# -- explicit architectures ----------------------------------------------------------------------------------

DENSE = {"vocab_size": 1000, "hidden_size": 512, "layers": 48, "heads": 8, "intermediate_size": 2048}


@pytest.mark.parametrize(("extra", "field"), [
    ({"dense_layers": 100}, "architecture.dense_layers"),  # the issue's example: 100 dense layers of 48
    ({"dense_layers": 2}, "architecture.dense_layers"),  # any: there are no MoE layers to be dense instead of
    ({"shared_intermediate_size": 1024}, "architecture.shared_intermediate_size"),
    ({"q_lora_rank": 64}, "architecture.q_lora_rank"),
])
def test_fields_that_need_others(extra, field):
    assert error("parameter_count", {"architecture": {**DENSE, **extra}})["field"] == field


def test_moe_dense_layers_beyond_the_layer_count():
    moe = {**DENSE, "num_experts": 8, "experts_per_token": 2, "expert_intermediate_size": 1024}
    assert error("parameter_count", {"architecture": {**moe, "dense_layers": 48}})["field"] == \
        "architecture.dense_layers"
    assert not run_tool("parameter_count", {"architecture": {**moe, "dense_layers": 47}}).is_error


def test_kv_heads_with_mla():
    mla = {**DENSE, "kv_lora_rank": 64, "qk_nope_head_dim": 32, "qk_rope_head_dim": 16, "v_head_dim": 32}
    assert error("kv_cache", {"architecture": {**mla, "kv_heads": 2}, "context_tokens": 8})["field"] == \
        "architecture.kv_heads"


def test_standard_ffn_defaults_to_four_times_hidden_and_says_so():
    # GPT-2 small without intermediate_size: 4 x 768 = 3,072, the value its config implies (n_inner null), so
    # the count is GPT-2's 124,439,808 (hand count in tests/plugin/mcp/test_server.py).
    gpt2 = {"vocab_size": 50257, "hidden_size": 768, "layers": 12, "heads": 12, "ffn": "standard",
            "tied_embeddings": True, "qkv_bias": True, "o_bias": True, "mlp_bias": True, "norm": "layernorm",
            "positions": "learned", "max_position_embeddings": 1024}
    r = ok("parameter_count", {"architecture": gpt2})
    assert r["total_params"] == 124_439_808
    assert any("4 x hidden_size = 3,072" in a for a in r["assumptions"])
    e = error("parameter_count", {"architecture": {k: v for k, v in gpt2.items() if k != "ffn"}})
    assert e["field"] == "architecture.intermediate_size" and "gated" in e["message"]


# -- model inputs ----------------------------------------------------------------------------------------

def test_model_and_architecture_together_say_give_one_of():
    e = error("parameter_count", {"model": "llama-3.1-8b", "architecture": {"layers": 4}})
    assert e["message"].startswith("give one of model, hf_config or architecture")
    res = CliRunner().invoke(cli, ["params", "llama-3.1-8b", "--layers", "4"])
    assert res.exit_code == 2 and "give one of MODEL, --config FILE or architecture flags" in res.output
    assert "--layers" in res.output and "missing" not in res.output


def test_family_defaults_are_listed_in_assumptions():
    # transformers LlamaConfig defaults (configuration_llama.py): vocab 32000, hidden 4096, intermediate
    # 11008, 32 layers, 32 heads, untied. Hand count: embeddings + LM head 2 x 32000 x 4096 = 262,144,000;
    # per layer 4 x 4096^2 + 3 x 4096 x 11008 + 2 x 4096 = 202,383,360, x 32 = 6,476,267,520; final norm
    # 4,096 → 6,738,415,616 (the Llama-1 7B count).
    r = ok("parameter_count", {"hf_config": {"model_type": "llama"}})
    assert r["total_params"] == 6_738_415_616
    note = next(a for a in r["assumptions"] if "defaults" in a)
    for field in ("hidden_size 4096", "num_hidden_layers 32", "intermediate_size 11008", "vocab_size 32000"):
        assert field in note
    full = {"model_type": "llama", "vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 11008,
            "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 32,
            "max_position_embeddings": 2048, "tie_word_embeddings": False}
    assert not any("defaults" in a for a in ok("parameter_count", {"hf_config": full})["assumptions"])
    # A catalog model's config is an official copy: nothing to flag there.
    assert not any("defaults" in a for a in ok("parameter_count", {"model": "gpt2"})["assumptions"])


# -- training compute ------------------------------------------------------------------------------------

def test_achieved_tflops_above_peak_has_its_own_message():
    # H100 SXM dense BF16 peak: 989 TFLOP/s (NVIDIA datasheet, 1,979 with sparsity).
    e = error("training_compute", {"model": "llama-3.1-8b", "achieved_tflops_per_gpu": 1e9})
    assert e["field"] == "achieved_tflops_per_gpu" and "989" in e["message"] and "mfu" not in e["message"]
    assert ok("training_compute", {"model": "llama-3.1-8b", "achieved_tflops_per_gpu": 989})["mfu"] == 1.0


def test_zero_stage_out_of_range_is_about_the_stage():
    e = error("training_memory", {"model": "llama-3.1-8b", "zero_stage": 4})
    assert e["field"] == "zero_stage" and "gpu_count" not in e["message"]
    res = CliRunner().invoke(cli, ["train-memory", "llama-3.1-8b", "--zero-stage", "4"])
    assert res.exit_code == 2 and "from 0 to 3" in res.output


def test_fractional_training_tokens():
    assert error("training_compute", {"model": "gpt2", "training_tokens": 1.5})["field"] == "training_tokens"


# -- two audiences ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("tool", "inp", "see"), [
    ("parameter_count", {"model": "zzzzzzzz"}, "model_lookup"),
    ("hardware_fit", {"model": "gpt2", "gpus": ["zzzzzzzz"]}, "gpu_lookup"),
    ("gpu_lookup", {"gpu": "zzzzzzzz"}, "gpu_lookup"),
])
def test_tool_errors_point_at_tools(tool, inp, see):
    e = error(tool, inp)
    assert see in e["message"] and e["see"] == see and "modelmath " not in e["message"]


def test_lookup_tools_list_what_the_errors_point_to():
    assert len(ok("model_lookup", {})["models"]) > 50
    assert len(ok("gpu_lookup", {})["gpus"]) > 30


def test_cli_errors_name_commands_instead():
    res = CliRunner().invoke(cli, ["params", "zzzzzzzz"])
    assert res.exit_code == 2 and "`modelmath models`" in res.output and "model_lookup" not in res.output
    res = CliRunner().invoke(cli, ["gpu", "zzzzzzzz"])
    assert res.exit_code == 2 and "`modelmath gpu`" in res.output and "gpu_lookup" not in res.output


def _message_strings(path: Path) -> list[str]:
    """String literals in code, docstrings excluded."""
    tree = ast.parse(path.read_text())
    docs = {id(n.body[0].value) for n in ast.walk(tree) if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef))
            and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and id(n) not in docs]


def test_no_tool_text_names_a_cli_command():
    found = {str(p): s for p in TOOLS_DIR.rglob("*.py") for s in _message_strings(p) if "`modelmath " in s}
    assert not found
