"""Registry declarations for training: training_memory and training_compute (math in memory.py and compute.py)."""

from __future__ import annotations

from decimal import Decimal

from .. import bands
from ..errors import InvalidInput
from ..hardware import gpus as gpu_catalog
from ..model.params import parameter_count
from ..model.resolve import describe, resolve_model
from ..registry import CliSpec, Tool
from ..schemas import TRAINING_OVERHEAD, overhead_bytes, sent_schema, validation_schema
from ..units import GB, GiB, sizes
from .compute import (
    CHINCHILLA_TABLE3,
    COMPUTE_FRAMEWORKS,
    MOE_HFU_FACTOR,
    cap_throughput,
    chinchilla_tokens,
    efficiency,
    flops_per_token,
    pipeline_bubble,
    tokens_per_second,
    tokens_per_second_ceiling,
    training_flops,
)
from .compute import METHODS as COMPUTE_METHODS
from .frameworks import FRAMEWORKS, LOGIT_BYTES, LOSSES, framework
from .memory import LORA_MODULES, METHODS, OPTIMIZERS, PRECISIONS, TrainSetup, training_memory

_MODEL_CLI = {"positional": "model", "file_inputs": {"hf_config": "config"}, "flatten": "architecture"}
_GPU = {"type": "string", "description": "GPU name, e.g. 'h100'."}
_COUNT = {"type": "integer", "minimum": 1, "description": "GPUs, data parallel."}


def _r(x: float | None, digits: int = 4) -> float | None:
    """An estimate to `digits` significant figures, as a float: JSON readers (and our terminal output) can
    tell it from an exact count, which is an int."""
    if x is None:
        return None
    return float(Decimal(f"{x:.{digits}g}"))


# -- training_memory -------------------------------------------------------------------------------------

def _targets(inp: dict) -> tuple[str, ...]:
    t = inp.get("lora_targets") or ["all-linear"]
    return LORA_MODULES if "all-linear" in t else tuple(dict.fromkeys(t))


def _setup(inp: dict, fw) -> tuple[TrainSetup, list[str]]:
    """The run described by the input, with every default the framework implies, and what was defaulted."""
    method = inp.get("method", "full")
    defaulted = []

    def pick(key: str, default):
        if key in inp:
            return inp[key]
        defaulted.append(f"{key}={default}")
        return default

    optimizer = pick("optimizer", "adamw_8bit" if method == "qlora" else "adamw")
    precision = pick("precision", fw.precision)
    ckpt = pick("gradient_checkpointing", method == "qlora" or fw.offload_checkpoints)
    offload = pick("activation_offload", fw.offload_checkpoints and ckpt)
    loss = pick("loss", fw.loss)
    fused = pick("fused_kernels", fw.fused_kernels)
    zero, n = inp.get("zero_stage", 0), inp.get("gpu_count", 1)
    if zero and n == 1:
        raise InvalidInput(f"ZeRO stage {zero} shards across GPUs: give gpu_count > 1, or zero_stage 0 on one GPU",
                           field="zero_stage")
    lora_given = [k for k in ("lora_rank", "lora_targets") if k in inp]
    if method == "full" and lora_given:
        raise InvalidInput(f"{' and '.join(lora_given)} apply to method lora or qlora; method is full"
                           + ("" if "method" in inp else " (the default)"), field=lora_given[0],
                           allowed=["lora", "qlora"])
    if offload and not ckpt:
        raise InvalidInput("activation_offload moves checkpointed layer inputs to CPU memory: it needs "
                           "gradient_checkpointing", field="activation_offload")
    accum = inp.get("gradient_accumulation_steps", 1)
    in_bwd = inp.get("optimizer_in_backward", False)
    if in_bwd and accum > 1:
        raise InvalidInput("optimizer_in_backward steps each parameter during backward, so gradients cannot "
                           "accumulate over micro-batches", field="optimizer_in_backward")
    setup = TrainSetup(method=method, optimizer=optimizer, precision=precision, zero_stage=zero, gpus=n,
                       seq=inp.get("context_tokens", 4096), micro_batch=inp.get("batch_size", 1),
                       checkpointing=ckpt, offload=offload, loss=loss, lora_rank=inp.get("lora_rank", 16),
                       lora_targets=_targets(inp), grad_accumulation=accum, optimizer_in_backward=in_bwd,
                       fused_kernels=fused)
    return setup, defaulted


