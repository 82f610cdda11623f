"""GGUF file types laid out tensor by tensor (tools/model/gguf_quant.py), checked against hand derivations from
the ggml block layouts and llama.cpp's per-tensor rules, and against published file sizes.

Block layouts (ggml/src/ggml-common.h; also gguf-py GGML_QUANT_SIZES): Q4_K 144 B per 256 weights, Q5_K 176/256,
Q6_K 210/256, Q8_0 34/32, Q5_0 22/32, Q5_1 24/32, IQ4_XS 136/256, IQ4_NL 18/32; F32 4 B.
Rules (src/llama-quant.cpp): output → Q6_K; attn_v / ffn_down → Q6_K on use_more_bits layers (Q4_K_M, Q5_K_M);
80-layer Qwen2/Llama ("70B" type) lift Q4_K attn_v to Q5_K; rows not a multiple of the block fall back
(Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0); norms and biases stay F32.
"""

from __future__ import annotations

import dataclasses

import pytest
from modelmath.tools.errors import UnsupportedConfig
from modelmath.tools.model import catalog, gguf_quant
from modelmath.tools.model.params import parameter_count
from modelmath.tools.model.resolve import shape_from_entry
from modelmath.tools.registry import run_tool
from modelmath.tools.units import GiB

Q4K, Q5K, Q6K = (144, 256), (176, 256), (210, 256)
Q8_0, Q5_0, Q5_1 = (34, 32), (22, 32), (24, 32)


def b(elements: int, layout: tuple[int, int]) -> int:
    size, block = layout
    assert elements % block == 0
    return elements // block * size


def _est(model: str, fmt: str):
    shape = shape_from_entry(catalog.lookup(model))
    return gguf_quant.estimate(shape, parameter_count(shape), fmt)


def test_use_more_bits_layers_by_hand():
    # i < n/8 or i >= 7n/8 or (i - n/8) % 3 == 2. n = 80: 0-9, 70-79 and 12, 15, …, 69 (20 layers) → 40.
    assert sum(gguf_quant._use_more_bits(i, 80) for i in range(80)) == 10 + 10 + 20
    # n = 32: 0-3, 28-31 and 6, 9, …, 27 (8 layers) → 16.
    assert [i for i in range(32) if gguf_quant._use_more_bits(i, 32)] == [0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27,
                                                                          28, 29, 30, 31]


# Qwen2.5-72B (config: vocab 152064, hidden 8192, 80 layers, 64 heads / 8 KV heads of 128, intermediate 29568,
# untied, q/k/v biases). 29568 = 115.5 x 256: every ffn_down row falls back.
V, H, L, I_FF, KV = 152064, 8192, 80, 29568, 8 * 128
PER_LAYER_F32 = 4 * (H + 2 * KV) + 4 * 2 * H  # q/k/v biases + two RMSNorms


def test_qwen2_5_72b_q4_k_m_by_hand():
    fixed = (b(H * H, Q4K) * 2 + b(KV * H, Q4K)  # attn_q, attn_output, attn_k
             + 2 * b(I_FF * H, Q4K) + PER_LAYER_F32)  # ffn_gate, ffn_up (rows of 8192: fine)
    more_bits = b(KV * H, Q6K) + b(H * I_FF, Q8_0)  # attn_v Q6_K; ffn_down Q6_K → Q8_0
    other = b(KV * H, Q5K) + b(H * I_FF, Q5_0)  # attn_v Q4_K → Q5_K (70B type); ffn_down Q4_K → Q5_0
    expected = (L * fixed + 40 * more_bits + 40 * other
                + b(V * H, Q4K) + b(V * H, Q6K) + 4 * H)  # token_embd, output, final norm
    assert expected == 47_409_725_440
    est = _est("qwen2.5-72b", "q4_k_m")
    assert est.stored.total == expected
    assert est.stored.embeddings == b(V * H, Q4K) and est.stored.lm_head == b(V * H, Q6K)
    assert any("29,568" in f and "Q4_K → Q5_0" in f for f in est.fallbacks)


