"""Registry declarations for hardware: gpu_lookup, hardware_fit, speed_estimate. The math lives in gpus.py,
fit.py and speed.py; this module turns validated tool input into JSON-ready results with units in key names,
assumptions and warnings."""

from __future__ import annotations

from ..errors import InvalidInput
from ..model.formats import kv_format
from ..model.memory import weight_bytes
from ..model.params import parameter_count
from ..model.resolve import checkpoint_block, describe, resolve_model, weights_for_model
from ..model.window import context_warnings
from ..registry import CliSpec, Tool
from ..schemas import (
    BATCH,
    CONTEXT,
    DEFAULT_CONTEXT_NOTE,
    DEFAULT_CONTEXT_TOKENS,
    FIT_OVERHEAD,
    KV_DTYPE,
    SPEED_OVERHEAD,
    WEIGHT_DTYPE,
    defaults_note,
    overhead_bytes,
    sent_schema,
    validation_schema,
)
from ..units import GiB
from . import engines as eng
from . import gpus as gpu_catalog
from .fit import Option, min_placement, place, recommend, tp_degrees
from .gpus import GPU
from .limits import best_format_on_one, max_batch, max_context
from .speed import band_info, decode_step, prefill
from .speed_tool import ENGINE, FRACTION, MAX_MODEL_LEN, VERSION, speed_result

DEFAULT_CONTEXT = DEFAULT_CONTEXT_TOKENS
_MODEL_CLI = {"positional": "model", "file_inputs": {"hf_config": "config"}, "flatten": "architecture"}
_GPUS = {"type": "array", "items": {"type": "string"}, "description": "GPU names (default: whole catalog)."}
_GPU = {"type": "string", "description": "GPU name, e.g. 'h100', 'rtx 4090'."}
_COUNT = {"type": "integer", "minimum": 1, "description": "GPUs, tensor parallel."}
_PRICE = {"type": "number", "exclusiveMinimum": 0, "description": "Overrides the catalog price."}
# Accepted (CLI --overhead-gib, raw JSON) but left out of the schema sent to Claude to keep it short.


_context_warnings = context_warnings  # the model package's one window convention (tools/model/window.py)


def _plain(x: float) -> str:
    """3 significant figures without an exponent (1,230 rather than 1.23e+03)."""
    v = float(f"{x:.3g}")
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:g}"


def _r(x: float | None, digits: int = 3) -> float | None:
    """An estimate to `digits` significant figures, as a float (an int would read as an exact count)."""
    if x is None:
        return None
    return float(f"{x:.{digits}g}")


_NOTE_TEXT = {
    "no_bf16": "no BF16 on {}: bf16 weights run as fp16 (check the model tolerates the fp16 range)",
    "no_fp8": "no FP8 tensor cores on {}: FP8 weights are dequantised in the kernel (weight-only) and the math "
              "runs in 16-bit",
    "weight_only": "{} weights are weight-only quantised: dequantised in the kernel, 16-bit math, streamed at "
                   "0.65-1.0x the bf16 efficiency",
    "kv_replicated": "KV cache replicated on {} (tensor-parallel degree above the KV heads; MLA keeps one latent)",
    "pcie": "tensor parallel over PCIe on {} (no NVLink-class link): all-reduce assumed 3x slower",
    "multinode": "more than 8 devices on {}: that spans nodes; engines use pipeline parallelism there",
    "no_fp4": "no FP4 tensor cores on {}: NVFP4 weights are dequantised in the kernel (weight-only), 16-bit math",
    "roofline": "decode_range's high end capped at the roofline (100% of peak bandwidth or dense FLOP/s) on {}: "
                "the calibration band alone would claim more than the device can do (each row's decode_band says "
                "how much)",
    "uncalibrated": "speed uncalibrated on {} for this engine (no published measurement on that memory class or "
                    "architecture): ranges widened",
}