def _memory_band(fw: str) -> tuple[bands.BandRule, str]:
    """Band rule for training memory: calibrated when the framework has memory calibration cases."""
    if fw in bands.covered("training_memory"):
        return bands.rule("training_memory", "calibrated"), f"calibrated: {fw} memory cases"
    return bands.rule("training_memory", "uncalibrated"), f"uncalibrated: no memory calibration case for {fw}"


def _gib_band(rule: bands.BandRule, mid: int, floor: int = 0) -> dict:
    """low-mid-high in GiB; the low end never below `floor` (memory that must be allocated whatever the run)."""
    low, mid_, high = rule.apply(mid)
    return {k: round(v / GiB, 3) for k, v in (("low", max(low, floor)), ("mid", mid_), ("high", max(high, floor)))}


def _window_warnings(shape, seq: int) -> list[str]:
    """A sequence longer than the model's context window is context-extension training: said, not refused."""
    limit = shape.context_limit
    if not limit or seq <= limit:
        return []
    basis = shape.context_window_basis or f"max_position_embeddings {limit:,}"
    return [f"context_tokens {seq:,} exceeds the model's context window of {limit:,} tokens ({basis}): training at "
            "this length is context extension (the rope scaling changes with it); computed for the length given"]


def _training_memory(inp: dict) -> dict:
    m = resolve_model(inp)
    shape, params = m.shape, parameter_count(m.shape)
    fw = framework(inp.get("framework"))
    setup, defaulted = _setup(inp, fw)
    mem, warnings = training_memory(shape, params, setup, fw, overhead=overhead_bytes(inp))
    warnings = _window_warnings(shape, setup.seq) + warnings
    rule, setup_label = _memory_band(fw.name)
    s = mem.states
    # The weights each GPU holds from load to the last step: a physical lower bound on any measured peak. Optimizer
    # states are not in it: paged optimizers (bitsandbytes PagedAdamW) can evict them to CPU memory on a full card.
    floor = s.weights
    items = {"weights": sizes(s.weights), "gradients": sizes(mem.gradients), "optimizer_states": sizes(s.optimizer),
             "activations": sizes(mem.layer_activations), "logits": sizes(mem.logits)}
    if mem.zero3_gather:
        items["zero3_gather_buffer"] = sizes(mem.zero3_gather)
    if mem.dequant_buffer:
        items["qlora_dequant_buffer"] = sizes(mem.dequant_buffer)
    if "overhead_gib" in inp:
        items["runtime_overhead"] = sizes(mem.cuda_context)
    else:
        items["allocator_reserve"] = sizes(mem.allocator_reserve)
        items["cuda_context"] = sizes(mem.cuda_context)
        if mem.nccl:
            items["nccl_buffers"] = sizes(mem.nccl)
    out = {"model": describe(m), "framework": fw.name, "method": setup.method, "optimizer": setup.optimizer,
           "precision": setup.precision, "loss": setup.loss, "zero_stage": setup.zero_stage,
           "gpu_count": setup.gpus, "seq_tokens": setup.seq, "micro_batch": setup.micro_batch,
           "gradient_checkpointing": setup.checkpointing, "activation_offload": setup.offload,
           "total_params": params.total, "trainable_params": s.trainable_params, "per_gpu": items,
           "peak": {"phase": mem.peak_phase, "backward_start": sizes(mem.backward_start),
                    "optimizer_step": sizes(mem.optimizer_step)},
           "peak_allocated_bytes": mem.peak_allocated, "peak_allocated_gib": round(mem.peak_allocated / GiB, 3),
           "peak_reserved_bytes": mem.peak_reserved, "peak_reserved_gib": round(mem.peak_reserved / GiB, 3),
           "total_bytes": mem.total, "total_gb": round(mem.total / GB, 3), "total_gib": round(mem.total / GiB, 3),
           "band_gib": {level: _gib_band(rule, mid, floor) for level, mid in (
               ("allocated", mem.peak_allocated), ("reserved", mem.peak_reserved), ("total", mem.total))},
           "band": rule.describe(setup_label)}
    if rule.apply(mem.peak_allocated)[0] < floor:
        out["band"]["capped"] = (f"low end raised to the weights every GPU holds for the whole run ({floor / GiB:.3f} "
                                 "GiB); the calibration quantile alone went below them")
    if setup.method != "full":
        out["lora"] = {"rank": setup.lora_rank, "targets": list(setup.lora_targets),
                       "frozen_base_format": mem.frozen_format,
                       "adapter_dtype": "fp32" if fw.adapter_bytes == 4 else "bf16"}
    if inp.get("gpu"):
        g = gpu_catalog.lookup(inp["gpu"])
        out["gpu"] = g.id
        out["fits"] = mem.total <= g.usable_bytes
        out["headroom_bytes"] = g.usable_bytes - mem.total
        total_high = rule.apply(mem.total)[2]
        if not out["fits"]:
            warnings.append(f"does not fit on {g.id} ({g.usable_gib} GiB usable): try {_remedies(setup)}")
        elif total_high > g.usable_bytes:
            warnings.append(f"fits on {g.id} at the mid estimate but not at the high end of the band "
                            f"({total_high / GiB:.1f} GiB): little headroom")
    out["assumptions"] = _memory_assumptions(fw, setup, mem, defaulted, "overhead_gib" in inp) + [
        f"band_gib: low-high is meant to hold {bands.coverage():.0%} of published measurements of setups like this: "
        "mid x quantiles of measured/predicted over training-memory calibration cases (`band` says which group), each "
        "predicted with constants not chosen on it"]
    if warnings:
        out["warnings"] = warnings
    return out


