"""The training validation set (benchmarks/validation/training.jsonl): every case carries its source, roles follow
the stated rule, and every scored case runs through the calculators."""

import importlib.util
import math
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("training_eval", ROOT / "benchmarks/validation/training_eval.py")
training_eval = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(training_eval)

RECORDS = training_eval.load()


def test_role_rule_by_hand():
    # Rule: per (category, source_url), scored cases numbered in published order; 0, 3, 6 … calibration; a
    # single scored case is holdout; unscored cases are holdout.
    recs = [{"id": f"a{i}", "category": "c", "source_url": "u", "scored": True} for i in range(5)]
    recs += [{"id": "b0", "category": "c", "source_url": "v", "scored": True},
             {"id": "a-unscored", "category": "c", "source_url": "u", "scored": False}]
    roles = training_eval.expected_roles(recs)
    assert [roles[f"a{i}"] for i in range(5)] == ["calibration", "holdout", "holdout", "calibration", "holdout"]
    assert roles["b0"] == "holdout" and roles["a-unscored"] == "holdout"


def test_dataset_follows_the_rule_and_carries_sources():
    assert len(RECORDS) >= 60
    assert training_eval.check_roles(RECORDS) == []
    for r in RECORDS:
        assert r["category"] in training_eval.CATEGORIES
        assert r["source_url"] and r["source_date"] and r["quote"], r["id"]
        if r["scored"]:
            assert not r["estimate"], r["id"]  # rules of thumb are never scored
            assert r["predict"]["measured"] > 0 and math.isfinite(r["predict"]["measured"]), r["id"]
        else:
            assert r["not_scored_reason"], r["id"]


@pytest.mark.parametrize("rec", [r for r in RECORDS if r["scored"]], ids=lambda r: r["id"])
def test_scored_case_runs(rec):
    res = training_eval.evaluate_case(rec)
    if "skipped" in res:  # only a device still missing from the catalog may stop a case
        assert res["skipped"].startswith("device not in the GPU catalog")
        return
    slack = 1e-3 * abs(res["predicted"])  # outputs are rounded to 3-4 significant figures
    assert res["low"] - slack <= res["predicted"] <= res["high"] + slack
    assert math.isfinite(res["error"])
