"""Training compute: 6·N·D FLOPs plus attention, Chinchilla-optimal tokens, throughput and GPU-hours.

FLOPs per token
- Dense matmuls: forward 2 FLOPs per weight per token, backward 4 (input and weight gradients): 6·N (Kaplan
  et al. 2020, §2.1). The headline `training_flops` is 6·N·D with N the active parameters, the convention of
  model cards and papers (Llama 3: 6 × 405e9 × 15.6e12 = 3.8e25). For time we count only weights that are
  multiplied: the input-embedding lookup does no matmul (an untied table is dropped; a tied one is the LM head).
- Attention scores: per layer, QKᵀ and A·V each cost 2·T·H·d per token forward, where T is the sequence
  length, H the query heads and d the head width; training is 3× forward. With d_qk = d_v = Q this is
  6·T·H·(Q + Q) = 12·L·H·Q·T per token: PaLM (Chowdhery et al. 2022, arXiv 2204.02311) Appendix B, the term
  torchtitan's MFU also counts. It counts the whole T×T score matrix; causal kernels (FlashAttention) skip
  about half, so the hardware does roughly half of it. MLA uses its qk (nope + rope) and v widths; sliding
  window layers see min(T, window) keys.
- LoRA / QLoRA: frozen weights get no weight gradient, so dense matmuls cost 2·N forward + 2·N for the input
  gradients = 4·N (adapter matmuls are < 1% at the ranks used); attention backward is unchanged.
- Full activation checkpointing recomputes the forward: the hardware does 2·N + attention/3 more per token,
  which model-FLOPs utilisation (MFU) does not credit.

Efficiency
- MFU is always quoted against the dense BF16 peak, as Llama 3 ("BF16 MFU", arXiv 2407.21783 Table 4),
  Megatron and torchtitan do. FP8 recipes quantise the Linear layers only (attention stays BF16), and what they
  gain there depends on the stack: the calibration cases imply 1.39× the BF16 rate for torchtitan's Float8 and
  1.84× for Megatron-Bridge (against Megatron-LM's BF16 table, newer software included). So FP8 multiplies the
  dense-matmul rate by a per-framework speed-up, never the whole run by the datasheet's 2× at unchanged MFU.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import InvalidInput
from ..model.params import ParamCount
from ..model.shape import ModelShape

# Hoffmann et al. 2022 (arXiv 2203.15556) Table 3, compute-optimal tokens by model size (Approach 1).
CHINCHILLA_TABLE3 = ((1e9, 20.2e9), (10e9, 205.1e9), (67e9, 1.5e12), (175e9, 3.7e12), (1e12, 21.2e12))

# Hardware FLOPs utilisation (HFU: FLOPs the hardware executes, recompute included, over the dense 16-bit peak)
# as (low, mid, high), and FP8 throughput relative to the same run in BF16, by training framework. Chosen from
# the calibration cases of benchmarks/validation/training.jsonl only (see its README); holdout cases never set
# a constant. A framework without calibration cases falls back to the generic entry of its device kind.
@dataclass(frozen=True)
class Efficiency:
    hfu: tuple[float, float, float]
    fp8_speedup: tuple[float, float, float]
    calibrated_on: str


# Every number below is printed by benchmarks/validation/calibrate_training.py from the calibration cases: the
# median implied HFU (or FP8 speed-up) of a framework's cases, band = median × (1 ± w), w = max(0.2, the cases'
# own spread). Generic entries serve frameworks without calibration cases.
_CAL = "benchmarks/validation calibration cases"
EFFICIENCY: dict[str, Efficiency] = {
    "megatron": Efficiency((0.352, 0.441, 0.529), (1.473, 1.841, 2.209),
                           f"{_CAL}: Megatron-LM GPT MFU table (BF16); Megatron-Bridge FP8 rows"),
    "torchtitan": Efficiency((0.297, 0.371, 0.445), (1.113, 1.391, 1.669),
                             f"{_CAL}: torchtitan Llama 3.1 H100 benchmarks (Dec 2024, June 2025)"),
    "torchtune": Efficiency((0.377, 0.629, 0.88), (1.113, 1.391, 1.669),
                            f"{_CAL}: torchtune README tables; FP8 speed-up as torchtitan (no FP8 case)"),
    "maxtext": Efficiency((0.517, 0.646, 0.775), (1.0, 1.0, 1.0), f"{_CAL}: MaxText TPU v5p MFU table"),
}
# Generic: the Llama 3 405B MFU rows (8K on 8,192 and 16,384 H100s, 128K) and LLaMA 65B's 380 tokens/s/GPU
# (calibration cases) imply HFU 0.413, 0.394, 0.271, 0.485: median 0.404. FP8: the median of the calibrated
# frameworks' speed-ups (1.62), banded by no gain (1.0) and the datasheet ratio (2.0).
GENERIC = {"gpu": Efficiency((0.271, 0.404, 0.536), (1.0, 1.616, 2.0),
                             f"{_CAL}: Llama 3 405B MFU, LLaMA 65B tokens/s"),
           "tpu": EFFICIENCY["maxtext"]}
# MoE training: routing, all-to-all and narrow expert GEMMs cost efficiency the dense model does not pay. The
# MoE calibration cases (Megatron-Bridge DeepSeek-V3 on GB300, GB200 and B300, Qwen3-30B-A3B on H100, all FP8)
# ran at 0.86, 0.68, 0.59 and 0.30 of their framework's dense, bubble-free prediction: the HFU band is multiplied by
# (0.299, 0.636, 0.973).
MOE_HFU_FACTOR = (0.299, 0.636, 0.973)
COMPUTE_FRAMEWORKS = ("megatron", "torchtitan", "torchtune", "maxtext", "hf", "unsloth")


def efficiency(framework: str | None, device_kind: str) -> tuple[Efficiency, bool]:
    """(efficiency, calibrated): the framework's calibrated entry, else the generic one for the device kind."""
    if framework and framework not in COMPUTE_FRAMEWORKS:
        raise InvalidInput(f"unknown framework {framework!r}", field="framework", allowed=list(COMPUTE_FRAMEWORKS))
    if framework in EFFICIENCY:
        return EFFICIENCY[framework], True
    return GENERIC["tpu" if device_kind == "tpu" else "gpu"], False