def _remedies(setup) -> str:
    """What could make it fit, leaving out what the setup already does (no "try LoRA" to a LoRA run)."""
    tries = [] if setup.checkpointing else ["gradient checkpointing"]
    if setup.micro_batch > 1:
        tries.append("a smaller micro-batch")
    if setup.seq > 1024:
        tries.append("a shorter sequence")
    tries.append("ZeRO-3 over more GPUs" if setup.zero_stage < 3 else "more GPUs")
    tries += {"full": ["LoRA", "QLoRA"], "lora": ["QLoRA"]}.get(setup.method, [])
    return ", ".join(tries[:-1]) + (" or " if len(tries) > 1 else "") + tries[-1]


def _memory_assumptions(fw, s: TrainSetup, mem, defaulted: list[str], flat_overhead: bool) -> list[str]:
    a = [f"framework {fw.name}: {fw.source}" + (f"; defaults used: {', '.join(defaulted)}" if defaulted else ""),
         "model states per ZeRO paper (arXiv 1910.02054): mixed-precision Adam = 2 + 2 + 12 bytes/param, pure bf16 "
         f"= 2 + 2 + 4; precision {s.precision}, optimizer {s.optimizer}"
         + (f", ZeRO-{s.zero_stage} shards states over the GPUs" if s.zero_stage else ""),
         "activations per layer per token (16-bit, FlashAttention, no dropout): Korthikanti et al. 2022 "
         "(arXiv 2205.05198) generalised to GQA and gated MLPs = 2 x (4h + attention widths + MLP intermediates) "
         f"+ 4 bytes x heads, x {mem.activation_factor:g} for "
         + ("fused kernels / torch.compile" if s.fused_kernels else "eager PyTorch intermediates"),
         f"logits: micro_batch x seq x vocab x {LOGIT_BYTES[s.loss][1]:g} bytes ({s.loss} cross-entropy; band "
         f"{LOGIT_BYTES[s.loss][0]:g}-{LOGIT_BYTES[s.loss][2]:g})",
         f"peak = the larger of backward start (weights + optimizer states + activations + logits) and the "
         f"optimizer step (weights + optimizer states + gradients): here {mem.peak_phase.replace('_', ' ')}",
         "data parallel only (no tensor/pipeline parallelism)"]
    if flat_overhead:
        a.append("runtime overhead: the overhead_gib given, in place of allocator reserve, CUDA context and NCCL")
    else:
        # 1,343 MiB (the high end, tools/training/memory.py) = 1,343 / 1,024 = 1.31 GiB.
        a.append("CUDA context 0.27-1.31 GiB (PyTorch #86509 lazy loading to transformers' eager-loading measurement), "
                 "allocator reserve 0-12% of "
                 "allocated (caching allocator slack), NCCL 1-2.5 GiB with >1 GPU; peak_allocated is what "
                 "torch.cuda.max_memory_allocated reports, peak_reserved max_memory_reserved, total what the "
                 "device must hold")
    if s.checkpointing:
        a.append("gradient checkpointing: every layer keeps its 16-bit input, one layer is recomputed at a time"
                 + ("; inputs offloaded to CPU memory, 2 on the GPU at a time" if s.offload else ""))
    if s.method != "full":
        a.append(f"LoRA adapters trained in {'fp32' if fw.adapter_bytes == 4 else 'bf16'}; base frozen in "
                 + ("NF4 with double quantisation (QLoRA), dequantised per matmul into a 16-bit buffer"
                    if s.method == "qlora" else "16-bit"))
    if s.optimizer_in_backward:
        a.append("optimizer step fused into backward: gradients freed parameter by parameter")
    elif s.optimizer == "adamw":
        a.append("optimizer step: torch.optim.AdamW's default foreach implementation holds one more state-sized "
                 "tensor list (sqrt(v) + eps) while stepping; in the high end of the band only (fused=True keeps none)")
    if s.optimizer == "adamw_8bit":
        a.append("8-bit AdamW: 1 byte per moment plus an fp32 absmax per 256 values per moment (bitsandbytes "
                 "block-wise states, torchao OptimState8bit) = 2.03 bytes per trainable parameter")
    return a