def _group_notes(notes: dict[str, list[str]]) -> list[str]:
    out = []
    for k, v in notes.items():
        if v:
            out.append(_NOTE_TEXT[k].format(", ".join(dict.fromkeys(v))))
    return out


def _price(g: GPU, inp: dict) -> float | None:
    if "usd_per_gpu_hour" in inp:
        return inp["usd_per_gpu_hour"]
    return g.price.usd_per_hour if g.price else None


# -- gpu_lookup ------------------------------------------------------------------------------------------

def _gpu_lookup(inp: dict) -> dict:
    if inp.get("gpu"):
        return gpu_catalog.lookup(inp["gpu"]).spec()
    rows = [{"id": g.id, "memory_gb_sold": g.memory_gb_sold, "usable_gib": g.usable_gib,
             "bandwidth_gb_s": g.bandwidth_gb_s, "bf16_tflops": g.tflops.get("bf16") or g.tflops.get("fp16"),
             "fp8_tflops": g.tflops.get("fp8"), "usd_per_gpu_hour": g.price.usd_per_hour if g.price else None,
             "verified": g.verified} for g in gpu_catalog.catalog()]
    return {"gpus": rows,
            "assumptions": ["dense TFLOP/s (no sparsity); bf16 column shows fp16 where a device lacks bf16; null: "
                            "the device has no such tensor format",
                            "prices are typical on-demand $/device-hour with provider and date (volatile); null: "
                            "no price in the catalog"]}


GPU_LOOKUP = Tool(
    name="gpu_lookup",
    description=("GPU catalog entry: memory (GB sold, GiB usable), bandwidth, dense TFLOP/s per format, "
                 "interconnect, power, $/hour, sources. No gpu: list all."),
    input_schema={"type": "object", "properties": {"gpu": _GPU}, "additionalProperties": False},
    func=_gpu_lookup,
    cli=CliSpec(command="gpu", positional="gpu", help="GPU catalog: specs, sources, prices."),
)


# -- hardware_fit ----------------------------------------------------------------------------------------

def _speeds(shape, params, g, wfmt, kvfmt, context, batch, tp, engine):
    one = decode_step(shape, params, g, wfmt, context, 1, tp, kvfmt, engine)
    many = one if batch == 1 else decode_step(shape, params, g, wfmt, context, batch, tp, kvfmt, engine)
    pre = prefill(shape, params, g, wfmt, context, tp, engine)
    return one, many, pre, pre.seconds


# A context no model that keeps every token holds on one device (1 byte per token would be 16 EiB): a placement
# that still fits there does not grow with context.
_UNBOUNDED = 1 << 64


def _longest_on_one(shape, params, g: GPU, wfmt, kvfmt, batch: int, ovh, engine: str) -> tuple[int, str]:
    """(longest context that fits one device, what bounds it: "memory", or "window" where the model's context
    window ends first). At a memory-bound limit the placement fits and one more token does not; 0 when not even
    one token fits. (None, "unbounded") for a model with no window whose memory stops growing with context (only
    fixed state or sliding windows), as kv_cache's budget answers it: the search would otherwise stop at its
    2**64 guard and print that as a context length."""
    window = shape.context_limit
    if window is None and place(shape, params, g, wfmt, kvfmt, context=_UNBOUNDED, batch=batch, tp=1, overhead=ovh,
                                engine=engine).fits:
        return None, "unbounded"
    longest = max_context(shape, params, g, wfmt, kvfmt, batch=batch, tp=1, cap=window, overhead=ovh, engine=engine)
    return longest, "window" if window is not None and longest == window and place(
        shape, params, g, wfmt, kvfmt, context=window + 1, batch=batch, tp=1, overhead=ovh,
        engine=engine).fits else "memory"


