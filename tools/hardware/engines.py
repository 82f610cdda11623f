"""Serving-engine profiles (tools/data/engines.json): how fast an engine streams weights and KV on each memory
class, its fixed cost per step and per MoE layer, how much of a device's matmul ceiling its GEMMs reach, and how
it sizes its KV pool. Every constant carries its source; the fitted ones name the calibration cases of
benchmarks/validation/inference.jsonl they were chosen on.

Where no calibration case covers an engine on a device's memory class (or the device's architecture has no
measured matmul ceiling) the result says "uncalibrated", and its band comes from that coverage group's
calibration errors (tools/bands.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

from ..datafiles import read_json
from ..errors import InvalidInput, UnknownName
from ..units import GiB
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


def _band(d: dict, k: float = 1.0) -> Band:
    return Band(d["low"] * k, d["mid"] * k, d["high"] * k)


@dataclass(frozen=True)
class MemoryModel:
    gpu_fraction: float
    fraction_of: str  # total | total_minus_weights | free_after_weights | context
    runtime_overhead_bytes: int
    tp_overhead_bytes: int
    max_concurrency: int
    source: str


@dataclass(frozen=True)
class Engine:
    id: str
    name: str
    aliases: tuple[str, ...]
    raw: dict
    memory: MemoryModel

    @property
    def calibrated_platforms(self) -> tuple[str, ...]:
        return tuple(self.raw["calibrated"])

    @property
    def step_token_budget(self) -> int | None:
        """Most tokens one forward step processes (prefill chunk); None: a whole prompt in one step."""
        return self.raw.get("step_token_budget")

    def runtime_overhead_bytes(self, tp: int) -> int:
        return self.memory.runtime_overhead_bytes + (self.memory.tp_overhead_bytes if tp > 1 else 0)


@dataclass(frozen=True)
class Factors:
    """Efficiencies for one engine on one device and compute format (fractions of peak; overheads in seconds)."""

    engine: str
    weight_bw: Band  # 16-bit, or already times the weight-only factor
    kv_bw: Band
    gemm: Band  # fraction of the dense peak of the compute format
    attention: Band  # fraction of the 16-bit dense peak
    step_overhead_s: Band
    moe_layer_s: Band
    calibrated: bool
    why_uncalibrated: str  # engine not calibrated on this memory class ("" when it is)
    why_compute_uncalibrated: str = ""  # no measured matmul ceiling: matters only where compute bounds a step
    platform: str = ""  # vendor-memory class of the device, e.g. nvidia-hbm


@cache
def _data() -> dict:
    return read_json("engines.json")


def _engine(e: dict) -> Engine:
    m = e["memory"]
    mem = MemoryModel(m["gpu_fraction"], m["fraction_of"], int(m["runtime_overhead_gib"] * GiB),
                      int(m["tp_overhead_gib"] * GiB), m["max_concurrency"], m["source"])
    return Engine(e["id"], e["name"], tuple(e.get("aliases", ())), e, mem)


@cache
def catalog() -> tuple[Engine, ...]:
    return tuple(_engine(e) for e in _data()["engines"])


def ids() -> list[str]:
    return [e.id for e in catalog()]


def default_id() -> str:
    return _data()["default_engine"]


def ttft_definition() -> str:
    return _data()["ttft_definition"]


def lookup(name: str | None) -> Engine:
    """An engine by id or alias (case and punctuation ignored); None gives the default engine."""
    key = (name or default_id()).strip().lower().replace("_", "-").replace(" ", "-")
    for e in catalog():
        if key == e.id or key in e.aliases:
            return e
    raise UnknownName(f"unknown engine {name!r}", field="engine", allowed=ids())


def matmul_ceiling(gpu: GPU, fmt: str) -> tuple[float, bool]:
    """(best measured matmul fraction of the dense peak for `fmt`, measured?) from the device's own figure, else
    its architecture's, else the 16-bit figure; an assumed default when there is none."""
    own = gpu.matmul_efficiency
    if isinstance(own.get(fmt), (int, float)):
        return own[fmt], True
    arch = _data()["arch_matmul_ceiling"]
    table = arch.get(gpu.arch, {})
    if fmt in table:
        return table[fmt], fmt not in arch["assumed"].get(gpu.arch, ())
    if isinstance(own.get("bf16"), (int, float)):
        return own["bf16"], True
    if "bf16" in table:
        return table["bf16"], True
    return arch["default"]["bf16"], False