_TRAIN_PROPS = {
    "framework": {"enum": list(FRAMEWORKS), "description": "Sets the other defaults (default hf: transformers "
                  "Trainer/PEFT)."},
    "method": {"enum": list(METHODS), "description": "Default full."},
    "optimizer": {"enum": list(OPTIMIZERS), "description": "Default adamw (qlora: adamw_8bit)."},
    "precision": {"enum": list(PRECISIONS), "description": "mixed_bf16 keeps fp32 master weights."},
    "loss": {"enum": list(LOSSES), "description": "Cross-entropy kernel; fused = Liger/Unsloth."},
    "zero_stage": {"type": "integer", "minimum": 0, "maximum": 3, "description": "Default 0."},
    "gpu_count": _COUNT,
    "context_tokens": {"type": "integer", "minimum": 1, "description": "Sequence length (default 4096)."},
    "batch_size": {"type": "integer", "minimum": 1, "description": "Micro-batch per GPU (default 1)."},
    "gradient_checkpointing": {"type": "boolean", "description": "Recompute activations in backward."},
    "activation_offload": {"type": "boolean", "description": "Checkpointed activations in CPU memory."},
    "fused_kernels": {"type": "boolean", "description": "torch.compile or fused kernels."},
    "gradient_accumulation_steps": {"type": "integer", "minimum": 1, "description": "Default 1."},
    "optimizer_in_backward": {"type": "boolean", "description": "Optimizer step inside backward (no gradient "
                              "buffer)."},
    "lora_rank": {"type": "integer", "minimum": 1, "description": "Default 16."},
    "lora_targets": {"type": "array", "items": {"enum": [*LORA_MODULES, "all-linear"]},
                     "description": "Default all-linear."},
    "gpu": _GPU,
}