def _fit_row(m, params, g: GPU, wfmt, kvfmt, inp, context, batch, notes: dict) -> tuple[dict, Option | None]:
    shape = m.shape
    engine = eng.for_device(inp.get("engine"), g)
    ovh, count, e_id = overhead_bytes(inp), inp.get("gpu_count"), engine.id
    one = place(shape, params, g, wfmt, kvfmt, context=context, batch=batch, tp=1, overhead=ovh, engine=e_id)
    row: dict = {"gpu": g.id, "engine": e_id, "fits_on_one": one.fits}
    if not one.fits:
        row["fits_one_at"] = best_format_on_one(shape, params, g, kvfmt, context=context, batch=batch,
                                                overhead=ovh, engine=e_id) or "none"
    # On every row, fitting or not (0: not one token fits one GPU; null with limit "unbounded": no limit).
    longest, bound = _longest_on_one(shape, params, g, wfmt, kvfmt, batch, ovh, e_id)
    row.update(max_context_on_one=longest, max_context_on_one_limit=bound)
    allowed = tp_degrees(shape, g.max_count)
    if count is not None:
        if count not in allowed:
            row["note"] = f"gpu_count {count} is not usable here (allowed: {', '.join(map(str, allowed))})" + (
                "; llama.cpp's layer split itself takes any count, but its speed is modelled only at these"
                if e_id in eng.LAYER_SPLIT else "")
            return row, None
        p = place(shape, params, g, wfmt, kvfmt, context=context, batch=batch, tp=count, overhead=ovh, engine=e_id)
    else:
        p = min_placement(shape, params, g, wfmt, kvfmt, context=context, batch=batch, overhead=ovh, engine=e_id)
    if p is None or not p.fits:
        # Say what the largest count tried needs per GPU and by how much it falls short.
        tried = p or place(shape, params, g, wfmt, kvfmt, context=context, batch=batch, tp=allowed[-1],
                           overhead=ovh, engine=e_id)
        need, short = round(tried.total / GiB, 1), round(-tried.headroom / GiB, 1)
        row["note"] = (f"does not fit on {tried.tp}" if p is not None else f"needs more than {tried.tp}") + \
            f" x {g.id} at {wfmt.name}: {need:,} GiB per GPU needed at {tried.tp}, " \
            f"{tried.usable / GiB:,.1f} GiB usable, short by {short:,} GiB"
        row.update(at_gpus=tried.tp, needs_per_gpu_gib=need, short_per_gpu_gib=short)
        return row, None
    s1, sb, pre, ttft = _speeds(shape, params, g, wfmt, kvfmt, context, batch, p.tp, engine)
    price = _price(g, inp)
    row.update(gpus=p.tp, per_gpu_gib=_r(p.total / GiB), headroom_gib=_r(p.headroom / GiB),
               max_seqs=max_batch(shape, params, g, wfmt, kvfmt, context=context, tp=p.tp, overhead=ovh, engine=e_id),
               decode_tok_s=_r(1 / s1.seconds.mid),
               decode_range=f"{_plain(1 / s1.seconds.high)}-{_plain(1 / s1.seconds.low)}",
               decode_band=band_info(s1),
               batch_tok_s=_r(batch / sb.seconds.mid), prefill_tok_s=_r(context / pre.seconds.mid),
               ttft_s=_r(ttft.mid))
    opt = Option(g.id, p.tp, None if price is None else price * p.tp, 1 / s1.seconds.mid, batch / sb.seconds.mid)
    # A GPU without a catalog price keeps the columns, as null: the table says "no price", not nothing. The
    # hourly price is for all `gpus` of the row (gpu_lookup gives one device's: usd_per_gpu_hour).
    row["usd_per_hour_all_gpus"] = _r(opt.usd_per_hour)
    row["usd_per_mtok"] = _r(opt.usd_per_mtok)
    if s1.plan.code:
        notes.setdefault(s1.plan.code, []).append(wfmt.name if s1.plan.code == "weight_only" else g.id)
    if not s1.factors.calibrated:
        notes.setdefault("uncalibrated", []).append(g.id)
    if s1.capped:
        notes.setdefault("roofline", []).append(g.id)
    label = f"{g.id} x{p.tp}"
    if p.kv_replicated:
        notes.setdefault("kv_replicated", []).append(label)
    if p.tp > 1 and not g.link_for(p.tp)[0]:
        notes.setdefault("pcie", []).append(label)
    if p.tp > 8:
        notes.setdefault("multinode", []).append(label)
    return row, opt