METHODS = ("full", "lora", "qlora")


def chinchilla_tokens(n_params: float) -> float:
    """Compute-optimal training tokens: log-log interpolation of Table 3 (extrapolated along the end
    segments outside 1B–1T). The table is ~20–22 tokens per parameter throughout."""
    pts = CHINCHILLA_TABLE3
    if n_params <= 0:
        raise InvalidInput("parameter count must be > 0", field="model")
    x = math.log(n_params)
    i = 0 if n_params <= pts[1][0] else len(pts) - 2
    for j in range(len(pts) - 1):
        if pts[j][0] <= n_params <= pts[j + 1][0]:
            i = j
            break
    (x0, y0), (x1, y1) = (math.log(pts[i][0]), math.log(pts[i][1])), (math.log(pts[i + 1][0]),
                                                                       math.log(pts[i + 1][1]))
    return math.exp(y0 + (y1 - y0) * (x - x0) / (x1 - x0))


def training_flops(active_params: int, tokens: float) -> float:
    """6·N·D: forward 2 FLOPs per parameter per token, backward 4 (Kaplan et al. 2020, §2.1)."""
    return 6 * active_params * tokens


def matmul_params(params: ParamCount, tied: bool) -> int:
    """Active weights that take part in a matmul: the input-embedding lookup is a gather, not a matmul."""
    return params.active if tied else params.active - params.embeddings


def _attention_keys(shape: ModelShape, seq: int) -> tuple[float, float]:
    """Keys per query summed over layers: (PaLM count: every key of the T×T matrix, or of the window for sliding
    layers; hardware: what a causal kernel computes, T/2 on average for full attention)."""
    counted = hardware = 0.0
    for window in shape.attention_windows:  # attention layers only: linear/SSM layers attend to no keys
        w = window or seq
        if w >= seq:
            counted += seq
            hardware += seq / 2
        else:
            # Query p sees min(p, w) keys: (w(w + 1)/2 + (T − w)·w) / T on average.
            counted += w
            hardware += (w * (w + 1) / 2 + (seq - w) * w) / seq
    return counted, hardware


def attention_flops_per_token(shape: ModelShape, seq: int, hardware: bool = False) -> float:
    """Training FLOPs per token of the attention scores and their weighted sum: PaLM App. B convention (the
    full T×T matrix, 3× forward), or with hardware=True what a causal kernel actually computes (about half)."""
    if seq < 1:
        raise InvalidInput(f"context_tokens must be >= 1, got {seq}", field="context_tokens")
    if shape.mla is not None:
        qk, v = shape.mla.qk_nope_head_dim + shape.mla.qk_rope_head_dim, shape.mla.v_head_dim
    else:
        qk = v = shape.head_dim
    keys = _attention_keys(shape, seq)[1 if hardware else 0]
    return 6 * keys * shape.num_heads * (qk + v)


