"""Step times from per-kernel rooflines, with engine- and device-specific efficiencies (engines.py).

One forward step over M tokens (per GPU, tensor-parallel degree tp) runs its kernels one after another, so
their times add:
    time = GEMMs + attention + fixed overheads + all-reduces
  GEMMs     = max(weight bytes read / (bandwidth x e_weights), matmul FLOPs / (peak of the compute format x
              e_gemm))       (weights read: input embedding rows excluded; MoE: the experts hit by
              the step's tokens, E·(1 − (1 − k/E)^M) per layer, uniform routing assumed)
  attention = max(KV bytes read / (bandwidth x e_kv), attention FLOPs / (16-bit peak x e_attention))
  overheads = the engine's fixed cost per step + its cost per MoE layer (routing and expert dispatch)
A roofline max() holds within one kernel, not across kernels: a compute-bound GEMM and a memory-bound attention
kernel do not overlap. The efficiencies and overheads are per engine and memory class (tools/data/engines.json),
chosen on the calibration half of benchmarks/validation/inference.jsonl; RESULTS.md there has the errors.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from .. import bands
from ..bands import BandRule
from ..errors import InvalidInput
from ..model.formats import KVFormat, WeightFormat, kv_format
from ..model.memory import weight_bytes
from ..model.params import ParamCount
from ..model.shape import ModelShape
from . import engines as eng
from .engines import Band, Engine, Factors
from .fit import kv_bytes_per_sequence_per_gpu, weight_bytes_per_gpu
from .gpus import GPU
from .roofline import Roofline, clamp, path_peaks

__all__ = ["Band", "ComputePlan", "Roofline", "StepEstimate", "compute_plan", "decode_step", "prefill",
           "decode_tokens_per_second", "time_to_first_token", "experts_touched", "weights_touched_bytes"]

# Per all-reduce latency per log2(tp) step on NVLink-class links. Fitted to gpt-fast TP2/4/8 (Llama-3.1-8B,
# Mixtral) and NIM TP2: ~12 µs; PCIe without peer links is assumed 3× slower (unverified).
ALLREDUCE_STEP_S = Band(6e-6, 12e-6, 20e-6)
PCIE_LATENCY_FACTOR = 3.0
LINK_EFFICIENCY = 0.7  # fraction of the per-direction link bandwidth an all-reduce reaches (assumption)

_GGUF = re.compile(r"^i?q\d")  # llama.cpp's quantized GGUF types (q4_0, q4_k_m, q6_k, iq4_xs, ...)
_WEIGHT_ONLY = {"int8", "int4", "gptq", "awq", "nf4", "bnb_fp4", "mxfp4", "q8_0", "q4_0", "q6_k", "q4_k", "q5_k",
                "iq4_xs", "q4_k_m", "q5_k_m"}


@dataclass(frozen=True)
class ComputePlan:
    fmt: str  # tensor-core format the matmuls run in
    tflops: float
    weight_only: bool  # weights dequantised to 16-bit inside the kernel
    note: str
    code: str = ""  # "no_bf16", "no_fp8", "no_fp4", "weight_only" or "" (for grouping notes across devices)
    # The physical ceiling (Roofline): dense TFLOP/s of the fastest format the path's kernels can use, and its name.
    peak_tflops: float = 0.0
    peak_format: str = ""
    attention_peak_tflops: float = 0.0


def compute_plan(gpu: GPU, wfmt: WeightFormat, engine: Engine | None = None) -> ComputePlan:
    """Which tensor-core rate the matmuls get. FP8 weights run W8A8 and NVFP4 W4A4 where the device has that
    format; every other quantised format (and FP8/NVFP4 on devices without it) runs weight-only, 16-bit math.
    An engine whose F16 GEMMs accumulate in FP16 gets a GeForce card's FP16-accumulate rate for fp16 weights."""
    plan = _plan(gpu, wfmt, engine)
    return replace(plan, **path_peaks(gpu, wfmt.name, engine, plan.tflops, plan.fmt))


