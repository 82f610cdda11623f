"""Physics sweep: does any band edge (or mid) claim a step faster than the device can physically run it?

    python benchmarks/physics_sweep.py            # counts per check; exit 1 when any case breaks a bound
    python benchmarks/physics_sweep.py --all-engines --worst 10

For every catalog model x device x weight format (bf16, fp8, q4_k_m: 3 x 42 x 84 = 10,584 cases when written) at
the tensor-parallel degree `hardware_fit` picks (8,192 tokens, batch 1; the smallest that fits, else one device)
and the default engine (or every engine with --all-engines), it takes the step estimates the tools report:
decode (8,192 tokens of KV, batch 1), prefill (an 8,192-token prompt) and saturated serving (1,000 in, 200 out),
and checks each end of each band against the roofline:

  bandwidth: bytes the step must read per device (weights read + KV read) / step time <= peak bandwidth
  compute:   matmul FLOPs / (peak of the fastest format its kernels can use) + attention FLOPs / 16-bit peak
             <= step time

The fastest format a path can use (written here, independently of the tool's own cap): the compute format of the
plan (FP8 or FP4 where the weights run natively, else 16-bit), the FP16-accumulate rate where the engine's GEMMs
accumulate in FP16 (llama.cpp on GeForce), and the INT8 rate for int8 and GGUF types (integer-dot kernels such
as llama.cpp's MMQ). Training: every model x device x framework (none, and each calibrated one) x precision,
`training_compute`'s MFU band against 1 (BF16) and its tokens/s band against the hardware FLOPs roofline.
"""

from __future__ import annotations

import argparse
import itertools
import re
import sys
from collections import Counter

from modelmath.tools.errors import InvalidInput, UnsupportedConfig
from modelmath.tools.hardware import engines as eng
from modelmath.tools.hardware import gpus, serving, speed
from modelmath.tools.hardware.fit import min_placement
from modelmath.tools.model import catalog
from modelmath.tools.model.formats import kv_format, weight_format
from modelmath.tools.model.params import parameter_count
from modelmath.tools.model.resolve import shape_from_entry, shaped_weight_format
from modelmath.tools.registry import run_tool

FORMATS = ("bf16", "fp8", "q4_k_m")
KV16 = kv_format("bf16")
SLACK = 1 + 1e-9  # float rounding only
_INTEGER = re.compile(r"^(int8|i?q\d.*)$")


def peaks(gpu, step, engine, fmt_name: str) -> tuple[float, float]:
    """(matmul, attention) peak FLOP/s of the fastest formats this step's kernels could use."""
    half = (gpu.tflops.get("bf16") or gpu.tflops.get("fp16")) * 1e12
    acc16 = (gpu.fp16_accumulate_tflops or 0) * 1e12 if engine.raw.get("gemm_fp16_accumulate") else 0
    mm = [step.plan.tflops * 1e12]
    if step.plan.fmt in ("fp16", "bf16"):
        mm.append(acc16)
    if _INTEGER.match(fmt_name) and gpu.tflops.get("int8"):
        mm.append(gpu.tflops["int8"] * 1e12)
    return max(mm), max(half, acc16)


def utilisation(gpu, step, engine, fmt_name: str, seconds: float) -> tuple[float, float]:
    """(fraction of peak bandwidth, fraction of peak FLOP/s) a step of `seconds` implies."""
    mm_peak, at_peak = peaks(gpu, step, engine, fmt_name)
    read = step.weight_bytes_per_gpu + step.kv_bytes_per_gpu
    compute = step.matmul_flops_per_gpu / mm_peak + step.attention_flops_per_gpu / at_peak
    return read / gpu.bandwidth_bytes_per_s / seconds, compute / seconds


def speed_cases(engine_ids: list[str]):
    models = [(e.id, shape_from_entry(e)) for e in catalog.entries()]
    for (mid, shape), fname, eid in itertools.product(models, FORMATS, engine_ids):
        params = parameter_count(shape)
        try:
            wfmt, _ = shaped_weight_format(weight_format(fname), shape)
        except UnsupportedConfig:  # llama-quantize refuses this file type for this shape
            continue
        e = eng.lookup(eid)
        for g in gpus.catalog():
            p = min_placement(shape, params, g, wfmt, KV16, context=8192, batch=1)
            tp = p.tp if p is not None else 1
            try:
                dec = speed.decode_step(shape, params, g, wfmt, 8192, 1, tp, KV16, e)
                pre = speed.prefill(shape, params, g, wfmt, 8192, tp, e)
                cap = serving.kv_capacity(shape, params, g, wfmt, KV16, tp, e)
                most, why = serving.max_concurrency(cap, shape, KV16, 1000, 200, tp, e)
                srv = serving.serve(shape, params, g, wfmt, KV16, prompt=1000, output=200, concurrency=most,
                                    limited_by=why, tp=tp, engine=e).step
            except InvalidInput:  # e.g. heads not divisible: the tool refuses it too
                continue
            yield (mid, g.id, fname, eid, tp), g, e, {"decode": dec, "prefill": pre, "serving": srv}