TRAINING_MEMORY = Tool(
    name="training_memory",
    description=("Training or fine-tuning memory per GPU, itemised, with a low-high band; with gpu, whether it "
                 "fits. Unset options take the framework's defaults, listed in the result. Inference: "
                 "memory_estimate; time and cost: training_compute."),
    input_schema=sent_schema(_TRAIN_PROPS),
    validation_schema=validation_schema({**_TRAIN_PROPS, **TRAINING_OVERHEAD}),
    func=_training_memory,
    cli=CliSpec(command="train-memory", help="Training memory per GPU (full, LoRA, QLoRA; ZeRO).", **_MODEL_CLI),
)


# -- training_compute ------------------------------------------------------------------------------------

_COVERS = ("steady-state training on these tokens only. Published GPU-hour totals often cover more: the Llama 3.1 "
           "model card gives 'the total GPU time required for training each model' without itemising stages; "
           "DeepSeek-V3 itemises 2,664K pre-training + 119K context extension + 5K post-training H800 hours "
           "(arXiv 2412.19437). Compare like with like")


def _peak16(g) -> float:
    peak = g.tflops.get("bf16") or g.tflops.get("fp16")
    if not peak:
        raise InvalidInput(f"{g.name} has no 16-bit tensor throughput in the catalog", field="gpu")
    return peak


def _compute_bands(fw: str | None, calibrated: bool, g) -> dict:
    """Band rules for throughput and GPU-hours: calibrated (the framework has calibration cases on this device
    architecture), uncalibrated (a calibrated framework on another architecture) or generic (no framework entry:
    the generic default)."""
    archs = bands.covered("training_throughput").get(fw or "", [])
    if not calibrated:
        group, setup = "generic", f"uncalibrated framework: generic default{f' for {fw}' if fw else ''}"
    elif g.arch in archs:
        group, setup = "calibrated", f"calibrated: {fw} on {g.arch}"
    else:
        group, setup = "uncalibrated", f"uncalibrated: {fw} on {g.arch} (calibrated on {', '.join(archs) or 'none'})"
    return {"throughput": (bands.rule("training_throughput", group), setup),
            "gpu_hours": (bands.rule("training_compute", group), setup)}


