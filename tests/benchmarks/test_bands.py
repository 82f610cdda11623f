"""The band generator (benchmarks/validation/bands.py) and its output tools/data/bands.json: pooling and hull rules
on a hand-computed fixture; the committed file follows from its stored residuals, every residual is a calibration
case, the cheap residuals are current, and the training constants it refits reproduce the committed ones."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parents[2] / "benchmarks" / "validation"
DATA = Path(__file__).resolve().parents[2] / "tools" / "data" / "bands.json"


def _load(name):
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


gen = _load("bands")
STORED = json.loads(DATA.read_text(encoding="utf-8"))


def _res(group, values):
    return [{"case": f"{group}-{i}", "kind": "decode", "group": group, "how": "fixture", "log_ratio": v}
            for i, v in enumerate(values)]


def test_pooling_and_hull_by_hand():
    cal = _res("calibrated", [-0.10, -0.05, 0.0, 0.02, 0.03, 0.05, 0.06, 0.08, 0.12])  # 9: its own extremes
    unc = _res("uncalibrated", [-0.30, 0.10, 0.20])  # 3: too few, pools with the generic group below
    gen_ = _res("generic", [-0.25, -0.2, -0.1, 0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.35])  # 10: ranks 1 and 10
    out = gen.build(cal + unc + gen_, 0.8, kinds=("decode",), pool={"decode": ("decode",)})["decode"]["groups"]
    assert (out["calibrated"]["q_low"], out["calibrated"]["q_high"], out["calibrated"]["pooled"]) == (-0.10, 0.12, "")
    # uncalibrated + generic = 13 residuals: ranks floor(14 x 0.1) = 1 and ceil(14 x 0.9) = 13, the extremes.
    u = out["uncalibrated"]
    assert (u["q_low"], u["q_high"], u["n"]) == (-0.30, 0.35, 13) and "uncalibrated/generic" in u["pooled"]
    # generic alone gives (-0.25, 0.35); the hull makes it at least the uncalibrated band.
    g = out["generic"]
    assert (g["q_low"], g["q_high"], g["pooled"], g["widened_to_previous_group"]) == (-0.30, 0.35, "", True)


def test_too_few_even_pooled_is_refused():
    with pytest.raises(SystemExit):
        gen.build(_res("calibrated", [0.1, 0.2]), 0.8, kinds=("decode",), pool={"decode": ("decode",)})


def test_committed_bands_follow_from_their_residuals():
    assert STORED["coverage"] == gen.COVERAGE
    assert STORED["kinds"] == gen.build(STORED["residuals"])


def test_residuals_come_from_calibration_cases_only():
    run = _load("run")
    records = run.load(HERE / n for n in run.DATASETS)
    roles = run.assign_roles(records)
    assert STORED["residuals"]
    assert all(roles[r["case"]] == "calibration" for r in STORED["residuals"]), \
        [r["case"] for r in STORED["residuals"] if roles[r["case"]] != "calibration"]


def _rows(rows):
    return sorted((r["case"], r["kind"], r["group"], r["how"], r["log_ratio"]) for r in rows)


def test_cheap_residuals_are_current():
    # The generic-profile and memory residuals need no refit: recompute them and compare with the file (the
    # leave-one-out refits take minutes: `python benchmarks/validation/bands.py` re-derives those).
    run = _load("run")
    cal = gen._calibration(run.load(HERE / n for n in run.DATASETS))
    assert STORED["covered"] == {**gen.training_covered([r for r in cal if r["category"].startswith("training_")]),
                                 "kv_capacity": gen.kv_covered(cal)}
    with gen.placeholder(STORED["covered"]):
        fresh = gen.generic_speed_residuals(cal) + gen.memory_residuals(cal)
    hows = {(r["kind"], r["how"]) for r in fresh}
    stored = [r for r in STORED["residuals"] if (r["kind"], r["how"]) in hows]
    assert _rows(fresh) == _rows(stored)


def test_training_constants_recomputed_from_calibration_match_the_committed_ones():
    from modelmath.tools.training import compute, frameworks

    ct, te = _load("calibrate_training"), _load("training_eval")
    cal = [r for r in te.load() if r["role"] == "calibration" and not r.get("excluded")]
    with gen.placeholder(STORED["covered"]):
        c = ct.constants(cal)
    for fw in ("megatron", "torchtitan", "torchtune", "maxtext"):
        assert c.hfu[fw] == pytest.approx(compute.EFFICIENCY[fw].hfu[1], abs=0.001), fw
    for fw in ("megatron", "torchtitan"):
        assert c.fp8[fw] == pytest.approx(compute.EFFICIENCY[fw].fp8_speedup[1], abs=0.001), fw
    assert c.hfu["generic-gpu"] == pytest.approx(compute.GENERIC["gpu"].hfu[1], abs=0.001)
    assert c.generic_fp8 == pytest.approx(compute.GENERIC["gpu"].fp8_speedup[1], abs=0.001)
    assert c.moe == pytest.approx(compute.MOE_HFU_FACTOR[1], abs=0.001)
    # frameworks.py quotes these rounded to 2-3 figures (1.42, 1.13, 1.215 from 1.20 and 1.23).
    assert c.eager_factor == pytest.approx(frameworks.EAGER_ACTIVATION_FACTOR[1], abs=0.005)
    assert c.chunked_logit_bytes == pytest.approx(frameworks.LOGIT_BYTES["chunked"][1], abs=0.005)
    assert c.unsloth_factor == pytest.approx(frameworks.UNSLOTH_FACTOR[1], abs=0.005)
