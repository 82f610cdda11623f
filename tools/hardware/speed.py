"""Roofline speed estimates with calibrated efficiencies.

Decode step (per GPU, tensor-parallel degree tp):
    time = max(bytes touched / (bandwidth × e_bw), FLOPs / (peak × e_compute)) + all-reduce time
  bytes touched = weights read this step (input embedding rows excluded; MoE: experts actually hit by the
  batch, E·(1 − (1 − k/E)^B) per layer, uniform routing assumed) + the KV cache of every sequence;
  FLOPs = batch × (2 × matmul params + attention 4·heads·head_dim·context per layer) / tp.
Prefill: the same with FLOPs for the whole prompt (causal attention: 4·heads·head_dim·Σ min(i, window)),
LM head on the last position only; usually compute-bound.

Efficiencies (low / mid / high) are calibrated against published measurements kept as tests in
tests/tools/hardware/test_speed.py: gpt-fast on A100-80GB (Llama-3.1-8B/70B, Mixtral, 1–8 GPUs; MI250X GCD) and
NVIDIA NIM Llama-3.3-70B FP8 TP2 on H100. Mid predictions are within ±15% of each of those cases.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import InvalidInput
from ..model.formats import KVFormat, WeightFormat, kv_format
from ..model.memory import weight_bytes
from ..model.params import ParamCount
from ..model.shape import ModelShape
from .fit import kv_bytes_per_sequence_per_gpu, weight_bytes_per_gpu
from .gpus import GPU


@dataclass(frozen=True)
class Band:
    """A range in numeric order (low <= mid <= high): for a time, low is the fastest case."""

    low: float
    mid: float
    high: float

    def scale(self, k: float) -> Band:
        return Band(self.low * k, self.mid * k, self.high * k)

    def as_dict(self, digits: int = 4) -> dict:
        return {"low": _round(self.low, digits), "mid": _round(self.mid, digits), "high": _round(self.high, digits)}


def _round(x: float, digits: int) -> float:
    return float(f"{x:.{digits}g}") if x else 0.0


# Fraction of peak memory bandwidth a good engine streams at decode. gpt-fast reaches 69% on A100 (93.89 tok/s
# × 15.03 GB = 1410.8 GB/s of 2039) and 62% on one MI250X GCD; good engines sit at ~55–75%.
BANDWIDTH_EFFICIENCY = Band(0.55, 0.65, 0.75)
# Weight-only dequantising kernels (int8/int4/GGUF/NF4/MXFP4 weights with 16-bit math) stream slower: gpt-fast
# int8 reaches 51% vs 69% for bf16 on the same A100 (factor 0.74); Marlin-class kernels get close to 1.
DEQUANT_FACTOR = Band(0.65, 0.8, 1.0)
# Fraction of dense peak reached by prefill GEMMs on an H100-class part; NIM's 5000-token prefill of
# Llama-3.3-70B FP8 on 2×H100 implies ~45% of FP8 peak including its all-reduces and server overhead.
COMPUTE_EFFICIENCY = Band(0.35, 0.5, 0.65)
# Best measured matmul fraction on H100 SXM (ml-engineering MAMF table); other devices scale by their own.
REFERENCE_MATMUL = {"bf16": 0.803, "fp16": 0.803, "fp8": 0.709}
# Per all-reduce latency per log2(tp) step on NVLink-class links. Fitted to gpt-fast TP2/4/8 (Llama-3.1-8B,
# Mixtral) and NIM TP2: ~12 µs; PCIe without peer links is assumed 3× slower (unverified).
ALLREDUCE_STEP_S = Band(6e-6, 12e-6, 20e-6)
PCIE_LATENCY_FACTOR = 3.0
LINK_EFFICIENCY = 0.7  # fraction of the per-direction link bandwidth an all-reduce reaches (assumption)

_WEIGHT_ONLY = {"int8", "int4", "gptq", "awq", "nf4", "mxfp4", "q8_0", "q4_0", "q6_k", "q4_k", "q5_k", "iq4_xs",
                "q4_k_m", "q5_k_m"}


@dataclass(frozen=True)
class ComputePlan:
    fmt: str  # tensor-core format the matmuls run in
    tflops: float
    weight_only: bool  # weights dequantised to 16-bit inside the kernel
    note: str
    code: str = ""  # "no_bf16", "no_fp8", "weight_only" or "" (for grouping notes across devices)


def compute_plan(gpu: GPU, wfmt: WeightFormat) -> ComputePlan:
    """Which tensor-core rate the matmuls get. FP8 weights run W8A8 where the device has FP8; every other
    quantised format (and FP8 on devices without it) runs weight-only with 16-bit math."""
    half = "bf16" if gpu.tflops.get("bf16") else "fp16"
    half_rate = gpu.tflops.get(half)
    if half_rate is None:
        raise InvalidInput(f"{gpu.name} has no 16-bit tensor rate in the catalog", field="gpus")
    if wfmt.name == "fp8":
        if gpu.tflops.get("fp8"):
            return ComputePlan("fp8", gpu.tflops["fp8"], False, "")
        return ComputePlan(half, half_rate, True, f"{gpu.name} has no FP8 tensor cores: FP8 weights are "
                           "dequantised in the kernel (weight-only, e.g. vLLM Marlin) and the math runs in "
                           f"{half}", "no_fp8")
    if wfmt.name in _WEIGHT_ONLY:
        return ComputePlan(half, half_rate, True, f"{wfmt.name} is weight-only here: dequantised in the kernel, "
                           f"math in {half}", "weight_only")
    if wfmt.name == "bf16" and half == "fp16":
        return ComputePlan(half, half_rate, False, f"{gpu.name} has no BF16: bf16 weights run as fp16 (check "
                           "the model tolerates the fp16 range)", "no_bf16")
    return ComputePlan(half, half_rate, False, "")


def matmul_scale(gpu: GPU, fmt: str) -> float:
    """Compute efficiency relative to the H100 calibration, from each device's best measured matmul."""
    own = gpu.matmul_efficiency.get(fmt) or gpu.matmul_efficiency.get("bf16")
    ref = REFERENCE_MATMUL.get(fmt, REFERENCE_MATMUL["bf16"])
    return own / ref if own else 1.0


