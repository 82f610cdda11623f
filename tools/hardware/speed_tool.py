"""The speed_estimate tool: decode, prefill/TTFT, serving throughput and the engine's KV capacity for one model
on one GPU or tensor-parallel group, with the engine's efficiencies and whether they are calibrated."""

from __future__ import annotations

from .. import bands
from ..errors import InvalidInput
from ..model.formats import kv_format
from ..model.params import parameter_count
from ..model.resolve import checkpoint_block, describe, resolve_model, weights_for_model
from ..model.window import context_warnings
from ..schemas import DEFAULT_CONTEXT_NOTE, DEFAULT_CONTEXT_TOKENS, defaults_note, overhead_bytes
from ..units import GB, GiB
from . import engines as eng
from . import gpus as gpu_catalog
from .engines import Band
from .fit import place
from .serving import kv_capacity, max_concurrency, serve
from .speed import band_info, decode_step, prefill

DEFAULT_CONTEXT = DEFAULT_CONTEXT_TOKENS
ENGINE = {"enum": eng.ids(), "description": "Serving engine (default vllm)."}
VERSION = {"type": "string", "maxLength": 40, "description": "vLLM release, e.g. 0.6.4 (default latest)."}
MAX_MODEL_LEN = {"type": "integer", "minimum": 1, "description": "vLLM --max-model-len (default: model's)."}
FRACTION = {"type": "number", "exclusiveMinimum": 0, "maximum": 1,
            "description": "vLLM gpu_memory_utilization, SGLang mem_fraction_static or TensorRT-LLM "
                           "kv_cache_free_gpu_mem_fraction (default the engine's)."}


def _inv(b: Band, k: float = 1.0) -> Band:
    return Band(k / b.high, k / b.mid, k / b.low)


def engine_summary(e: eng.Engine, steps: list) -> dict:
    """calibrated: every estimate here rests on calibration cases for this engine, platform and bound."""
    why = list(dict.fromkeys(s.factors.why_uncalibrated for s in steps if not s.factors.calibrated))
    out = {"id": e.id, "name": e.name, "calibrated": not why}
    if why:
        out["uncalibrated"] = (f"{'; '.join(why)}: those ranges come from the errors of uncalibrated setups on "
                               "calibration cases (wider)")
    return out