# Where an engine runs at all, by device vendor, from its own documentation. An engine asked for elsewhere is
# refused (for_device). Engines not listed run on every device in the catalog: transformers (PyTorch has CUDA,
# ROCm, MPS, XLA, Neuron and Gaudi backends) and generic (a what-if by definition).
RUNS_ON = {
    "trt-llm": ({"nvidia"}, "NVIDIA GPUs only (TensorRT-LLM docs, 'Supported Hardware')"),
    "mlx": ({"apple", "nvidia"}, "Apple silicon, and NVIDIA GPUs through its CUDA backend on Linux (MLX docs, "
                                 "'Build and Install')"),
    "gpt-fast": ({"nvidia", "amd"}, "NVIDIA and AMD GPUs (pytorch-labs/gpt-fast README)"),
    # vLLM runs on NVIDIA, AMD, TPU, Gaudi and Neuron devices; on a Mac only on the CPU (docs, 'CPU': "on macOS
    # ... cpu ... is currently the only supported device"; Metal through the community vllm-metal plugin).
    "vllm": ({"nvidia", "amd", "google", "intel", "aws"}, "NVIDIA, AMD, TPU, Gaudi and Neuron devices, and on a Mac "
                                                          "the CPU only (vLLM docs, 'CPU'; Metal only through the "
                                                          "community vllm-metal plugin, which runs MLX)"),
    # docs.sglang.io 'Hardware Platforms': NVIDIA GPUs, AMD GPUs, Ascend NPUs, CPU servers, Jetson, TPU (through
    # the SGLang-JAX backend) and XPU (Intel Arc / Data Center GPU Max, not Gaudi); no Apple GPU, no Neuron.
    "sglang": ({"nvidia", "amd", "google"}, "NVIDIA and AMD GPUs, and TPUs through its SGLang-JAX backend "
                                            "(docs.sglang.io, 'Hardware Platforms'; no Apple GPU, Gaudi or Neuron)"),
    # ggml-org/llama.cpp README 'Supported backends': Metal (Apple), CUDA (NVIDIA), HIP (AMD), SYCL (Intel Arc /
    # Data Center GPU Max, not Gaudi), Vulkan, CANN (Ascend); no TPU or Neuron backend.
    "llama.cpp": ({"nvidia", "amd", "apple"}, "NVIDIA (CUDA), AMD (HIP) and Apple (Metal) GPUs among these devices "
                                              "(llama.cpp README, 'Supported backends'; its SYCL backend is for "
                                              "Intel GPUs, not Gaudi; no TPU or Neuron backend)"),
}

# Engines whose multi-GPU split is by layer (pipelined), so no tensor-parallel all-reduce and no communication
# buffers. llama.cpp: --split-mode defaults to layer (common/arg.cpp: "layer (default): split layers and KV across
# GPUs"). What it reserves beyond weights and KV is its compute buffer, sized once from a worst-case prompt graph
# of n_ubatch tokens (src/llama-context.cpp, sched_reserve: graph_reserve(n_tokens, ...) with n_tokens =
# min(n_ctx, n_ubatch); n_ubatch 512 by default, engines.json step_token_budget); each device holds the buffer
# for its own layers.
LAYER_SPLIT = frozenset({"llama.cpp"})


def timing_gpus(engine: Engine, gpus: int) -> int:
    """GPUs that share one step's work. Under a layer split the GPUs take turns: every token passes each GPU's
    layers one after another, so a step lasts as long as one GPU running the whole model (no tensor-parallel
    speed-up, no all-reduce). The validation set models llama.cpp's multi-GPU measurements the same way."""
    return 1 if engine.id in LAYER_SPLIT else gpus


# Where the catalog default (vLLM) does not run, the engine used instead, the alternatives, and why.
DEVICE_DEFAULT = {
    "apple": ("llama.cpp", ("mlx",), "Apple silicon", "the most common runtime there (Ollama and LM Studio run "
                                                      "on it; its Metal backend is on by default on macOS, llama.cpp "
                                                      "README)"),
}


def runs_on(engine: Engine, gpu: GPU) -> bool:
    vendors, _ = RUNS_ON.get(engine.id, (None, ""))
    return vendors is None or gpu.vendor in vendors


def allowed_on(gpu: GPU) -> list[str]:
    """Engine ids that run on this device."""
    return [e.id for e in catalog() if runs_on(e, gpu)]