def experts_touched(num_experts: int, top_k: int, tokens: int) -> float:
    """Expected distinct experts hit per MoE layer by `tokens` tokens routed uniformly to top_k of E."""
    return num_experts * (1 - (1 - top_k / num_experts) ** tokens)


def matmul_params(params: ParamCount, shape: ModelShape) -> int:
    """Parameters multiplied per token: the input embedding is a lookup, not a matmul (a tied table is the
    LM head, so it stays)."""
    return params.active - (0 if shape.tied_embeddings else params.embeddings)


def _embedding_bytes(params: ParamCount, wfmt: WeightFormat) -> int:
    only_emb = ParamCount(total=params.embeddings, active=params.embeddings, non_embedding=0,
                          embeddings=params.embeddings, lm_head=0, attention=0, dense_mlp=0, routed_experts=0,
                          routed_experts_active=0, shared_experts=0, router=0, norms=0)
    return weight_bytes(only_emb, wfmt)[0]


def weights_touched_bytes(params: ParamCount, shape: ModelShape, wfmt: WeightFormat, tokens: int) -> int:
    """Whole-model bytes read by one forward step over `tokens` tokens (all GPUs together)."""
    total, _, _ = weight_bytes(params, wfmt)
    touched = total - (0 if shape.tied_embeddings else _embedding_bytes(params, wfmt))
    if shape.moe is not None and params.routed_experts:
        routed = int(params.routed_experts * wfmt.bits_float / 8)
        hit = experts_touched(shape.moe.num_experts, shape.moe.experts_per_token, tokens) / shape.moe.num_experts
        touched -= int(routed * (1 - hit))
    return touched


