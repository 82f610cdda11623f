"""The physical floor of a step's time, and the clamp that keeps every band end (and mid) above it.

A band is the mid times quantiles of calibration errors (tools/bands.py). Those quantiles know nothing about the
device, so on a setup where our mid already runs near peak bandwidth (a small model on a GeForce card, say) the
fast end of an honest-coverage band can claim more than the device can do. The roofline is the hard limit:

    time >= max(bytes the step must read per device / peak bandwidth,
                matmul FLOPs / peak of the fastest format its kernels can use + attention FLOPs / 16-bit peak)

(peak bandwidth and dense TFLOP/s from the device catalog, tools/data/gpus.json). A band end below it is raised to
it and the result says so; nothing is clamped silently.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .engines import Band, Engine
from .gpus import GPU

# Weight formats some engine multiplies on integer tensor cores: int8 (W8A8 kernels) and GGUF types (llama.cpp's
# MMQ multiplies the quantized blocks with int8 activations on int8 tensor cores; vLLM's GGUF kernels come from
# it). Only the physical cap uses this: our estimates run GGUF types at the FP16-accumulate rate of the
# dequantize-then-cuBLAS path (speed._plan) and int8 weight-only at the 16-bit rate.
_INTEGER_DOT = re.compile(r"^(int8|i?q\d.*)$")


def path_peaks(gpu: GPU, weight_format: str, engine: Engine | None, plan_tflops: float, plan_format: str) -> dict:
    """The fastest dense rates the path could physically reach, whatever our estimate assumes: the plan's own
    format; a GeForce card's FP16-accumulate rate where the engine accumulates 16-bit GEMMs in FP16 (its
    dequantize-then-cuBLAS path included); the INT8 rate for int8 and GGUF weights (integer-dot kernels).
    Attention runs at the 16-bit rate (FP16-accumulate where the engine uses it)."""
    half = gpu.tflops.get("bf16") or gpu.tflops.get("fp16") or plan_tflops
    acc16 = (gpu.fp16_accumulate_tflops or 0.0) if engine is not None and engine.raw.get("gemm_fp16_accumulate") \
        else 0.0
    options = [(plan_tflops, plan_format)]
    if plan_format in ("fp16", "bf16") and acc16:
        options.append((acc16, "fp16 with FP16 accumulate"))
    if _INTEGER_DOT.match(weight_format) and gpu.tflops.get("int8"):
        options.append((gpu.tflops["int8"], "int8"))
    rate, fmt = max(options, key=lambda o: o[0])
    return {"peak_tflops": rate, "peak_format": fmt, "attention_peak_tflops": max(half, acc16)}


@dataclass(frozen=True)
class Roofline:
    """The fastest a step can physically run on one device: every byte it must read (weights read, KV read) at
    100% of peak bandwidth, or every FLOP at 100% of the dense peak of the fastest format its kernels can use
    (attention at the 16-bit peak), whichever takes longer."""

    seconds: float
    memory_seconds: float
    compute_seconds: float
    bytes_per_gpu: float
    flops_per_gpu: float
    bandwidth_gb_s: float
    peak_tflops: float
    peak_format: str

    @classmethod
    def of(cls, gpu: GPU, bytes_per_gpu: float, matmul_flops: float, attention_flops: float, peak_tflops: float,
           peak_format: str, attention_peak_tflops: float) -> Roofline:
        mem = bytes_per_gpu / gpu.bandwidth_bytes_per_s
        comp = matmul_flops / (peak_tflops * 1e12) + attention_flops / (attention_peak_tflops * 1e12)
        return cls(max(mem, comp), mem, comp, bytes_per_gpu, matmul_flops + attention_flops, gpu.bandwidth_gb_s,
                   peak_tflops, peak_format)

    @property
    def limit(self) -> str:
        if self.memory_seconds >= self.compute_seconds:
            return (f"100% of peak bandwidth ({self.bandwidth_gb_s:,.0f} GB/s) for the {self.bytes_per_gpu / 1e9:,.3g} "
                    "GB each step must read per device")
        return (f"100% of the dense peak ({self.peak_tflops:,.4g} TFLOP/s {self.peak_format}; attention at the "
                f"16-bit peak) for the {self.flops_per_gpu:.3g} FLOPs per device")

    def mean(self, other: Roofline, f: float) -> Roofline:
        """The bound of a mix of steps: (1 - f) of these and f of `other` (each step is bounded on its own)."""
        def m(a: float, b: float) -> float:
            return (1 - f) * a + f * b
        return Roofline(m(self.seconds, other.seconds), m(self.memory_seconds, other.memory_seconds),
                        m(self.compute_seconds, other.compute_seconds), m(self.bytes_per_gpu, other.bytes_per_gpu),
                        m(self.flops_per_gpu, other.flops_per_gpu), self.bandwidth_gb_s, self.peak_tflops,
                        self.peak_format)


def clamp(band: Band, roof: Roofline | None, q_low: float) -> tuple[Band, str]:
    """A time band with every value below the roofline raised to it, and what that did ("" when nothing)."""
    floor = roof.seconds if roof is not None else 0.0
    if band.low >= floor:
        return band, ""
    ends = "tokens/s high, time low" + (", and the mid" if band.mid < floor else "")
    note = (f"fast end capped at the roofline ({ends}): {roof.limit}; the calibration quantile alone "
            f"(x{math.exp(q_low):.3g} on time) would imply {floor / band.low:.0%} of that")
    return Band(floor, max(band.mid, floor), max(band.high, floor)), note
