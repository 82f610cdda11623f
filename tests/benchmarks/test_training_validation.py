"""The training validation set (benchmarks/validation/training.jsonl): every case carries its source, roles follow
the team's rule, and every evaluated case runs through the calculators with the published value's unit."""

import hashlib
import importlib.util
import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("training_eval", ROOT / "benchmarks/validation/training_eval.py")
training_eval = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("training_eval", training_eval)  # dataclasses look their module up by name
_spec.loader.exec_module(training_eval)

RECORDS = training_eval.load()
EVALUATED = [r for r in RECORDS if not r.get("excluded")]


def test_role_rule_by_hand():
    # README rule: prior_use → calibration; batch ≥ 2 → holdout; the rest of a category sorted by (engine, sha256
    # of "modelmath-issue-12:<id>") alternates calibration, holdout, … with excluded cases keeping their slot.
    recs = [{"id": "p", "category": "c", "engine": "z", "prior_use": "set a constant"},
            {"id": "late", "category": "c", "engine": "a", "batch": 2}]
    recs += [{"id": i, "category": "c", "engine": "e"} for i in ("x1", "x2", "x3", "x4")]
    roles = training_eval.assign_roles(recs)
    assert roles["p"] == "calibration" and roles["late"] == "holdout"
    ordered = sorted(("x1", "x2", "x3", "x4"),
                     key=lambda i: hashlib.sha256(f"modelmath-issue-12:{i}".encode()).hexdigest())
    assert [roles[i] for i in ordered] == ["calibration", "holdout", "calibration", "holdout"]


def test_dataset_follows_the_rule_and_carries_sources():
    assert len(RECORDS) >= 60
    assert training_eval.check_roles(RECORDS) == []
    for r in RECORDS:
        assert r["category"] in training_eval.CATEGORIES
        assert r["source_url"] and r["source_date"] and r["quote"] and r["published"], r["id"]
        if r.get("excluded"):
            continue
        assert not r["setup"]["estimate"], r["id"]  # rules of thumb are never scored
        assert r["target"]["value"] > 0 and math.isfinite(r["target"]["value"]), r["id"]
        assert r["inputs"]["tool"] in ("training_memory", "training_compute"), r["id"]


@pytest.mark.parametrize("rec", EVALUATED, ids=lambda r: r["id"])
def test_case_runs(rec):
    try:
        p = training_eval.evaluate(rec)
    except training_eval.DeviceMissing:
        pytest.skip("device not in the GPU catalog on this branch")
    slack = 1e-3 * abs(p.mid)  # result fields are rounded to 3-4 significant figures
    assert p.low - slack <= p.mid <= p.high + slack
    assert math.isfinite(p.mid / rec["target"]["value"])