def _training_compute(inp: dict) -> dict:
    m = resolve_model(inp)
    shape, params = m.shape, parameter_count(m.shape)
    n = params.active
    chin = chinchilla_tokens(n)
    tokens = inp.get("training_tokens") or chin
    g = gpu_catalog.lookup(inp.get("gpu", "h100-sxm"))
    fmt = inp.get("precision", "bf16")
    peak = _peak16(g)
    if fmt == "fp8" and not g.tflops.get("fp8"):
        raise InvalidInput(f"{g.name} has no fp8 tensor cores", field="precision",
                           allowed=[f for f in ("bf16", "fp8") if g.tflops.get(f)])
    if "mfu" in inp and "achieved_tflops_per_gpu" in inp:
        raise InvalidInput("give mfu or achieved_tflops_per_gpu, not both", field="mfu")
    ceiling = g.tflops["fp8"] if fmt == "fp8" else peak
    if inp.get("achieved_tflops_per_gpu", 0) > ceiling:
        raise InvalidInput(f"achieved_tflops_per_gpu {inp['achieved_tflops_per_gpu']:g} exceeds the {g.id}'s dense "
                           f"{fmt} peak of {ceiling:g} TFLOP/s", field="achieved_tflops_per_gpu",
                           allowed=f"0 < achieved_tflops_per_gpu <= {ceiling:g}")
    if "training_tokens" in inp and inp["training_tokens"] != int(inp["training_tokens"]):
        raise InvalidInput(f"training_tokens must be a whole number, got {inp['training_tokens']!r}",
                           field="training_tokens")
    seq = inp.get("context_tokens", 4096)
    method = inp.get("method", "full")
    ckpt = inp.get("gradient_checkpointing", False)
    fpt = flops_per_token(shape, params, seq, method, ckpt)
    pp, v = inp.get("pipeline_parallel", 1), inp.get("virtual_stages", 1)
    # torchtitan's default when the microbatch count is not set: one per pipeline stage (pp x stages per rank).
    micro = inp.get("microbatches", pp * v)
    bubble = pipeline_bubble(pp, micro, v)
    rules, capped, capped_hours, ceiling_tps = None, "", "", 0.0
    if "achieved_tflops_per_gpu" in inp or "mfu" in inp:
        given = inp["achieved_tflops_per_gpu"] / peak if "achieved_tflops_per_gpu" in inp else inp["mfu"]
        tps = (given * peak * 1e12 / fpt.model,) * 3
        basis = ("achieved_tflops_per_gpu given (model FLOP/s)" if "achieved_tflops_per_gpu" in inp
                 else "mfu given")
    else:
        eff, calibrated = efficiency(inp.get("framework"), g.kind)
        speed = eff.fp8_speedup if fmt == "fp8" else (1.0, 1.0, 1.0)
        hfu = eff.hfu[1] * (MOE_HFU_FACTOR[1] if shape.moe is not None else 1.0)
        mid = tokens_per_second(fpt, peak, hfu, speed[1]) * (1 - bubble)
        rules = _compute_bands(inp.get("framework"), calibrated, g)
        tps = rules["throughput"][0].apply(mid)
        ceiling_tps = tokens_per_second_ceiling(fpt, peak, g.tflops["fp8"] if fmt == "fp8" else peak, 1 - bubble)
        tps, capped = cap_throughput(tps, ceiling_tps, fmt, g.tflops["fp8"] if fmt == "fp8" else peak)
        fw = inp.get("framework")
        basis = (f"hardware FLOPs utilisation {eff.hfu[1]:.0%} ({eff.hfu[0]:.0%}-{eff.hfu[2]:.0%}) of the dense "
                 f"16-bit peak for {fw or 'an unnamed framework'} on a {g.kind}"
                 + (f", x {speed[1]:g} ({speed[0]:g}-{speed[2]:g}) for FP8" if fmt == "fp8" else "")
                 + (f"; calibrated on {eff.calibrated_on}" if calibrated or not fw else
                    f"; uncalibrated for {fw}: generic default ({eff.calibrated_on})")
                 + (f"; MoE: x {MOE_HFU_FACTOR[1]:g} ({MOE_HFU_FACTOR[0]:g}-{MOE_HFU_FACTOR[2]:g}) for routing and "
                    "expert dispatch" if shape.moe is not None else ""))
    mfus = [t * fpt.model / (peak * 1e12) for t in tps]
    mfu = mfus[1]
    total = fpt.model * tokens
    hours = [tokens / t / 3600 for t in tps]  # hours[0] from the lowest throughput
    if rules:  # whole-run GPU-hours: their own (wider) band, from the GPU-hour calibration cases
        hours = list(reversed(rules["gpu_hours"][0].apply(hours[1])))
        fewest = tokens / ceiling_tps / 3600  # every token at the roofline's tokens/s
        if hours[2] < fewest:
            capped_hours = (f"low raised to the roofline: {fewest:.3g} GPU-hours at {ceiling_tps:.4g} tokens/s per GPU "
                            "(the hardware FLOPs per token at 100% of the dense peak); the calibration quantile alone "
                            f"would imply {fewest / hours[2]:.0%} of that speed")
            hours[2] = fewest
    out = {"model": describe(m), "params_used": n, "params_used_billions": round(n / 1e9, 3),
           "training_tokens": int(tokens) if "training_tokens" in inp else _r(tokens),
           "tokens_per_param": round(tokens / n, 2), "chinchilla_optimal_tokens": _r(chin),
           "training_flops": _r(training_flops(n, tokens)), "attention_flops": _r(fpt.attention * tokens),
           "total_flops": _r(total),
           "flops_per_token": {"dense": _r(fpt.dense), "attention": _r(fpt.attention),
                               "attention_causal_hardware": _r(fpt.attention_hardware),
                               "recompute": _r(fpt.dense_recompute + fpt.attention_recompute),
                               "model": _r(fpt.model), "hardware": _r(fpt.hardware)},
           "context_tokens": seq, "method": method, "gradient_checkpointing": ckpt,
           "gpu": g.provenance(), "precision": fmt, "peak_tflops_per_gpu": peak, "mfu": round(mfu, 4),
           "mfu_band": {"low": round(mfus[0], 4), "mid": round(mfu, 4), "high": round(mfus[2], 4)},
           "achieved_tflops_per_gpu": round(mfu * peak, 1),
           "achieved_tflops_band": {"low": round(mfus[0] * peak, 1), "mid": round(mfu * peak, 1),
                                    "high": round(mfus[2] * peak, 1)},
           "tokens_per_second_per_gpu": {"low": _r(tps[0]), "mid": _r(tps[1]), "high": _r(tps[2])},
           "gpu_hours": _r(hours[1]), "gpu_hours_band": {"low": _r(hours[2]), "mid": _r(hours[1]),
                                                         "high": _r(hours[0])},
           "gpu_hours_cover": _COVERS}
    if rules:
        out["band"] = {k: r.describe(setup) for k, (r, setup) in rules.items()}
        if capped:
            out["band"]["throughput"]["capped"] = capped
        if capped_hours:
            out["band"]["gpu_hours"]["capped"] = capped_hours
    if fmt == "fp8":
        out["mfu_vs_fp8_peak"] = round(mfu * peak / g.tflops["fp8"], 4)
    if pp > 1:
        out["pipeline"] = {"stages": pp, "microbatches": micro, "virtual_stages": v,
                           "bubble_fraction": round(bubble, 4)}
    if inp.get("gpu_count"):
        out["gpu_count"] = inp["gpu_count"]
        out["days"] = _r(hours[1] / inp["gpu_count"] / 24)
    price = inp.get("usd_per_gpu_hour") or (g.price.usd_per_hour if g.price else None)
    if price:
        out["usd_per_gpu_hour"] = price
        out["cost_usd"] = _r(hours[1] * price)
    a = [f"training_flops = 6 x N x D (Kaplan et al. 2020), N = active params; time uses matmul weights "
         f"({'tied table counted once as LM head' if shape.tied_embeddings else 'input embedding lookup excluded'})"
         + (" x 4 instead of 6 for LoRA (no weight gradients on frozen weights)" if method != "full" else ""),
         f"attention = 12 x layers x heads x head_dim x seq per token at seq {seq} (PaLM arXiv 2204.02311 App. B; "
         "counts the full score matrix, causal kernels do about half), reported separately",
         "Chinchilla-optimal tokens: log-log interpolation of Hoffmann et al. 2022 Table 3 ("
         + ", ".join(f"{p / 1e9:g} billion params -> {t / 1e9:g} billion tokens" for p, t in CHINCHILLA_TABLE3)
         + "), ~20 tokens/param",
         f"MFU against the dense 16-bit peak ({peak} TFLOP/s), as Llama 3 reports BF16 MFU 38-43% on H100 "
         f"(arXiv 2407.21783 Table 4); {basis}",
         "training_flops = 6·N·D; total_flops = matmul weights + attention",
         "GPU-hours: " + _COVERS]
    if rules:
        a.append(f"ranges: tokens/s (and MFU) and GPU-hours low-high are meant to hold {bands.coverage():.0%} of "
                 "published measurements of setups like this: mid x quantiles of measured/predicted over calibration "
                 "cases of the same coverage group (`band` says which), each predicted with constants not chosen on "
                 "it; GPU-hours use whole-run cases (wider)")
    if fmt == "fp8":
        a.append("FP8: MFU stays quoted against the BF16 peak; only the Linear layers speed up, by 1.4x (torchtitan) "
                 "to 1.8x (Megatron-Bridge) in published runs, not the datasheet's 2x at unchanged MFU (give "
                 "achieved_tflops_per_gpu from a real run to override)")
    if ckpt:
        a.append("gradient checkpointing: the forward is recomputed (hardware FLOPs above model FLOPs)")
    if pp > 1:
        a.append(f"pipeline parallel over {pp} stages, {micro} microbatches"
                 + (f", {v} model chunks per rank (interleaved)" if v > 1 else "")
                 + f": the fill/drain bubble idles {bubble:.1%} of each step, (p-1)/(v*m + p-1) (Narayanan et al. "
                 "2021); the calibrated efficiencies are bubble-free"
                 + ("" if "mfu" not in inp and "achieved_tflops_per_gpu" not in inp else
                    " (a given mfu or achieved TFLOP/s is taken as measured, bubble included)")
                 + ("" if "microbatches" in inp else "; microbatches not given: one per stage (torchtitan's default)"))
    if "training_tokens" not in inp:
        a.insert(1, "training_tokens not given: Chinchilla-optimal used")
    if "context_tokens" not in inp:
        a.insert(1, "context_tokens not given: 4096 used for the attention term")
    if price and "usd_per_gpu_hour" not in inp:
        a.append(f"price {price} $/GPU-hour: {g.price.provider}, {g.price.as_of} (volatile)")
    out["assumptions"] = a
    if _window_warnings(shape, seq):
        out["warnings"] = _window_warnings(shape, seq)
    return out


