"""Fixed per-sequence state (linear / SSM layers) beside per-token KV: numeric laws, the inverse answers,
and how kv_cache, memory_estimate and hardware_fit report it."""

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from modelmath.tools.errors import InvalidInput
from modelmath.tools.model.formats import kv_format
from modelmath.tools.model.hf_config import read_hf_config
from modelmath.tools.model.kv import (
    bytes_for_sequence,
    kv_bytes_for_sequence,
    kv_layout,
    max_context_for_budget,
    max_sequences_for_budget,
)
from modelmath.tools.model.mixers import LinearMixer
from modelmath.tools.model.params import parameter_count
from modelmath.tools.model.shape import ModelShape
from modelmath.tools.registry import run_tool

CASES = {c["slug"]: c for c in json.loads(
    (Path(__file__).parent / "data" / "transformers_counts.json").read_text())["cases"]}
QWEN3_NEXT = CASES["qwen3-next-80b-a3b"]["config"]  # copied config (see the data file)
MAMBA_CODESTRAL = CASES["mamba-codestral-7b"]["config"]

_MIXERS = st.sampled_from([
    LinearMixer("mamba2", num_heads=8, head_dim=16, state_size=32, num_groups=2, inner_size=128, conv_kernel=4),
    LinearMixer("mamba", inner_size=128, state_size=16, conv_kernel=4, dt_rank=4),
    LinearMixer("gated_deltanet", num_heads=4, head_dim=32, num_groups=2, state_size=32, conv_kernel=4),
    LinearMixer("lightning", num_heads=4, head_dim=16),
    LinearMixer("short_conv", inner_size=64, conv_kernel=3),
])


@st.composite
def hybrid_shapes(draw):
    n = draw(st.integers(1, 12))
    kinds = tuple(draw(st.lists(st.sampled_from(["full", "sliding", "chunked", "linear", "hybrid", "none"]),
                                min_size=n, max_size=n)))
    return ModelShape(vocab_size=1000, hidden_size=64, num_layers=n, num_heads=4, num_kv_heads=draw(
        st.sampled_from([1, 2, 4])), intermediate_size=128, layer_types=kinds,
        sliding_window=draw(st.integers(1, 5000)), attention_chunk_size=draw(st.integers(1, 5000)),
        linear=draw(_MIXERS))


@settings(max_examples=150, deadline=None)
@given(hybrid_shapes(), st.integers(0, 200_000), st.integers(0, 200_000), st.sampled_from(["fp32", "bf16"]))
def test_state_is_independent_of_context_and_kv_never_shrinks(shape, a, b, state_dtype):
    lay = kv_layout(shape, kv_format("bf16"), state_dtype)
    lo, hi = sorted((a, b))
    assert bytes_for_sequence(lay, a) - kv_bytes_for_sequence(lay, a) == lay.state_bytes_per_sequence
    assert bytes_for_sequence(lay, b) - kv_bytes_for_sequence(lay, b) == lay.state_bytes_per_sequence
    assert kv_bytes_for_sequence(lay, lo) <= kv_bytes_for_sequence(lay, hi)
    # Past every window, only the layers that keep every token grow: exactly linear from there.
    past = max([w for _, w, _ in lay.windowed], default=0)
    grow = kv_bytes_for_sequence(lay, past + hi) - kv_bytes_for_sequence(lay, past + lo)
    assert grow == (hi - lo) * lay.bytes_per_token_per_layer * lay.full_layers


@settings(max_examples=150, deadline=None)
@given(hybrid_shapes(), st.integers(0, 4 * 2**30), st.integers(1, 64))
def test_max_context_is_the_exact_inverse(shape, budget, batch):
    lay = kv_layout(shape, kv_format("bf16"))
    if lay.caching_layers == 0 and lay.state_layers == 0:
        return
    ctx = max_context_for_budget(lay, budget, batch)
    if budget // batch < lay.state_bytes_per_sequence:
        assert ctx == 0  # not even the fixed state fits
    elif ctx is None:  # unbounded: nothing keeps every token, and the capped cache fits
        assert lay.full_layers == 0 and batch * bytes_for_sequence(lay, 10**9) <= budget
    else:
        assert batch * bytes_for_sequence(lay, ctx) <= budget < batch * bytes_for_sequence(lay, ctx + 1)


