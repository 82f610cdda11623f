"""Constants of tools/training implied by the CALIBRATION cases of training.jsonl (holdout cases are never read).

Prints, per training framework, the hardware FLOPs utilisation (HFU) each BF16 calibration case implies, the FP8
speed-up each FP8 case implies given that framework's median HFU, the MoE factor, and the memory factors. The
constants in tools/training/compute.py and frameworks.py quote these medians; re-run after adding cases.
`constants()` returns the same mid values for any set of calibration cases, and `installed()` runs the tools with
them: benchmarks/validation/bands.py predicts each calibration case with constants chosen without it.
"""

from __future__ import annotations

import statistics
import sys
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from training_eval import DATASET, load  # noqa: E402


def implied_throughput(rec: dict):
    from modelmath.tools.errors import UnknownName
    from modelmath.tools.hardware import gpus
    from modelmath.tools.model.params import parameter_count
    from modelmath.tools.model.resolve import resolve_model
    from modelmath.tools.training.compute import flops_per_token, pipeline_bubble

    inp = rec["inputs"]["args"]
    try:
        g = gpus.lookup(inp.get("gpu", "h100-sxm"))
    except UnknownName:
        return None
    shape = resolve_model(inp).shape
    fpt = flops_per_token(shape, parameter_count(shape), inp.get("context_tokens", 4096), inp.get("method", "full"),
                          inp.get("gradient_checkpointing", False))
    peak = (g.tflops.get("bf16") or g.tflops.get("fp16")) * 1e12
    out, m = rec["inputs"]["output"], rec["target"]["value"]
    tps = {"mfu": m * peak / fpt.model, "achieved_tflops_per_gpu": m * 1e12 / fpt.model,
           "gpu_hours": inp.get("training_tokens", 0) / (m * 3600)}.get(out, m)
    if inp.get("pipeline_parallel", 1) > 1:  # the constants are bubble-free: take the published run's bubble out
        pp, v = inp["pipeline_parallel"], inp.get("virtual_stages", 1)
        tps /= 1 - pipeline_bubble(pp, inp.get("microbatches", pp * v), v)
    return fpt, peak, tps, shape.moe is not None, g.kind


# Which calibration cases set which memory constant (frameworks.py says the same beside each constant).
EAGER_CASES = ("tt-l32-3b-flags-packed-mem",)
CHUNKED_CASES = ("tt-l32-3b-flags-optinbwd-mem", "tt-l32-3b-flags-lora-mem", "tt-l32-3b-flags-qlora-mem")
UNSLOTH_CASES = ("unsloth-l31-8b-qlora-80gb-maxctx", "unsloth-l31-8b-qlora-24gb-maxctx")


@dataclass
class Constants:
    """Mid values of the training constants implied by a set of calibration cases (the rules of main() below)."""

    hfu: dict[str, float]  # BF16 HFU per framework, "generic-gpu" for unnamed GPU runs
    fp8: dict[str, float]  # FP8 speed-up of the Linear layers per framework
    generic_fp8: float
    moe: float
    eager_factor: float
    chunked_logit_bytes: float
    unsloth_factor: float


def activation_factor(rec: dict) -> float | None:
    """Factor on the counted layer activations that makes this memory case exact, solved with every activation
    factor at 1; None when the peak is not at backward start."""
    import dataclasses

    from modelmath.tools.registry import run_tool
    from modelmath.tools.training import frameworks

    saved = (frameworks.EAGER_ACTIVATION_FACTOR, dict(frameworks.FRAMEWORKS))
    frameworks.EAGER_ACTIVATION_FACTOR = (1.0, 1.0, 1.0)
    for k, f in saved[1].items():
        frameworks.FRAMEWORKS[k] = dataclasses.replace(f, fused_factor=(1.0, 1.0, 1.0))
    try:
        out = run_tool("training_memory", rec["inputs"]["args"]).result
    finally:
        frameworks.EAGER_ACTIVATION_FACTOR = saved[0]
        frameworks.FRAMEWORKS.update(saved[1])
    acts = out["per_gpu"]["activations"]["gib"]
    if out["peak"]["phase"] != "backward_start" or not acts:
        return None
    return 1 + (rec["target"]["value"] - out[rec["inputs"]["output"]]) / acts