def test_qwen2_5_72b_q4_k_m_against_published_files():
    # Published Qwen2.5-72B-Instruct-Q4_K_M.gguf files (same shape as the base): 47.4 GB on the Hub
    # (https://huggingface.co/bartowski/Qwen2.5-72B-Instruct-GGUF/blob/2424239c1f328c73879222607dfc752517200588/
    # Qwen2.5-72B-Instruct-Q4_K_M.gguf and https://huggingface.co/ThomasBaruzier/Qwen2.5-72B-Instruct-GGUF/blob/
    # 445b417de562558b48120a647c1458ea3eba0836/Qwen2.5-72B-Instruct-Q4_K_M.gguf, "Size of remote file: 47.4 GB").
    # The Hub rounds to 0.1 GB (10^9 B) and the file adds its metadata (tokenizer, a few MB): weights in
    # [47.35e9 - 0.05e9, 47.45e9]. The old flat 4.899-bit estimate said 44.5 GB.
    w = _est("qwen2.5-72b", "q4_k_m").stored.total
    assert 47.30e9 <= w <= 47.45e9


def test_qwen2_5_72b_q5_k_m_by_hand_and_published():
    fixed = b(H * H, Q5K) * 2 + b(KV * H, Q5K) + 2 * b(I_FF * H, Q5K) + PER_LAYER_F32
    more_bits = b(KV * H, Q6K) + b(H * I_FF, Q8_0)  # ffn_down Q6_K → Q8_0
    other = b(KV * H, Q5K) + b(H * I_FF, Q5_1)  # the 70B lift only touches Q3_K/Q4_K; ffn_down Q5_K → Q5_1
    expected = L * fixed + 40 * more_bits + 40 * other + b(V * H, Q5K) + b(V * H, Q6K) + 4 * H
    assert _est("qwen2.5-72b", "q5_k_m").stored.total == expected == 54_441_476_096
    # Published split file (https://huggingface.co/ThomasBaruzier/Qwen2.5-72B-Instruct-GGUF, Q5_K_M/…00001-of-00002
    # 47.6 GB + …00002-of-00002 6.86 GB = 54.46 GB, each part rounded on the Hub, each with a header).
    assert 54.46e9 - 0.06e9 <= expected <= 54.46e9 + 0.055e9


@pytest.mark.parametrize("fmt,gib", [("q4_k_s", 4.37), ("q4_k_m", 4.58), ("q5_k_s", 5.21), ("q5_k_m", 5.33),
                                     ("q6_k", 6.14), ("q8_0", 7.96)])
def test_llama_3_8b_against_llama_quantize_size_table(fmt, gib):
    # llama.cpp tools/quantize/quantize.cpp QUANT_OPTIONS: "Q4_K_S 4.37G / Q4_K_M 4.58G / Q5_K_S 5.21G / Q5_K_M 5.33G /
    # Q6_K 6.14G / Q8_0 7.96G @ Llama-3-8B" (GiB, rounded to 0.01, measured once on a whole file, metadata
    # included): within 0.015 GiB.
    assert abs(_est("llama-3-8b", fmt).stored.total / GiB - gib) <= 0.015


def test_q8_0_is_every_matrix_at_34_bytes_per_32():
    # Llama 3 8B: every matrix width is a multiple of 32 and Q8_0 has no mix: (params - norms) x 34/32 + 4 x norms.
    shape = shape_from_entry(catalog.lookup("llama-3-8b"))
    p = parameter_count(shape)
    assert p.norms == 32 * 2 * 4096 + 4096
    assert gguf_quant.estimate(shape, p, "q8_0").stored.total == b(p.total - p.norms, Q8_0) + 4 * p.norms


def test_q4_k_s_by_hand():
    # Llama 3 8B Q4_K_S: attn_v of the first 4 layers and ffn_down of the first 32/8 = 4 layers → Q5_K, output Q6_K,
    # everything else Q4_K (hidden 4096, FFN 14336 = 56 x 256: no fallback).
    h, ff, kv, v, n = 4096, 14336, 1024, 128256, 32
    layer = b(h * h, Q4K) * 2 + b(kv * h, Q4K) + 2 * b(ff * h, Q4K) + 4 * 2 * h  # q, o, k, gate, up, norms
    expected = (n * layer + 4 * (b(kv * h, Q5K) + b(h * ff, Q5K)) + (n - 4) * (b(kv * h, Q4K) + b(h * ff, Q4K))
                + b(v * h, Q4K) + b(v * h, Q6K) + 4 * h)
    assert _est("llama-3-8b", "q4_k_s").stored.total == expected


