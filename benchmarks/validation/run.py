"""Run modelmath's calculators on every published measurement of the validation set and report the errors.

    python benchmarks/validation/run.py            # print the summary, rewrite RESULTS.md
    python benchmarks/validation/run.py --check    # exit 1 if RESULTS.md is not what the current code gives
    python benchmarks/validation/run.py --role calibration --cases   # per-case lines, calibration half only

Datasets: inference.jsonl and training.jsonl beside this file (one shared record schema, README.md). Each
category is dispatched to an evaluator: inference_eval.EVALUATORS, plus training_eval.EVALUATORS when that
module exists. Error = our mid / measured - 1 (positive: we over-predict the quantity as published).
Per category and role: median |error|, share within ±25%, share of measurements inside our low-high band.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import math
import statistics
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATASETS = ("inference.jsonl", "training.jsonl")
RESULTS = HERE / "RESULTS.md"
ROLE_SEED = "modelmath-issue-12"
GOAL = {"median_abs_error": 0.10, "within_25": 0.90, "in_band": 0.80}
# How each holdout batch came to be and what was seen when (README.md, "How the constants were chosen").
BATCH_NOTES = {1: "roles assigned before any constant was fitted; seen",
               2: "added after the round-1 constants were frozen; seen",
               3: "first opened after the round-2 model was frozen; seen before round 3",
               4: "unseen until the model was frozen; seen since",
               5: "unseen until the model was frozen at 1091df9; the round-5 vLLM-profile and llama.cpp-prefill "
                  "changes were made without opening it; seen since"}
# What the changes made after a frozen batch's unseen run knew of it.
LATER_CHANGES = {5: "The round-5 changes (vLLM's KV pool by release, llama.cpp prompt GEMMs on GGUF weights; model "
                    "8a83f16) were made by a helper who never opened batch 5, so their effect here is also unseen; "
                    "any change after 8a83f16 was made after these cases had been seen"}
# Holdout batches whose one unseen run is kept as it was printed (frozen/): RESULTS.md shows that record and, beside
# it, the same cases under the current code, labelled seen. Later changes never overwrite an unseen run.
FROZEN = {4: HERE / "frozen" / "batch4_unseen.json", 5: HERE / "frozen" / "batch5_unseen.json"}
CATEGORY_ORDER = ("decode_batch1", "serving_throughput", "ttft_prefill", "inference_memory", "kv_capacity",
                  "training_memory", "training_throughput", "training_compute")


def load(paths: Iterable[Path]) -> list[dict]:
    out = []
    for p in paths:
        if p.exists():
            with p.open(encoding="utf-8") as f:
                out.extend(json.loads(line) for line in f if line.strip())
    ids = [r["id"] for r in out]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise SystemExit(f"duplicate case ids: {sorted(dupes)}")
    return out


def assign_roles(records: list[dict]) -> dict[str, str]:
    """The rule of README.md, applied before any constant is chosen: cases whose number set a constant before
    this dataset existed (`prior_use`) are calibration; the rest of each category, ordered by (engine,
    sha256(seed:id)), alternate calibration, holdout, calibration, ... Excluded cases keep their slot, so
    excluding a case never moves another between the halves. Cases added after the constants were frozen
    (`batch` 2 or later) are holdout and stay out of the alternation, so adding data never moves a case."""
    roles: dict[str, str] = {}
    by_cat: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        if r.get("prior_use"):
            roles[r["id"]] = "calibration"
        elif r.get("batch", 1) > 1:
            roles[r["id"]] = "holdout"
        else:
            by_cat[r["category"]].append(r)
    for items in by_cat.values():
        items.sort(key=lambda r: (r["engine"], hashlib.sha256(f"{ROLE_SEED}:{r['id']}".encode()).hexdigest()))
        for k, r in enumerate(items):
            roles[r["id"]] = "calibration" if k % 2 == 0 else "holdout"
    return roles


def evaluators() -> dict[str, Callable]:
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    found: dict[str, Callable] = {}
    for name in ("inference_eval", "training_eval"):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
            continue
        found.update(module.EVALUATORS)
    return found


@dataclass(frozen=True)
class CaseResult:
    id: str
    category: str
    role: str
    engine: str
    quantity: str
    unit: str
    batch: int
    measured: float
    low: float
    mid: float
    high: float
    confidence: str
    note: str = ""
    group: str = ""  # coverage group of the band (tools/bands.py), "+pooled" when the group borrowed a pooled set

    @property
    def error(self) -> float:
        return self.mid / self.measured - 1

    @property
    def in_band(self) -> bool:
        return self.low <= self.measured <= self.high


def evaluate(records: list[dict], evals: dict[str, Callable]) -> list[CaseResult]:
    out = []
    for r in records:
        if r.get("excluded"):
            continue
        fn = evals.get(r["category"])
        if fn is None:
            raise SystemExit(f"{r['id']}: no evaluator for category {r['category']!r}")
        p = fn(r)
        t = r["target"]
        out.append(CaseResult(r["id"], r["category"], r["role"], r["engine"], t["quantity"], t["unit"],
                              r.get("batch", 1), t["value"], p.low, p.mid, p.high, r.get("confidence", ""), p.note,
                              getattr(p, "group", "")))
    return out


@dataclass(frozen=True)
class Summary:
    n: int
    median_abs_error: float
    within_25: float
    in_band: float

    def meets_goal(self) -> bool:
        return (self.median_abs_error <= GOAL["median_abs_error"] and self.within_25 >= GOAL["within_25"]
                and self.in_band >= GOAL["in_band"])


def summarize(results: Iterable[CaseResult]) -> Summary:
    rs = list(results)
    if not rs:
        return Summary(0, float("nan"), float("nan"), float("nan"))
    errs = [abs(r.error) for r in rs]
    return Summary(len(rs), statistics.median(errs), sum(e <= 0.25 for e in errs) / len(rs),
                   sum(r.in_band for r in rs) / len(rs))


def by(results: Iterable[CaseResult], key: Callable[[CaseResult], tuple]) -> dict[tuple, Summary]:
    groups: dict[tuple, list[CaseResult]] = defaultdict(list)
    for r in results:
        groups[key(r)].append(r)
    return {k: summarize(v) for k, v in groups.items()}


def _order(category: str) -> int:
    return CATEGORY_ORDER.index(category) if category in CATEGORY_ORDER else len(CATEGORY_ORDER)


def _fmt(x: float) -> str:
    if x == 0:
        return "0"
    a = abs(x)
    return f"{x:,.0f}" if a >= 1000 else f"{x:.4g}"


def _table(results: list[CaseResult]) -> list[str]:
    lines = ["| category | n | median abs error | within ±25% | inside our band | goal met |",
             "|---|---|---|---|---|---|"]
    sums = by(results, lambda r: (r.category,))
    for (cat,), s in sorted(sums.items(), key=lambda kv: _order(kv[0][0])):
        lines.append(f"| {cat} | {s.n} | {s.median_abs_error:.1%} | {s.within_25:.0%} | {s.in_band:.0%} | "
                     f"{'yes' if s.meets_goal() else 'no'} |")
    total = summarize(results)
    lines.append(f"| all | {total.n} | {total.median_abs_error:.1%} | {total.within_25:.0%} | {total.in_band:.0%} | "
                 f"{'yes' if total.meets_goal() else 'no'} |")
    return lines


def frozen_record(batch: int) -> dict:
    return json.loads(FROZEN[batch].read_text(encoding="utf-8"))


def _frozen(batch: int) -> list[str]:
    """The unseen run of a batch as it was recorded (frozen/), not recomputed."""
    rec = frozen_record(batch)
    lines = [f"### Batch {batch} as first run, unseen (model {rec['model_commit']}; {rec['recorded_in']}; kept as "
             "recorded, never recomputed)", "",
             "| category | n | median abs error | within ±25% | inside our band | goal met |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {r['category']} | {r['n']} | {r['median_abs_error']} | {r['within_25']} | {r['in_band']} | "
              f"{r['goal_met']} |" for r in rec["table"]]
    return lines


def _bands_table() -> list[str]:
    """The band rules in force (tools/data/bands.json): what each coverage group's low-high is made of."""
    from modelmath.tools import datafiles

    data = datafiles.read_json("bands.json")
    lines = [f"Every band is meant to hold {data['coverage']:.0%} of measurements: mid x the split-conformal quantiles "
             "of log(measured / predicted) over calibration cases of the same prediction kind and coverage group, "
             "each predicted with constants not chosen on it (benchmarks/validation/bands.py writes "
             "tools/data/bands.json; README.md, \"Bands\"). Ratios are in the kind's orientation.", "",
             "| kind | group | measured/predicted low | high | cases | from |", "|---|---|---|---|---|---|"]
    for kind, k in data["kinds"].items():
        for group, g in k["groups"].items():
            src = f"pooled: {g['pooled']}" if g["pooled"] else "own group"
            if g.get("widened_to_previous_group"):
                src += "; widened to the better-covered group's band"
            lines.append(f"| {kind} ({k['orientation']}) | {group} | x{math.exp(g['q_low']):.3f} | "
                         f"x{math.exp(g['q_high']):.3f} | {g['n']} | {src} |")
    return lines