def run_speed(engine_ids: list[str], worst: int) -> tuple[int, int, Counter]:
    cases = bad_cases = 0
    hits: Counter = Counter()
    top: list[tuple[float, str]] = []
    for key, g, e, steps in speed_cases(engine_ids):
        cases += 1
        bad = set()
        for kind, step in steps.items():
            for edge in ("low", "mid", "high"):
                bw, fl = utilisation(g, step, e, key[2], getattr(step.seconds, edge))
                for what, u in (("bandwidth", bw), ("compute", fl)):
                    if u > SLACK:
                        bad.add(f"{kind}: {what} ({'fast end' if edge == 'low' else edge})")
                        bad.add(f"{kind}: any bound")
                        top.append((u, f"{u:.3f}x peak {what}: {kind} {edge} {key}"))
        hits.update(bad)
        bad_cases += bool(bad)
    for _, line in sorted(top, reverse=True)[:worst]:
        print("  " + line)
    return cases, bad_cases, hits


def run_training(worst: int) -> tuple[int, int, Counter]:
    cases = bad_cases = 0
    hits: Counter = Counter()
    top: list[tuple[float, str]] = []
    models = [e.id for e in catalog.entries()]
    frameworks = (None, "megatron", "torchtitan", "torchtune", "maxtext")
    for mid, g, fw, prec in itertools.product(models, gpus.catalog(), frameworks, ("bf16", "fp8")):
        if prec == "fp8" and not g.tflops.get("fp8"):
            continue
        args = {"model": mid, "gpu": g.id, "precision": prec, "training_tokens": 1e9}
        if fw:
            args["framework"] = fw
        out = run_tool("training_compute", args)
        if out.is_error:
            continue
        cases += 1
        r = out.result
        bad = False
        if prec == "bf16" and r["mfu_band"]["high"] > SLACK:
            hits["training MFU high > 1"] += 1
            bad = True
            top.append((r["mfu_band"]["high"], f"MFU high {r['mfu_band']['high']}: {mid} {g.id} {fw} {prec}"))
        peak16 = (g.tflops.get("bf16") or g.tflops.get("fp16")) * 1e12
        mm_peak = g.tflops["fp8"] * 1e12 if prec == "fp8" else peak16
        fpt = r["flops_per_token"]  # rounded to 3 figures: hence the 0.5% allowance below
        attention = fpt["attention_causal_hardware"]
        hw_time = (fpt["hardware"] - attention) / mm_peak + attention / peak16
        u = r["tokens_per_second_per_gpu"]["high"] * hw_time
        if u > 1.005:
            hits["training hardware FLOP/s high > peak"] += 1
            bad = True
            top.append((u, f"{u:.3f}x peak FLOP/s: {mid} {g.id} {fw} {prec}"))
        bad_cases += bad
    for _, line in sorted(top, reverse=True)[:worst]:
        print("  " + line)
    return cases, bad_cases, hits


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--all-engines", action="store_true", help="every engine, not only the default")
    ap.add_argument("--worst", type=int, default=5, help="print the N worst offenders per part")
    ap.add_argument("--no-training", action="store_true")
    args = ap.parse_args(argv)
    engine_ids = eng.ids() if args.all_engines else [eng.default_id()]
    total_bad = 0
    n, bad, hits = run_speed(engine_ids, args.worst)
    print(f"speed: {bad:,} of {n:,} cases (model x device x format x engine) break a bound; cases by step:")
    for k, v in sorted(hits.items()):
        print(f"  {v:6,}  {k}")
    total_bad += bad
    if not args.no_training:
        n, bad, hits = run_training(args.worst)
        print(f"training: {bad:,} of {n:,} cases (model x device x framework x precision) break a bound")
        for k, v in sorted(hits.items()):
            print(f"  {v:6,}  {k}")
        total_bad += bad
    return 1 if total_bad else 0


if __name__ == "__main__":
    sys.exit(main())
