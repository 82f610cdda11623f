"""Training memory per GPU, itemised.

Model states follow the ZeRO paper (Rajbhandari et al. 2019, arXiv 1910.02054, §3.1): mixed-precision Adam
holds 2 (16-bit weights) + 2 (16-bit gradients) + 12 (fp32 master weights, momentum, variance) = 16 bytes
per parameter; ZeRO stage 1 shards the 12 over the data-parallel GPUs, stage 2 also the gradients, stage 3
also the weights.

Activations generalise Korthikanti et al. 2022 ("Reducing Activation Recomputation in Large Transformer
Models", arXiv 2205.05198, §4.1), which counts 34·s·b·h bytes per layer for a 16-bit MHA block with a 4h
MLP and dropout, plus 5·a·s²·b for the attention scores. With FlashAttention the scores are not stored
(only fp32 softmax statistics, 4 bytes per head per token) and modern LLMs use no dropout (−2·s·b·h), so per
token per layer we keep, in 16-bit: both norm inputs and outputs (4h), Q, K, V (nh·d + 2·kvh·d), the
attention output (nh·d), and the MLP intermediates (gated: gate, up, act(gate), product = 4·I; standard:
2·I). For MHA with I = 4h this is exactly Korthikanti's 34h − 2h = 32h.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InvalidInput
from ..hardware.fit import TP_COMM_OVERHEAD_BYTES
from ..model.formats import WEIGHT_FORMATS
from ..model.memory import DEFAULT_OVERHEAD_BYTES, weight_bytes
from ..model.params import ParamCount
from ..model.shape import ModelShape

METHODS = ("full", "lora", "qlora")
OPTIMIZERS = ("adamw", "adamw_8bit", "sgd")
PRECISIONS = ("mixed_bf16", "bf16", "fp32")
LORA_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
_ATTN_MODULES = LORA_MODULES[:4]

# Optimizer state bytes per trainable parameter (not counting fp32 master weights):
# AdamW: momentum + variance; 8-bit Adam (Dettmers et al. 2022, arXiv 2110.02861): one byte each, block-wise
# scales of 2048 values (negligible); SGD: momentum only.
_STATE_BYTES = {"mixed_bf16": {"adamw": 8, "adamw_8bit": 2, "sgd": 4},
                "bf16": {"adamw": 4, "adamw_8bit": 2, "sgd": 2},
                "fp32": {"adamw": 8, "adamw_8bit": 2, "sgd": 4}}
_WEIGHT_BYTES = {"mixed_bf16": 2, "bf16": 2, "fp32": 4}
_MASTER_BYTES = {"mixed_bf16": 4, "bf16": 0, "fp32": 0}
LOGIT_TRAIN_BYTES = 8  # fp32 logits for the loss + their fp32 gradient, per (token, vocab entry)


@dataclass(frozen=True)
class ModelStates:
    weights: int
    gradients: int
    optimizer: int  # fp32 master weights + moments
    trainable_params: int


def model_state_bytes(trainable: int, frozen_bytes: int, *, precision: str, optimizer: str, zero_stage: int,
                      gpus: int, adapter: bool = False) -> ModelStates:
    """Per-GPU bytes of weights, gradients and optimizer states.

    `trainable` parameters get weights, gradients and optimizer states; `frozen_bytes` are stored weights
    with neither (LoRA/QLoRA base). LoRA adapters are kept in fp32 (PEFT's default autocast of adapters), so
    they need no separate master copy."""
    if precision not in PRECISIONS or optimizer not in OPTIMIZERS:
        raise InvalidInput("unknown precision or optimizer", field="precision", allowed=[*PRECISIONS, *OPTIMIZERS])
    if not 0 <= zero_stage <= 3:
        raise InvalidInput(f"zero_stage must be 0..3, got {zero_stage}", field="zero_stage", allowed=[0, 1, 2, 3])
    if gpus < 1:
        raise InvalidInput(f"gpus must be >= 1, got {gpus}", field="gpu_count", allowed="integer >= 1")
    w_b = 4 if adapter else _WEIGHT_BYTES[precision]
    master = 0 if adapter else _MASTER_BYTES[precision]
    weights = trainable * w_b + frozen_bytes
    grads = trainable * w_b
    opt = trainable * (master + _STATE_BYTES[precision][optimizer])
    if zero_stage >= 1:
        opt = -(-opt // gpus)
    if zero_stage >= 2:
        grads = -(-grads // gpus)
    if zero_stage >= 3:
        weights = -(-weights // gpus)
    return ModelStates(weights, grads, opt, trainable)


def lora_params(shape: ModelShape, rank: int, targets: tuple[str, ...]) -> tuple[int, list[str]]:
    """Adapter parameters: rank × (in + out) for every targeted Linear in every layer (each routed and shared
    expert of an MoE layer too). Returns (count, warnings)."""
    if rank < 1:
        raise InvalidInput(f"lora_rank must be >= 1, got {rank}", field="lora_rank")
    bad = [t for t in targets if t not in LORA_MODULES]
    if bad:
        raise InvalidInput(f"unknown LoRA target(s) {', '.join(bad)}", field="lora_targets",
                           allowed=[*LORA_MODULES, "all-linear"])
    warnings = []
    h, nh, kvh, d = shape.hidden_size, shape.num_heads, shape.num_kv_heads, shape.head_dim
    attn_dims = {"q_proj": (h, nh * d), "k_proj": (h, kvh * d), "v_proj": (h, kvh * d), "o_proj": (nh * d, h)}
    total = 0
    for t in targets:
        if t in _ATTN_MODULES:
            if shape.mla is not None:
                warnings.append(f"{t}: MLA attention has no such projection; LoRA counted on the MLP only")
                continue
            i, o = attn_dims[t]
            total += shape.num_layers * rank * (i + o)
            continue
        # gate/up map h → I and down maps I → h: the same rank·(h + I) each.
        if shape.moe is None:
            total += shape.num_layers * rank * (h + shape.intermediate_size)
        else:
            m = shape.moe
            dense = shape.num_layers - shape.moe_layer_count
            total += dense * rank * (h + shape.intermediate_size)
            total += shape.moe_layer_count * m.num_experts * rank * (h + m.expert_intermediate_size)
            if m.shared_intermediate_size:
                total += shape.moe_layer_count * rank * (h + m.shared_intermediate_size)
    return total, warnings


def activation_bytes_per_token_per_layer(shape: ModelShape) -> int:
    """16-bit activations kept for backward by one layer for one token (see module docstring)."""
    h, nh, kvh, d = shape.hidden_size, shape.num_heads, shape.num_kv_heads, shape.head_dim
    if shape.mla is not None:
        m = shape.mla
        qk = m.qk_nope_head_dim + m.qk_rope_head_dim
        attn = 2 * nh * qk + nh * m.v_head_dim + nh * m.v_head_dim + m.kv_lora_rank + (m.q_lora_rank or 0)
    else:
        attn = nh * d + 2 * kvh * d + nh * d
    if shape.moe is not None:
        inter = shape.moe.experts_per_token * shape.moe.expert_intermediate_size + shape.moe.shared_intermediate_size
    else:
        inter = shape.intermediate_size
    mlp = (4 if shape.ffn == "gated" else 2) * inter
    return 2 * (4 * h + attn + mlp) + 4 * nh


@dataclass(frozen=True)
class Activations:
    layers: int  # bytes held by the transformer layers
    logits: int
    per_layer_no_checkpoint: int


def activation_bytes(shape: ModelShape, seq: int, micro_batch: int, checkpointing: bool) -> Activations:
    tokens = seq * micro_batch
    one_layer = activation_bytes_per_token_per_layer(shape) * tokens
    if checkpointing:
        # Every layer keeps only its 16-bit input; one layer at a time is recomputed in full during backward.
        layers = shape.num_layers * tokens * shape.hidden_size * 2 + one_layer
    else:
        layers = shape.num_layers * one_layer
    return Activations(layers, tokens * shape.vocab_size * LOGIT_TRAIN_BYTES, one_layer)


@dataclass(frozen=True)
class TrainingMemory:
    states: ModelStates
    activations: Activations
    zero3_gather: int
    overhead: int
    frozen_format: str | None

    @property
    def total(self) -> int:
        return (self.states.weights + self.states.gradients + self.states.optimizer + self.activations.layers
                + self.activations.logits + self.zero3_gather + self.overhead)


def training_memory(shape: ModelShape, params: ParamCount, *, method: str, optimizer: str, precision: str,
                    zero_stage: int, gpus: int, seq: int, micro_batch: int, checkpointing: bool, lora_rank: int = 16,
                    lora_targets: tuple[str, ...] = LORA_MODULES, overhead: int | None = None) -> tuple[
                        TrainingMemory, list[str]]:
    if method not in METHODS:
        raise InvalidInput(f"unknown method {method!r}", field="method", allowed=list(METHODS))
    warnings: list[str] = []
    frozen_fmt = None
    if method == "full":
        states = model_state_bytes(params.total, 0, precision=precision, optimizer=optimizer,
                                   zero_stage=zero_stage, gpus=gpus)
    else:
        trainable, warnings = lora_params(shape, lora_rank, lora_targets)
        frozen_fmt = "nf4" if method == "qlora" else ("fp32" if precision == "fp32" else "bf16")
        frozen, _, _ = weight_bytes(params, WEIGHT_FORMATS[frozen_fmt])
        states = model_state_bytes(trainable, frozen, precision=precision, optimizer=optimizer,
                                   zero_stage=zero_stage, gpus=gpus, adapter=True)
    gather = 0
    if zero_stage == 3 and gpus > 1:
        # ZeRO-3 all-gathers one layer's 16-bit weights to compute it, and prefetches the next: 2 layers.
        per_layer = (params.total - params.embeddings - params.lm_head) // shape.num_layers
        gather = 2 * per_layer * 2
    ovh = overhead if overhead is not None else DEFAULT_OVERHEAD_BYTES + (TP_COMM_OVERHEAD_BYTES if gpus > 1 else 0)
    acts = activation_bytes(shape, seq, micro_batch, checkpointing)
    return TrainingMemory(states, acts, gather, ovh, frozen_fmt), warnings
