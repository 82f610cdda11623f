"""Exact parameter counts from a ModelShape: total, active per token (MoE), non-embedding, breakdown.

Conventions (stated in every result): counts are of trainable weights as stored in the checkpoint;
buffers (rotary tables, causal masks) are not parameters; a tied LM head is counted once. The MoE
router's score-correction bias (DeepSeek-V3 family) is stored in checkpoints and counted, although
transformers registers it as a buffer.

Layers are summed one by one: each has its token mixer (attention, a fixed-state LinearMixer, both, or
neither), its FFN (dense, MoE, or none) and its norms.
"""

from __future__ import annotations

from dataclasses import dataclass

from .shape import ATTENTION_KINDS, STATE_KINDS, ModelShape

_NORM_PARAMS = {"layernorm": 2, "rmsnorm": 1, "layernorm_nobias": 1, "nonparametric": 0}  # per element


def _norm(shape: ModelShape, width: int, kind: str | None = None) -> int:
    return width * _NORM_PARAMS[kind or shape.norm]  # LayerNorm has weight + bias


def _mlp(shape: ModelShape, hidden: int, inter: int) -> int:
    mats = 3 if shape.ffn == "gated" else 2
    bias = (inter * (2 if shape.ffn == "gated" else 1) + hidden) if shape.mlp_bias else 0
    return mats * hidden * inter + bias + shape.ffn_act_params


def attention_params(shape: ModelShape, *, own_kv: bool = True) -> tuple[int, int]:
    """(attention weights, attention-internal norms) for one layer. `own_kv=False`: a KV-shared layer
    (Gemma 3n) that has no k/v projections or key norm of its own."""
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
        idx = 0
        if shape.indexer is not None:
            ix = shape.indexer
            # wq_b from the query latent (or hidden), wk, weights_proj; its key LayerNorm has a bias.
            idx = (m.q_lora_rank or h) * ix.n_heads * ix.head_dim + h * ix.head_dim + h * ix.n_heads
            norms += 2 * ix.head_dim
        return q + kv + o + bias + idx, norms
    d, kv_h = shape.head_dim, shape.num_kv_heads if own_kv else 0
    q_out, kv_out = nh * d, kv_h * d
    q_w = q_out * (2 if shape.attn_output_gate else 1)
    weights = h * q_w + 2 * h * kv_out + q_out * h
    bias = (q_w + 2 * kv_out) * shape.qkv_bias + h * shape.o_bias
    sinks = nh if shape.attention_sinks else 0
    qk = shape.qk_norm_kind
    if shape.qk_norm == "per_head":
        norms = _norm(shape, d, qk) * (2 if own_kv else 1)
    elif shape.qk_norm == "full":
        norms = _norm(shape, q_out, qk) + _norm(shape, kv_out, qk)
    else:
        norms = 0
    return weights + bias + sinks, norms


@dataclass(frozen=True)
class ParamCount:
    total: int
    active: int
    non_embedding: int
    embeddings: int  # lookup tables: token (+ learned position, + Gemma 3n per-layer) embeddings
    lm_head: int  # 0 when tied (its bias, if any, is counted here)
    attention: int
    dense_mlp: int
    routed_experts: int
    routed_experts_active: int
    shared_experts: int
    router: int
    norms: int
    linear_mixers: int = 0  # state-space / linear-attention / short-conv mixers
    per_layer_embeddings: int = 0  # part of `embeddings` (Gemma 3n)
    per_layer_extras: int = 0  # Gemma 3n AltUp, LAuReL and per-layer input projections

    def breakdown(self) -> dict:
        out = {
            "embeddings_params": self.embeddings - self.per_layer_embeddings,
            "attention_params": self.attention,
            "dense_mlp_params": self.dense_mlp,
            "routed_experts_params": self.routed_experts,
            "shared_experts_params": self.shared_experts,
            "router_params": self.router,
            "norms_params": self.norms,
            "lm_head_params": self.lm_head,
        }
        for key, value in (("linear_mixer_params", self.linear_mixers),
                           ("per_layer_embedding_params", self.per_layer_embeddings),
                           ("altup_laurel_per_layer_params", self.per_layer_extras)):
            if value:
                out[key] = value
        return out


def _per_layer_inputs(shape: ModelShape) -> tuple[int, int, int]:
    """Gemma 3n: (per-layer embedding table, per-layer extras in every layer, model-level extras)."""
    p = shape.per_layer_inputs
    if p is None:
        return 0, 0, 0
    h, n, a = shape.hidden_size, shape.num_layers, p.altup_inputs
    table = p.vocab_size * n * p.width
    layer = (a * a + a * a * a + h * a + _norm(shape, h) + h  # AltUp coefs, router, router norm, output scale
             + 2 * h * p.laurel_rank + _norm(shape, h)  # LAuReL left/right + its norm
             + 2 * h * p.width + _norm(shape, h))  # per-layer input gate, projection, norm
    model = h * n * p.width + _norm(shape, p.width) + 2 * (a - 1) * h * h  # projection, norm, altup in/out
    return table, layer, model


def parameter_count(shape: ModelShape) -> ParamCount:
    h, n = shape.hidden_size, shape.num_layers
    table, per_layer_extra, model_extra = _per_layer_inputs(shape)
    emb = shape.vocab_size * h + table
    if shape.positions == "learned":
        emb += (shape.max_position_embeddings + shape.position_offset) * h
    head = (0 if shape.tied_embeddings else shape.vocab_size * h) + (shape.vocab_size if shape.lm_head_bias else 0)

    moe = shape.moe
    dense_set = set(moe.dense_layers) if moe is not None else set()
    no_ffn = set(shape.no_ffn_layers)
    first_shared = n - shape.kv_shared_layers
    attention = linear = norms = dense_mlp = routed = routed_active = shared = router = 0
    for i, kind in enumerate(shape.kinds):
        if kind in ATTENTION_KINDS:
            w, nrm = attention_params(shape, own_kv=i < first_shared)
            attention += w
            norms += nrm
        if kind in STATE_KINDS:
            linear += shape.linear.params(h)
        norms += _norm(shape, h) * shape.norms_per_layer
        if i in no_ffn:
            continue
        if moe is None or i in dense_set:
            dense_mlp += _mlp(shape, h, shape.intermediate_size)
            continue
        one_expert = _mlp(shape, h, moe.expert_intermediate_size)
        routed += moe.num_experts * one_expert
        routed_active += moe.experts_per_token * one_expert
        if moe.shared_intermediate_size:
            shared += _mlp(shape, h, moe.shared_intermediate_size) + h * moe.shared_expert_gate
        router += h * moe.num_experts + moe.num_experts * (moe.router_bias + moe.router_score_bias)
    norms += _norm(shape, h) * (shape.final_norm + shape.embedding_norm)
    extras = per_layer_extra * n + model_extra

    total = emb + head + attention + linear + norms + dense_mlp + routed + shared + router + extras
    active = total - routed + routed_active
    return ParamCount(
        total=total, active=active, non_embedding=total - emb - head, embeddings=emb, lm_head=head,
        attention=attention, dense_mlp=dense_mlp, routed_experts=routed, routed_experts_active=routed_active,
        shared_experts=shared, router=router, norms=norms, linear_mixers=linear, per_layer_embeddings=table,
        per_layer_extras=extras,
    )