@settings(max_examples=150, deadline=None)
@given(hybrid_shapes(), st.integers(1, 4 * 2**30), st.integers(1, 300_000))
def test_max_sequences_is_the_exact_inverse(shape, budget, context):
    lay = kv_layout(shape, kv_format("bf16"))
    per_seq = bytes_for_sequence(lay, context)
    n = max_sequences_for_budget(lay, budget, context)
    if per_seq:
        assert n * per_seq <= budget < (n + 1) * per_seq


@settings(max_examples=100, deadline=None)
@given(hybrid_shapes())
def test_fp32_state_doubles_only_the_recurrent_part(shape):
    f32, b16 = (kv_layout(shape, kv_format("bf16"), d) for d in ("fp32", "bf16"))
    assert f32.recurrent_state_bytes_per_layer == 2 * b16.recurrent_state_bytes_per_layer
    assert f32.conv_state_bytes_per_layer == b16.conv_state_bytes_per_layer


@settings(max_examples=100, deadline=None)
@given(hybrid_shapes())
def test_layer_order_does_not_change_counts(shape):
    # Parameters and cache sizes are sums over layers: reversing the order changes neither.
    rev = ModelShape(**{**shape.__dict__, "layer_types": shape.layer_types[::-1]})
    assert parameter_count(rev).total == parameter_count(shape).total
    a, b = kv_layout(shape, kv_format("bf16")), kv_layout(rev, kv_format("bf16"))
    assert bytes_for_sequence(a, 12345) == bytes_for_sequence(b, 12345)


def test_a_linear_layer_swaps_attention_weights_for_mixer_weights():
    # Same 2-layer shape with layer 0 full vs linear: the difference is exactly attention out, mixer in.
    mixer = LinearMixer("mamba2", num_heads=8, head_dim=16, state_size=32, num_groups=2, inner_size=128,
                        conv_kernel=4)
    base = dict(vocab_size=1000, hidden_size=64, num_layers=2, num_heads=4, intermediate_size=128, linear=mixer)
    full = parameter_count(ModelShape(**base, layer_types=("full", "full")))
    lin = parameter_count(ModelShape(**base, layer_types=("linear", "full")))
    # Mamba-2 by hand, hidden 64: in_proj 64 x (2*128 + 2*2*32 + 8) = 64 x 392; depthwise conv over
    # 128 + 2*2*32 = 256 channels x kernel 4 (no conv bias); dt_bias, A_log, D 3 x 8; gated norm 128;
    # out_proj 128 x 64.
    mamba = 64 * 392 + 256 * 4 + 24 + 128 + 128 * 64
    attention = 4 * 64 * 64  # q, k, v, o at 4 heads x 16
    assert full.total - lin.total == attention - mamba
    assert lin.linear_mixers == mamba


# -- tools -------------------------------------------------------------------------------------------

