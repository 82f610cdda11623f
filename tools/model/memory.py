"""Inference memory: weights in a real storage format + KV cache + activation peak + runtime overhead.

Every term is an integer byte count; the assumptions behind the two estimated terms (activations,
overhead) travel with the result and can be overridden.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..units import GiB
from .formats import KVFormat, WeightFormat
from .kv import DEFAULT_STATE_DTYPE, kv_bytes_for_sequence, kv_layout
from .params import ParamCount
from .shape import ModelShape

DEFAULT_OVERHEAD_BYTES = 1 * GiB
DEFAULT_PREFILL_CHUNK_TOKENS = 8192
ACT_BYTES = 2  # activations in bf16/fp16
LOGIT_BYTES = 4  # logits are upcast to fp32 before sampling (transformers, vLLM)

# Formats that quantize the Linear layers only: embeddings and an untied LM head stay in 16-bit, as in
# AutoAWQ/AutoGPTQ/bitsandbytes/llm-compressor checkpoints. GGUF averages already include them.
_LINEAR_ONLY = {"fp8", "int8", "int4", "gptq", "awq", "nf4", "bnb_fp4", "mxfp4", "nvfp4"}


@dataclass(frozen=True)
class MemoryEstimate:
    weights: int
    weights_quantized_params: int
    weights_16bit_params: int
    kv_cache: int
    activations: int
    overhead: int
    prefill_tokens: int
    state: int = 0  # fixed per-sequence state of linear/SSM layers, whole batch

    @property
    def total(self) -> int:
        return self.weights + self.kv_cache + self.state + self.activations + self.overhead


def weight_bytes(params: ParamCount, fmt: WeightFormat) -> tuple[int, int, int]:
    """(bytes, params in `fmt`, params kept at 16-bit)."""
    if fmt.stored is not None:  # a checkpoint's exact stored bytes, scales included
        return fmt.stored.total, params.total, 0
    if fmt.name == "mxfp4" and params.routed_experts:
        # gpt-oss convention (its model card): only the MoE expert weights are MXFP4; attention, router,
        # embeddings and head stay bf16.
        quant = params.routed_experts
        keep = params.total - quant
    else:
        keep = params.embeddings + params.lm_head if fmt.name in _LINEAR_ONLY else 0
        quant = params.total - keep
    bits = quant * fmt.bits_per_weight
    return int(-(-bits // 8)) + keep * 2, quant, keep


def activation_peak(shape: ModelShape, tokens: int, batch: int) -> int:
    """Widest transient of one layer's forward over `tokens` tokens, plus the fp32 logits of the last
    position of each sequence. Assumes a fused attention kernel (FlashAttention/SDPA): no T×T scores."""
    h = shape.hidden_size
    if shape.mla is not None:
        m = shape.mla
        attn = shape.num_heads * (2 * (m.qk_nope_head_dim + m.qk_rope_head_dim) + 2 * m.v_head_dim)
    else:
        attn = shape.num_heads * shape.head_dim * 2 + 2 * shape.num_kv_heads * shape.head_dim
    if shape.linear is not None:  # a state-space / linear-attention mixer's input projection
        attn = max(attn, shape.linear.projection_width(h))
    if shape.moe is not None:
        widths = shape.moe.experts_per_token * shape.moe.expert_intermediate_size + shape.moe.shared_intermediate_size
        inter = max(widths, shape.intermediate_size if shape.moe.dense_layers else 0)
    else:
        inter = shape.intermediate_size
    mlp = inter * (3 if shape.ffn == "gated" else 2)  # gate, up and their product (or fc and activation)
    per_token = 2 * h + max(attn, mlp)  # residual stream + normed input, then the wider of the two blocks
    return tokens * per_token * ACT_BYTES + batch * shape.vocab_size * LOGIT_BYTES


# bitsandbytes 4-bit Linear layers multiply a single token with a fused 4-bit GEMV, but any larger input goes through
# MatMul4Bit, whose forward dequantizes the whole weight to the input's 16-bit dtype first (bitsandbytes
# autograd/_functions.py matmul_4bit / MatMul4Bit.forward): a prefill holds one Linear's 16-bit copy at a time.
_DEQUANT_PREFILL = {"nf4", "bnb_fp4"}


def _largest_linear_params(shape: ModelShape) -> int:
    """Weights of the widest Linear of a layer (what one bitsandbytes 4-bit matmul dequantizes at once)."""
    outs = [shape.num_heads * shape.head_dim, shape.num_kv_heads * shape.head_dim]
    if shape.moe is None or shape.moe.dense_layers:
        outs.append(shape.intermediate_size)
    if shape.moe is not None:
        outs += [shape.moe.expert_intermediate_size, shape.moe.shared_intermediate_size]
    return shape.hidden_size * max(outs)


def memory_estimate(shape: ModelShape, params: ParamCount, wfmt: WeightFormat, kvfmt: KVFormat, *,
                    context: int, batch: int, overhead_bytes: int = DEFAULT_OVERHEAD_BYTES,
                    prefill_chunk_tokens: int | None = None,
                    state_dtype: str | None = DEFAULT_STATE_DTYPE) -> MemoryEstimate:
    w, quant, keep = weight_bytes(params, wfmt)
    layout = kv_layout(shape, kvfmt, state_dtype)
    kv = batch * kv_bytes_for_sequence(layout, context)
    # A sequence slot holds its state from the first token (vLLM allocates it per running sequence).
    state = batch * layout.state_bytes_per_sequence if context else 0
    chunk = prefill_chunk_tokens or DEFAULT_PREFILL_CHUNK_TOKENS
    prefill = min(chunk, context * batch)
    acts = activation_peak(shape, prefill, batch)
    if wfmt.name in _DEQUANT_PREFILL and prefill > batch:
        acts += ACT_BYTES * _largest_linear_params(shape)
    return MemoryEstimate(weights=w, weights_quantized_params=quant, weights_16bit_params=keep, kv_cache=kv,
                          activations=acts, overhead=overhead_bytes, prefill_tokens=prefill, state=state)