def _devices(inp: dict) -> tuple[list[GPU], list[str]]:
    """The devices to answer for, and assumptions. An engine asked for with named devices it does not run on is
    refused; asked for over the whole catalog, the devices it does not run on are left out (and said)."""
    named = inp.get("gpus")
    chosen = [gpu_catalog.lookup(i) for i in dict.fromkeys(gpu_catalog.lookup(n, "gpus").id
                                                            for n in named or gpu_catalog.all_ids())]
    if inp.get("engine") is None:
        return chosen, []
    e = eng.lookup(inp["engine"])
    off = [g for g in chosen if not eng.runs_on(e, g)]
    if off and named:
        allowed = [i for i in eng.ids() if all(eng.runs_on(eng.lookup(i), g) for g in chosen)]
        raise InvalidInput(f"engine {e.id} does not run on {', '.join(g.id for g in off)}: {e.name} runs on "
                           f"{eng.RUNS_ON[e.id][1]}", field="engine", allowed=allowed)
    if not off:
        return chosen, []
    return [g for g in chosen if g not in off], [
        f"engine {e.id}: rows only for the devices it runs on ({e.name}: {eng.RUNS_ON[e.id][1]}); left out: "
        + ", ".join(g.id for g in off)]


def _advice(inp: dict, wfmt, kvfmt, context: int, batch: int) -> str:
    """What might make it fit, leaving out what the run already does."""
    tries = ["fewer tokens"] if context > 1 else []
    if batch > 1:
        tries.append("a smaller batch")
    if kvfmt.bits > 8:
        tries.append("fp8 KV")
    if wfmt.bits_float > 5:  # q4_k_m is 4.9 bits with its scales; a 5-bit or wider format can go to 4-bit
        tries.append("a 4-bit format")
    if inp.get("gpu_count") is not None:
        tries.append("more GPUs (leave gpu_count out to get the minimum)")
    tries.append("a device with more memory")
    return "try " + ", ".join(tries[:-1]) + (" or " if len(tries) > 1 else "") + tries[-1]


