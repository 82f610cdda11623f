"""Score assistant transcripts against the eval set (evals/questions.json). Pure functions: no model, no
network, no calculators; the expected figures were derived by hand from the sources written beside them.

A transcript is what `modelmath eval --live` saves per question: {"eval_id", "answer", "tool_calls" [{"name",
"is_error", ...}], "complete", ...}. Checks, each pass/fail with a reason:
- figures: every expected figure appears in the answer, in a unit of its dimension (bytes in B/KB/GB/GiB...,
  dollars with $, tokens/s, seconds, TFLOP/s, counts with k/M/B/T or written out), within its tolerance;
- tools: each expected group of tools (any one of a group) was called successfully;
- units: no bare "G"/"gb"/"gigs", and no GB/GiB mix-up (a GiB value labelled GB, or the reverse);
- claude_sizes: no sentence gives a Claude model a parameter count (unless it says illustrative/unpublished);
- jargon (support questions): none of JARGON that the question itself did not use;
- verdicts (fact-checks): the expected number of ✅ and ❌ lines;
- says / avoids: regular expressions the answer must / must not match;
- complete: the answer was not cut off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Units by dimension, each a multiplier to the dimension's base unit (bytes, USD, tokens/s, seconds, FLOP/s).
BYTES = {"B": 1, "byte": 1, "bytes": 1, "KB": 1e3, "kB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12, "PB": 1e15,
         "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}
BYTES_PER_S = {"GB/s": 1e9, "TB/s": 1e12, "MB/s": 1e6, "GiB/s": 2**30}
FLOPS_PER_S = {"TFLOPS": 1e12, "TFLOP/s": 1e12, "TFLOPs/s": 1e12, "PFLOPS": 1e15, "PFLOP/s": 1e15,
               "GFLOPS": 1e9}
SECONDS = {"ms": 1e-3, "s": 1, "sec": 1, "secs": 1, "seconds": 1, "second": 1, "µs": 1e-6, "us": 1e-6,
           "hours": 3600, "hour": 3600, "h": 3600, "days": 86400, "day": 86400}
SCALE = {"k": 1e3, "K": 1e3, "thousand": 1e3, "M": 1e6, "million": 1e6, "MTok": 1e6, "B": 1e9, "bn": 1e9,
         "billion": 1e9, "T": 1e12, "trillion": 1e12}
DIMENSIONS = ("bytes", "bytes_per_s", "flops_per_s", "usd", "tokens_per_s", "seconds", "count", "ratio", "percent")

# Support answers are forwarded to customers: none of these unless the question used the term itself.
JARGON = ("KV cache", "KV-cache", "GQA", "MQA", "MLA", "quantiz", "quantis", "bf16", "fp16", "fp8", "int4", "int8",
          "FLOP", "MFU", "tensor parallel", "roofline", "activations", "head_dim", "attention head", "embedding",
          "prefill", "decode", "ZeRO", "LoRA", "QLoRA", "MoE", "logits", "tiktoken", "token/s", "tok/s",
          "context window")

CLAUDE_NAMES = re.compile(r"\b(Claude|Sonnet|Opus|Haiku|Fable|Mythos)\b", re.I)
OPEN_MODELS = re.compile(r"\b(Llama|Qwen|Mistral|Mixtral|Gemma|DeepSeek|GPT|Phi|Falcon|OLMo|Pythia|"
                         r"illustrative)\b", re.I)
UNPUBLISHED = re.compile(r"illustrative|speculative|hypothetical|teaching|not publish|unpublished|doesn't publish|"
                         r"does not publish|not disclos|undisclosed|no official|not public|not Claude|isn't Claude|"
                         r"is not Claude|never published|hasn't published|has not published", re.I)

_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_NUMBER = re.compile(
    r"(?<![\w.])(?P<int>\d{1,3}(?:[,\u202f\u00a0](?=\d{3})\d{3})+|\d+)(?P<frac>\.\d+)?"
    r"(?:\s*(?:[eE](?P<exp>[+-]?\d+)|(?:×|x|\*)\s*10(?:\^|\*\*)?(?P<exp2>[+-]?\d+|[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+)))?")
_UNIT = re.compile(r"\s?(?P<unit>GB/s|TB/s|MB/s|GiB/s|TFLOPs/s|TFLOP/s|TFLOPS|PFLOP/s|PFLOPS|GFLOPS|tokens?/s(?:ec)?|"
                   r"tok/s(?:ec)?|tokens? per second|KiB|MiB|GiB|TiB|KB|kB|MB|GB|TB|PB|MTok|bytes?|"
                   r"billion|million|thousand|trillion|bn|ms|µs|us|secs?|seconds?|hours?|days?|FLOPs?|%|×|x\b|"
                   r"times\b|[BKMTkhs](?![A-Za-z]))")


@dataclass(frozen=True)
class Quantity:
    value: float
    dim: str
    text: str  # as written, for the GB/GiB check and messages
    unit: str = ""


def _value(m: re.Match) -> float:
    v = float(m.group("int").replace(",", "").replace("\u202f", "").replace("\u00a0", "") + (m.group("frac") or ""))
    exp = m.group("exp") or (m.group("exp2") or "").translate(_SUPERSCRIPT)
    return v * 10 ** int(exp) if exp else v


def quantities(text: str) -> list[Quantity]:
    """Every number in the text with each reading its unit allows (a bare number is a count and a ratio)."""
    out: list[Quantity] = []
    for m in _NUMBER.finditer(text):
        v = _value(m)
        before = text[max(0, m.start() - 4):m.start()]
        u = _UNIT.match(text, m.end())
        unit = u.group("unit") if u else ""
        shown = text[m.start():u.end() if u else m.end()]
        if re.search(r"\$\s?$|US\$\s?$|USD\s$", before):
            scale = SCALE.get(unit, 1) if unit in ("k", "K", "M", "B", "bn", "thousand", "million", "billion") else 1
            out.append(Quantity(v * scale, "usd", shown, unit))
            continue
        if unit in BYTES_PER_S:
            out.append(Quantity(v * BYTES_PER_S[unit], "bytes_per_s", shown, unit))
        elif unit in FLOPS_PER_S:
            out.append(Quantity(v * FLOPS_PER_S[unit], "flops_per_s", shown, unit))
        elif re.fullmatch(r"tokens?/s(?:ec)?|tok/s(?:ec)?|tokens? per second", unit):
            out.append(Quantity(v, "tokens_per_s", shown, unit))
        elif unit == "%":
            out.append(Quantity(v, "percent", shown, unit))
        elif unit in ("×", "x", "times"):
            out.append(Quantity(v, "ratio", shown, unit))
        elif unit in SECONDS:
            out.append(Quantity(v * SECONDS[unit], "seconds", shown, unit))
        if unit in BYTES:
            out.append(Quantity(v * BYTES[unit], "bytes", shown, unit))
        if unit in SCALE:  # 8.03B, 1.5M, 128k: a count (B is also bytes, above)
            out.append(Quantity(v * SCALE[unit], "count", shown, unit))
        elif unit in ("FLOP", "FLOPs"):
            out.append(Quantity(v, "count", shown, unit))
        elif unit not in BYTES and unit not in BYTES_PER_S and unit not in FLOPS_PER_S and unit != "%":
            out += [Quantity(v, "count", shown, unit), Quantity(v, "ratio", shown, unit)]
    return out


def _close(got: float, fig: dict) -> bool:
    if "min" in fig:
        return fig["min"] <= got <= fig["max"]
    v = fig["value"]
    return abs(got - v) <= fig.get("rel_tol", 0.01) * abs(v) + fig.get("abs_tol", 0)


def find_figure(fig: dict, found: list[Quantity]) -> Quantity | None:
    return next((q for q in found if q.dim == fig["unit"] and _close(q.value, fig)), None)


@dataclass
class Check:
    name: str
    passed: bool
    detail: str = ""


@dataclass
class Score:
    eval_id: str
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def check(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    def failed(self) -> list[str]:
        return [c.name for c in self.checks if not c.passed]


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


def _strip_quoted(text: str, document: str | None) -> str:
    """Text without what it quotes from the document (a fact-check repeats the claims it judges)."""
    text = re.sub(r"\"[^\"\n]*\"|“[^”\n]*”|‘[^’\n]*’|`[^`\n]*`", " ", text)
    if document:
        for m in _NUMBER.finditer(document):
            u = _UNIT.match(document, m.end())
            literal = document[m.start():u.end() if u else m.end()]
            if len(literal) > 2:
                text = text.replace(literal, " ")
    return text


def check_units(answer: str, question: dict) -> Check:
    own = _strip_quoted(answer, question.get("document"))
    bare = re.search(r"(?<![\w.])\d[\d,.]*\s?(G|Gb|gb|gigs?)\b(?!/s)", own)
    if bare:
        return Check("units", False, f"unlabelled or ambiguous size {bare.group(0)!r}: say GB (10^9) or GiB (2^30)")
    found = quantities(own)
    for fig in question.get("figures", []):
        if fig["unit"] != "bytes" or "value" not in fig:
            continue
        gb, gib = fig["value"] / 1e9, fig["value"] / 2**30
        if abs(gb - gib) / gb < 0.03:
            continue  # too small a figure for the two readings to differ
        for q in found:
            if q.unit == "GB" and abs(q.value / 1e9 - gib) <= 0.005 * gib:
                return Check("units", False, f"{q.text!r} is the GiB value labelled GB ({fig['what']})")
            if q.unit == "GiB" and abs(q.value / 2**30 - gb) <= 0.005 * gb:
                return Check("units", False, f"{q.text!r} is the GB value labelled GiB ({fig['what']})")
    return Check("units", True)


def check_claude_sizes(answer: str) -> Check:
    for s in _sentences(answer):
        if not CLAUDE_NAMES.search(s) or OPEN_MODELS.search(s) or UNPUBLISHED.search(s):
            continue
        size = re.search(r"\d[\d,.]*\s?(B|billion|T|trillion)\b(?!\w)|\d[\d,.]*\s+param", s)
        if size:
            return Check("claude_sizes", False, f"states a Claude size: {s.strip()[:160]!r}")
    return Check("claude_sizes", True)


def check_jargon(answer: str, question: dict) -> Check:
    asked = (question["question"] + " " + (question.get("document") or "")).lower()
    used = [t for t in JARGON if t.lower() not in asked and re.search(r"(?<![A-Za-z])" + re.escape(t), answer, re.I)]
    return Check("jargon", not used, f"jargon for a customer: {', '.join(used)}" if used else "")


def _expected(fig: dict) -> str:
    return f"{fig['value']:,}" if "value" in fig else f"{fig['min']:,}..{fig['max']:,}"


def score(question: dict, transcript: dict | None) -> Score:
    s = Score(question["id"])
    if transcript is None:
        s.checks.append(Check("ran", False, "no transcript"))
        return s
    answer = transcript.get("answer") or ""
    found = quantities(answer)
    missing = [f"{f['what']} ({_expected(f)} {f['unit']})" for f in question.get("figures", [])
               if find_figure(f, found) is None]
    if question.get("figures"):
        s.checks.append(Check("figures", not missing, "missing: " + "; ".join(missing) if missing else ""))
    used = {c["name"] for c in transcript.get("tool_calls", []) if not c.get("is_error")}
    groups = question.get("tools", [])
    absent = [" or ".join(g) for g in groups if not used & set(g)]
    s.checks.append(Check("tools", not absent, "not called: " + "; ".join(absent) if absent else ""))
    s.checks.append(check_units(answer, question))
    s.checks.append(check_claude_sizes(answer))
    if question["audience"] == "support":
        s.checks.append(check_jargon(answer, question))
    if "verdicts" in question:
        want = question["verdicts"]
        got = {"correct": answer.count("✅"), "wrong": answer.count("❌")}
        ok = got == {"correct": want.get("correct", 0), "wrong": want.get("wrong", 0)}
        s.checks.append(Check("verdicts", ok, "" if ok else f"expected {want}, found {got}"))
    for pattern in question.get("says", []):
        ok = re.search(pattern, answer, re.I | re.S) is not None
        s.checks.append(Check("says", ok, "" if ok else f"does not match {pattern!r}"))
    for pattern in question.get("avoids", []):
        hit = re.search(pattern, answer, re.I | re.S)
        s.checks.append(Check("avoids", hit is None, f"matches {pattern!r}: {hit.group(0)!r}" if hit else ""))
    s.checks.append(Check("complete", bool(transcript.get("complete")), transcript.get("notice") or ""))
    return s


def score_all(questions: list[dict], transcripts: dict[str, dict]) -> list[Score]:
    return [score(q, transcripts.get(q["id"])) for q in questions]