def kv_band(e: eng.Engine, cap, usable: int) -> dict:
    """Band of the KV pool and capacity from the KV-capacity calibration errors of the engine's coverage group,
    its high end capped where the device runs out: a pool cannot hold more than the usable memory left after
    the weights (`usable` bytes per GPU)."""
    covered = bands.covered("kv_capacity")
    group = "generic" if e.id == "generic" else "calibrated" if e.id in covered else "uncalibrated"
    setup = {"generic": "uncalibrated engine: generic memory model (vLLM-like)",
             "calibrated": f"calibrated: {e.id} KV pool logs",
             "uncalibrated": f"uncalibrated: no KV-capacity calibration case for {e.id}"}[group]
    r = bands.rule("kv_capacity", group)
    out = r.describe(setup)
    room = max(0, usable - cap.weights_per_gpu)
    ceilings = {"kv_capacity_tokens": room // cap.bytes_per_token_per_gpu, "kv_pool_per_gpu_bytes": room}
    for key, value in (("kv_capacity_tokens", cap.tokens), ("kv_pool_per_gpu_bytes", cap.pool_per_gpu)):
        lo, mid, hi = r.apply(value)
        if hi > ceilings[key]:
            out["capped"] = (f"high capped at the device: a KV pool of at most {room / GiB:,.2f} GiB per GPU (usable "
                             f"memory less the weights); the calibration quantile alone would imply "
                             f"{r.apply(cap.pool_per_gpu)[2] / max(room, 1):.0%} of that")
            hi = max(ceilings[key], mid)
        out[key] = {"low": int(lo), "mid": int(mid), "high": int(hi)}
    return out


def efficiencies(f: eng.Factors) -> dict:
    return {"weight_bandwidth": f.weight_bw.as_dict(3), "kv_bandwidth": f.kv_bw.as_dict(3),
            "gemm_of_dense_peak": f.gemm.as_dict(3), "step_overhead_ms": f.step_overhead_s.scale(1e3).as_dict(3),
            "moe_layer_overhead_us": f.moe_layer_s.scale(1e6).as_dict(3)}


_context_warnings = context_warnings  # the model package's one window convention (tools/model/window.py)


def _serving(shape, params, g, wfmt, kvfmt, inp, tp, e, cap) -> tuple[dict, list]:
    prompt, output = inp.get("prompt_tokens", inp.get("context_tokens", DEFAULT_CONTEXT)), inp["output_tokens"]
    most, limit = max_concurrency(cap, shape, kvfmt, prompt, output, tp, e)
    out = {"prompt_tokens": prompt, "output_tokens": output}
    runs = {}
    if "batch_size" in inp:
        asked = inp["batch_size"]
        b, why = (asked, "requested") if asked <= most else (most, limit)
        runs["at_batch"] = serve(shape, params, g, wfmt, kvfmt, prompt=prompt, output=output, concurrency=b,
                                 limited_by=why, tp=tp, engine=e)
    runs["saturated"] = serve(shape, params, g, wfmt, kvfmt, prompt=prompt, output=output, concurrency=most,
                              limited_by=limit, tp=tp, engine=e)
    out.update({k: v.as_dict(output) for k, v in runs.items()})
    return out, [v.step for v in runs.values()]


def _context(inp: dict) -> tuple[int, str]:
    """(KV tokens per sequence the decode figures are at, the assumption that chose it). Not given: a prompt's
    requests end holding prompt + output tokens, so the last decode step reads that much KV; without a prompt
    the default."""
    if "context_tokens" in inp:
        return inp["context_tokens"], ""
    if "prompt_tokens" in inp:
        prompt, output = inp["prompt_tokens"], inp.get("output_tokens", 0)
        return prompt + output, (f"context_tokens not given: prompt + output = {prompt + output:,} tokens, the KV a "
                                 "request holds at its last decode step (decode figures are at that length)")
    return DEFAULT_CONTEXT, DEFAULT_CONTEXT_NOTE


def speed_result(inp: dict) -> dict:
    m = resolve_model(inp)
    shape, params = m.shape, parameter_count(m.shape)
    g = gpu_catalog.lookup(inp["gpu"])
    e = eng.for_device(inp.get("engine"), g)
    wfmt, w_assumptions, w_warnings = weights_for_model(m, inp, params.total)
    kvfmt = kv_format(inp.get("kv_dtype", "bf16"))
    tp, batch = inp.get("gpu_count", 1), inp.get("batch_size", 1)
    if tp > g.max_count:  # fit searches no further either; an Apple entry is one machine's GPU (max_count 1)
        raise InvalidInput(f"gpu_count {tp}: {g.id} is one machine's built-in GPU, so 1 is the only count"
                           if g.max_count == 1 else f"gpu_count {tp} is more than {g.max_count}, the most {g.id} "
                           "devices fit and speed place in one setup", field="gpu_count", allowed=f"1..{g.max_count}")
    context, context_note = _context(inp)
    prompt = inp.get("prompt_tokens", context)
    if prompt > context:
        raise InvalidInput(f"prompt_tokens ({prompt:,}) cannot exceed context_tokens ({context:,}): the context holds "
                           "the prompt and the output", field="prompt_tokens", allowed=f"1..{context}")
    if "prompt_tokens" in inp and prompt + inp.get("output_tokens", 0) > context:
        raise InvalidInput(f"prompt_tokens + output_tokens ({prompt + inp['output_tokens']:,}) cannot exceed "
                           f"context_tokens ({context:,}): the context holds the prompt and the output",
                           field="output_tokens", allowed=f"1..{context - prompt}" if context > prompt else "none")
    for key in ("engine_version", "max_model_len"):
        if key in inp and e.id != "vllm":
            raise InvalidInput(f"{key} sets vLLM's start-up memory profile; {e.name} does not size its KV pool that "
                               "way", field=key, allowed="only with engine vllm")
    if inp.get("max_model_len", context) < context:  # vLLM rejects a request longer than its max_model_len
        raise InvalidInput(f"max_model_len ({inp['max_model_len']:,}) is below the {context:,} tokens per sequence "
                           "asked about: vLLM refuses a request longer than max_model_len", field="max_model_len",
                           allowed=f"at least {context}")
    d = decode_step(shape, params, g, wfmt, context, batch, tp, kvfmt, e)
    pre = prefill(shape, params, g, wfmt, prompt, tp, e)
    fit = place(shape, params, g, wfmt, kvfmt, context=context, batch=batch, tp=tp, overhead=overhead_bytes(inp),
                engine=e.id)
    cap = kv_capacity(shape, params, g, wfmt, kvfmt, tp, e, inp.get("gpu_memory_fraction"), inp.get("engine_version"),
                      inp.get("max_model_len"))
    out = {
        "model": describe(m), "gpu": g.provenance(), "gpu_count": tp, "engine": {},
        "weight_dtype": wfmt.name, "kv_dtype": kvfmt.name, "context_tokens": context, "batch_size": batch,
        "prompt_tokens": prompt,
        "decode": {"tokens_per_s_per_stream": _inv(d.seconds).as_dict(),
                   "tokens_per_s_total": _inv(d.seconds, batch).as_dict(),
                   "inter_token_latency_ms": d.seconds.scale(1e3).as_dict(), "bound": d.bound,
                   "compute_format": d.plan.fmt, "weights_read_per_gpu_bytes": d.weight_bytes_per_gpu,
                   "kv_read_per_gpu_bytes": d.kv_bytes_per_gpu, "calibrated": d.factors.calibrated,
                   "band": band_info(d),
                   "flops_per_gpu": float(f"{d.matmul_flops_per_gpu + d.attention_flops_per_gpu:.4g}"),
                   "fixed_overhead_ms": d.overhead_seconds.scale(1e3).as_dict(),
                   "allreduce_ms": d.comm_seconds.scale(1e3).as_dict()},
        "prefill": {"tokens_per_s": _inv(pre.seconds, prompt).as_dict(), "seconds": pre.seconds.as_dict(),
                    "ttft_s": pre.seconds.as_dict(), "chunks": pre.steps, "bound": pre.bound,
                    "calibrated": pre.factors.calibrated, "band": band_info(pre),
                    "flops_per_gpu": float(f"{pre.matmul_flops_per_gpu + pre.attention_flops_per_gpu:.4g}")},
        "engine_memory": {**cap.as_dict(), "gpu_memory_fraction": inp.get("gpu_memory_fraction",
                                                                          e.memory.gpu_fraction),
                          "band": kv_band(e, cap, g.usable_bytes),
                          **({"profile": list(cap.notes)} if cap.notes else {})},
        "efficiencies": efficiencies(d.factors),
        "memory_per_gpu_bytes": fit.total, "usable_per_gpu_bytes": fit.usable, "fits": fit.fits,
        "assumptions": ([context_note] if context_note else []) + defaults_note(inp, m.checkpoint is not None)
        + _assumptions(e, g, "engine" in inp) + w_assumptions + _layer_split_note(e, tp),
    }
    if m.checkpoint is not None:
        out["checkpoint"] = checkpoint_block(m, params)
    steps = [d, pre]
    if "output_tokens" in inp:
        out["serving"], more = _serving(shape, params, g, wfmt, kvfmt, inp, tp, e, cap)
        steps += more
    out["engine"] = engine_summary(e, steps)
    warnings = _context_warnings(shape, max(context, prompt)) + w_warnings
    if d.plan.note:
        warnings.append(d.plan.note)
    if not out["engine"]["calibrated"]:
        warnings.append(f"uncalibrated: {out['engine']['uncalibrated']}; treat those ranges as rough")
    if not fit.fits:
        warnings.append(f"does not fit: {fit.total / GB:,.1f} GB per GPU needed, {fit.usable / GB:,.1f} GB usable "
                        f"on {g.id}; `hardware_fit` finds a count that fits")
    if warnings:
        out["warnings"] = warnings
    return out


def _layer_split_note(e: eng.Engine, tp: int) -> list[str]:
    if tp == 1 or eng.timing_gpus(e, tp) == tp:
        return []
    return [LAYER_SPLIT_SPEED.format(engine=e.name, n=tp)]


LAYER_SPLIT_SPEED = (
    "{engine} splits the model across the {n} GPUs by layer (its default --split-mode layer): each token passes "
    "the GPUs one after another, so decode and prefill take as long as one GPU running the whole model (the "
    "decode weights_read figure is all GPUs' together); more GPUs add memory, not single-stream speed. llama.cpp "
    "can overlap prompt chunks across GPUs (pipeline parallelism), so a long prompt's TTFT may be lower")


def _assumptions(e: eng.Engine, g, asked: bool) -> list[str]:
    picked = [] if asked else [eng.default_note(g)]
    return picked + [
        f"engine {e.id}: efficiencies and fixed overheads from tools/data/engines.json, fitted on the "
        "calibration half of benchmarks/validation/inference.jsonl",
        "step = GEMMs max(weight bytes / (bandwidth x e), FLOPs / (peak x e)) + attention max(KV bytes, "
        "FLOPs) + the engine's step overhead + per-MoE-layer dispatch + all-reduces (kernels run one after another)",
        "weights read: input embedding rows excluded; MoE experts hit at M tokens: E(1-(1-k/E)^M); KV of every "
        "sequence at context_tokens",
        "TTFT: " + eng.ttft_definition(),
        "serving: continuous batching in steady state; each step decodes every running request and prefills "
        "batch x prompt/output prompt tokens; saturated = as many requests as the engine's KV pool holds at "
        "prompt + output tokens each (capped by the engine)",
        f"engine KV pool: {e.memory.source}",
        "all-reduce: 2 per layer, ~12 us per log2(tp) step on NVLink-class links (fitted), 3x on PCIe",
        bands_assumption()]


def bands_assumption() -> str:
    return (f"ranges: low-high is meant to hold {bands.coverage():.0%} of measurements of setups like this one: mid x "
            "quantiles of measured/predicted over published calibration cases of the same kind (decode, TTFT, "
            "serving, KV capacity) and coverage group (calibrated here / engine uncalibrated here / generic profile), "
            "each predicted with constants not fitted on it; each section's `band` says its group and sample")
