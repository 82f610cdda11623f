"""Compare a results file from benchmarks/gpu_measure.py with modelmath's predictions and print the error.

    python benchmarks/compare_predictions.py benchmarks/results/2026-11-22-nvidia-h100-80gb-hbm3.json
    python benchmarks/compare_predictions.py RESULTS.json --gpu h100-sxm     # if the device name is not matched

Per run: weights (exact: ours vs resident after load), peak memory (ours: weights + KV + one unchunked prefill's
activation peak, vs torch's peak allocated), decode tokens/s (measured vs our low/mid/high at the mean KV
length) and prefill tokens/s. The summary gives the mean absolute error of the mid estimates and how many
measurements fall inside our range. Runs are compared under the matching engine profile: --compile runs as
gpt-fast, eager runs as transformers (whose profile is uncalibrated: no published case covers it).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from modelmath.tools.errors import UnknownName
from modelmath.tools.hardware import engines, gpus, speed
from modelmath.tools.model.formats import kv_format, weight_format
from modelmath.tools.model.kv import bytes_for_sequence, kv_layout
from modelmath.tools.model.memory import activation_peak, weight_bytes
from modelmath.tools.model.params import parameter_count
from modelmath.tools.model.resolve import resolve_model


def match_gpu(device_name: str, override: str | None):
    if override:
        return gpus.lookup(override)
    name = device_name.lower()
    # torch reports e.g. "NVIDIA H100 80GB HBM3", "NVIDIA A100-SXM4-80GB", "NVIDIA H200", "AMD Instinct MI300X".
    for probe in (device_name, name.replace("80gb hbm3", "sxm"), name.replace("-sxm4-", " ").replace("sxm4", "")):
        try:
            return gpus.lookup(probe)
        except UnknownName:
            continue
    raise SystemExit(f"cannot match device {device_name!r} to the catalog; pass --gpu NAME")


def engine_of(doc: dict):
    """gpu_measure.py's --compile runs are the gpt-fast recipe; its default is transformers' eager loop."""
    return engines.lookup("gpt-fast" if "compile" in doc.get("engine", "") else "transformers")


def compare(run: dict, gpu, engine=None) -> dict:
    m = resolve_model({"model": run["model"]})
    shape, params = m.shape, parameter_count(m.shape)
    wfmt, kvfmt = weight_format(run.get("dtype", "bf16")), kv_format("bf16")
    ctx, batch = run["context"], run["batch"]
    w = weight_bytes(params, wfmt)[0]
    kv = batch * bytes_for_sequence(kv_layout(shape, kvfmt), ctx + run["decode_steps"] + 3)
    act = activation_peak(shape, ctx * batch, batch)
    dec = speed.decode_tokens_per_second(shape, params, gpu, wfmt, run["mean_kv_tokens_at_decode"], batch,
                                         engine=engine)
    pre = speed.prefill(shape, params, gpu, wfmt, ctx, engine=engine).seconds
    # Prefill is compute-bound: a batch takes ~batch times one sequence, so tokens/s compare directly (the
    # weight read, paid once per batch, makes our figure slightly low at small context x large batch).
    pre_tps = speed.Band(ctx / pre.high, ctx / pre.mid, ctx / pre.low)
    measured_pre = run["prefill_tokens_per_s"]
    return {
        "model": run["model"], "context": ctx, "batch": batch,
        "weights_err": w / run["weights_resident_bytes"] - 1,
        "peak_mem_err": (w + kv + act) / run["peak_allocated_bytes"] - 1,
        "decode_measured": run["decode_tokens_per_s"], "decode_mid": dec.mid,
        "decode_err": dec.mid / run["decode_tokens_per_s"] - 1,
        "decode_in_range": dec.low <= run["decode_tokens_per_s"] <= dec.high,
        "prefill_measured": measured_pre, "prefill_mid": pre_tps.mid,
        "prefill_err": pre_tps.mid / measured_pre - 1,
        "prefill_in_range": pre_tps.low <= measured_pre <= pre_tps.high,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("results", type=Path)
    ap.add_argument("--gpu", help="catalog GPU name, when the device name is not matched")
    args = ap.parse_args(argv)
    doc = json.loads(args.results.read_text(encoding="utf-8"))
    gpu = match_gpu(doc["device"]["name"], args.gpu)
    print(f"{doc['device']['name']} -> {gpu.id}; engine: {doc.get('engine')}; measured {doc['date']}")
    rows = [compare(r, gpu, engine_of(doc)) for r in doc["runs"] if not r.get("oom")]
    head = f"{'model':16} {'ctx':>6} {'bs':>4} {'weights':>8} {'peak':>7} {'decode meas':>12} {'pred':>8} " \
           f"{'err':>7} {'in':>3} {'prefill meas':>13} {'pred':>9} {'err':>7} {'in':>3}"
    print(head)
    for r in rows:
        print(f"{r['model']:16} {r['context']:>6} {r['batch']:>4} {r['weights_err']:>+8.1%} {r['peak_mem_err']:>+7.1%} "
              f"{r['decode_measured']:>12.1f} {r['decode_mid']:>8.1f} {r['decode_err']:>+7.1%} "
              f"{'y' if r['decode_in_range'] else 'n':>3} {r['prefill_measured']:>13.0f} {r['prefill_mid']:>9.0f} "
              f"{r['prefill_err']:>+7.1%} {'y' if r['prefill_in_range'] else 'n':>3}")
    if rows:
        def mae(key: str) -> float:
            return sum(abs(r[key]) for r in rows) / len(rows)

        inside = sum(r["decode_in_range"] for r in rows)
        print(f"mean |error|: decode {mae('decode_err'):.1%}, prefill {mae('prefill_err'):.1%}, "
              f"peak memory {mae('peak_mem_err'):.1%}; decode inside our range: {inside}/{len(rows)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
