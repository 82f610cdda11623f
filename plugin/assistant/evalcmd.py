"""`modelmath eval`: run the eval set against the API and save transcripts (--live, needs a key and costs a few
dollars), or score saved transcripts offline (--transcripts DIR). Prints a score table; exit status 1 when any
question fails or has no transcript."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import click
from modelmath.plugin.cli.paths import FilePath
from modelmath.plugin.cli.repeats import OnceCommand
from modelmath.tools import jsonsafe

from .. import files
from .agent import Assistant, AssistantError, make_client, resolve_model_id

MAX_TRANSCRIPT_BYTES = 5_000_000
CHECK_COLUMNS = ("figures", "tools", "units", "claude_sizes", "jargon", "verdicts", "says", "avoids", "complete")


def _questions(only: str | None) -> list[dict]:
    from modelmath.evals import load_questions

    qs = load_questions()
    if only:
        wanted = [x.strip() for x in only.split(",") if x.strip()]
        unknown = sorted(set(wanted) - {q["id"] for q in qs})
        if unknown:
            raise click.UsageError(f"unknown question id(s): {', '.join(unknown)}")
        qs = [q for q in qs if q["id"] in wanted]
    return qs


class _Refused(click.ClickException):
    """Input the eval cannot use (no key, no such directory, not a transcript): exit status 2; status 1 is kept
    for a run whose questions fail."""

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code


def run_live(questions: list[dict], out: Path, *, model: str | None, effort: str | None, max_turns: int,
             label: str | None, on_line=None) -> dict[str, dict]:
    """Ask every question in a fresh conversation; save one transcript per question under `out`."""
    try:
        client = make_client()
        model_id = resolve_model_id(model)
    except AssistantError as exc:
        raise _Refused(exc.message, exc.exit_code) from exc
    base = str(client.base_url).rstrip("/")
    recorded_from = label or f"live API at {base}"
    out.mkdir(parents=True, exist_ok=True)
    transcripts = {}
    for i, q in enumerate(questions, 1):
        if on_line:
            on_line(f"[{i}/{len(questions)}] {q['id']}")
        a = Assistant(client, model=model_id, audience=q["audience"], max_turns=max_turns, effort=effort,
                      on_tool_start=(lambda name, inp: on_line(f"    → {name}")) if on_line else None)
        t = {"eval_id": q["id"], "recorded_from": recorded_from, "model": model_id, "audience": q["audience"],
             "question": q["question"], "document": q.get("document"), "effort": a.options.effort,
             "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        try:
            answer = a.ask(q["question"], document=q.get("document"), document_name="notes.md")
            t |= answer.to_json()
        except AssistantError as exc:
            t |= {"answer": "", "tool_calls": [], "complete": False, "notice": None, "error": exc.message}
        (out / f"{q['id']}.json").write_text(json.dumps(t, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        transcripts[q["id"]] = t
    return transcripts


def load_transcripts(directory: str) -> dict[str, dict]:
    d = Path(directory)
    if not d.is_dir():
        raise _Refused(f"no such directory: {directory}")
    out = {}
    for path in sorted(d.glob("*.json")):
        try:
            t = files.read_json_object(str(path), MAX_TRANSCRIPT_BYTES, what="transcript")
        except files.FileRefused as exc:
            raise _Refused(exc.message) from exc
        if "eval_id" not in t:
            raise _Refused(f"{path} is not a transcript (no eval_id)")
        out[t["eval_id"]] = t
    if not out:
        raise _Refused(f"no transcripts (*.json) in {directory}")
    return out


def table(questions: list[dict], scores, transcripts: dict[str, dict]) -> str:
    width = max(len(q["id"]) for q in questions)
    head = f"{'question':<{width}}  {'audience':<9}  " + "  ".join(c[:8].ljust(8) for c in CHECK_COLUMNS) + "  result"
    lines = [head, "-" * len(head)]
    for q, s in zip(questions, scores, strict=True):
        cells = []
        for c in CHECK_COLUMNS:
            got = [x for x in s.checks if x.name == c]
            cells.append("-" if not got else "ok" if all(x.passed for x in got) else "FAIL")
        result = "pass" if s.passed else ("no transcript" if s.check("ran") else "FAIL")
        lines.append(f"{q['id']:<{width}}  {q['audience']:<9}  " + "  ".join(x.ljust(8) for x in cells) + f"  {result}")
    passed = sum(s.passed for s in scores)
    lines += ["", f"passed {passed} of {len(scores)}"]
    for aud in ("developer", "support"):
        pairs = [(q, s) for q, s in zip(questions, scores, strict=True) if q["audience"] == aud]
        if pairs:
            lines[-1] += f"; {aud} {sum(s.passed for _, s in pairs)}/{len(pairs)}"
    for c in CHECK_COLUMNS:
        checks = [x for s in scores for x in s.checks if x.name == c]
        if checks:
            lines.append(f"  {c:<12} {sum(x.passed for x in checks)}/{len(checks)}")
    costs = [t.get("cost_usd") for t in transcripts.values()]
    if costs and all(isinstance(c, (int, float)) for c in costs):
        lines.append(f"  cost of the run: ${sum(costs):.4f} over {len(costs)} question(s)")
    labels = sorted({t.get("recorded_from", "?") for t in transcripts.values()})
    lines.append("  transcripts from: " + "; ".join(labels))
    failures = [(s.eval_id, x) for s in scores for x in s.checks if not x.passed]
    if failures:
        lines += ["", "failures:"] + [f"  {i}: {x.name}: {x.detail}" for i, x in failures]
    return "\n".join(lines)


@click.command("eval", cls=OnceCommand)
@click.option("--live", is_flag=True, help="Ask every question through the API and save transcripts (needs "
                                           "ANTHROPIC_API_KEY; ~60 questions, a few dollars).")
@click.option("--transcripts", "transcripts_dir", type=FilePath(file_okay=False),
              help="Score the transcripts saved in DIR, offline.")
@click.option("--out", type=FilePath(file_okay=False), help="Where --live saves transcripts (default "
                                                                 "eval-transcripts/<UTC time>).")
@click.option("--only", metavar="IDS", help="Comma-separated question ids (default: all).")
@click.option("--model", help="Claude model for --live (default as for `ask`).")
@click.option("--effort", type=click.Choice(("low", "medium", "high", "xhigh", "max")), default=None,
              help="output_config.effort for --live (default as for `ask`).")
@click.option("--max-turns", type=click.IntRange(1, 50), default=8, show_default=True,
              help="Most model calls with tools per question for --live (as for `ask`).")
@click.option("--label", help="What produced the transcripts, written into each (default: the API's URL).")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@click.pass_context
def eval_cmd(ctx, live, transcripts_dir, out, only, model, effort, max_turns, label, as_json):
    """Run (--live) or score (--transcripts DIR) the assistant's eval set (evals/questions.json)."""
    from modelmath.evals.score import score_all

    if live == bool(transcripts_dir):
        raise click.UsageError("give exactly one of --live or --transcripts DIR")
    questions = _questions(only)
    if live:
        where = Path(out or os.path.join("eval-transcripts", time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())))
        transcripts = run_live(questions, where, model=model, effort=effort, max_turns=max_turns, label=label,
                               on_line=lambda s: click.echo(s, err=True))
        click.echo(f"transcripts saved in {where}", err=True)
    else:
        transcripts = load_transcripts(transcripts_dir)
        if not only:
            questions = [q for q in questions if q["id"] in transcripts] or questions
    scores = score_all(questions, transcripts)
    if as_json:
        click.echo(jsonsafe.dumps([{"id": s.eval_id, "passed": s.passed, "checks": [
            {"name": c.name, "passed": c.passed, "detail": c.detail} for c in s.checks]} for s in scores], indent=2))
    else:
        click.echo(table(questions, scores, transcripts))
    if not all(s.passed for s in scores):
        ctx.exit(1)