def _hardware_fit(inp: dict) -> dict:
    m = resolve_model(inp)
    shape, params = m.shape, parameter_count(m.shape)
    wfmt, w_assumptions, w_warnings = weights_for_model(m, inp, params.total)
    kvfmt = kv_format(inp.get("kv_dtype", "bf16"))
    context, batch = inp.get("context_tokens", DEFAULT_CONTEXT), inp.get("batch_size", 1)
    if inp.get("gpu_count") is not None and inp["gpu_count"] < 1:
        raise InvalidInput("gpu_count must be >= 1", field="gpu_count", allowed="integer >= 1")
    devices, left_out = _devices(inp)
    if "usd_per_gpu_hour" in inp and len(devices) != 1:
        raise InvalidInput("usd_per_gpu_hour overrides the price of one GPU: ask for exactly one gpu",
                           field="usd_per_gpu_hour")
    notes: dict[str, list[str]] = {}
    rows, options = [], []
    for g in devices:
        row, opt = _fit_row(m, params, g, wfmt, kvfmt, inp, context, batch, notes)
        rows.append({k: v for k, v in row.items() if v is not None or k.startswith("usd_")
                     or k == "max_context_on_one"})
        if opt is not None:
            options.append(opt)
    rows.sort(key=lambda r: ("gpus" not in r, r.get("usd_per_mtok") or float("inf"), r.get("gpus", 0)))
    recs = {k: {"gpu": o.gpu_id, "gpus": o.count, "usd_per_hour_all_gpus": _r(o.usd_per_hour),
                "decode_tok_s": _r(o.decode_tokens_per_s), "usd_per_mtok": _r(o.usd_per_mtok)}
            for k, o in recommend(options).items()}
    recs = {k: {f: v for f, v in r.items() if v is not None} for k, r in recs.items()}
    warnings = _context_warnings(shape, context) + _group_notes(notes) + w_warnings
    if not options and any(r["fits_on_one"] for r in rows):
        warnings.append(f"gpu_count {inp.get('gpu_count')} is not a usable tensor-parallel degree here; the model "
                        "fits on one GPU (leave gpu_count out to get the minimum)")
    elif not options:
        smaller = sorted({r["fits_one_at"] for r in rows if r.get("fits_one_at") not in (None, "none")})
        warnings.append(f"no requested GPU fits {shape.name} at {wfmt.name}, {context:,} tokens x {batch}; "
                        + (f"on one GPU these formats would: {', '.join(smaller)}" if smaller
                           else _advice(inp, wfmt, kvfmt, context, batch)))
    w_total = weight_bytes(params, wfmt)[0]
    used = list(dict.fromkeys(r["engine"] for r in rows))
    top = eng.lookup(inp["engine"]).id if "engine" in inp else used[0] if len(used) == 1 else eng.default_id()
    for r in rows:  # a row names its engine only where it is not the result's
        if r["engine"] == top:
            del r["engine"]
    out = {"model": describe(m), "weight_dtype": wfmt.name, "kv_dtype": kvfmt.name, "context_tokens": context,
           "batch_size": batch, "total_params": params.total, "active_params": params.active,
           "weights_bytes": w_total, "gpus": rows, "recommendations": recs,
           "engine": top,
           "assumptions": _fit_assumptions(wfmt, inp, context, devices) + defaults_note(inp, m.checkpoint is not None)
           + left_out + w_assumptions}
    if m.checkpoint is not None:
        out["checkpoint"] = checkpoint_block(m, params)
    if warnings:
        out["warnings"] = warnings
    return out


def _engine_assumptions(inp: dict, devices: list[GPU]) -> list[str]:
    """Which engine each row is for (the device's default where none was asked for) and what that changes."""
    if "engine" in inp:
        picked = [f"speed and memory for engine {eng.lookup(inp['engine']).id}"]
    else:
        picked = [f"speed and memory for engine {eng.default_id()} (default; pass engine to change)"]
        picked += list(dict.fromkeys(f"{eng.default_note(g)} ({g.vendor} rows say engine {eng.default_for(g).id})"
                                     for g in devices if g.vendor in eng.DEVICE_DEFAULT))
    used = {eng.for_device(inp.get("engine"), g).id for g in devices}
    out = [picked[0] + ": per-engine weight/KV bandwidth efficiency, step overhead and MoE dispatch cost fitted to "
           "published measurements (speed_estimate shows them)"] + picked[1:]
    if used & eng.LAYER_SPLIT:
        out.append("llama.cpp splits a model across GPUs by layer (--split-mode layer, its default): weights, KV "
                   "and state 1/n per GPU, no all-reduce buffers; its runtime reserve is 1 GiB + its compute "
                   "buffer, sized by llama.cpp from one n_ubatch (512-token) chunk through whole layers (the "
                   "activations here); its speed on n GPUs is one GPU's running the whole model (the GPUs take "
                   "turns for every token)")
    return out