def _plan(gpu: GPU, wfmt: WeightFormat, engine: Engine | None) -> ComputePlan:
    acc16 = gpu.fp16_accumulate_tflops if engine is not None and engine.raw.get("gemm_fp16_accumulate") else None
    if wfmt.name == "fp16" and acc16:
        return ComputePlan("fp16", acc16, False,
                           f"{engine.name} multiplies F16 weights with FP16 accumulation: {gpu.name} runs that at "
                           f"{acc16:g} TFLOP/s, twice its FP32-accumulate rate", "fp16_acc16")
    if _GGUF.match(wfmt.name) and acc16:
        # ggml-cuda ggml_cuda_op_mul_mat_cublas: use_fp16 = (src0 is F16 or ggml_is_quantized(src0)) ... -> a
        # quantized matrix is dequantized to F16 and multiplied by the same cublasGemmEx(CUBLAS_COMPUTE_16F) as F16
        # weights (prompt batches; MMQ's int8 kernels, where llama.cpp picks them, are at least as fast).
        return ComputePlan("fp16", acc16, True,
                           f"{engine.name} dequantizes {wfmt.name} to F16 for prompt batches and multiplies with "
                           f"FP16 accumulation: {gpu.name} runs that at {acc16:g} TFLOP/s", "fp16_acc16")
    half = "bf16" if gpu.tflops.get("bf16") else "fp16"
    half_rate = gpu.tflops.get(half)
    if half_rate is None:
        raise InvalidInput(f"{gpu.name} has no 16-bit tensor rate in the catalog", field="gpus")
    native = {"fp8": "fp8", "nvfp4": "fp4"}.get(wfmt.name)
    if native:
        if gpu.tflops.get(native):
            return ComputePlan(native, gpu.tflops[native], False, "")
        return ComputePlan(half, half_rate, True, f"{gpu.name} has no {native.upper()} tensor cores: {wfmt.name} "
                           f"weights are dequantised in the kernel (weight-only) and the math runs in {half}",
                           f"no_{native}")
    if (wfmt.name in _WEIGHT_ONLY) if wfmt.weight_only is None else wfmt.weight_only:
        return ComputePlan(half, half_rate, True, f"{wfmt.name} is weight-only here: dequantised in the kernel, "
                           f"math in {half}", "weight_only")
    if wfmt.name == "bf16" and half == "fp16":
        return ComputePlan(half, half_rate, False, f"{gpu.name} has no BF16: bf16 weights run as fp16 (check "
                           "the model tolerates the fp16 range)", "no_bf16")
    return ComputePlan(half, half_rate, False, "")


def experts_touched(num_experts: int, top_k: int, tokens: int) -> float:
    """Expected distinct experts hit per MoE layer by `tokens` tokens routed uniformly to top_k of E."""
    return num_experts * (1 - (1 - top_k / num_experts) ** tokens)


def matmul_params(params: ParamCount, shape: ModelShape) -> int:
    """Parameters multiplied per token: the input embedding is a lookup, not a matmul (a tied table is the
    LM head, so it stays)."""
    return params.active - (0 if shape.tied_embeddings else params.embeddings)


def _embedding_bytes(params: ParamCount, wfmt: WeightFormat) -> int:
    if wfmt.stored is not None:
        return wfmt.stored.embeddings
    only_emb = ParamCount(total=params.embeddings, active=params.embeddings, non_embedding=0,
                          embeddings=params.embeddings, lm_head=0, attention=0, dense_mlp=0, routed_experts=0,
                          routed_experts_active=0, shared_experts=0, router=0, norms=0)
    return weight_bytes(only_emb, wfmt)[0]


