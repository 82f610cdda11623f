"""Registry declarations for training: training_memory and training_compute (math in memory.py and compute.py)."""

from __future__ import annotations

from decimal import Decimal

from ..errors import InvalidInput
from ..hardware import gpus as gpu_catalog
from ..model.params import parameter_count
from ..model.resolve import describe, resolve_model
from ..registry import CliSpec, Tool
from ..schemas import ARCH_CLI, HIDDEN_OVERHEAD, overhead_bytes, sent_schema, validation_schema
from ..units import GB, GiB, sizes
from .compute import CHINCHILLA_TABLE3, chinchilla_tokens, gpu_hours, training_flops
from .memory import LORA_MODULES, METHODS, OPTIMIZERS, PRECISIONS, training_memory

_MODEL_CLI = {"positional": "model", "file_inputs": {"hf_config": "config"}, "flatten": "architecture"}
_GPU = {"type": "string", "description": "GPU name, e.g. 'h100'."}
_COUNT = {"type": "integer", "minimum": 1, "description": "GPUs, data parallel."}


def _r(x: float | None, digits: int = 4) -> float | int | None:
    """Round to `digits` significant figures; large values become exact integers of the rounded value."""
    if x is None:
        return None
    rounded = Decimal(f"{x:.{digits}g}")
    return int(rounded) if abs(x) >= 1000 else float(rounded)


# -- training_memory -------------------------------------------------------------------------------------

def _targets(inp: dict) -> tuple[str, ...]:
    t = inp.get("lora_targets") or ["all-linear"]
    return LORA_MODULES if "all-linear" in t else tuple(dict.fromkeys(t))


def _training_memory(inp: dict) -> dict:
    m = resolve_model(inp)
    shape, params = m.shape, parameter_count(m.shape)
    method = inp.get("method", "full")
    optimizer = inp.get("optimizer", "adamw_8bit" if method == "qlora" else "adamw")
    precision, zero, n = inp.get("precision", "mixed_bf16"), inp.get("zero_stage", 0), inp.get("gpu_count", 1)
    seq, mb = inp.get("context_tokens", 4096), inp.get("batch_size", 1)
    ckpt = inp.get("gradient_checkpointing", method == "qlora")
    if zero and n == 1:
        raise InvalidInput("ZeRO shards across GPUs: give gpu_count > 1 with zero_stage", field="zero_stage")
    overhead = overhead_bytes(inp)
    mem, warnings = training_memory(shape, params, method=method, optimizer=optimizer, precision=precision,
                                    zero_stage=zero, gpus=n, seq=seq, micro_batch=mb, checkpointing=ckpt,
                                    lora_rank=inp.get("lora_rank", 16), lora_targets=_targets(inp),
                                    overhead=overhead)
    s, a = mem.states, mem.activations
    items = {"weights": sizes(s.weights), "gradients": sizes(s.gradients), "optimizer_states": sizes(s.optimizer),
             "activations": sizes(a.layers), "logits": sizes(a.logits)}
    if mem.zero3_gather:
        items["zero3_gather_buffer"] = sizes(mem.zero3_gather)
    items["runtime_overhead"] = sizes(mem.overhead)
    out = {"model": describe(m), "method": method, "optimizer": optimizer, "precision": precision,
           "zero_stage": zero, "gpu_count": n, "seq_tokens": seq, "micro_batch": mb,
           "gradient_checkpointing": ckpt, "total_params": params.total, "trainable_params": s.trainable_params,
           "per_gpu": items, "total_bytes": mem.total, "total_gb": round(mem.total / GB, 3),
           "total_gib": round(mem.total / GiB, 3)}
    if method != "full":
        out["lora"] = {"rank": inp.get("lora_rank", 16), "targets": list(_targets(inp)),
                       "frozen_base_format": mem.frozen_format}
    if inp.get("gpu"):
        g = gpu_catalog.lookup(inp["gpu"])
        out["gpu"] = g.id
        out["fits"] = mem.total <= g.usable_bytes
        out["headroom_bytes"] = g.usable_bytes - mem.total
        if not out["fits"]:
            warnings.append(f"does not fit on {g.id} ({g.usable_gib} GiB usable): try gradient checkpointing, a "
                            "smaller micro-batch, ZeRO-3 over more GPUs, LoRA or QLoRA")
    out["assumptions"] = _memory_assumptions(method, precision, optimizer, zero, ckpt)
    if warnings:
        out["warnings"] = warnings
    return out