def constants(cal: list[dict]) -> Constants:
    """The constants `cal` (calibration cases only) implies, by the rules main() prints: per framework the median
    implied BF16 HFU; FP8 speed-ups given that HFU; generic FP8 = median of the frameworks' medians; the MoE factor;
    the memory factors from the cases listed above. A framework left without cases has no entry (the tools then
    use the generic default); a memory constant left without cases falls back to 1 (the count) or, for the chunked
    loss, its derived high bound of 3 bytes."""
    hfu, fp8, moe = defaultdict(list), [], []
    for r in cal:
        if r.get("excluded") or r["category"] == "training_memory" or r["inputs"]["output"] == "training_flops":
            continue
        got = implied_throughput(r)
        if got is None or r["category"] == "training_compute":
            continue
        fpt, peak, tps, is_moe, kind = got
        fw = r["inputs"]["args"].get("framework") or f"generic-{kind}"
        if is_moe:
            moe.append((fw, r, fpt, peak, tps))
        elif r["inputs"]["args"].get("precision") == "fp8":
            fp8.append((fw, r, fpt, peak, tps))
        else:
            hfu[fw].append(tps * fpt.hardware / peak)
    med = {fw: statistics.median(v) for fw, v in hfu.items()}
    sp = defaultdict(list)
    for fw, _, fpt, peak, tps in fp8:
        h = med.get(fw, med.get("generic-gpu"))
        if fpt.hardware_dense >= fpt.hardware_attention:
            sp[fw].append(fpt.hardware_dense / (h * peak / tps - fpt.hardware_attention))
    fp8_med = {fw: statistics.median(v) for fw, v in sp.items()}
    from modelmath.tools.training.compute import tokens_per_second

    moe_f = []
    for fw, r, fpt, peak, tps in moe:
        h = med.get(fw, med.get("generic-gpu"))
        s = fp8_med.get(fw, 1.0) if r["inputs"]["args"].get("precision") == "fp8" else 1.0
        moe_f.append(tps / tokens_per_second(fpt, peak / 1e12, h, s))
    ids = {r["id"]: r for r in cal if not r.get("excluded")}
    eager = [f for i in EAGER_CASES if i in ids and (f := activation_factor(ids[i])) is not None]
    unsloth = [f for i in UNSLOTH_CASES if i in ids and (f := activation_factor(ids[i])) is not None]
    c = Constants(med, fp8_med, statistics.median(fp8_med.values()) if fp8_med else 1.0,
                  statistics.median(moe_f) if moe_f else 1.0, statistics.median(eager) if eager else 1.0, 3.0,
                  statistics.median(unsloth) if unsloth else 1.0)
    with installed(c):  # the chunked-loss bytes are solved with the activation factors above in place
        chunked = [b for i in CHUNKED_CASES if i in ids and (b := implied_logit_bytes(ids[i])) is not None]
    if chunked:
        c.chunked_logit_bytes = statistics.median(chunked)
    return c


@contextmanager
def installed(c: Constants):
    """Run the training tools with the mid values of `c` (low = mid = high), then restore the packaged ones."""
    import dataclasses

    from modelmath.tools.training import compute, frameworks
    from modelmath.tools.training import tools as training_tools

    saved = (dict(compute.EFFICIENCY), dict(compute.GENERIC), compute.MOE_HFU_FACTOR,
             training_tools.MOE_HFU_FACTOR, frameworks.EAGER_ACTIVATION_FACTOR, frameworks.LOGIT_BYTES["chunked"],
             frameworks.FRAMEWORKS["unsloth"])

    def eff(h: float, s: float, old: compute.Efficiency | None) -> compute.Efficiency:
        return compute.Efficiency((h, h, h), (s, s, s), old.calibrated_on if old else "leave-out")

    try:
        compute.EFFICIENCY.clear()
        for fw in ("megatron", "torchtitan", "torchtune", "maxtext"):
            if fw in c.hfu:
                s = 1.0 if fw == "maxtext" else c.fp8.get(fw, c.fp8.get("torchtitan", c.generic_fp8))
                compute.EFFICIENCY[fw] = eff(c.hfu[fw], s, saved[0].get(fw))
        generic = eff(c.hfu.get("generic-gpu", statistics.median(c.hfu.values())), c.generic_fp8, saved[1]["gpu"])
        compute.GENERIC.update(gpu=generic, tpu=compute.EFFICIENCY.get("maxtext", generic))
        compute.MOE_HFU_FACTOR = training_tools.MOE_HFU_FACTOR = (c.moe,) * 3
        frameworks.EAGER_ACTIVATION_FACTOR = (c.eager_factor,) * 3
        frameworks.LOGIT_BYTES["chunked"] = (c.chunked_logit_bytes,) * 3
        frameworks.FRAMEWORKS["unsloth"] = dataclasses.replace(saved[6], fused_factor=(c.unsloth_factor,) * 3)
        yield c
    finally:
        compute.EFFICIENCY.clear()
        compute.EFFICIENCY.update(saved[0])
        compute.GENERIC.clear()
        compute.GENERIC.update(saved[1])
        compute.MOE_HFU_FACTOR, training_tools.MOE_HFU_FACTOR = saved[2], saved[3]
        frameworks.EAGER_ACTIVATION_FACTOR = saved[4]
        frameworks.LOGIT_BYTES["chunked"] = saved[5]
        frameworks.FRAMEWORKS["unsloth"] = saved[6]


def band(values: list[float]) -> tuple[float, float, float]:
    """(low, mid, high): the median, widened by at least ±20% or by the calibration cases' own spread."""
    mid = statistics.median(values)
    w = max(0.2, *(abs(v / mid - 1) for v in values))
    return round(mid * (1 - w), 3), round(mid, 3), round(mid * (1 + w), 3)


