"""Inference memory: weight formats against llama.cpp's published file sizes and hand derivations."""

from fractions import Fraction

import pytest
from modelmath.tools.model.formats import kv_format, weight_format
from modelmath.tools.model.memory import memory_estimate, weight_bytes
from modelmath.tools.model.params import parameter_count
from modelmath.tools.model.resolve import resolve_model
from modelmath.tools.model.tools import memory_report

GiB = 2**30
LLAMA3_8B_PARAMS = 8_030_261_248  # hand-derived in test_params.py


def params(model_id):
    return parameter_count(resolve_model({"model": model_id}).shape)


@pytest.mark.parametrize("fmt,table_gib", [
    # llama.cpp tools/quantize/quantize.cpp QUANT_OPTIONS, sizes of Llama-3-8B files ("G" = GiB):
    # Q8_0 7.96G, Q6_K 6.14G. Pure block formats; small f32 norms explain the last 0.2%.
    ("q8_0", 7.96),
    ("q6_k", 6.14),
    # Mixes: Q4_K_M 4.58G, Q5_K_M 5.33G (our averages come from these rows).
    ("q4_k_m", 4.58),
    ("q5_k_m", 5.33),
])
def test_gguf_sizes_match_llama_cpp_table(fmt, table_gib):
    b, _, _ = weight_bytes(params("llama-3-8b"), weight_format(fmt))
    assert abs(b / GiB - table_gib) / table_gib < 0.005


def test_block_format_bits_by_hand():
    # ggml block layouts: Q8_0 = 32 int8 + fp16 scale = 34 bytes/32 weights = 8.5 bits;
    # Q6_K = 210 bytes/256 = 6.5625; Q4_K = 144/256 = 4.5; IQ4_XS = 136/256 = 4.25.
    assert weight_format("q8_0").bits_per_weight == Fraction(17, 2)
    assert weight_format("q6_k").bits_per_weight == Fraction(105, 16)
    assert weight_format("q4_k").bits_per_weight == Fraction(9, 2)
    assert weight_format("iq4_xs").bits_per_weight == Fraction(17, 4)
    # OCP MX v1.0: 32 FP4 values + one E8M0 scale = 4.25 bits. QLoRA §3: NF4 + double quant = 4.127 bits.
    assert weight_format("mxfp4").bits_per_weight == Fraction(17, 4)
    assert round(float(weight_format("nf4").bits_per_weight), 3) == 4.127
    # transformers load_in_4bit defaults (bnb_4bit_quant_type "fp4", no double quant) with bitsandbytes' block of
    # 64 and an fp32 absmax per block: 64 x 4 bits + 32 bits = 288 bits per 64 weights = 4.5 bits.
    assert weight_format("bnb_fp4").bits_per_weight == Fraction(288, 64)
    assert weight_format("load_in_4bit").name == "bnb_fp4"
    # NVIDIA NVFP4: 16 E2M1 values (8 bytes) + one FP8 E4M3 scale (1 byte) = 9 bytes per 16 = 4.5 bits; the
    # per-tensor FP32 scale is negligible (NVIDIA NVFP4 blog; NeMo AutoModel: "0.5625 bytes per parameter").
    assert weight_format("nvfp4").bits_per_weight == Fraction(9, 2)
    assert weight_format("modelopt_fp4").name == "nvfp4"


def test_nvfp4_keeps_embeddings_and_head_16bit():
    # ModelOpt NVFP4 checkpoints quantize the Linear layers only. Llama-3.1-8B: 2 x 525,336,576 embedding/head
    # params in bf16, the other 6,979,588,096 at 4.5 bits = 3,926,018,304 bytes.
    keep = 2 * 128256 * 4096
    b, quant, kept = weight_bytes(params("llama-3.1-8b"), weight_format("nvfp4"))
    assert (quant, kept) == (LLAMA3_8B_PARAMS - keep, keep)
    assert b == (LLAMA3_8B_PARAMS - keep) * 9 // 16 + 2 * keep


def test_16bit_weights_exact():
    b, quant, keep = weight_bytes(params("llama-3.1-8b"), weight_format("bf16"))
    assert b == 2 * LLAMA3_8B_PARAMS and keep == 0


