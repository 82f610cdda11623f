"""A tool's error object reworded for the quote page, whose readers explain prices to customers: the JSON field
names become the form's labels, schema wording ('is less than the minimum of 0', 'type integer') becomes a plain
rule, and model ids become model names. Type, field and everything else stay as the tool gave them; the HTTP
tool API (/api/tools/NAME) keeps the MCP error object unchanged."""

from __future__ import annotations

import re

from . import labels

_RULES = (
    (re.compile(r"(?P<v>-?[\w.+-]+) is less than or equal to the minimum of (?P<m>[\w.+-]+)"),
     "must be more than {m} (got {v})"),
    (re.compile(r"(?P<v>-?[\w.+-]+) is less than the minimum of (?P<m>[\w.+-]+)"), "must be at least {m} (got {v})"),
    (re.compile(r"(?P<v>-?[\w.+-]+) is greater than the maximum of (?P<m>[\w.+-]+)"),
     "must be at most {m} (got {v})"),
    (re.compile(r"(?P<v>'[^']*') is not one of \[[^\]]*\]"), "cannot be {v}"),
    (re.compile(r"(?P<v>'[^']*') does not match '\^\\\\d\{4\}-\\\\d\{2\}-\\\\d\{2\}\$'"),
     "must be a date written YYYY-MM-DD (got {v})"),
    (re.compile(r"(?P<v>'[^']*') does not match '[^']*'"), "is not written the way it should be (got {v})"),
)
_JARGON = (("the API returns a 400 error for it", "Anthropic's API refuses it"),
           ("the API returns a 400 error", "Anthropic's API refuses it"), ("returns a 400 error", "is refused"),
           ("per MTok", "per million tokens"), (", got a string", ", got"), (", got a number", ", got"))
_MODEL_ID = re.compile(r"\bclaude-[a-z0-9]+(?:-[a-z0-9]+)*\b")


def _model_name(model_id: str) -> str:
    from modelmath.tools.pricing.prices import active_catalog

    entry = active_catalog().find(model_id)
    return entry.name if entry else model_id


def error(tool: str, fields: list[str], result: dict) -> dict:
    """`result` ({"error": {...}}) with its message and `allowed` in the form's words."""
    e = dict(result.get("error") or {})
    message = str(e.get("message", ""))
    # Only names no sentence uses as a word ('model', 'fast' and 'batch' are read as English).
    for name in sorted((f for f in fields if "_" in f), key=len, reverse=True):
        message = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", f"“{labels.label(tool, name)[0]}”", message)
    message = re.sub(r"^(“[^”]+”): ", r"\1 ", message)
    for rule, words in _RULES:
        message = rule.sub(lambda m, w=words: w.format(**m.groupdict()), message)
    for jargon, words in _JARGON:
        message = message.replace(jargon, words)
    e["message"] = _MODEL_ID.sub(lambda m: _model_name(m.group()), message)
    allowed = e.get("allowed")
    if isinstance(allowed, str) and allowed != "YYYY-MM-DD":  # 'minimum 0', 'type integer': said in the message
        e.pop("allowed")
    elif isinstance(allowed, list):
        enum = labels.ENUM_LABELS.get(str(e.get("field")), {})
        e["allowed"] = [enum.get(str(a)) or _model_name(str(a)) for a in allowed]
    return {**result, "error": e}
