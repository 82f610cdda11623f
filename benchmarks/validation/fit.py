"""Choose the engine constants of tools/data/engines.json from the CALIBRATION half of the validation set only.

    python benchmarks/validation/fit.py            # print the fitted values and each engine's calibration errors
    python benchmarks/validation/fit.py --write    # also write them (values, bands, case lists) to engines.json

Per engine, the mid values of its weight-streaming efficiency (per calibrated platform), weight-only factor,
step overhead (per platform), MoE dispatch cost and GEMM efficiency are moved by coordinate descent
(multiplicative steps, bounded) to minimise the sum over its calibration cases of |log(predicted / published)|
(smoothed near 0), low-confidence cases weighted 1/2, plus 0.25 x |log(value / prior)| per parameter (a Laplace
prior: one case cannot move three parameters at once). A parameter no calibration case responds to keeps its
prior and is reported as such. Each engine's band is then mid x (1 -/+ d), with d the 80th percentile of its
calibration |log error| (at least 0.10, or 0.20 with fewer than 5 cases; at most 0.40). Holdout cases are never
loaded here.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import inference_eval  # noqa: E402
import run  # noqa: E402
from modelmath.tools import datafiles  # noqa: E402
from modelmath.tools.hardware import engines, gpus  # noqa: E402

SPEED = ("decode_batch1", "serving_throughput", "ttft_prefill")
# Pull toward the prior: each parameter costs PRIOR_WEIGHT x |log(value / prior)| (Laplace prior; one case's
# |log error| counts 1). Without it a single case can move three parameters at once.
PRIOR_WEIGHT = 0.25
SMOOTH = 0.05  # pseudo-Huber: sqrt(x^2 + s^2) - s, so coordinate descent does not stick where |x| has a kink


def _soft_abs(x: float) -> float:
    return math.sqrt(x * x + SMOOTH * SMOOTH) - SMOOTH
WEIGHT = {"high": 1.0, "medium": 1.0, "low": 0.5}
# (key path inside an engine entry, lower bound, upper bound) of the mid values that may move.
BOUNDS = {"weight_bandwidth": (0.2, 0.97), "quantized_bandwidth_factor": (0.3, 1.0), "step_overhead_ms": (0.02, 40.0),
          "moe_layer_overhead_us": (1.0, 500.0), "gemm_efficiency": (0.2, 1.3)}
STEPS = (1.5, 1.2, 1.1, 1.05, 1.02)


def calibration_cases() -> list[dict]:
    records = run.load(HERE / n for n in run.DATASETS)
    roles = run.assign_roles(records)
    return [r for r in records if roles[r["id"]] == "calibration" and not r.get("excluded") and r["category"] in SPEED
            and not r.get("not_fitted")]


def _install(data: dict) -> None:
    """Make the engines module read `data` instead of the packaged file."""
    engines._data = lambda: data  # noqa: SLF001 - deliberate override for fitting
    engines.catalog.cache_clear()


def _penalty(entry: dict) -> float:
    prior, total = entry["prior"], 0.0
    for key, sub in _params(entry):
        p0 = prior[key][sub] if sub else prior[key]
        total += PRIOR_WEIGHT * _soft_abs(math.log(_get(entry, key, sub)["mid"] / p0))
    return total


def _loss(cases: list[dict], entry: dict | None = None) -> tuple[float, list[float]]:
    errs, total = [], _penalty(entry) if entry else 0.0
    for r in cases:
        p = inference_eval.evaluate(r)
        e = math.log(p.mid / r["target"]["value"])
        errs.append(e)
        total += WEIGHT.get(r.get("confidence"), 1.0) * _soft_abs(e)
    return total, errs


def _params(entry: dict) -> list[tuple[str, str | None]]:
    """(key, platform) of every mid value that may move; a key holds one band or one band per platform."""
    out: list[tuple[str, str | None]] = []
    for key in ("weight_bandwidth", "step_overhead_ms", "quantized_bandwidth_factor", "moe_layer_overhead_us",
                "gemm_efficiency"):
        out += [(key, None)] if "mid" in entry[key] else [(key, sub) for sub in entry[key]]
    return out


def _get(entry: dict, key: str, sub: str | None) -> dict:
    return entry[key][sub] if sub else entry[key]


def _reset_to_prior(entry: dict) -> None:
    for key, sub in _params(entry):
        p0 = entry["prior"][key][sub] if sub else entry["prior"][key]
        _get(entry, key, sub).update(low=p0, mid=p0, high=p0)


def fit_engine(data: dict, engine_id: str, cases: list[dict]) -> tuple[dict, list[str]]:
    """Coordinate descent from the prior (so a re-run reproduces the file)."""
    entry = next(e for e in data["engines"] if e["id"] == engine_id)
    _reset_to_prior(entry)
    _install(data)
    notes = []
    best, _ = _loss(cases, entry)
    for _ in range(6):
        for key, sub in _params(entry):
            node = _get(entry, key, sub)
            lo, hi = BOUNDS[key]
            for step in STEPS:
                improved = True
                while improved:
                    improved = False
                    for k in (step, 1 / step):
                        old = node["mid"]
                        node["mid"] = min(hi, max(lo, old * k))
                        _install(data)
                        loss, _ = _loss(cases, entry)
                        if loss < best - 1e-9:
                            best, improved = loss, True
                            break
                        node["mid"] = old
    _install(data)
    data_loss = _loss(cases)[0]
    for key, sub in _params(entry):  # which parameters did any case respond to?
        node = _get(entry, key, sub)
        old = node["mid"]
        node["mid"] = old * 1.2
        _install(data)
        moved = abs(_loss(cases)[0] - data_loss) > 1e-6
        node["mid"] = old
        if not moved:
            notes.append(f"{key}{'.' + sub if sub else ''}: no calibration case responds; prior kept")
    _install(data)
    return entry, notes


def set_bands(entry: dict, errs: list[float]) -> float:
    d = sorted(abs(e) for e in errs)[max(0, math.ceil(0.8 * len(errs)) - 1)] if errs else 0.25
    d = min(0.40, max(0.10 if len(errs) >= 5 else 0.20, d))  # few cases: at least ±20%
    for key, sub in _params(entry):
        node = _get(entry, key, sub)
        m = node["mid"] = round(node["mid"], 4)
        if key in ("step_overhead_ms", "moe_layer_overhead_us"):
            node["low"], node["high"] = round(m * (1 - d), 4), round(m * (1 + d), 4)
        else:
            cap = BOUNDS[key][1]
            node["low"], node["high"] = round(m * (1 - d), 4), round(min(cap, m * (1 + d)), 4)
    return d


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args(argv)
    path = Path(datafiles.DATA_DIR) / "engines.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    work = copy.deepcopy(data)
    _install(work)
    cases = calibration_cases()
    for e in work["engines"]:
        mine = [r for r in cases if inference_eval.engine_for(r) == e["id"]]
        if not mine or e["id"] == "generic":
            print(f"{e['id']}: not fitted (no calibration case of its own); priors kept")
            continue
        entry, notes = fit_engine(work, e["id"], mine)
        _, errs = _loss(mine)
        d = set_bands(entry, errs)
        _install(work)
        entry["cases"] = sorted(r["id"] for r in mine)
        entry["calibrated"] = sorted({engines.platform(gpus.lookup(r["inputs"]["gpu"])) for r in mine})
        entry["fit_notes"] = notes
        print(f"\n{e['id']}: {len(mine)} calibration cases, band ±{d:.0%}")
        for r, err in zip(mine, errs, strict=True):
            print(f"  {math.exp(err) - 1:+7.1%}  {r['id']}")
        for key, sub in _params(entry):
            print(f"  {key}{'.' + sub if sub else ''}: {_get(entry, key, sub)}")
        for n in notes:
            print(f"  note: {n}")
    if args.write:
        path.write_text(json.dumps(work, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
