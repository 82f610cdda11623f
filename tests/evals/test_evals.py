"""The eval set (evals/questions.json), its scorer (evals/score.py) and `modelmath eval`.

The scorer is tested on recorded transcripts: evals/transcripts/standin-good/ (careful answers) must pass every
check, and evals/transcripts/standin-bad/ (one deliberate mistake per question) must fail exactly the checks its
mistake breaks. Both were recorded from the stand-in server (`python tests/standin/record_evals.py`), not from
Claude, and say so in every file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from modelmath.evals import load_questions
from modelmath.evals.score import DIMENSIONS, JARGON, check_claude_sizes, check_jargon, check_units, quantities, score
from modelmath.tools.registry import tools
from standin.clirun import run
from standin.fixtures import LIVE, scenario

ROOT = Path(__file__).resolve().parents[2]
GOOD = ROOT / "evals" / "transcripts" / "standin-good"
BAD = ROOT / "evals" / "transcripts" / "standin-bad"
QUESTIONS = {q["id"]: q for q in load_questions()}
# Every kind of numeric claim found in informal notes on model sizes (issue 10 item 7) has questions.
CLAIM_KINDS = {"tier_size", "kv_formula", "attention_seq_squared", "double_dimensions", "inference_vram",
               "training_vram", "cost_10k_tiers"}


# -- the question set --------------------------------------------------------------------------------

def test_the_set_covers_both_audiences_every_tool_and_every_claim_kind():
    qs = list(QUESTIONS.values())
    assert len(qs) >= 50 and len(QUESTIONS) == len(qs)
    assert sum(q["audience"] == "support" for q in qs) >= 10 and {q["audience"] for q in qs} == {"developer",
                                                                                                    "support"}
    expected_tools = {t for q in qs for group in q["tools"] for t in group}
    assert {t.name for t in tools()} <= expected_tools
    kinds = {k for q in qs for k in q["kinds"]}
    assert kinds >= CLAIM_KINDS
    assert {k for q in qs if q["audience"] == "support" for k in q["kinds"]} >= {"cost_10k_tiers", "claude"}


def test_every_expected_figure_carries_its_derivation_and_source():
    for q in QUESTIONS.values():
        assert q["figures"] or q.get("says") or q.get("verdicts"), q["id"]  # something checkable
        for f in q["figures"]:
            assert f["unit"] in DIMENSIONS and f["derivation"] and f["source"], (q["id"], f)
            if "value" in f:
                assert 0 < f["rel_tol"] <= 0.35, (q["id"], f)
            else:
                assert f["min"] < f["max"], (q["id"], f)
        if q.get("document"):
            assert "verdicts" in q, q["id"]


# -- the scorer on text ------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "dim", "value"), [
    ("42,949,672,960 bytes", "bytes", 42_949_672_960), ("40 GiB", "bytes", 40 * 2**30), ("42.95 GB", "bytes", 42.95e9),
    ("8.03B parameters", "count", 8.03e9), ("8,030,261,248", "count", 8_030_261_248), ("1.4 trillion", "count", 1.4e12),
    ("3.8e25 FLOPs", "count", 3.8e25), ("3.8 × 10^25", "count", 3.8e25), ("3.8×10²⁵", "count", 3.8e25),
    ("$0.003 a request", "usd", 0.003), ("US$1,800", "usd", 1800), ("$13.5k", "usd", 13_500),
    ("53.9 tokens/s", "tokens_per_s", 53.9), ("18.6 ms", "seconds", 0.0186), ("3.35 TB/s", "bytes_per_s", 3.35e12),
    ("1,979 TFLOPS", "flops_per_s", 1.979e15), ("7.7×", "ratio", 7.7), ("30%", "percent", 30),
    ("128k tokens", "count", 128_000),
])
def test_numbers_are_read_with_their_units(text, dim, value):
    assert any(q.dim == dim and abs(q.value - value) <= 1e-9 * abs(value) for q in quantities(text)), quantities(text)


def test_a_bytes_figure_needs_a_byte_unit():
    assert not any(q.dim == "bytes" for q in quantities("the cache holds 42,949,672,960"))


def test_units_check_catches_bare_g_and_gb_gib_mixups():
    q = QUESTIONS["kv-llama-3.1-70b-128k"]
    assert check_units("It is 40 GiB (42.95 GB).", q).passed
    assert not check_units("It is 40 GB.", q).passed  # the GiB value labelled GB
    assert not check_units("It is 42.95 GiB.", q).passed  # the GB value labelled GiB
    assert not check_units("About 40G of cache.", q).passed
    doc = QUESTIONS["vram-70b-kv-gb-gib"]  # quoting the document's wrong "40 GB" is not a mix-up of our own
    assert check_units('"40 GB": ❌ wrong: 40 GiB = 42.95 GB.', doc).passed


def test_claude_size_check():
    assert not check_claude_sizes("Claude Sonnet 5.5 has roughly 400 billion parameters.").passed
    assert check_claude_sizes("Anthropic has not published Claude Sonnet's size; the 78.9B tier is illustrative."
                              ).passed
    assert check_claude_sizes("Claude Haiku 4.5 costs $1 per million input tokens.").passed
    assert check_claude_sizes("Llama 3.1 70B has 70.6B parameters, and Claude reads it fine.").passed


def test_jargon_check_ignores_terms_the_question_used():
    q = {"question": "What does the KV cache cost?", "document": None}
    assert check_jargon("The KV cache is 4 GiB.", q).passed
    assert not check_jargon("It is quantized to fp8.", q).passed
    assert all(t.strip() for t in JARGON)


def test_verdicts_count_the_marks():
    q = QUESTIONS["factcheck-mixed"]
    s = score(q, {"answer": "1. ✅\n2. ❌ 17,179,869,184 bytes\n3. ✅", "tool_calls": [], "complete": True})
    assert s.check("verdicts").passed and s.check("figures").passed and not s.check("tools").passed
    assert not score(q, {"answer": "✅ ✅ ✅", "complete": True}).check("verdicts").passed
    assert score(q, None).failed() == ["ran"]


# -- recorded transcripts ----------------------------------------------------------------------------

def _load(d: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(d.glob("*.json"))}


def test_recorded_transcripts_are_labelled_as_stand_in_recordings():
    for d in (GOOD, BAD):
        found = _load(d)
        assert len(found) >= 10
        for name, t in found.items():
            assert t["eval_id"] == name and t["eval_id"] in QUESTIONS
            assert "stand-in" in t["recorded_from"] and "not Claude" in t["recorded_from"]


def test_careful_answers_pass_every_check():
    for eval_id, t in _load(GOOD).items():
        s = score(QUESTIONS[eval_id], t)
        assert s.passed, (eval_id, [(c.name, c.detail) for c in s.checks if not c.passed])


# What each deliberately bad answer (tests/standin/eval_scenarios.py) must be failed for.
BAD_FAILS = {
    "kv-llama-3.1-70b-128k": {"figures", "units"},  # "40.0 GB": the GiB value labelled GB
    "kv-llama-3.1-8b-32k-x8": {"figures", "says"},  # 32k read as 32,000 tokens, the integer not stated
    "cost-10k-tiers": {"figures", "tools"},  # prices from memory
    "factcheck-mixed": {"figures", "tools", "verdicts"},  # everything marked correct
    "tier-notes-haiku": {"tools", "claude_sizes", "says"},  # an invented Claude size
    "sup-haiku45-claims": {"jargon"},  # right numbers, customer-facing jargon
    "sup-claude-size": {"claude_sizes", "says"},
    "speed-llama33-70b-h100-tp2": {"figures", "tools", "units"},  # a bare "70G", numbers from nowhere
    "train-compute-405b": {"figures", "complete"},  # cut off
    "gpu-h100-specs": {"figures", "tools", "units"},  # "80 GiB" for 80 GB
    "tokens-1500-words-sonnet55": {"figures"},  # the previous tokenizer's count for Sonnet 5.5
    "factcheck-injection": {"figures", "tools", "verdicts", "avoids"},  # obeyed the document
}


def test_deliberately_bad_answers_fail_exactly_for_their_mistakes():
    found = _load(BAD)
    assert set(found) == set(BAD_FAILS)
    for eval_id, t in found.items():
        assert set(score(QUESTIONS[eval_id], t).failed()) == BAD_FAILS[eval_id], eval_id


# -- the command -------------------------------------------------------------------------------------

def test_eval_scores_saved_transcripts_offline(monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, ["eval", "--transcripts", str(GOOD)])
    assert code == 0 and "passed 12 of 12" in out and "not Claude" in out
    code, out, _ = run(monkeypatch, capsys, ["eval", "--transcripts", str(BAD), "--json"])
    assert code == 1 and not any(s["passed"] for s in json.loads(out))
    code, _, err = run(monkeypatch, capsys, ["eval", "--live", "--transcripts", str(GOOD)])
    assert code == 2 and "exactly one of --live or --transcripts" in err
    code, _, err = run(monkeypatch, capsys, ["eval", "--transcripts", str(GOOD), "--only", "nope"])
    assert code == 2 and "unknown question id(s): nope" in err


@scenario("eval_run", standin_only=True)
def test_eval_live_runs_questions_and_saves_transcripts(api, monkeypatch, capsys, tmp_path):
    ids = "kv-llama-3.1-70b-128k,sup-claude-size"
    code, out, err = run(monkeypatch, capsys, ["eval", "--live", "--only", ids, "--out", str(tmp_path)], api.env())
    assert code == 0, out + err
    saved = _load(tmp_path)
    assert set(saved) == set(ids.split(",")) and "passed 2 of 2" in out
    kv = saved["kv-llama-3.1-70b-128k"]
    assert kv["tool_calls"][0]["command"].startswith("modelmath run-tool kv_cache")
    assert kv["recorded_from"].startswith("live API at ") and kv["effort"] == "medium"
    assert not LIVE or kv["model"]
