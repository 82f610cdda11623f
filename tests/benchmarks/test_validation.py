"""The validation runner (benchmarks/validation/run.py): errors and summaries on a fixture computed by hand, the
role rule, the dataset's required fields, and that the committed RESULTS.md is what the current code gives."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parents[2] / "benchmarks" / "validation"


def _load(name):
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return sys.modules[name]


run = _load("run")
inference_eval = _load("inference_eval")

# Each fixture case carries the prediction the fake evaluator returns: (measured, low, mid, high).
FIXTURE = [("a", "calibration", 100, 90, 110, 120),   # +10%, inside, within 25%
           ("b", "holdout", 200, 100, 140, 180),      # -30%, outside (200 > 180), not within 25%
           ("c", "holdout", 50, 40, 60, 70),          # +20%, inside, within 25%
           ("d", "holdout", 10, 5, 5, 8)]             # -50%, outside, not within 25%


def _fixture_records():
    recs = [{"id": i, "category": "fixture", "role": role, "engine": "x", "confidence": "high",
             "target": {"quantity": "q", "value": m, "unit": "u"}, "inputs": {"band": [lo, mid, hi]}}
            for i, role, m, lo, mid, hi in FIXTURE]
    recs.append({"id": "e", "category": "fixture", "role": "holdout", "engine": "x", "excluded": "no inputs",
                 "target": {"quantity": "q", "value": 1, "unit": "u"}})
    return recs


def _fake(record):
    return inference_eval.Prediction(*record["inputs"]["band"])


def test_runner_errors_and_summaries_by_hand():
    results = run.evaluate(_fixture_records(), {"fixture": _fake})
    assert [r.id for r in results] == ["a", "b", "c", "d"]  # the excluded case is skipped
    assert [round(r.error, 10) for r in results] == [0.1, -0.3, 0.2, -0.5]
    assert [r.in_band for r in results] == [True, False, True, False]
    hold = run.summarize(r for r in results if r.role == "holdout")
    # |errors| 0.2, 0.3, 0.5 → median 0.3; within ±25%: c only → 1/3; inside the band: c only → 1/3.
    assert (hold.n, hold.median_abs_error, hold.within_25, hold.in_band) == (3, pytest.approx(0.3), 1 / 3, 1 / 3)
    cal = run.summarize(r for r in results if r.role == "calibration")
    assert (cal.n, cal.median_abs_error, cal.within_25, cal.in_band) == (1, pytest.approx(0.1), 1.0, 1.0)
    assert not hold.meets_goal()
    text = run.render(_fixture_records(), results)
    assert "| fixture | 3 | 30.0% | 33% | 33% | no |" in text
    assert "| e | fixture | holdout | no inputs |" in text


def test_goal_thresholds():
    ok = run.Summary(5, 0.10, 0.90, 0.80)
    assert ok.meets_goal()
    assert not run.Summary(5, 0.101, 0.9, 0.8).meets_goal()
    assert not run.Summary(5, 0.05, 0.89, 0.8).meets_goal()
    assert not run.Summary(5, 0.05, 0.95, 0.79).meets_goal()


def _rec(i, cat="c", engine="e", **kw):
    return {"id": i, "category": cat, "engine": engine, **kw}


def test_role_rule():
    recs = [_rec("p", prior_use=True), _rec("late", batch=2)] + [_rec(f"r{k}") for k in range(6)]
    roles = run.assign_roles(recs)
    assert roles["p"] == "calibration" and roles["late"] == "holdout"
    rest = [roles[f"r{k}"] for k in range(6)]
    assert rest.count("calibration") == rest.count("holdout") == 3
    # Excluding a case keeps its slot; adding a later batch never moves a case.
    recs[3]["excluded"] = "reason"
    recs.append(_rec("later", batch=3))
    assert {k: v for k, v in run.assign_roles(recs).items() if k != "later"} == roles


def _dataset():
    with (HERE / "inference.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def test_dataset_roles_follow_the_rule():
    recs = _dataset()
    roles = run.assign_roles(recs)
    assert all(r["role"] == roles[r["id"]] for r in recs)


def test_dataset_records_are_complete():
    recs = _dataset()
    assert len(recs) >= 60
    quantities = {"decode_tokens_per_s", "itl_s", "ttft_s", "prefill_tokens_per_s", "output_tokens_per_s", "tpot_s",
                  "request_latency_s", "kv_tokens", "kv_pool_bytes_per_gpu", "runtime_overhead_bytes_per_gpu",
                  "weights_bytes_per_gpu", "peak_memory_bytes"}
    for r in recs:
        for key in ("id", "category", "role", "engine", "engine_version", "hardware", "source_url", "source_date",
                    "quote", "published"):
            assert r.get(key), (r["id"], key)
        assert r["source_url"].startswith("https://"), r["id"]
        if r.get("excluded"):
            continue
        assert r["confidence"] in ("high", "medium", "low"), r["id"]
        assert r["target"]["quantity"] in quantities and r["target"]["value"] > 0, r["id"]
        assert r["inputs"]["gpu"] and r["derivation"], r["id"]


def test_constants_were_chosen_on_calibration_cases_only():
    from modelmath.tools.hardware import engines

    roles = {r["id"]: r["role"] for r in _dataset()}
    used = [c for e in engines.catalog() for c in e.raw["cases"]]
    assert used, "engines.json lists the cases its constants were fitted on"
    assert all(roles[c] == "calibration" for c in used), [c for c in used if roles[c] != "calibration"]


def test_results_md_is_current():
    assert run.main(["--check"]) == 0


# Each frozen batch: (batch, cases, the commit its RESULTS.md record was copied from, the README's record of that run's
# "all" row). Batch 4: RESULTS.md at 117d611; batch 5: at 86e6957 (model 1091df9).
FROZEN_RUNS = [(4, 51, "| all | 51 | 13.6% | 67% | 84% | no |"), (5, 60, "| all | 60 | 10.6% | 77% | 75% | no |")]


@pytest.mark.parametrize(("batch", "n", "all_row"), FROZEN_RUNS)
def test_unseen_batch_record_is_kept_as_run(batch, n, all_row):
    """The one unseen run of a batch is data (frozen/batch<N>_unseen.json), printed as recorded beside the current
    (seen) table: its per-case rows give its summary table (to the printing's rounding), it holds exactly the
    batch's cases evaluated now, and RESULTS.md shows both tables."""
    import statistics

    rec = run.frozen_record(batch)
    cases = rec["cases"]
    records = run.load(HERE / name for name in run.DATASETS)  # inference and training cases
    ids = {r["id"] for r in records if r.get("batch") == batch and not r.get("excluded")}
    assert {c["id"] for c in cases} == ids and len(cases) == n
    rows = {r["category"]: r for r in rec["table"]}
    for cat, row in rows.items():
        mine = cases if cat == "all" else [c for c in cases if c["category"] == cat]
        errs = [abs(float(c["error"].rstrip("%"))) for c in mine]
        assert row["n"] == len(mine)
        # errors are printed to 0.1%: the median of printed errors is within 0.05 points of the printed median
        assert abs(statistics.median(errs) - float(row["median_abs_error"].rstrip("%"))) <= 0.051, cat
        assert row["in_band"] == f"{sum(c['in_band'] for c in mine) / len(mine):.0%}", cat
        assert row["within_25"] == f"{sum(e <= 25 for e in errs) / len(errs):.0%}", cat
    text = (HERE / "RESULTS.md").read_text(encoding="utf-8")
    assert f"### Batch {batch} as first run, unseen" in text and f"### Batch {batch} after later changes (seen)" in text
    assert all_row in text
    n_, median, within, inside = (x.strip() for x in all_row.strip("|").split("|")[1:5])
    assert (rows["all"]["median_abs_error"], rows["all"]["within_25"], rows["all"]["in_band"]) == (
        median, within, inside)


@pytest.mark.parametrize(("published", "release"), [("0.6.3.post1", "0.6.3"), ("v0.8.5 (V1)", "0.8.5"),
                                                     ("not stated (ROCm 6.2; logs dated 08-29)", None),
                                                     ("main @ PR #10511 (Dec 2024)", None)])
def test_a_vllm_release_the_source_prints_reaches_the_profile(published, release):
    # vLLM's releases are 0.x; a ROCm or CUDA version in the same string is not one.
    record = {"engine": "vllm", "engine_version": published,
              "inputs": {"model": "llama-3-8b", "gpu": "h100", "weight_dtype": "bf16", "kv_dtype": "bf16"}}
    assert inference_eval._speed_args(record).get("engine_version") == release
