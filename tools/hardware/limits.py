"""The inverse questions of a fit: the longest context, the most sequences, the best weight format that a
device holds. Each answer comes from the forward calculation (`fit.place`) itself, by search, so that at
the reported limit the placement fits and one step beyond it does not (tests/tools/hardware/test_limits.py
checks this over the catalog). Memory grows monotonically with context and with batch (KV, the prefill
chunk and the logits all do), which makes the searches exact.

Formats are suggested only where the device runs them, after vLLM's quantization hardware table
(docs.vllm.ai, features/quantization "Supported Hardware") and llama.cpp's backends (CUDA, HIP, Metal):
- fp8 and int8 weights need FP8 / INT8 tensor cores (the catalog's TFLOP/s is null where a device has none:
  no FP8 on T4, A100 or TPU v5e; no INT8 on V100);
- GGUF types (q8_0 … iq4_xs) run under llama.cpp or vLLM on NVIDIA and AMD GPUs and under llama.cpp's Metal
  backend on Apple silicon, not on TPUs, Trainium, Inferentia or Gaudi;
- AWQ kernels need an NVIDIA GPU of compute capability 7.5 or newer (Turing on; not Volta, not AMD);
- bf16 runs everywhere (as fp16 where a device lacks bf16).
"""

from __future__ import annotations

from functools import lru_cache

from ..errors import UnsupportedConfig
from ..model.formats import WEIGHT_FORMATS, KVFormat, WeightFormat
from ..model.params import ParamCount
from ..model.resolve import shaped_weight_format
from ..model.shape import ModelShape
from .fit import place
from .gpus import GPU

# Formats tried, best quality first, when asked "what would fit on one GPU instead".
FALLBACK_FORMATS = ("bf16", "fp8", "int8", "q8_0", "q6_k", "q5_k_m", "q4_k_m", "awq", "iq4_xs")
_GGUF = {"q8_0", "q4_0", "q6_k", "q4_k", "q5_k", "iq4_xs", "q4_k_m", "q5_k_m"}
_GGUF_VENDORS = ("nvidia", "amd", "apple")
_VOLTA = ("v100",)  # compute capability 7.0: no AWQ kernels in vLLM


def runs_format(gpu: GPU, fmt: str) -> bool:
    """Whether a serving engine runs weights in `fmt` on this device (see the module docstring)."""
    if fmt in ("fp8", "int8"):
        return gpu.tflops.get(fmt) is not None
    if fmt in _GGUF:
        return gpu.vendor in _GGUF_VENDORS and gpu.kind in ("gpu", "unified")
    if fmt == "awq":
        return gpu.vendor == "nvidia" and gpu.kind == "gpu" and not gpu.id.startswith(_VOLTA)
    return True


@lru_cache(maxsize=4096)
def format_on(shape: ModelShape, name: str) -> WeightFormat | None:
    """Weight format `name` as memory, fit and speed use it for this shape: a GGUF file type laid out tensor by
    tensor (resolve.shaped_weight_format), the others as defined; None where llama-quantize refuses the type for
    this shape (a row length no block or fallback divides)."""
    try:
        return shaped_weight_format(WEIGHT_FORMATS[name], shape)[0]
    except UnsupportedConfig:
        return None


def best_format_on_one(shape: ModelShape, params: ParamCount, gpu: GPU, kvfmt: KVFormat, *, context: int,
                       batch: int, overhead: int | None = None, engine: str | None = None) -> str | None:
    """The highest-precision common weight format that this device runs and that fits on one of it at this
    context and batch, each format's bytes as memory_estimate counts them for this shape (format_on)."""
    for name in FALLBACK_FORMATS:
        wfmt = format_on(shape, name) if runs_format(gpu, name) else None
        if wfmt is None:
            continue
        p = place(shape, params, gpu, wfmt, kvfmt, context=context, batch=batch, tp=1, overhead=overhead,
                  engine=engine)
        if p.fits:
            return name
    return None


def _largest(fits, hi: int | None) -> int:
    """Largest n >= 1 with fits(n), given fits is monotone (true then false); 0 when fits(1) is false.
    `hi` bounds the search; None searches upward by doubling."""
    if not fits(1):
        return 0
    lo = 1
    if hi is None:
        hi = 2
        while fits(hi):
            lo, hi = hi, hi * 2
            if hi > 1 << 64:  # nothing we place holds 2^64 sequences; stop rather than loop
                return lo
    elif fits(hi):
        return hi
    while hi - lo > 1:  # invariant: fits(lo), not fits(hi)
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid)
    return lo


def max_context(shape: ModelShape, params: ParamCount, gpu: GPU, wfmt: WeightFormat, kvfmt: KVFormat, *,
                batch: int, tp: int, cap: int, overhead: int | None = None, engine: str | None = None) -> int:
    """Longest context (at most `cap`) at which `batch` sequences fit on `tp` devices; 0 if not even one
    token does."""
    return _largest(lambda c: place(shape, params, gpu, wfmt, kvfmt, context=c, batch=batch, tp=tp,
                                    overhead=overhead, engine=engine).fits, cap)


def max_batch(shape: ModelShape, params: ParamCount, gpu: GPU, wfmt: WeightFormat, kvfmt: KVFormat, *,
              context: int, tp: int, overhead: int | None = None, engine: str | None = None) -> int:
    """Most concurrent sequences of `context` tokens that fit on `tp` devices; 0 if not one does."""
    return _largest(lambda b: place(shape, params, gpu, wfmt, kvfmt, context=context, batch=b, tp=tp,
                                    overhead=overhead, engine=engine).fits, None)