def weights_touched_bytes(params: ParamCount, shape: ModelShape, wfmt: WeightFormat, tokens: int) -> int:
    """Whole-model bytes read by one forward step over `tokens` tokens (all GPUs together)."""
    total, _, _ = weight_bytes(params, wfmt)
    touched = total - (0 if shape.tied_embeddings else _embedding_bytes(params, wfmt))
    if shape.moe is not None and params.routed_experts:
        routed = wfmt.stored.routed_experts if wfmt.stored is not None else int(
            params.routed_experts * wfmt.bits_float / 8)
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
    # attention layers only (linear/SSM layers attend to no keys); chunked layers bounded like sliding ones
    return sum(min(position, w) if w else position for w in shape.attention_windows)


def _causal_pairs(shape: ModelShape, prompt: int) -> int:
    """Σ over positions i = 1..P of keys attended, summed over layers (causal, windows applied)."""
    out = 0
    for w in shape.attention_windows:  # chunked layers bounded like sliding ones (an upper bound)
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
    seconds: Band  # low = fastest
    weight_bytes_per_gpu: int
    kv_bytes_per_gpu: int
    matmul_flops_per_gpu: float
    attention_flops_per_gpu: float
    comm_seconds: Band
    overhead_seconds: Band  # engine step overhead + MoE dispatch, all steps of this estimate
    bound: str  # "memory", "compute" or "overhead" at mid, whichever term is largest
    plan: ComputePlan
    factors: Factors
    steps: int = 1  # forward passes (prefill chunks)
    band: BandRule | None = None  # where `seconds`' low and high came from (None: the efficiency ranges)
    roofline: Roofline | None = None  # the physical floor of `seconds`
    capped: str = ""  # what banded() clamped at the roofline, said in the result's band block


def band_group(f: Factors) -> str:
    """Coverage group of a step (tools/bands.py): generic profile, engine uncalibrated here, or calibrated."""
    return "generic" if f.engine == "generic" else "calibrated" if f.calibrated else "uncalibrated"


def band_setup(f: Factors) -> str:
    if f.engine == "generic":
        return "uncalibrated engine: generic profile"
    return f"calibrated: {f.engine} on {f.platform}" if f.calibrated else f"uncalibrated: {f.why_uncalibrated}"


def band_info(step: StepEstimate) -> dict:
    """The `band` block of a result section: coverage meant, coverage group, where the quantiles came from, and
    `capped` when an end was clamped at the roofline."""
    if not step.band:
        return {}
    out = step.band.describe(band_setup(step.factors))
    if step.capped:
        out["capped"] = step.capped
    return out


def banded(step: StepEstimate, kind: str) -> StepEstimate:
    """The step with its band from the calibration errors of this prediction kind and coverage group
    (tools/data/bands.json): low/high = mid x the group's quantiles of measured/predicted time, then clamped at
    the roofline (no end may be faster than the device can physically run the step), saying so."""
    r = bands.rule(kind, band_group(step.factors))
    band, capped = clamp(Band(*r.apply(step.seconds.mid)), step.roofline, r.q_low)
    return replace(step, seconds=band, band=r, capped=capped)


def _allreduce_seconds(gpu: GPU, tp: int, message_bytes: int, count: int) -> Band:
    if tp == 1:
        return Band(0.0, 0.0, 0.0)
    steps = math.log2(tp)
    fast, gb_s = gpu.link_for(tp)
    lat = ALLREDUCE_STEP_S.scale(steps * (1 if fast else PCIE_LATENCY_FACTOR))
    link = gb_s / 2 * 1e9 * LINK_EFFICIENCY  # per direction
    wire = message_bytes * 2 * (tp - 1) / tp / link  # ring all-reduce moves 2(tp-1)/tp of the message
    return Band(count * (lat.low + wire), count * (lat.mid + wire), count * (lat.high + wire))


@dataclass(frozen=True)
class _Work:
    weight_b: int  # bytes of weights read per GPU, all steps together
    kv_b: int
    mm_flops: float
    attn_flops: float
    tokens: int  # tokens per GEMM
    steps: int
    moe_layers: int