def _group_table(results: list[CaseResult]) -> list[str]:
    lines = ["| band group | n | inside our band |", "|---|---|---|"]
    for (g,), s in sorted(by(results, lambda r: (r.group or "none (exact value)",)).items()):
        lines.append(f"| {g} | {s.n} | {s.in_band:.0%} |")
    return lines


def render(records: list[dict], results: list[CaseResult]) -> str:
    excluded = [r for r in records if r.get("excluded")]
    present = {r.batch for r in results if r.role == "holdout"}
    notes = "; ".join(f"batch {b}: {t}" for b, t in BATCH_NOTES.items() if b in present)
    out = ["# Validation results", "",
           "Generated by `python benchmarks/validation/run.py` from inference.jsonl (and training.jsonl when present);",
           "do not edit by hand. Error = our mid estimate / published value - 1. Roles follow the rule in README.md;",
           "no constant was chosen using a holdout case. Goal (issue 12), on holdout, per category: median |error|",
           f"<= {GOAL['median_abs_error']:.0%}, >= {GOAL['within_25']:.0%} within ±25%, band containing the "
           f"measurement >= {GOAL['in_band']:.0%}. Holdout batches: {notes}.", "",
           f"Cases: {len(records)} ({len(results)} evaluated, {len(excluded)} excluded with a reason below).", "",
           "## Bands", ""] + _bands_table() + [""]
    hold = [r for r in results if r.role == "holdout"]
    batches = sorted({r.batch for r in hold})
    for b in batches:
        out += [f"## Holdout, batch {b} ({BATCH_NOTES.get(b, 'added after the constants were frozen')})", ""]
        if b in FROZEN:
            out += _frozen(b) + ["", f"### Batch {b} after later changes (seen)", "",
                                 "The same cases under the current code and data. " + LATER_CHANGES.get(
                                     b, "Every change since the run above was made after these cases had been seen")
                                 + " (README.md says which changes).", ""]
        out += _table([r for r in hold if r.batch == b]) + [""]
    if len(batches) > 1:
        out += ["## Holdout, all batches", ""]
        out += _table(hold)
    out += ["", "## Calibration", ""]
    out += _table([r for r in results if r.role == "calibration"])
    out += ["", "## Band coverage by group", "",
            "Holdout, every batch: how often the measurement fell inside the band each group gave (\"+pooled\": the "
            "group had too few calibration cases and borrowed a pooled set).", ""]
    out += _group_table(hold)
    out += ["", "## Holdout (all batches) by category and engine", "",
            "| category | engine | n | median abs error | within ±25% | inside our band |", "|---|---|---|---|---|---|"]
    sums = by([r for r in results if r.role == "holdout"], lambda r: (r.category, r.engine))
    for (cat, engine), s in sorted(sums.items(), key=lambda kv: (_order(kv[0][0]), kv[0][1])):
        out.append(f"| {cat} | {engine} | {s.n} | {s.median_abs_error:.1%} | {s.within_25:.0%} | {s.in_band:.0%} |")
    if any(r["category"] == "decode_batch1" for r in records):
        import diagnoses  # beside this file: evaluators() put the folder on sys.path

        out += [""] + diagnoses.render(records)
    out += ["", "## Every case", "",
            "| id | category | role | engine | quantity | published | low | mid | high | error | in band | band group "
            "| conf. | note |", "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in sorted(results, key=lambda r: (_order(r.category), r.role, r.batch, r.id)):
        band = "yes" if r.in_band else "no"
        role = r.role if r.batch == 1 else f"{r.role} (batch {r.batch})"
        out.append(f"| {r.id} | {r.category} | {role} | {r.engine} | {r.quantity} | {_fmt(r.measured)} | "
                   f"{_fmt(r.low)} | {_fmt(r.mid)} | {_fmt(r.high)} | {r.error:+.1%} | {band} | {r.group} | "
                   f"{r.confidence} | {r.note} |")
    out += ["", "## Excluded", "", "| id | category | role | reason |", "|---|---|---|---|"]
    for r in excluded:
        out.append(f"| {r['id']} | {r['category']} | {r['role']} | {r['excluded']} |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="compare with RESULTS.md instead of writing it")
    ap.add_argument("--role", choices=("calibration", "holdout"), help="print only this half")
    ap.add_argument("--cases", action="store_true", help="print one line per case")
    args = ap.parse_args(argv)
    records = load(HERE / name for name in DATASETS)
    roles = assign_roles(records)
    wrong = [r["id"] for r in records if r.get("role") != roles[r["id"]]]
    if wrong:
        print(f"roles do not follow the rule in README.md: {wrong}", file=sys.stderr)
        return 1
    results = evaluate(records, evaluators())
    shown = [r for r in results if args.role is None or r.role == args.role]
    if args.cases:
        for r in sorted(shown, key=lambda r: (_order(r.category), r.id)):
            print(f"{r.category:18} {r.role:11} {r.engine:10} {r.error:+7.1%} {'in ' if r.in_band else 'OUT'} "
                  f"{r.id} {r.note}")
    for (cat, role), s in sorted(by(shown, lambda r: (r.category, r.role)).items(), key=lambda kv: _order(kv[0][0])):
        print(f"{cat:20} {role:11} n={s.n:3} median |err| {s.median_abs_error:6.1%}  within 25% "
              f"{s.within_25:4.0%}  in band {s.in_band:4.0%}")
    text = render(records, results)
    if args.check:
        if not RESULTS.exists() or RESULTS.read_text(encoding="utf-8") != text:
            print("RESULTS.md is stale: run python benchmarks/validation/run.py", file=sys.stderr)
            return 1
        return 0
    if args.role is None:
        RESULTS.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