def _attention_width(shape: ModelShape, absorbed: bool) -> int:
    """FLOPs per (query, key) pair per layer, both matmuls (QK and AV), 2 FLOPs per multiply-add."""
    if shape.mla is not None:
        m = shape.mla
        if absorbed:  # decode: scores and values in the latent space (vLLM/FlashMLA)
            return 2 * shape.num_heads * (2 * m.kv_lora_rank + m.qk_rope_head_dim)
        return 2 * shape.num_heads * (m.qk_nope_head_dim + m.qk_rope_head_dim + m.v_head_dim)
    return 4 * shape.num_heads * shape.head_dim


def _keys_seen(shape: ModelShape, position: int) -> int:
    """Keys one query attends to, summed over layers."""
    out = 0
    for kind in shape.kinds:
        out += min(position, shape.sliding_window) if kind == "sliding" else position
    return out


def _causal_pairs(shape: ModelShape, prompt: int) -> int:
    """Σ over positions i = 1..P of keys attended, summed over layers (causal, windows applied)."""
    out = 0
    for kind in shape.kinds:
        w = shape.sliding_window if kind == "sliding" else None
        if w is None or prompt <= w:
            out += prompt * (prompt + 1) // 2
        else:
            out += w * (w + 1) // 2 + (prompt - w) * w
    return out


def decode_flops(params: ParamCount, shape: ModelShape, context: int, batch: int) -> tuple[int, int]:
    """(matmul FLOPs, attention FLOPs) of one decode step for the whole batch, all GPUs together."""
    return (batch * 2 * matmul_params(params, shape),
            batch * _attention_width(shape, absorbed=True) * _keys_seen(shape, context))


def prefill_flops(params: ParamCount, shape: ModelShape, prompt: int) -> tuple[int, int]:
    """(matmul FLOPs, attention FLOPs) for one prompt; logits only at the last position."""
    head = params.lm_head if not shape.tied_embeddings else params.embeddings
    body = matmul_params(params, shape) - head
    return 2 * body * prompt + 2 * head, _attention_width(shape, absorbed=False) * _causal_pairs(shape, prompt)


@dataclass(frozen=True)
class StepEstimate:
    seconds: Band  # low = slowest
    weight_bytes_per_gpu: int
    kv_bytes_per_gpu: int
    matmul_flops_per_gpu: float
    attention_flops_per_gpu: float
    comm_seconds: Band
    bound: str  # "memory" or "compute" at mid efficiencies
    plan: ComputePlan


def _allreduce_seconds(gpu: GPU, tp: int, message_bytes: int, count: int) -> Band:
    if tp == 1:
        return Band(0.0, 0.0, 0.0)
    steps = math.log2(tp)
    fast, gb_s = gpu.link_for(tp)
    lat = ALLREDUCE_STEP_S.scale(steps * (1 if fast else PCIE_LATENCY_FACTOR))
    link = gb_s / 2 * 1e9 * LINK_EFFICIENCY  # per direction
    wire = message_bytes * 2 * (tp - 1) / tp / link  # ring all-reduce moves 2(tp-1)/tp of the message
    return Band(count * (lat.low + wire), count * (lat.mid + wire), count * (lat.high + wire))


def _step(gpu: GPU, plan: ComputePlan, tp: int, weight_b: int, kv_b: int, mm_flops: float, attn_flops: float,
          comm: Band) -> StepEstimate:
    bw = gpu.bandwidth_bytes_per_s
    half_rate = (gpu.tflops.get("bf16") or gpu.tflops["fp16"]) * 1e12
    scale_mm = matmul_scale(gpu, plan.fmt)
    scale_attn = matmul_scale(gpu, "bf16")
    deq = DEQUANT_FACTOR if plan.weight_only else Band(1.0, 1.0, 1.0)

    def seconds(e_bw: float, q: float, e_c: float, c: float) -> tuple[float, float, float]:
        mem = weight_b / (bw * e_bw * q) + kv_b / (bw * e_bw)
        comp = mm_flops / (plan.tflops * 1e12 * min(e_c * scale_mm, 0.95)) + \
            attn_flops / (half_rate * min(e_c * scale_attn, 0.95))
        return max(mem, comp) + c, mem, comp

    slow = seconds(BANDWIDTH_EFFICIENCY.low, deq.low, COMPUTE_EFFICIENCY.low, comm.high)
    mid = seconds(BANDWIDTH_EFFICIENCY.mid, deq.mid, COMPUTE_EFFICIENCY.mid, comm.mid)
    fast = seconds(BANDWIDTH_EFFICIENCY.high, deq.high, COMPUTE_EFFICIENCY.high, comm.low)
    return StepEstimate(seconds=Band(fast[0], mid[0], slow[0]), weight_bytes_per_gpu=weight_b, kv_bytes_per_gpu=kv_b,
                        matmul_flops_per_gpu=mm_flops, attention_flops_per_gpu=attn_flops, comm_seconds=comm,
                        bound="memory" if mid[1] >= mid[2] else "compute", plan=plan)