def _time(gpu: GPU, plan: ComputePlan, f: Factors, w: _Work, comm: Band) -> StepEstimate:
    bw = gpu.bandwidth_bytes_per_s
    half_rate = (gpu.tflops.get("bf16") or gpu.tflops["fp16"]) * 1e12

    def seconds(which: str) -> tuple[float, float, float, float]:
        e_w, e_kv, e_mm, e_at = (getattr(b, which) for b in (f.weight_bw, f.kv_bw, f.gemm, f.attention))
        slow = which == "low"
        ovh = f.step_overhead_s.high if slow else f.step_overhead_s.low if which == "high" else f.step_overhead_s.mid
        moe = f.moe_layer_s.high if slow else f.moe_layer_s.low if which == "high" else f.moe_layer_s.mid
        mem_w, mem_kv = w.weight_b / (bw * e_w), w.kv_b / (bw * e_kv)
        comp_mm = w.mm_flops / (plan.tflops * 1e12 * e_mm)
        comp_at = w.attn_flops / (half_rate * e_at)
        c = comm.high if slow else comm.low if which == "high" else comm.mid
        fixed = w.steps * (ovh + w.moe_layers * moe)
        total = max(mem_w, comp_mm) + max(mem_kv, comp_at) + fixed + c
        return total, mem_w + mem_kv, comp_mm + comp_at, fixed

    fast, mid, slow = seconds("high"), seconds("mid"), seconds("low")
    # The efficiency ranges give a first band; what a result reports is banded() below, from calibration errors.
    total = Band(fast[0], mid[0], slow[0])
    roof = Roofline.of(gpu, w.weight_b + w.kv_b, w.mm_flops, w.attn_flops, plan.peak_tflops, plan.peak_format,
                       plan.attention_peak_tflops)
    bound = max((("memory", mid[1]), ("compute", mid[2]), ("overhead", mid[3])), key=lambda t: t[1])[0]
    why = f.why_uncalibrated or (f.why_compute_uncalibrated if bound == "compute" else "")
    if why:
        f = replace(f, calibrated=False, why_uncalibrated=why)
    return StepEstimate(seconds=total, weight_bytes_per_gpu=w.weight_b,
                        kv_bytes_per_gpu=w.kv_b, matmul_flops_per_gpu=w.mm_flops, attention_flops_per_gpu=w.attn_flops,
                        comm_seconds=comm, overhead_seconds=Band(fast[3], mid[3], slow[3]), bound=bound, plan=plan,
                        factors=f, steps=w.steps, roofline=roof)


def _check_tp(shape: ModelShape, tp: int) -> None:
    if tp < 1:
        raise InvalidInput(f"gpu count must be >= 1, got {tp}", field="gpu_count", allowed="integer >= 1")
    if shape.num_heads % tp:
        raise InvalidInput(f"tensor parallelism over {tp} GPUs needs num_heads ({shape.num_heads}) divisible by "
                           f"{tp}", field="gpu_count")


def _setup(shape: ModelShape, gpu: GPU, wfmt: WeightFormat, tp: int, engine: Engine | None):
    _check_tp(shape, tp)
    e = engine or eng.default_for(gpu)  # vLLM, or where it does not run the device's default (llama.cpp on Apple)
    plan = compute_plan(gpu, wfmt, e)
    return e, plan, eng.factors(e, gpu, plan.fmt, plan.weight_only)


def _moe_layers(shape: ModelShape) -> int:
    return shape.moe_layer_count if shape.moe is not None else 0