def test_linear_only_formats_keep_embeddings_16bit():
    # Llama-3.1-8B: embedding 128256*4096 = 525,336,576 and untied head of the same size stay bf16;
    # the other 6,979,588,096 weights at 4 + 20/128 bits (GPTQ g128: fp16 scale + 4-bit zero per group).
    keep = 2 * 128256 * 4096
    rest = LLAMA3_8B_PARAMS - keep
    expected = -(-rest * (4 * 128 + 20) // (128 * 8)) + 2 * keep
    assert weight_bytes(params("llama-3.1-8b"), weight_format("gptq"))[0] == expected
    # transformers' Linear4bit replaces nn.Linear only (embeddings are nn.Embedding; lm_head is skipped by
    # get_keys_to_not_convert): 4.5 bits on the rest = 9 bytes per 16 weights.
    assert weight_bytes(params("llama-3.1-8b"), weight_format("bnb_fp4"))[0] == rest * 9 // 16 + 2 * keep


def test_memory_items_add_up_and_kv_matches_by_hand():
    r = memory_report(resolve_model({"model": "llama-3.1-70b"}),
                      {"weight_dtype": "fp8", "context_tokens": 32768, "batch_size": 2})
    assert r["kv_cache_bytes"] == 2 * 32768 * 327_680  # 320 KiB/token (see test_kv.py)
    parts = r["weights_bytes"] + r["kv_cache_bytes"] + r["activations_bytes"] + r["overhead_bytes"]
    assert r["total_bytes"] == parts
    assert r["total_gib"] == round(parts / GiB, 3)
    assert r["overhead_bytes"] == GiB  # the stated default
    assert any("overhead" in a for a in r["assumptions"])


def test_context_zero_means_no_kv_and_says_so():
    # No context at all now means the inference default of 8,192 (tests/tools/test_defaults.py); 0 is asked.
    r = memory_report(resolve_model({"model": "llama-3.1-8b"}), {"context_tokens": 0})
    assert r["kv_cache_bytes"] == 0
    assert any("KV cache not included" in a for a in r["assumptions"])


def test_overhead_override():
    r = memory_report(resolve_model({"model": "llama-3.1-8b"}), {"overhead_gib": 0.5})
    assert r["overhead_bytes"] == GiB // 2


def test_activation_peak_by_hand():
    # Llama-3.1-8B, one 8,192-token prefill chunk (the default), bf16: per token 2*4096 (residual + normed)
    # + max(attention q,o + k,v = 2*4096 + 2*1024, MLP gate/up/product = 3*14336) = 8192 + 43008 values,
    # x 2 bytes; plus fp32 logits of one sequence: 128256 * 4 bytes.
    r = memory_report(resolve_model({"model": "llama-3.1-8b"}), {"context_tokens": 100_000})
    assert r["activations_bytes"] == 8192 * (8192 + 3 * 14336) * 2 + 128256 * 4


@pytest.mark.parametrize("name", ["q3_k_xl", "", "int3"])
def test_unknown_weight_format(name):
    from modelmath.tools.errors import UnknownName

    with pytest.raises(UnknownName) as exc:
        weight_format(name)
    assert "q4_k_m" in exc.value.allowed


def test_mxfp4_moe_quantizes_experts_only():
    # gpt-oss model card: MoE weights in MXFP4 (4.25 bits: 32 FP4 values + an 8-bit scale), the rest bf16.
    # gpt-oss-120b: routed experts 36 layers x 128 experts x (2880 x 5760 + 5760 + 2880 x 2880 + 2880)
    # (gate_up and down with biases) = 114,701,598,720 (the card's "MLP 114.71B").
    experts = 36 * 128 * (2880 * 5760 + 5760 + 2880 * 2880 + 2880)
    assert experts == 114_701_598_720
    c = params("gpt-oss-120b")
    b, quant, keep = weight_bytes(c, weight_format("mxfp4"))
    assert (quant, keep) == (experts, c.total - experts)
    assert b == experts * 17 // 32 + 2 * (c.total - experts)  # 4.25 bits = 17/32 bytes; divides exactly


def test_bitsandbytes_4bit_prefill_holds_one_dequantized_linear():
    # bitsandbytes MatMul4Bit.forward dequantizes the whole weight to 16-bit for inputs of more than one token; a
    # one-token decode uses the fused 4-bit GEMV. Llama-3.1-8B's widest Linear is gate/up: 4096 x 14336 weights,
    # 2 bytes each = 117,440,512 bytes on top of the activations of the same prefill in another 4-bit format.
    shape = resolve_model({"model": "llama-3.1-8b"}).shape
    p = params("llama-3.1-8b")

    def acts(fmt, context):
        return memory_estimate(shape, p, weight_format(fmt), kv_format("bf16"), context=context, batch=1).activations

    assert acts("bnb_fp4", 100) - acts("gptq", 100) == 2 * 4096 * 14336
    assert acts("nf4", 100) - acts("gptq", 100) == 2 * 4096 * 14336
    assert acts("bnb_fp4", 1) == acts("gptq", 1)


def test_memory_band_never_below_the_resident_weights():
    # A measured peak cannot be smaller than the weights the process holds: whatever the calibration quantile,
    # the band's low end is at least weights_bytes (+ recurrent state), and says so when raised.
    from modelmath.tools.model.catalog import entries
    from modelmath.tools.registry import run_tool

    for e in entries():
        if e.speculative:
            continue
        out = run_tool("memory_estimate", {"model": e.id, "context_tokens": 1}).result
        floor = out["weights_bytes"] + out["state_bytes"]
        assert out["total_band"]["low"] >= floor, e.id
        assert out["total_band"]["low"] <= out["total_band"]["mid"] <= out["total_band"]["high"], e.id
        if out["total_band"]["low"] == floor:
            assert "capped" in out["band"], e.id
