"""Evaluators for the training categories of the validation set (training.jsonl, the shared record schema of
README.md): each turns a record's `inputs` into one call of a modelmath tool and returns our low / mid / high for
the record's `target.quantity`, in the target's unit.

`inputs` = {"tool": training_memory | training_compute, "args": the tool input, "output": the result field
compared, "band_low" / "band_high": the result fields of our band, optional "metric_level" (memory: allocated,
reserved, device, unknown) and "rounding" (a published value rounded to that absolute step)}.

run.py merges EVALUATORS with the inference ones. On its own,
    python benchmarks/validation/training_eval.py [--write FILE]
prints the per-case and per-category tables of the training categories (cases on devices the GPU catalog lacks
are listed as not run instead of stopping the report).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATASET = HERE / "training.jsonl"
CATEGORIES = ("training_memory", "training_throughput", "training_compute")
WITHIN = 0.25  # the "within ±25%" criterion of issue 12

if str(HERE) not in sys.path:  # run.py puts this folder on sys.path; run as a script, do the same
    sys.path.insert(0, str(HERE))
from inference_eval import Prediction  # noqa: E402 - one Prediction for both evaluators


class DeviceMissing(Exception):
    """The case names a GPU the catalog does not have (yet)."""


def load(path: Path = DATASET) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def assign_roles(records: list[dict]) -> dict[str, str]:
    """The team's role rule, from run.py beside this file (README.md: `prior_use` cases are calibration; the rest
    of each category, ordered by (engine, sha256(seed:id)), alternate calibration, holdout, …; excluded cases keep
    their slot; `batch` ≥ 2 cases are holdout). One copy of the rule, so the two datasets cannot drift apart."""
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    from run import assign_roles as rule

    return rule(records)


def check_roles(records: list[dict]) -> list[str]:
    want = assign_roles(records)
    return [f"{r['id']}: role {r['role']}, rule says {want[r['id']]}" for r in records if r["role"] != want[r["id"]]]


def _get(obj: dict, path: str):
    for key in path.split("."):
        obj = obj[key]
    return obj


def evaluate(record: dict) -> Prediction:
    from modelmath.tools.errors import UnknownName
    from modelmath.tools.registry import run_tool

    inp = record["inputs"]
    res = run_tool(inp["tool"], inp["args"])
    if res.is_error:
        err = res.result["error"]
        if err.get("type") == UnknownName.kind and err.get("field") in ("gpu", "gpus"):
            raise DeviceMissing(f"device not in the GPU catalog yet: {inp['args'].get('gpu')}")
        raise RuntimeError(f"{record['id']}: {err}")
    out = res.result
    mid = float(_get(out, inp["output"]))
    if inp.get("band_low"):
        low, high = float(_get(out, inp["band_low"])), float(_get(out, inp["band_high"]))
    else:
        step = inp.get("rounding", 0.0)
        low, high = mid - step, mid + step
    notes = [f"metric level: {inp['metric_level']}"] if inp.get("metric_level") else []
    if any("uncalibrated" in a for a in out.get("assumptions", [])):
        notes.append("uncalibrated")
    return Prediction(low, mid, high, "; ".join(notes), band_group(out, inp["output"]))


def band_group(out: dict, field: str) -> str:
    """The coverage group (tools/bands.py) of the band compared: training_memory has one `band` block,
    training_compute one for throughput and one for GPU-hours; none where the value is exact (FLOPs, given MFU)."""
    band = out.get("band")
    if band and "group" not in band:
        band = band.get("gpu_hours" if field.startswith("gpu_hours") else "throughput")
    if not band or field == "training_flops":
        return ""
    return band["group"] + ("+pooled" if band["from"].startswith("pooled") else "")


EVALUATORS = {c: evaluate for c in CATEGORIES}


def evaluate_all(records: list[dict]) -> list[dict]:
    rows = []
    for r in records:
        if r.get("excluded"):
            continue
        row = {"id": r["id"], "category": r["category"], "role": r["role"], "measured": r["target"]["value"],
               "unit": r["target"]["unit"]}
        try:
            p = evaluate(r)
        except DeviceMissing as e:
            rows.append({**row, "skipped": str(e)})
            continue
        m = row["measured"]
        rows.append({**row, "low": p.low, "mid": p.mid, "high": p.high, "error": p.mid / m - 1,
                     "inside": p.low <= m <= p.high, "note": p.note})
    return rows


def summarise(rows: list[dict]) -> dict[tuple[str, str], dict]:
    """Per (category, role): n, median |error|, share within ±25%, band coverage, cases not run."""
    table: dict[tuple[str, str], dict] = {}
    for cat in CATEGORIES:
        for role in ("calibration", "holdout"):
            mine = [r for r in rows if r["category"] == cat and r["role"] == role]
            run = [r for r in mine if "error" in r]
            if not run:
                continue
            errs = [abs(r["error"]) for r in run]
            table[(cat, role)] = {"n": len(run), "median_abs_error": statistics.median(errs),
                                  "within_25": sum(e <= WITHIN for e in errs) / len(run),
                                  "band_coverage": sum(r["inside"] for r in run) / len(run),
                                  "not_run": len(mine) - len(run)}
    return table


def markdown(records: list[dict], rows: list[dict]) -> str:
    lines = ["## Training categories", "",
             "| category | role | n | median abs error | within ±25% | band coverage | not run |",
             "|---|---|---|---|---|---|---|"]
    for (cat, role), s in summarise(rows).items():
        lines.append(f"| {cat} | {role} | {s['n']} | {s['median_abs_error']:.1%} | {s['within_25']:.0%} | "
                     f"{s['band_coverage']:.0%} | {s['not_run']} |")
    lines += ["", "Goal on holdout: median abs error ≤ 10%, ≥ 90% within ±25%, band coverage ≥ 80%.", "",
              "| case | category | role | measured | low | mid | high | error | inside | note |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: (CATEGORIES.index(r["category"]), r["role"], r["id"])):
        if "skipped" in r:
            lines.append(f"| {r['id']} | {r['category']} | {r['role']} | {r['measured']:.4g} {r['unit']} | — | — | — "
                         f"| — | — | {r['skipped']} |")
            continue
        lines.append(f"| {r['id']} | {r['category']} | {r['role']} | {r['measured']:.4g} {r['unit']} | "
                     f"{r['low']:.4g} | {r['mid']:.4g} | {r['high']:.4g} | {r['error']:+.1%} | "
                     f"{'yes' if r['inside'] else 'no'} | {r['note']} |")
    excluded = [r for r in records if r.get("excluded")]
    lines += ["", f"Excluded ({len(excluded)}):", ""]
    lines += [f"- {r['id']}: {r['excluded']}" for r in excluded]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Score the training calculators against training.jsonl.")
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
        args.write.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