def test_kv_cache_reports_state_separately_and_budget_uses_both():
    # Qwen3-Next-80B-A3B by hand (test_transformers_counts.py): 24,576 B of KV per token (12 full layers),
    # 77,856,768 B of state per sequence (36 gated-DeltaNet layers, fp32 recurrent state).
    out = run_tool("kv_cache", {"hf_config": QWEN3_NEXT, "context_tokens": 32768, "batch_size": 4,
                                "memory_budget_gib": 8}).result
    assert out["bytes_per_token"] == 24_576 and out["state_bytes_per_sequence"] == 77_856_768
    assert out["total_bytes"] == 4 * (24_576 * 32768 + 77_856_768)
    rows = {r["type"]: r for r in out["by_layer_type"]}
    assert rows["state"]["layers"] == 36 and rows["state"]["mixer"] == "gated_deltanet"
    assert rows["state"]["bytes"] == 4 * 77_856_768
    budget = 8 * 2**30
    assert out["budget"]["max_context_tokens_at_batch"] == (budget // 4 - 77_856_768) // 24_576
    assert out["budget"]["max_sequences_at_context"] == budget // (24_576 * 32768 + 77_856_768)
    assert any("fixed state" in a for a in out["assumptions"])


def test_pure_state_model_has_unbounded_context_until_state_does_not_fit():
    # Mamba-Codestral: no attention; 273,678,336 B per sequence (by hand in test_transformers_counts.py).
    ok = run_tool("kv_cache", {"hf_config": MAMBA_CODESTRAL, "context_tokens": 1_000_000,
                               "memory_budget_gb": 1}).result
    assert ok["bytes_per_token"] == 0 and ok["total_bytes"] == 273_678_336
    assert ok["budget"]["max_context_tokens_at_batch"] is None
    assert ok["budget"]["max_sequences_at_context"] == 10**9 // 273_678_336  # = 3
    too_many = run_tool("kv_cache", {"hf_config": MAMBA_CODESTRAL, "context_tokens": 10, "batch_size": 4,
                                     "memory_budget_gb": 1}).result
    assert too_many["budget"]["max_context_tokens_at_batch"] == 0
    assert any("fixed state" in w for w in too_many["warnings"])


def test_state_dtype_input():
    bf16 = run_tool("kv_cache", {"hf_config": QWEN3_NEXT, "context_tokens": 1, "state_dtype": "bf16"}).result
    # 36 x (conv 8192 x 4 x 2 + recurrent 32 x 128 x 128 x 2)
    assert bf16["state_bytes_per_sequence"] == 36 * (8192 * 4 * 2 + 32 * 128 * 128 * 2)
    bad = run_tool("kv_cache", {"hf_config": QWEN3_NEXT, "context_tokens": 1, "state_dtype": "int4"})
    assert bad.is_error and bad.result["error"]["field"] == "state_dtype"


def test_memory_estimate_adds_the_state():
    out = run_tool("memory_estimate", {"hf_config": QWEN3_NEXT, "context_tokens": 8192, "batch_size": 2}).result
    assert out["state_bytes"] == 2 * 77_856_768
    assert out["kv_cache_bytes"] == 2 * 24_576 * 8192
    assert out["total_bytes"] == (out["weights_bytes"] + out["kv_cache_bytes"] + out["state_bytes"]
                                  + out["activations_bytes"] + out["overhead_bytes"])
    assert out["items"]["recurrent_state"]["bytes"] == 2 * 77_856_768
    dense = run_tool("memory_estimate", {"model": "llama-3.1-8b", "context_tokens": 8192}).result
    assert dense["state_bytes"] == 0 and "recurrent_state" not in dense["items"]


def test_fit_places_the_state():
    from modelmath.tools.hardware import gpus
    from modelmath.tools.hardware.fit import place
    from modelmath.tools.model.formats import weight_format
    shape = read_hf_config(QWEN3_NEXT)[0]
    params = parameter_count(shape)
    one = place(shape, params, gpus.lookup("h200"), weight_format("fp8"), kv_format("bf16"), context=4096,
                batch=8, tp=1)
    two = place(shape, params, gpus.lookup("h200"), weight_format("fp8"), kv_format("bf16"), context=4096,
                batch=8, tp=2)
    assert one.state_per_sequence == 77_856_768 and one.kv_per_sequence == 24_576 * 4096 + 77_856_768
    # Two GPUs: KV heads (2) shard one each, the state's heads shard in half.
    assert two.state_per_sequence == 77_856_768 // 2
    assert two.kv_per_sequence == 24_576 * 4096 // 2 + 77_856_768 // 2


@pytest.mark.parametrize("arch,field", [
    ({"layer_types": ["linear", "full"]}, "linear_kind"),
    ({"layer_types": ["linear", "full"], "linear_heads": 4}, "architecture.linear_kind"),
    ({"layer_types": ["linear", "full"], "linear_kind": "mamba2", "linear_heads": 4}, "linear_state_size"),
    ({"layer_types": ["chunked", "full"]}, "attention_chunk_size"),
    ({"kv_shared_layers": 2}, "kv_shared_layers"),
    ({"index_heads": 4, "index_head_dim": 32}, "architecture.index_head_dim"),
])
def test_bad_architecture_fields_name_the_field(arch, field):
    base = {"vocab_size": 1000, "hidden_size": 64, "layers": 2, "heads": 4, "intermediate_size": 128}
    out = run_tool("kv_cache", {"architecture": {**base, **arch}, "context_tokens": 10})
    assert out.is_error and out.result["error"]["field"] == field, out.result


def test_architecture_mamba2_state_by_hand():
    # linear_heads 32 x head_dim 64 (inner 2048), state 128, groups 1, kernel 4: conv (2048 + 2 x 128) x 4 x 2 B,
    # recurrent 32 x 64 x 128 x 4 B, for each of 3 linear layers; one full layer: 2 x 8 x 128 x 2 B per token.
    arch = {"vocab_size": 32000, "hidden_size": 1024, "layers": 4, "heads": 8, "intermediate_size": 4096,
            "layer_types": ["linear", "linear", "linear", "full"], "linear_kind": "mamba2", "linear_heads": 32,
            "linear_head_dim": 64, "linear_state_size": 128, "linear_conv_kernel": 4}
    out = run_tool("kv_cache", {"architecture": arch, "context_tokens": 1000}).result
    assert out["state_bytes_per_sequence"] == 3 * ((2048 + 256) * 4 * 2 + 32 * 64 * 128 * 4)
    assert out["bytes_per_token"] == 2 * 8 * 128 * 2


def test_mixer_validation():
    with pytest.raises(InvalidInput):
        LinearMixer("rwkv")
    with pytest.raises(InvalidInput):
        LinearMixer("gated_deltanet", num_heads=6, head_dim=8, num_groups=4, state_size=8, conv_kernel=4)


def test_deltanet_state_is_key_dim_by_value_dim():
    # transformers Qwen3-Next chunk_gated_delta_rule: recurrent state [batch, num_v_heads, k_head_dim, v_head_dim];
    # conv over q, k (key heads x key dim each) and v (value heads x value dim). With key dim 64 != value dim 128:
    mixer = LinearMixer("gated_deltanet", num_heads=4, head_dim=128, num_groups=2, state_size=64, conv_kernel=4)
    assert mixer.recurrent_state_elements == 4 * 64 * 128
    assert mixer.conv_state_elements == (2 * 2 * 64 + 4 * 128) * 4


def test_minimax_lightning_state_defaults_to_the_model_dtype():
    # MiniMax-Text-01 (config in the data file): 70 lightning layers, 64 heads of head_dim 128. transformers keeps
    # the lightning state [B, heads, head_dim, head_dim] in the model dtype (the research cache probe of a bf16
    # forward saw MiniMaxCache.linear_cache [1, 64, 128, 128] bfloat16), and vLLM refuses a float32 state for it
    # (MambaStateDtypeCalculator.linear_attention_state_dtype). By hand: 70 x 64 x 128 x 128 x 2 B = 146,800,640.
    cfg = CASES["minimax-text-01"]["config"]
    out = run_tool("kv_cache", {"hf_config": cfg, "context_tokens": 1000})
    assert not out.is_error, out.result
    assert out.result["state_bytes_per_sequence"] == 70 * 64 * 128 * 128 * 2 == 146_800_640
    assert out.result["state_dtype"] == "bf16"
    assert any("MiniMax lightning" in a for a in out.result["assumptions"])
    fp32 = run_tool("kv_cache", {"hf_config": cfg, "context_tokens": 1000, "state_dtype": "fp32"}).result
    assert fp32["state_bytes_per_sequence"] == 2 * 146_800_640  # asked for: 4 bytes per element
    mem = run_tool("memory_estimate", {"hf_config": cfg, "context_tokens": 1000}).result
    assert mem["state_bytes"] == 146_800_640
    # Mamba-2 keeps its float32 default (Mamba-Codestral: 64 layers x 128 heads x 64 x 128 state x 4 B SSM
    # + (8,192 + 2 x 8 x 128) channels x 4 taps x 2 B conv = 4,276,224 B per layer; transformers' probe: 273,678,336).
    cod = run_tool("kv_cache", {"hf_config": MAMBA_CODESTRAL, "context_tokens": 1000}).result
    assert cod["state_bytes_per_sequence"] == 64 * (128 * 64 * 128 * 4 + 10_240 * 4 * 2) == 273_678_336