def _memory_assumptions(method: str, precision: str, optimizer: str, zero: int, ckpt: bool) -> list[str]:
    a = ["model states per ZeRO paper (arXiv 1910.02054): mixed-precision Adam = 2 + 2 + 12 bytes/param; "
         f"precision {precision}, optimizer {optimizer}" + (f", ZeRO-{zero} shards states over the GPUs" if zero
                                                            else ""),
         "activations per layer per token (16-bit, FlashAttention, no dropout): Korthikanti et al. 2022 "
         "(arXiv 2205.05198) generalised to GQA and gated MLPs = 2 x (4h + attention widths + MLP intermediates) "
         "+ 4 bytes x heads; MHA with 4h MLP gives their 34sbh minus dropout masks",
         "logits: micro_batch x seq x vocab x 8 bytes (fp32 logits + fp32 gradient); fused/chunked "
         "cross-entropy (e.g. Liger) removes most of this",
         "data parallel only (no tensor/pipeline parallelism); runtime overhead 1 GiB + 1.79 GiB NCCL with >1 GPU"]
    if ckpt:
        a.append("gradient checkpointing: every layer keeps its 16-bit input, one layer is recomputed at a time")
    if method != "full":
        a.append("LoRA adapters trained in fp32 (PEFT default); base frozen in "
                 + ("NF4 with double quantisation (QLoRA)" if method == "qlora" else "16-bit"))
    return a


_TRAIN_PROPS = {
    "method": {"enum": list(METHODS), "description": "Default full."},
    "optimizer": {"enum": list(OPTIMIZERS), "description": "Default adamw (qlora: adamw_8bit)."},
    "precision": {"enum": list(PRECISIONS)},
    "zero_stage": {"type": "integer", "minimum": 0, "maximum": 3},
    "gpu_count": _COUNT,
    "context_tokens": {"type": "integer", "minimum": 1, "description": "Sequence length (default 4096)."},
    "batch_size": {"type": "integer", "minimum": 1, "description": "Micro-batch per GPU."},
    "gradient_checkpointing": {"type": "boolean"},
    "lora_rank": {"type": "integer", "minimum": 1, "description": "Default 16."},
    "lora_targets": {"type": "array", "items": {"enum": [*LORA_MODULES, "all-linear"]},
                     "description": "Default all-linear."},
    "gpu": _GPU,
}

TRAINING_MEMORY = Tool(
    name="training_memory",
    description=("Training memory per GPU, itemised: full, LoRA or QLoRA; AdamW, 8-bit Adam or SGD; ZeRO 0-3; "
                 "gradient checkpointing. With gpu: fits and headroom."),
    input_schema=sent_schema(_TRAIN_PROPS),
    validation_schema=validation_schema({**_TRAIN_PROPS, **HIDDEN_OVERHEAD}),
    func=_training_memory,
    cli=CliSpec(command="train-memory", help="Training memory per GPU (full, LoRA, QLoRA; ZeRO).",
                rename={**ARCH_CLI, "context_tokens": "seq", "batch_size": "micro-batch", "gpu_count": "gpus",
                        "gradient_checkpointing": "checkpointing"}, **_MODEL_CLI),
)


# -- training_compute ------------------------------------------------------------------------------------