def mixed_step(shape: ModelShape, params: ParamCount, gpu: GPU, wfmt: WeightFormat, *, decode_batch: int,
               context: int, prefill_tokens: float = 0, prefill_context: int = 0, gpus: int = 1,
               kv_fmt: KVFormat | None = None, engine: Engine | None = None) -> StepEstimate:
    """One continuous-batching step: `decode_batch` sequences holding `context` tokens of KV each decode one
    token, and `prefill_tokens` prompt tokens (of prompts `prefill_context` long) ride in the same GEMMs."""
    e, plan, f = _setup(shape, gpu, wfmt, gpus, engine)
    gpus = eng.timing_gpus(e, gpus)
    kvf = kv_fmt or kv_format("bf16")
    tokens = max(1, math.ceil(decode_batch + prefill_tokens))
    _, extra = weight_bytes_per_gpu(params, shape, wfmt, gpus)
    weight_b = -(-weights_touched_bytes(params, shape, wfmt, tokens) // gpus) + extra
    kv_b = decode_batch * kv_bytes_per_sequence_per_gpu(shape, kvf, context, gpus)
    mm, attn = decode_flops(params, shape, context, decode_batch)
    if prefill_tokens and prefill_context:
        per_prompt_mm, per_prompt_attn = prefill_flops(params, shape, prefill_context)
        mm += per_prompt_mm * prefill_tokens / prefill_context
        attn += per_prompt_attn * prefill_tokens / prefill_context
    comm = _allreduce_seconds(gpu, gpus, tokens * shape.hidden_size * 2, 2 * shape.num_layers)
    return _time(gpu, plan, f, _Work(weight_b, kv_b, mm / gpus, attn / gpus, tokens, 1, _moe_layers(shape)), comm)


def decode_step(shape: ModelShape, params: ParamCount, gpu: GPU, wfmt: WeightFormat, context: int, batch: int,
                gpus: int = 1, kv_fmt: KVFormat | None = None, engine: Engine | None = None) -> StepEstimate:
    """One decode step: every sequence of the batch holds `context` tokens of KV."""
    return banded(mixed_step(shape, params, gpu, wfmt, decode_batch=batch, context=context, gpus=gpus,
                             kv_fmt=kv_fmt, engine=engine), "decode")


def prefill(shape: ModelShape, params: ParamCount, gpu: GPU, wfmt: WeightFormat, prompt: int, gpus: int = 1,
            engine: Engine | None = None, chunk: int | None = None) -> StepEstimate:
    """Prefill of one prompt of `prompt` tokens, in chunks of `chunk` tokens (the engine's default): each chunk
    reads the weights and pays the step overhead once; KV writes are small next to the weights and ignored."""
    e, plan, f = _setup(shape, gpu, wfmt, gpus, engine)
    gpus = eng.timing_gpus(e, gpus)
    size = chunk or e.step_token_budget or prompt
    steps = max(1, math.ceil(prompt / size))
    per_chunk = min(prompt, size)
    weight_b = steps * -(-weights_touched_bytes(params, shape, wfmt, per_chunk) // gpus)
    mm, attn = prefill_flops(params, shape, prompt)
    comm = _allreduce_seconds(gpu, gpus, per_chunk * shape.hidden_size * 2, 2 * shape.num_layers * steps)
    return banded(_time(gpu, plan, f, _Work(weight_b, 0, mm / gpus, attn / gpus, per_chunk, steps,
                                            _moe_layers(shape)), comm), "ttft")


def decode_tokens_per_second(shape: ModelShape, params: ParamCount, gpu: GPU, weight_fmt: WeightFormat,
                             context: int, batch: int, gpus: int = 1, kv_fmt: KVFormat | None = None,
                             engine: Engine | None = None) -> Band:
    """Aggregate decode tokens/s over the batch (per stream: divide by batch), low / mid / high."""
    s = decode_step(shape, params, gpu, weight_fmt, context, batch, gpus, kv_fmt, engine).seconds
    return Band(batch / s.high, batch / s.mid, batch / s.low)


def time_to_first_token(shape: ModelShape, params: ParamCount, gpu: GPU, weight_fmt: WeightFormat, prompt: int,
                        gpus: int = 1, kv_fmt: KVFormat | None = None, engine: Engine | None = None) -> Band:
    """Seconds to the first token: the prefill pass, whose last logits give it (engines.ttft_definition())."""
    return prefill(shape, params, gpu, weight_fmt, prompt, gpus, engine).seconds
