"""Run the training calculators on every case of training.jsonl and score them against the published value.

Usable three ways: `python benchmarks/validation/training_eval.py` prints the per-case and per-category tables
(markdown) on its own; `--write FILE` also writes them to FILE; and benchmarks/validation/run.py imports
`evaluate_case` / `evaluate_all` for the training categories.

Roles (calibration vs holdout) follow one mechanical rule, fixed before any constant was chosen, and
`check_roles` fails if the file departs from it:
  cases are grouped by (category, source_url); within a group, the scored cases in the order the source
  publishes them are numbered 0, 1, 2, ...; numbers 0, 3, 6, ... are calibration, the rest holdout; a group
  with a single scored case is holdout. Unscored cases are holdout and never used for anything.
Constants in tools/training (efficiencies, FP8 speed-up, activation factors) may be chosen from calibration
cases only; the holdout table is the evidence.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATASET = HERE / "training.jsonl"
CATEGORIES = ("training_memory", "training_throughput", "training_compute")
WITHIN = 0.25  # the "within ±25%" criterion of issue 12


def load(path: Path = DATASET) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def expected_roles(records: list[dict]) -> dict[str, str]:
    """The role every case must have under the rule in the module docstring."""
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    roles = {}
    for r in records:
        roles[r["id"]] = "holdout"
        if r["scored"]:
            groups[(r["category"], r["source_url"])].append(r["id"])
    for ids in groups.values():
        if len(ids) > 1:
            for i, case_id in enumerate(ids):
                if i % 3 == 0:
                    roles[case_id] = "calibration"
    return roles


def check_roles(records: list[dict]) -> list[str]:
    want = expected_roles(records)
    return [f"{r['id']}: role {r['role']}, rule says {want[r['id']]}" for r in records if r["role"] != want[r["id"]]]


def _get(obj: dict, path: str | None):
    if path is None:
        return None
    for key in path.split("."):
        obj = obj[key]
    return obj


def evaluate_case(record: dict) -> dict:
    """Prediction, band and error for one scored case; `skipped` says why a case could not run."""
    from modelmath.tools.errors import UnknownName
    from modelmath.tools.registry import run_tool

    p = record["predict"]
    out = {"id": record["id"], "category": record["category"], "role": record["role"],
           "measured": p["measured"]}
    res = run_tool(p["tool"], p["input"])
    if res.is_error:
        err = res.result["error"]
        if err.get("type") == UnknownName.kind and err.get("field") in ("gpu", "gpus"):
            return {**out, "skipped": f"device not in the GPU catalog yet: {p['input'].get('gpu')}"}
        raise RuntimeError(f"{record['id']}: {err}")
    pred = float(_get(res.result, p["output"]))
    low = _get(res.result, p.get("band_low"))
    high = _get(res.result, p.get("band_high"))
    tol = p.get("rounding")
    if low is None:
        low, high = (pred - tol, pred + tol) if tol else (pred, pred)
    m = p["measured"]
    return {**out, "predicted": pred, "low": float(low), "high": float(high), "error": pred / m - 1,
            "inside": float(low) <= m <= float(high)}


def evaluate_all(records: list[dict]) -> list[dict]:
    return [evaluate_case(r) for r in records if r["scored"]]


def summarise(results: list[dict]) -> dict[tuple[str, str], dict]:
    """Per (category, role): n, median |error|, share within ±25%, band coverage."""
    table: dict[tuple[str, str], dict] = {}
    for cat in CATEGORIES:
        for role in ("calibration", "holdout"):
            rows = [r for r in results if r["category"] == cat and r["role"] == role and "error" in r]
            if not rows:
                continue
            errs = [abs(r["error"]) for r in rows]
            table[(cat, role)] = {"n": len(rows), "median_abs_error": statistics.median(errs),
                                  "within_25": sum(e <= WITHIN for e in errs) / len(rows),
                                  "band_coverage": sum(r["inside"] for r in rows) / len(rows),
                                  "skipped": sum(1 for r in results if r["category"] == cat and r["role"] == role
                                                 and "skipped" in r)}
    return table


def markdown(records: list[dict], results: list[dict]) -> str:
    by_id = {r["id"]: r for r in records}
    lines = ["## Training categories", "",
             "| category | role | n | median abs error | within ±25% | band coverage | not run |",
             "|---|---|---|---|---|---|---|"]
    for (cat, role), s in summarise(results).items():
        lines.append(f"| {cat} | {role} | {s['n']} | {s['median_abs_error']:.1%} | {s['within_25']:.0%} | "
                     f"{s['band_coverage']:.0%} | {s['skipped']} |")
    lines += ["", "Goal on holdout: median abs error ≤ 10%, ≥ 90% within ±25%, band coverage ≥ 80%.", "",
              "| case | category | role | measured | predicted | error | low–high | inside |",
              "|---|---|---|---|---|---|---|---|"]
    for r in results:
        unit = by_id[r["id"]]["predict"]["output"]
        if "skipped" in r:
            lines.append(f"| {r['id']} | {r['category']} | {r['role']} | {r['measured']:.4g} | — | — | — | "
                         f"{r['skipped']} |")
            continue
        lines.append(f"| {r['id']} | {r['category']} | {r['role']} | {r['measured']:.4g} {unit} | "
                     f"{r['predicted']:.4g} | {r['error']:+.1%} | {r['low']:.4g}–{r['high']:.4g} | "
                     f"{'yes' if r['inside'] else 'no'} |")
    unscored = [r for r in records if not r["scored"]]
    lines += ["", f"Not scored ({len(unscored)}):", ""]
    lines += [f"- {r['id']}: {r['not_scored_reason']}" for r in unscored]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", type=Path, default=DATASET)
    ap.add_argument("--write", type=Path, help="also write the tables to this markdown file")
    args = ap.parse_args(argv)
    records = load(args.dataset)
    bad = check_roles(records)
    if bad:
        print("roles do not follow the rule:\n" + "\n".join(bad), file=sys.stderr)
        return 1
    text = markdown(records, evaluate_all(records))
    print(text)
    if args.write:
        args.write.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
