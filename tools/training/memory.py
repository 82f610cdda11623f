"""Training memory per GPU, itemised, with the peak taken over the two moments it can occur.

Model states follow the ZeRO paper (Rajbhandari et al. 2019, arXiv 1910.02054, §3.1): mixed-precision Adam
holds 2 (16-bit weights) + 2 (16-bit gradients) + 12 (fp32 master weights, momentum, variance) = 16 bytes
per parameter; ZeRO stage 1 shards the 12 over the data-parallel GPUs, stage 2 also the gradients, stage 3
also the weights (FSDP full sharding is stage 3). Pure bf16 training (torchtune's dtype=bf16) keeps no fp32
master and 16-bit moments: 2 + 2 + 4 = 8 bytes.

Activations generalise Korthikanti et al. 2022 ("Reducing Activation Recomputation in Large Transformer
Models", arXiv 2205.05198, §4.1), which counts 34·s·b·h bytes per layer for a 16-bit MHA block with a 4h
MLP and dropout, plus 5·a·s²·b for the attention scores. With FlashAttention the scores are not stored
(only fp32 softmax statistics, 4 bytes per head per token) and modern LLMs use no dropout (−2·s·b·h), so per
token per layer we keep, in 16-bit: both norm inputs and outputs (4h), Q, K, V (nh·d + 2·kvh·d), the
attention output (nh·d), and the MLP intermediates (gated: gate, up, act(gate), product = 4·I; standard:
2·I). For MHA with I = 4h this is exactly Korthikanti's 34h − 2h = 32h.

The peak is the larger of two moments (gradients are set to None between steps, PyTorch's default since 2.0):
- backward starts: weights + optimizer states + every saved activation + the loss's logits buffers (+ the
  gradients of earlier micro-batches when accumulating);
- backward ends / optimizer step: weights + optimizer states + all gradients, activations freed.
Summing both, as a naive count does, overstates full fine-tuning by the smaller of the two.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InvalidInput
from ..model.formats import WEIGHT_FORMATS
from ..model.memory import weight_bytes
from ..model.params import ParamCount
from ..model.shape import ModelShape
from ..units import GiB
from . import frameworks
from .frameworks import LOGIT_BYTES, LOSSES, Framework

METHODS = ("full", "lora", "qlora")
OPTIMIZERS = ("adamw", "adamw_8bit", "sgd")
PRECISIONS = ("mixed_bf16", "bf16", "fp32")
LORA_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
_ATTN_MODULES = LORA_MODULES[:4]

# Optimizer state bytes per parameter by the dtype of the tensor the optimizer steps (fp32 master weights in
# mixed precision, fp32 PEFT adapters, or 16-bit weights in pure bf16): AdamW momentum + variance; 8-bit Adam
# (Dettmers et al. 2022, arXiv 2110.02861) one byte each plus, per moment, one fp32 absmax per block of 256
# (bitsandbytes Optimizer2State with block_wise=True; torchao OptimState8bit block_size 256): 2 + 2 x 4/256 =
# 2.03125 bytes (bitsandbytes keeps fp32 moments for tensors under min_8bit_size = 4096 elements: norms, negligible);
# SGD momentum only.
_STATE_BYTES = {4: {"adamw": 8, "adamw_8bit": 2, "sgd": 4}, 2: {"adamw": 4, "adamw_8bit": 2, "sgd": 2}}
_BLOCKWISE_SCALE_BYTES = {"adamw_8bit": 2 * 4}  # per block of 256 parameters: one fp32 absmax per moment
_SCALE_BLOCK = 256
_WEIGHT_BYTES = {"mixed_bf16": 2, "bf16": 2, "fp32": 4}
_MASTER_BYTES = {"mixed_bf16": 4, "bf16": 0, "fp32": 0}
_STEPPED_BYTES = {"mixed_bf16": 4, "bf16": 2, "fp32": 4}

# CUDA context per process, (low, mid, high). PyTorch PR #86509 (pytorch/pytorch, 2022) measured 287,047,680
# bytes with lazy module loading (PyTorch's default since 1.13) against 666,632,192 eager; the transformers
# "model memory anatomy" guide measured 1,343 MB for the kernels of an eager-loading install. Mid: the lazy
# context plus the cuBLAS/cuDNN handles and workspaces a training step loads.
CUDA_CONTEXT_BYTES = (287_047_680, int(0.5 * GiB), 1_343 * 2**20)
# NCCL communicators and buffers with more than one GPU, outside PyTorch's allocator: vLLM's measured
# difference with tensor parallelism (1.79 GiB; see tools/hardware/fit.py) as mid, 1-2.5 GiB as the band.
NCCL_BYTES = (1 * GiB, int(1.79 * GiB), int(2.5 * GiB))
# PyTorch's caching allocator reserves more than the live tensors (rounding, split blocks, cached frees):
# reserved = allocated × (1 + f). torchtune PR #961: "20.2 peak memory allocated (and similar for reserved)"
# on a full fine-tune; the same recipe read 22.3 on an A100, so allocator slack varies with the card.
RESERVE_FRACTION = (0.0, 0.03, 0.12)


@dataclass(frozen=True)
class ModelStates:
    weights: int
    gradients: int
    optimizer: int  # fp32 master weights + moments
    trainable_params: int


def model_state_bytes(trainable: int, frozen_bytes: int, *, precision: str, optimizer: str, zero_stage: int,
                      gpus: int, adapter_bytes: int | None = None) -> ModelStates:
    """Per-GPU bytes of weights, gradients and optimizer states.

    `trainable` parameters get weights, gradients and optimizer states; `frozen_bytes` are stored weights
    with neither (LoRA/QLoRA base). Adapters (`adapter_bytes` = 4 for fp32, 2 for 16-bit) are stepped in
    their own dtype: no separate master copy."""
    if precision not in PRECISIONS:
        raise InvalidInput(f"unknown precision {precision!r}", field="precision", allowed=list(PRECISIONS))
    if optimizer not in OPTIMIZERS:
        raise InvalidInput(f"unknown optimizer {optimizer!r}", field="optimizer", allowed=list(OPTIMIZERS))
    if not 0 <= zero_stage <= 3:
        raise InvalidInput(f"zero_stage must be 0..3, got {zero_stage}", field="zero_stage", allowed=[0, 1, 2, 3])
    if gpus < 1:
        raise InvalidInput(f"gpus must be >= 1, got {gpus}", field="gpu_count", allowed="integer >= 1")
    if adapter_bytes is not None:
        w_b, master, stepped = adapter_bytes, 0, adapter_bytes
    else:
        w_b, master, stepped = _WEIGHT_BYTES[precision], _MASTER_BYTES[precision], _STEPPED_BYTES[precision]
    weights = trainable * w_b + frozen_bytes
    grads = trainable * w_b
    opt = trainable * (master + _STATE_BYTES[stepped][optimizer])
    opt += -(-trainable // _SCALE_BLOCK) * _BLOCKWISE_SCALE_BYTES.get(optimizer, 0)
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
    _check_rank(shape, rank, targets, attn_dims)
    total = 0
    for t in targets:
        if t in _ATTN_MODULES:
            if shape.mla is not None:
                warnings.append(f"{t}: MLA attention has no such projection; LoRA counted on the MLP only")
                continue
            i, o = attn_dims[t]
            total += len(shape.attention_windows) * rank * (i + o)  # attention layers only (hybrids)
            continue
        if t == "gate_proj" and shape.ffn != "gated":
            # A standard MLP (GPT-2, Falcon, Nemotron-H's relu²) is up → act → down: there is no gate to adapt.
            warnings.append("gate_proj: this model's MLP has no gate (up and down projections only); not counted")
            continue
        # gate/up map h → I and down maps I → h: the same rank·(h + I) each.
        if shape.moe is None:
            total += shape.dense_ffn_layer_count * rank * (h + shape.intermediate_size)
        else:
            m = shape.moe
            dense = shape.dense_ffn_layer_count
            total += dense * rank * (h + shape.intermediate_size)
            total += shape.moe_layer_count * m.num_experts * rank * (h + m.expert_intermediate_size)
            if m.shared_intermediate_size:
                total += shape.moe_layer_count * rank * (h + m.shared_intermediate_size)
    return total, warnings


def _mlp_widths(shape: ModelShape) -> list[int]:
    """Intermediate widths of the MLPs LoRA can adapt (dense, routed expert, shared expert)."""
    if shape.moe is None:
        return [shape.intermediate_size]
    m = shape.moe
    widths = [m.expert_intermediate_size] + ([m.shared_intermediate_size] if m.shared_intermediate_size else [])
    return widths + ([shape.intermediate_size] if shape.num_layers > shape.moe_layer_count else [])


def _check_rank(shape: ModelShape, rank: int, targets: tuple[str, ...], attn_dims: dict) -> None:
    """A LoRA update B·A of rank r on a d_in x d_out matrix has rank at most min(d_in, d_out): a larger r
    adds parameters and no capacity (PEFT would still build it), so it is refused as a mistake."""
    dims = [min(attn_dims[t]) for t in targets if t in _ATTN_MODULES and shape.mla is None]
    if any(t not in _ATTN_MODULES for t in targets):
        dims += [min(shape.hidden_size, w) for w in _mlp_widths(shape)]
    if dims and rank > min(dims):
        raise InvalidInput(f"lora_rank {rank:,} exceeds the smallest adapted dimension ({min(dims):,}) of "
                           f"{', '.join(targets)}: a LoRA update cannot have a higher rank than its matrix",
                           field="lora_rank", allowed=f"1..{min(dims)}")


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
    layers: int  # bytes held by the transformer layers when backward starts (counted, before kernel factor)
    per_layer_no_checkpoint: int


def activation_bytes(shape: ModelShape, seq: int, micro_batch: int, checkpointing: bool,
                     offload: bool = False) -> Activations:
    tokens = seq * micro_batch
    one_layer = activation_bytes_per_token_per_layer(shape) * tokens
    layer_input = tokens * shape.hidden_size * 2
    if not checkpointing:
        return Activations(shape.num_layers * one_layer, one_layer)
    # Every layer keeps only its 16-bit input; one layer at a time is recomputed in full during backward.
    # Offloaded (torchtune activation offloading, Unsloth): the inputs wait in CPU memory; two are on the GPU
    # at a time, the one being copied out or prefetched and the one in use.
    kept = min(2, shape.num_layers) if offload else shape.num_layers
    return Activations(kept * layer_input + one_layer, one_layer)


def largest_linear_params(shape: ModelShape) -> int:
    """Weights of the widest Linear in a layer: what a 4-bit base dequantises to 16-bit at once."""
    h, nh, kvh, d = shape.hidden_size, shape.num_heads, shape.num_kv_heads, shape.head_dim
    widths = [nh * d, kvh * d]
    if shape.moe is None or shape.num_layers > shape.moe_layer_count:
        widths.append(shape.intermediate_size)
    if shape.moe is not None:
        widths += [shape.moe.expert_intermediate_size, shape.moe.shared_intermediate_size]
    return h * max(widths)


@dataclass(frozen=True)
class Band:
    low: int
    mid: int
    high: int

    def as_gib(self) -> dict:
        return {k: round(getattr(self, k) / GiB, 3) for k in ("low", "mid", "high")}


@dataclass(frozen=True)
class TrainingMemory:
    states: ModelStates
    activations: Activations
    activation_factor: float  # applied to the counted layer activations (mid)
    layer_activations: int  # counted × factor (mid)
    logits: int  # mid
    gradients: int  # gradient bytes alive at the optimizer step (one tensor's worth when stepped in backward)
    gradients_held: int  # gradients alive when backward starts (accumulation), else 0
    zero3_gather: int
    dequant_buffer: int
    backward_start: int  # allocated bytes at the start of backward (mid)
    optimizer_step: int  # allocated bytes at the end of backward (mid)
    allocator_reserve: int
    cuda_context: int
    nccl: int
    frozen_format: str | None
    allocated_band: Band
    reserved_band: Band
    total_band: Band

    @property
    def peak_allocated(self) -> int:
        return max(self.backward_start, self.optimizer_step)

    @property
    def peak_phase(self) -> str:
        return "backward_start" if self.backward_start >= self.optimizer_step else "optimizer_step"

    @property
    def peak_reserved(self) -> int:
        return self.peak_allocated + self.allocator_reserve

    @property
    def total(self) -> int:
        return self.peak_reserved + self.cuda_context + self.nccl


@dataclass(frozen=True)
class TrainSetup:
    method: str
    optimizer: str
    precision: str
    zero_stage: int
    gpus: int
    seq: int
    micro_batch: int
    checkpointing: bool
    offload: bool
    loss: str
    lora_rank: int = 16
    lora_targets: tuple[str, ...] = LORA_MODULES
    grad_accumulation: int = 1
    optimizer_in_backward: bool = False
    fused_kernels: bool = False


def training_memory(shape: ModelShape, params: ParamCount, setup: TrainSetup, fw: Framework,
                    overhead: int | None = None) -> tuple[TrainingMemory, list[str]]:
    s = setup
    if s.method not in METHODS:
        raise InvalidInput(f"unknown method {s.method!r}", field="method", allowed=list(METHODS))
    if s.loss not in LOSSES:
        raise InvalidInput(f"unknown loss {s.loss!r}", field="loss", allowed=list(LOSSES))
    warnings: list[str] = []
    frozen_fmt = None
    if s.method == "full":
        states = model_state_bytes(params.total, 0, precision=s.precision, optimizer=s.optimizer,
                                   zero_stage=s.zero_stage, gpus=s.gpus)
    else:
        trainable, warnings = lora_params(shape, s.lora_rank, s.lora_targets)
        frozen_fmt = "nf4" if s.method == "qlora" else ("fp32" if s.precision == "fp32" else "bf16")
        frozen, _, _ = weight_bytes(params, WEIGHT_FORMATS[frozen_fmt])
        states = model_state_bytes(trainable, frozen, precision=s.precision, optimizer=s.optimizer,
                                   zero_stage=s.zero_stage, gpus=s.gpus, adapter_bytes=fw.adapter_bytes)
    per_layer = (params.total - params.embeddings - params.lm_head) // shape.num_layers
    gather = 0
    if s.zero_stage == 3 and s.gpus > 1:
        # ZeRO-3/FSDP all-gathers one layer's weights to compute it and prefetches the next: 2 layers, in the
        # stored format (16-bit, or 4-bit codes for QLoRA).
        stored_bytes_per_param = WEIGHT_FORMATS[frozen_fmt].bits_float / 8 if frozen_fmt else 2
        gather = int(2 * per_layer * stored_bytes_per_param)
    dequant = 0
    if s.method == "qlora":
        # bitsandbytes / torchao NF4 Linear dequantises its weight to 16-bit for each matmul; the widest one in
        # use plus the next (forward, and the input-gradient matmul in backward) = 2 × largest × 2 bytes.
        dequant = 2 * largest_linear_params(shape) * 2
    grads = states.gradients
    if s.optimizer_in_backward:
        # torchtune optimizer_in_bwd: each parameter is stepped as soon as its gradient exists, then freed;
        # the largest gradient alive at once is one embedding-sized tensor.
        biggest = max(params.embeddings, params.lm_head, largest_linear_params(shape))
        grads = min(grads, biggest * (fw.adapter_bytes if s.method != "full" else _WEIGHT_BYTES[s.precision]))
    held = grads if s.grad_accumulation > 1 else 0
    # torch.optim.AdamW defaults to its foreach implementation on CUDA, whose intermediates are tensor lists
    # (torch.optim docs: foreach costs "more peak memory, as the intermediates are a tensorlist vs just one tensor"):
    # at the step _multi_tensor_adamw holds sqrt(v) + eps for every parameter it steps, one more state-sized list in
    # the stepped dtype. fused=True, bitsandbytes and torchao 8-bit kernels keep none: it widens the high end only.
    step_temp = 0
    if s.optimizer == "adamw" and not s.optimizer_in_backward and states.trainable_params:
        stepped = fw.adapter_bytes if s.method != "full" else _STEPPED_BYTES[s.precision]
        step_temp = states.trainable_params * stepped
        if s.zero_stage >= 1:
            step_temp = -(-step_temp // s.gpus)
    acts = activation_bytes(shape, s.seq, s.micro_batch, s.checkpointing, s.offload)
    factors = fw.fused_factor if s.fused_kernels else frameworks.EAGER_ACTIVATION_FACTOR
    tokens = s.seq * s.micro_batch
    resident = states.weights + states.optimizer + gather + dequant

    def allocated(i: int) -> tuple[int, int, int]:
        layer = int(acts.layers * factors[i])
        logits = int(tokens * shape.vocab_size * LOGIT_BYTES[s.loss][i])
        start = resident + held + layer + logits
        return layer, logits, max(start, resident + grads + (step_temp if i == 2 else 0))

    alloc = [allocated(i) for i in range(3)]
    layer_mid, logits_mid, _ = alloc[1]
    start_mid = resident + held + layer_mid + logits_mid
    step_mid = resident + grads
    if overhead is not None:
        reserve_b, ctx_b, nccl_b = Band(0, 0, 0), Band(overhead, overhead, overhead), Band(0, 0, 0)
    else:
        reserve_b = Band(*(int(alloc[i][2] * RESERVE_FRACTION[i]) for i in range(3)))
        ctx_b = Band(*CUDA_CONTEXT_BYTES)
        nccl_b = Band(*NCCL_BYTES) if s.gpus > 1 else Band(0, 0, 0)
    alloc_b = Band(alloc[0][2], alloc[1][2], alloc[2][2])
    reserved_b = Band(*(getattr(alloc_b, k) + getattr(reserve_b, k) for k in ("low", "mid", "high")))
    total_b = Band(*(getattr(reserved_b, k) + getattr(ctx_b, k) + getattr(nccl_b, k)
                     for k in ("low", "mid", "high")))
    mem = TrainingMemory(states, acts, factors[1], layer_mid, logits_mid, grads, held, gather, dequant, start_mid,
                         step_mid, reserve_b.mid, ctx_b.mid, nccl_b.mid, frozen_fmt, alloc_b, reserved_b, total_b)
    return mem, warnings