def test_pure_q4_k_is_every_matrix_in_q4_k():
    # Llama 2 7B: every matrix width (4096, 11008 = 43 x 256) is a multiple of 256; --pure keeps the output Q4_K.
    shape = shape_from_entry(catalog.lookup("llama-2-7b"))
    p = parameter_count(shape)
    est = gguf_quant.estimate(shape, p, "q4_k")
    assert est.stored.total == b(p.total - p.norms, Q4K) + 4 * p.norms
    assert not est.fallbacks


def test_mixtral_eight_experts_rules():
    est = _est("mixtral-8x7b", "q4_k_m")
    # 32 layers x (attn_k + attn_v) in Q8_0 (n_expert == 8), attn_output Q5_K, half the ffn_down_exps Q6_K.
    assert est.by_type["Q8_0"][0] == 64 and est.by_type["Q5_K"][0] == 32
    assert est.by_type["Q6_K"][0] == 16 + 1  # 16 use_more_bits layers' ffn_down_exps + output


def test_tied_embedding_is_quantized_as_the_output():
    # Gemma 2B ties its 256000 x 2048 table: token_embd takes the output rule (Q6_K), and there is no output.weight.
    est = _est("gemma-2b", "q4_k_m")
    assert est.stored.embeddings == b(256000 * 2048, Q6K) and est.stored.lm_head == 0


def test_falcon_output_is_q8_0():
    # llama-quant.cpp: arch == LLM_ARCH_FALCON → output Q8_0; Falcon-7B ties it to token_embd (65024 x 4544).
    est = _est("falcon-7b", "q4_k_m")
    assert est.stored.embeddings == b(65024 * 4544, Q8_0) and est.stored.lm_head == 0


def test_every_catalog_shape_conserves_its_parameters():
    """Property: the modelled tensors plus norms plus the unmodelled remainder are exactly the parameters; the
    common families are modelled completely."""
    for e in catalog.entries():
        shape = shape_from_entry(e)
        p = parameter_count(shape)
        ts = gguf_quant.tensors(shape)
        est = gguf_quant.estimate(shape, p, "q8_0")
        assert sum(t.elements for t in ts) + p.norms + est.unmodelled_params == p.total, e.id
        if shape.linear is None and shape.per_layer_inputs is None and shape.indexer is None:
            assert est.unmodelled_params == 0, e.id


def test_an_odd_width_never_makes_a_file_smaller():
    """Property: widening the FFN from 11008 (43 x 256) to 11040 (not a multiple of 256) adds 32 columns and the
    fallback types' larger blocks, so bytes grow by more than 32/11008 of the FFN."""
    shape = shape_from_entry(catalog.lookup("llama-2-7b"))
    odd = dataclasses.replace(shape, intermediate_size=11040)
    even = gguf_quant.estimate(shape, parameter_count(shape), "q4_k_m")
    wide = gguf_quant.estimate(odd, parameter_count(odd), "q4_k_m")
    assert wide.fallbacks and not even.fallbacks
    assert wide.stored.total > even.stored.total * 11040 / 11008


def test_no_fallback_type_is_refused_like_llama_quantize():
    shape = dataclasses.replace(shape_from_entry(catalog.lookup("llama-2-7b")), intermediate_size=11000)
    with pytest.raises(UnsupportedConfig) as exc:  # 11000 is not a multiple of Q8_0's block of 32
        gguf_quant.estimate(shape, parameter_count(shape), "q8_0")
    assert exc.value.field == "weight_dtype"


def test_memory_fit_and_speed_use_the_per_tensor_bytes():
    expected = 47_409_725_440
    mem = run_tool("memory_estimate", {"model": "qwen2.5-72b", "weight_dtype": "q4_k_m", "context_tokens": 1024})
    assert mem.result["weights_bytes"] == expected
    assert any("29,568" in a for a in mem.result["assumptions"])
    fit = run_tool("hardware_fit", {"model": "qwen2.5-72b", "weight_dtype": "q4_k_m", "gpus": ["h100"]})
    assert fit.result["weights_bytes"] == expected