def default_for(gpu: GPU) -> Engine:
    """The engine a device gets when none is asked for: vLLM, or where vLLM does not run, DEVICE_DEFAULT's."""
    pick = DEVICE_DEFAULT.get(gpu.vendor)
    return lookup(pick[0] if pick else None)


def default_note(gpu: GPU) -> str:
    """The assumption that says which engine a device got by default, and what else runs there."""
    e = default_for(gpu)
    pick = DEVICE_DEFAULT.get(gpu.vendor)
    if pick is None:
        return f"engine {e.id} (the default engine); pass engine to change"
    refused = [i for i in RUNS_ON if gpu.vendor not in RUNS_ON[i][0]]
    return (f"engine {e.id}: the default on {pick[2]}, {pick[3]}; {', '.join(pick[1])} also runs there (pass "
            f"engine); {', '.join(refused[:-1])} and {refused[-1]} do not run there (refused)")


def for_device(name: str | None, gpu: GPU) -> Engine:
    """The engine asked for (or the device's default), refused where it does not run on the device."""
    if name is None:
        return default_for(gpu)
    e = lookup(name)
    if not runs_on(e, gpu):
        raise InvalidInput(f"engine {e.id} does not run on {gpu.name}: {e.name} runs on {RUNS_ON[e.id][1]}",
                           field="engine", allowed=allowed_on(gpu))
    return e


def platform(gpu: GPU) -> str:
    """Vendor and memory class, e.g. nvidia-hbm, amd-hbm, nvidia-gddr, apple-lpddr: what an engine's
    efficiencies are calibrated per."""
    return f"{gpu.vendor}-{gpu.memory_class}"


def _pick(table: dict, gpu: GPU) -> dict:
    """The entry for the device's platform, else its memory class, else the first (the engine's main one)."""
    return table.get(platform(gpu)) or table.get(gpu.memory_class) or next(iter(table.values()))


def factors(engine: Engine, gpu: GPU, compute_fmt: str, weight_only: bool) -> Factors:
    e = engine.raw
    bw = _band(_pick(e["weight_bandwidth"], gpu))
    if weight_only:
        q = _band(e["quantized_bandwidth_factor"])
        bw = Band(bw.low * q.low, bw.mid * q.mid, min(bw.high * q.high, 0.97))
    overhead = _band(_pick(e["step_overhead_ms"], gpu), 1e-3)
    ceiling, measured = matmul_ceiling(gpu, compute_fmt)
    half_ceiling, _ = matmul_ceiling(gpu, "bf16")
    g = _band(e["gemm_efficiency"] if "mid" in e["gemm_efficiency"] else _pick(e["gemm_efficiency"], gpu))
    gemm = Band(min(g.low * ceiling, 0.95), min(g.mid * ceiling, 0.95), min(g.high * ceiling, 0.95))
    attn = Band(min(g.low * half_ceiling, 0.95), min(g.mid * half_ceiling, 0.95), min(g.high * half_ceiling, 0.95))
    where = platform(gpu)
    why = "" if where in engine.calibrated_platforms else f"no calibration case for {engine.id} on {where}"
    why_compute = "" if measured else f"no measured matmul ceiling for {gpu.arch} (compute-bound here)"
    return Factors(engine.id, bw, _band(_data()["kv_bandwidth"]), gemm, attn, overhead,
                   _band(e["moe_layer_overhead_us"], 1e-6), not why, why, why_compute, where)


def kv_pool_bytes(engine: Engine, usable: int, weights: int, activations: int, tp: int,
                  fraction: float | None = None, runtime: int | None = None) -> int:
    """Bytes per GPU the engine gives its KV pool. `fraction` overrides the engine's default (vLLM
    gpu_memory_utilization, SGLang mem_fraction_static, TensorRT-LLM kv_cache_free_gpu_mem_fraction); `runtime`
    the profile's fixed runtime overhead (vLLM's non-torch memory depends on its version)."""
    m = engine.memory
    f = m.gpu_fraction if fraction is None else fraction
    runtime = engine.runtime_overhead_bytes(tp) if runtime is None else runtime
    if m.fraction_of == "total":
        pool = usable * f - weights - activations - runtime
    elif m.fraction_of == "total_minus_weights":
        pool = usable * f - weights - runtime
    elif m.fraction_of == "free_after_weights":
        pool = (usable - weights - activations - runtime) * f
    else:  # "context": no pool; whatever is left after weights, activations and overhead
        pool = usable - weights - activations - runtime
    return max(0, math.floor(pool))