@dataclass(frozen=True)
class FlopsPerToken:
    dense: float  # matmul weights: 6·N (full) or 4·N (LoRA)
    attention: float  # PaLM convention (full score matrix)
    attention_hardware: float  # causal: what the kernel computes
    dense_recompute: float  # activation checkpointing re-runs the forward: 2·N
    attention_recompute: float  # and the attention forward (hardware count / 3)

    @property
    def model(self) -> float:
        """Model FLOPs: what MFU credits (PaLM / Megatron / torchtitan convention)."""
        return self.dense + self.attention

    @property
    def hardware_dense(self) -> float:
        return self.dense + self.dense_recompute

    @property
    def hardware_attention(self) -> float:
        return self.attention_hardware + self.attention_recompute

    @property
    def hardware(self) -> float:
        return self.hardware_dense + self.hardware_attention


def flops_per_token(shape: ModelShape, params: ParamCount, seq: int, method: str = "full",
                    checkpointing: bool = False) -> FlopsPerToken:
    if method not in METHODS:
        raise InvalidInput(f"unknown method {method!r}", field="method", allowed=list(METHODS))
    n = matmul_params(params, shape.tied_embeddings)
    attn = attention_flops_per_token(shape, seq)
    attn_hw = attention_flops_per_token(shape, seq, hardware=True)
    dense = (6 if method == "full" else 4) * n
    return FlopsPerToken(dense, attn, attn_hw, 2 * n if checkpointing else 0.0,
                         attn_hw / 3 if checkpointing else 0.0)


def tokens_per_second(fpt: FlopsPerToken, peak_tflops: float, hfu: float, fp8_speedup: float = 1.0) -> float:
    """Per GPU: the dense matmuls run at hfu × peak × fp8_speedup, attention at hfu × peak (FP8 training recipes
    quantise the Linear layers; FlashAttention stays in BF16)."""
    rate = hfu * peak_tflops * 1e12
    return 1 / (fpt.hardware_dense / (rate * fp8_speedup) + fpt.hardware_attention / rate)


def tokens_per_second_ceiling(fpt: FlopsPerToken, peak_tflops: float, matmul_peak_tflops: float,
                              busy: float = 1.0) -> float:
    """Per GPU, the most tokens/s physics allows: the FLOPs the hardware executes (recompute included, attention
    as a causal kernel does it) at 100% of the dense peak, the Linear layers at `matmul_peak_tflops` (the FP8 peak
    for FP8 recipes) and attention at the 16-bit peak; and no more model FLOPs than that either (MFU <= 1 for
    BF16: the PaLM convention counts the whole score matrix, so it can exceed the causal hardware count). `busy`:
    the share of the step the GPU computes (1 - pipeline bubble)."""
    rate16, rate_mm = peak_tflops * 1e12, matmul_peak_tflops * 1e12
    hardware = fpt.hardware_dense / rate_mm + fpt.hardware_attention / rate16
    model = fpt.dense / rate_mm + fpt.attention / rate16
    return busy / max(hardware, model)


def cap_throughput(tps: tuple[float, float, float], ceiling: float, fmt: str,
                    matmul_peak: float) -> tuple[tuple[float, ...], str]:
    """The tokens/s band with every value above the physical ceiling lowered to it, and what that did."""
    if tps[2] <= ceiling:
        return tps, ""
    ends = "high" + (" and mid" if tps[1] > ceiling else "")
    note = (f"tokens/s and MFU {ends} capped at the roofline: the FLOPs the hardware executes per token at 100% of "
            f"the dense peak ({matmul_peak:g} TFLOP/s {fmt} for the Linear layers, 16-bit for attention)"
            + (", and MFU at most 1" if fmt == "bf16" else "") + f"; the calibration quantile alone would imply "
            f"{tps[2] / ceiling:.0%} of that")
    return tuple(min(t, ceiling) for t in tps), note


def pipeline_bubble(stages: int, microbatches: int, virtual_stages: int = 1) -> float:
    """Fraction of a training step a pipeline-parallel rank idles in the fill and drain bubble. 1F1B (and GPipe):
    (p - 1) / (m + p - 1) for p stages and m microbatches; the interleaved schedule with v model chunks per rank
    divides the bubble by v: (p - 1) / (v·m + p - 1) (Narayanan et al. 2021, arXiv 2104.04473, §2.2: bubble time
    (p - 1)/m, and (1/v)·(p - 1)/m interleaved, of the ideal time)."""
    for name, v in (("pipeline_parallel", stages), ("microbatches", microbatches), ("virtual_stages", virtual_stages)):
        if v < 1:
            raise InvalidInput(f"{name} must be >= 1, got {v}", field=name)
    return (stages - 1) / (virtual_stages * microbatches + stages - 1)


def gpu_hours(flops: float, peak_tflops: float, mfu: float) -> float:
    if not 0 < mfu <= 1:
        raise InvalidInput(f"mfu must be in (0, 1], got {mfu}", field="mfu")
    return flops / (peak_tflops * 1e12 * mfu) / 3600