_COMPUTE_PROPS = {
    "framework": {"enum": list(COMPUTE_FRAMEWORKS), "description": "Sets the default efficiency (default "
                  "generic)."},
    "training_tokens": {"type": "number", "exclusiveMinimum": 0, "description": "Default Chinchilla-optimal."},
    "context_tokens": {"type": "integer", "minimum": 1, "description": "Sequence length (default 4096)."},
    "method": {"enum": list(COMPUTE_METHODS), "description": "Default full."},
    "gradient_checkpointing": {"type": "boolean", "description": "Recompute activations (more FLOPs)."},
    "gpu": {"type": "string", "description": "Default h100."}, "gpu_count": _COUNT,
    "mfu": {"type": "number", "exclusiveMinimum": 0, "maximum": 1,
            "description": "Of the dense BF16 peak, also for FP8 runs (default calibrated)."},
    "achieved_tflops_per_gpu": {"type": "number", "exclusiveMinimum": 0, "description": "Instead of mfu."},
    "precision": {"enum": ["bf16", "fp8"], "description": "Default bf16."},
    "pipeline_parallel": {"type": "integer", "minimum": 1, "description": "Pipeline stages (default 1)."},
    "microbatches": {"type": "integer", "minimum": 1,
                     "description": "Per pipeline per step (default one per stage)."},
    "virtual_stages": {"type": "integer", "minimum": 1,
                       "description": "Interleaved model chunks per rank (default 1)."},
    "usd_per_gpu_hour": {"type": "number", "exclusiveMinimum": 0, "description": "Overrides the catalog price."},
}

TRAINING_COMPUTE = Tool(
    name="training_compute",
    description=("Training compute: FLOPs (6·N·D, N active) + attention, Chinchilla-optimal tokens, tokens/s "
                 "per GPU, GPU-hours with a band, days and cost. Memory: training_memory."),
    input_schema=sent_schema(_COMPUTE_PROPS),
    validation_schema=validation_schema(_COMPUTE_PROPS),
    func=_training_compute,
    cli=CliSpec(command="train-compute", help="Training FLOPs, GPU-hours, days and cost.", **_MODEL_CLI),
)

TOOLS = (TRAINING_MEMORY, TRAINING_COMPUTE)