def implied_activation_factor(rec: dict) -> str:
    """activation_factor() as a line of the report."""
    f = activation_factor(rec)
    if f is None:
        return "peak not at backward start: no activation information"
    fw = rec["inputs"]["args"].get("framework", "hf")
    kind = "fused" if rec["inputs"]["args"].get("fused_kernels", fw == "unsloth") else "eager"
    return f"framework {fw}, {kind} kernels: implied activation factor {f:.2f}"


def implied_logit_bytes(rec: dict) -> float | None:
    """Bytes per (token x vocabulary entry) the chunked loss would have to hold for this case to be exact, with
    the activation factors as set; None when the peak is not at backward start or the loss is not chunked."""
    from modelmath.tools.registry import run_tool

    out = run_tool("training_memory", rec["inputs"]["args"]).result
    if out["loss"] != "chunked" or out["peak"]["phase"] != "backward_start":
        return None
    entries = out["seq_tokens"] * out["micro_batch"] * 128_256 if "llama" in rec["inputs"]["args"]["model"] else None
    if entries is None:
        return None
    logits = out["per_gpu"]["logits"]["bytes"]
    rest = out[rec["inputs"]["output"]] * 2**30 - logits
    return (rec["target"]["value"] * 2**30 - rest) / entries


def main() -> int:
    cal = [r for r in load(DATASET) if not r.get("excluded") and r["role"] == "calibration"]
    print("memory calibration cases:")
    chunked = []
    for r in cal:
        if r["category"] == "training_memory":
            print(f"  {r['id']}: {implied_activation_factor(r)}")
            b = implied_logit_bytes(r)
            if b is not None:
                chunked.append(b)
                print(f"    chunked loss: implied {b:.2f} bytes per token x vocabulary entry")
    if chunked:
        print(f"chunked-loss bytes per entry, median of calibration cases: {statistics.median(chunked):.2f}")
    print("throughput and compute calibration cases:")
    hfu, fp8, moe, hours = defaultdict(list), [], [], []
    for r in cal:
        if r["category"] == "training_memory" or r["inputs"]["output"] == "training_flops":
            continue
        got = implied_throughput(r)
        if got is None:
            print(f"  {r['id']}: device not in catalog, skipped")
            continue
        fpt, peak, tps, is_moe, kind = got
        fw = r["inputs"]["args"].get("framework") or f"generic-{kind}"
        h = tps * fpt.hardware / peak
        line = f"  {r['id']}: framework {fw}, implied HFU {h:.3f} (model-FLOPs MFU {tps * fpt.model / peak:.3f})"
        if r["category"] == "training_compute":
            hours.append(h)
        elif is_moe:
            moe.append((fw, r, fpt, peak, tps))
        elif r["inputs"]["args"].get("precision") == "fp8":
            fp8.append((fw, r, fpt, peak, tps))
        else:
            hfu[fw].append(h)
        print(line)
    med = {fw: statistics.median(v) for fw, v in hfu.items()}
    print("\nBF16 HFU per framework: median and band (mid x (1 +- w), w = max(0.2, calibration spread)):")
    for fw, v in hfu.items():
        print(f"  {fw}: {band(v)}")
    sp = defaultdict(list)
    for fw, r, fpt, peak, tps in fp8:
        h = med.get(fw, med.get("generic-gpu"))
        if fpt.hardware_dense < fpt.hardware_attention:
            # The speed-up acts on the dense part only; solved where attention dominates it divides by a small
            # difference and measures attention efficiency (e.g. context parallelism) instead.
            print(f"  {r['id']}: attention above half the hardware FLOPs, not used for the FP8 speed-up")
            continue
        s = fpt.hardware_dense / (h * peak / tps - fpt.hardware_attention)
        sp[fw].append(s)
        print(f"  {r['id']}: FP8 speed-up over {fw} BF16 HFU {h:.3f}: {s:.2f}")
    print("FP8 speed-up per framework (median, band as above):", {k: band(v) for k, v in sp.items()})
    if sp:
        across = statistics.median(statistics.median(v) for v in sp.values())
        print(f"  across frameworks (median of medians): {across:.3f}")
    from modelmath.tools.training.compute import tokens_per_second

    moe_f = []
    for fw, r, fpt, peak, tps in moe:
        h = med.get(fw, med.get("generic-gpu"))
        fp8_mid = statistics.median(sp[fw]) if r["inputs"]["args"].get("precision") == "fp8" and sp.get(fw) else 1.0
        f = tps / tokens_per_second(fpt, peak / 1e12, h, fp8_mid)
        moe_f.append(f)
        print(f"  {r['id']}: MoE throughput / dense {fw} prediction (HFU {h:.3f}, FP8 x{fp8_mid:.2f}) = {f:.2f}")
    if moe_f:
        print("MoE factor (median, band as above):", band(moe_f))
    if hours:
        print(f"whole-run GPU-hours cases: implied HFU median {statistics.median(hours):.3f} ({len(hours)} cases)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