def _check_tp(shape: ModelShape, tp: int) -> None:
    if tp < 1:
        raise InvalidInput(f"gpu count must be >= 1, got {tp}", field="gpu_count", allowed="integer >= 1")
    if shape.num_heads % tp:
        raise InvalidInput(f"tensor parallelism over {tp} GPUs needs num_heads ({shape.num_heads}) divisible by "
                           f"{tp}", field="gpu_count")


def decode_step(shape: ModelShape, params: ParamCount, gpu: GPU, wfmt: WeightFormat, context: int, batch: int,
                gpus: int = 1, kv_fmt: KVFormat | None = None) -> StepEstimate:
    """One decode step: every sequence of the batch holds `context` tokens of KV."""
    _check_tp(shape, gpus)
    kvf = kv_fmt or kv_format("bf16")
    plan = compute_plan(gpu, wfmt)
    touched = weights_touched_bytes(params, shape, wfmt, batch)
    _, extra = weight_bytes_per_gpu(params, shape, wfmt, gpus)
    weight_b = -(-touched // gpus) + extra
    kv_b = batch * kv_bytes_per_sequence_per_gpu(shape, kvf, context, gpus)
    mm, attn = decode_flops(params, shape, context, batch)
    comm = _allreduce_seconds(gpu, gpus, batch * shape.hidden_size * 2, 2 * shape.num_layers)
    return _step(gpu, plan, gpus, weight_b, kv_b, mm / gpus, attn / gpus, comm)


def prefill(shape: ModelShape, params: ParamCount, gpu: GPU, wfmt: WeightFormat, prompt: int,
            gpus: int = 1) -> StepEstimate:
    """Prefill of one prompt of `prompt` tokens (KV write traffic is small next to the weights and ignored)."""
    _check_tp(shape, gpus)
    plan = compute_plan(gpu, wfmt)
    touched = weights_touched_bytes(params, shape, wfmt, prompt)
    mm, attn = prefill_flops(params, shape, prompt)
    comm = _allreduce_seconds(gpu, gpus, prompt * shape.hidden_size * 2, 2 * shape.num_layers)
    return _step(gpu, plan, gpus, -(-touched // gpus), 0, mm / gpus, attn / gpus, comm)


def decode_tokens_per_second(shape: ModelShape, params: ParamCount, gpu: GPU, weight_fmt: WeightFormat,
                             context: int, batch: int, gpus: int = 1, kv_fmt: KVFormat | None = None) -> Band:
    """Aggregate decode tokens/s over the batch (per stream: divide by batch), low / mid / high."""
    s = decode_step(shape, params, gpu, weight_fmt, context, batch, gpus, kv_fmt).seconds
    return Band(batch / s.high, batch / s.mid, batch / s.low)


def time_to_first_token(shape: ModelShape, params: ParamCount, gpu: GPU, weight_fmt: WeightFormat, prompt: int,
                        gpus: int = 1, kv_fmt: KVFormat | None = None) -> Band:
    """Prefill plus the first decode step, seconds."""
    p = prefill(shape, params, gpu, weight_fmt, prompt, gpus).seconds
    d = decode_step(shape, params, gpu, weight_fmt, prompt, 1, gpus, kv_fmt).seconds
    return Band(p.low + d.low, p.mid + d.mid, p.high + d.high)