def _training_compute(inp: dict) -> dict:
    m = resolve_model(inp)
    params = parameter_count(m.shape)
    n = params.active
    chin = chinchilla_tokens(n)
    tokens = inp.get("training_tokens") or chin
    g = gpu_catalog.lookup(inp.get("gpu", "h100-sxm"))
    fmt = inp.get("precision", "bf16")
    peak = g.tflops.get(fmt) or (g.tflops.get("fp16") if fmt == "bf16" else None)
    if not peak:
        raise InvalidInput(f"{g.name} has no {fmt} tensor cores", field="precision",
                           allowed=[f for f in ("bf16", "fp8") if g.tflops.get(f)])
    if "mfu" in inp and "achieved_tflops_per_gpu" in inp:
        raise InvalidInput("give mfu or achieved_tflops_per_gpu, not both", field="mfu")
    mfu = inp["achieved_tflops_per_gpu"] / peak if "achieved_tflops_per_gpu" in inp else inp.get("mfu", 0.40)
    flops = training_flops(n, tokens)
    hours = gpu_hours(flops, peak, mfu)
    out = {"model": describe(m), "params_used": n, "params_used_billions": round(n / 1e9, 3),
           "training_tokens": int(tokens), "tokens_per_param": round(tokens / n, 2),
           "chinchilla_optimal_tokens": int(chin), "training_flops": _r(flops),
           "training_flops_text": f"{flops:.3g} FLOPs", "gpu": g.provenance(),
           "precision": fmt, "peak_tflops_per_gpu": peak, "mfu": round(mfu, 4),
           "achieved_tflops_per_gpu": round(peak * mfu, 1), "gpu_hours": _r(hours)}
    if inp.get("gpu_count"):
        out["gpu_count"] = inp["gpu_count"]
        out["days"] = _r(hours / inp["gpu_count"] / 24)
    price = inp.get("usd_per_gpu_hour") or (g.price.usd_per_hour if g.price else None)
    if price:
        out["usd_per_gpu_hour"] = price
        out["cost_usd"] = _r(hours * price)
    a = ["FLOPs = 6 x N x D (Kaplan et al. 2020): N = active params per token (all params for dense models), "
         "attention FLOPs excluded (a few % at typical context)",
         "Chinchilla-optimal tokens: log-log interpolation of Hoffmann et al. 2022 Table 3 ("
         + ", ".join(f"{p / 1e9:g}B->{t / 1e9:g}B" for p, t in CHINCHILLA_TABLE3) + "), ~20 tokens/param",
         f"MFU {mfu:.0%} of dense {fmt} peak (Llama 3 405B reached 38-43% on H100, arXiv 2407.21783 Table 4)"]
    if "training_tokens" not in inp:
        a.insert(1, "training_tokens not given: Chinchilla-optimal used")
    if price and "usd_per_gpu_hour" not in inp:
        a.append(f"price {price} $/GPU-hour: {g.price.provider}, {g.price.as_of} (volatile)")
    out["assumptions"] = a
    return out


_COMPUTE_PROPS = {
    "training_tokens": {"type": "number", "exclusiveMinimum": 0, "description": "Default Chinchilla-optimal."},
    "gpu": {"type": "string", "description": "Default h100."}, "gpu_count": _COUNT,
    "mfu": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "description": "Default 0.40."},
    "achieved_tflops_per_gpu": {"type": "number", "exclusiveMinimum": 0},
    "precision": {"enum": ["bf16", "fp8"]},
    "usd_per_gpu_hour": {"type": "number", "exclusiveMinimum": 0},
}

TRAINING_COMPUTE = Tool(
    name="training_compute",
    description=("Pre-training compute: FLOPs = 6·N·D (active params for MoE), Chinchilla-optimal tokens, "
                 "GPU-hours at an MFU, days on gpu_count GPUs, and cost at $/GPU-hour."),
    input_schema=sent_schema(_COMPUTE_PROPS),
    validation_schema=validation_schema(_COMPUTE_PROPS),
    func=_training_compute,
    cli=CliSpec(command="train-compute", help="Training FLOPs, GPU-hours, days and cost.",
                rename={**ARCH_CLI, "training_tokens": "tokens", "gpu_count": "gpus"}, **_MODEL_CLI),
)

TOOLS = (TRAINING_MEMORY, TRAINING_COMPUTE)