def _fit_assumptions(wfmt, inp: dict, context: int, devices: list[GPU]) -> list[str]:
    a = [(DEFAULT_CONTEXT_NOTE if "context_tokens" not in inp else
          f"every sequence holds {context:,} tokens of KV; TTFT is for a prompt of that length"),
         "fit uses total params (all MoE experts); speed uses the weights a step actually reads (active, or the "
         "experts hit at this batch)",
         "gpus = smallest power-of-two tensor-parallel degree dividing the attention heads that fits; KV heads "
         "shard up to kv_heads, then replicate; overhead 1 GiB per GPU + 1.79 GiB of all-reduce buffers with tp>1 "
         "(vLLM, SGLang, TensorRT-LLM style tensor parallelism)",
         *_engine_assumptions(inp, devices),
         "TTFT: " + eng.ttft_definition(),
         "usd_per_hour_all_gpus: the price of all the row's GPUs (gpu_lookup gives one GPU's usd_per_gpu_hour); "
         "usd_per_mtok = that over output tokens per hour at batch_size (decode only)",
         "fits_one_at: best common weight format that fits one GPU at this context and batch; "
         "max_context_on_one: longest context that fits one GPU at the requested format and batch, up to the "
         "model's window (max_context_on_one_limit says which ended it: memory, or the window; unbounded, with null, "
         "where memory does not grow with context); rows that do not "
         "fit say at_gpus, needs_per_gpu_gib and short_per_gpu_gib"]
    if wfmt.name != "bf16" and wfmt.stored is None:
        a.append(f"{wfmt.name} weights: {wfmt.bits_float:.4g} bits/weight ({wfmt.source})")
    return a


_FIT_PROPS = {"engine": ENGINE, "weight_dtype": WEIGHT_DTYPE, "kv_dtype": KV_DTYPE,
              "context_tokens": {**CONTEXT, "description": "Tokens per sequence (default 8192)."},
              "batch_size": BATCH, "gpus": _GPUS, "gpu_count": _COUNT, "usd_per_gpu_hour": _PRICE}

HARDWARE_FIT = Tool(
    name="hardware_fit",
    description=("Which GPUs can serve a model and how many (tensor parallel): memory per GPU, headroom, max "
                 "sequences, tok/s, TTFT, $/hour, $/MTok, ranked; what would fit if not. Itemised memory: "
                 "memory_estimate; one setup's speed: speed_estimate."),
    input_schema=sent_schema(_FIT_PROPS),
    validation_schema=validation_schema({**_FIT_PROPS, **FIT_OVERHEAD}),
    func=_hardware_fit,
    cli=CliSpec(command="fit", help="Which GPUs fit a model, how many, how fast, at what cost.",
                **_MODEL_CLI),
)


# -- speed_estimate (the computation is in speed_tool.py) --------------------------------------------------

_SPEED_PROPS = {"gpu": _GPU, "gpu_count": _COUNT, "engine": ENGINE, "weight_dtype": WEIGHT_DTYPE,
                "kv_dtype": KV_DTYPE,
                "context_tokens": {**CONTEXT, "description": "KV tokens per sequence (default 8192)."},
                "batch_size": BATCH,
                "prompt_tokens": {"type": "integer", "minimum": 1, "description": "Default context_tokens."},
                "output_tokens": {"type": "integer", "minimum": 1,
                                  "description": "Per request; adds serving throughput."},
                "gpu_memory_fraction": FRACTION, "engine_version": VERSION, "max_model_len": MAX_MODEL_LEN}

SPEED_ESTIMATE = Tool(
    name="speed_estimate",
    description=("Speed of one setup (gpu x gpu_count, engine): decode tok/s, inter-token latency, prefill, "
                 "TTFT, serving throughput with output_tokens, KV capacity; low/mid/high. Choosing GPUs: "
                 "hardware_fit."),
    input_schema=sent_schema(_SPEED_PROPS, ("gpu",)),
    validation_schema=validation_schema({**_SPEED_PROPS, **SPEED_OVERHEAD}, ("gpu",)),
    func=speed_result,
    cli=CliSpec(command="speed", help="Decode/prefill tokens per second, TTFT, serving throughput.", **_MODEL_CLI),
)

TOOLS = (GPU_LOOKUP, HARDWARE_FIT, SPEED_ESTIMATE)
