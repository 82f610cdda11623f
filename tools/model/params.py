"""Exact parameter counts from a ModelShape: total, active per token (MoE), non-embedding, breakdown.

Conventions (stated in every result): counts are of trainable weights as stored in the checkpoint;
buffers (rotary tables, causal masks) are not parameters; a tied LM head is counted once.
"""

from __future__ import annotations

from dataclasses import dataclass

from .shape import ModelShape


def _norm(shape: ModelShape, width: int) -> int:
    return width * (2 if shape.norm == "layernorm" else 1)  # LayerNorm has weight + bias


def _mlp(shape: ModelShape, hidden: int, inter: int) -> int:
    mats = 3 if shape.ffn == "gated" else 2
    bias = (inter * (2 if shape.ffn == "gated" else 1) + hidden) if shape.mlp_bias else 0
    return mats * hidden * inter + bias


def attention_params(shape: ModelShape) -> tuple[int, int]:
    """(attention weights, attention-internal norms) for one layer."""
    h, nh = shape.hidden_size, shape.num_heads
    if shape.mla is not None:
        m = shape.mla
        qk = m.qk_nope_head_dim + m.qk_rope_head_dim
        if m.q_lora_rank:
            q = h * m.q_lora_rank + m.q_lora_rank * nh * qk
            norms = _norm(shape, m.q_lora_rank)
        else:
            q = h * nh * qk
            norms = 0
        kv = h * (m.kv_lora_rank + m.qk_rope_head_dim) + m.kv_lora_rank * nh * (m.qk_nope_head_dim + m.v_head_dim)
        o = nh * m.v_head_dim * h
        norms += _norm(shape, m.kv_lora_rank)
        bias = (nh * qk + m.kv_lora_rank + m.qk_rope_head_dim) * shape.qkv_bias + h * shape.o_bias
        return q + kv + o + bias, norms
    d, kv_h = shape.head_dim, shape.num_kv_heads
    q_out, kv_out = nh * d, kv_h * d
    weights = h * q_out + 2 * h * kv_out + q_out * h
    bias = (q_out + 2 * kv_out) * shape.qkv_bias + h * shape.o_bias
    sinks = nh if shape.attention_sinks else 0
    if shape.qk_norm == "per_head":
        norms = 2 * _norm(shape, d)
    elif shape.qk_norm == "full":
        norms = _norm(shape, q_out) + _norm(shape, kv_out)
    else:
        norms = 0
    return weights + bias + sinks, norms


@dataclass(frozen=True)
class ParamCount:
    total: int
    active: int
    non_embedding: int
    embeddings: int  # token (+ learned position) embeddings
    lm_head: int  # 0 when tied
    attention: int
    dense_mlp: int
    routed_experts: int
    routed_experts_active: int
    shared_experts: int
    router: int
    norms: int

    def breakdown(self) -> dict:
        return {
            "embeddings_params": self.embeddings,
            "attention_params": self.attention,
            "dense_mlp_params": self.dense_mlp,
            "routed_experts_params": self.routed_experts,
            "shared_experts_params": self.shared_experts,
            "router_params": self.router,
            "norms_params": self.norms,
            "lm_head_params": self.lm_head,
        }


def parameter_count(shape: ModelShape) -> ParamCount:
    h, n = shape.hidden_size, shape.num_layers
    emb = shape.vocab_size * h
    if shape.positions == "learned":
        emb += shape.max_position_embeddings * h
    head = 0 if shape.tied_embeddings else shape.vocab_size * h

    attn_w, attn_norms = attention_params(shape)
    attention = attn_w * n
    norms = (attn_norms + _norm(shape, h) * shape.norms_per_layer) * n + (_norm(shape, h) if shape.final_norm else 0)

    moe = shape.moe
    moe_layers = shape.moe_layer_count
    dense_layers = n - moe_layers
    dense_mlp = dense_layers * _mlp(shape, h, shape.intermediate_size)
    routed = routed_active = shared = router = 0
    if moe is not None:
        one_expert = _mlp(shape, h, moe.expert_intermediate_size)
        routed = moe_layers * moe.num_experts * one_expert
        routed_active = moe_layers * moe.experts_per_token * one_expert
        if moe.shared_intermediate_size:
            shared = moe_layers * (_mlp(shape, h, moe.shared_intermediate_size) + h * moe.shared_expert_gate)
        per_router = h * moe.num_experts + moe.num_experts * (moe.router_bias + moe.router_score_bias)
        router = moe_layers * per_router

    total = emb + head + attention + norms + dense_mlp + routed + shared + router
    active = total - routed + routed_active
    return ParamCount(
        total=total, active=active, non_embedding=total - emb - head, embeddings=emb, lm_head=head,
        attention=attention, dense_mlp=dense_mlp, routed_experts=routed, routed_experts_active=routed_active,
        shared_experts=shared, router=router, norms=norms,
    )
