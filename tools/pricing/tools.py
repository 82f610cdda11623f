"""Registry declarations of the Claude API cost tools: api_cost, self_hosting_cost, count_tokens.

Money is computed exactly (Decimal, see cost.py) and converted to JSON numbers only here, at the edge of
the result; the price list used (source, as_of, verified) always travels with the numbers.
"""

from __future__ import annotations

import math
from decimal import Decimal
from types import MappingProxyType

from .. import jsonsafe
from ..errors import InvalidInput
from ..registry import CliSpec, Tool
from . import tokens as tok
from .cost import CACHE_TTLS, blended_usd_per_mtok, break_even_tokens_per_month, count, self_hosting
from .lifecycle import today
from .prices import active_catalog
from .quote import api_cost, format_usd, quantity, usd
from .quote import ratio as _ratio
from .rules import GEOS, TOOL_CHOICES

_TOKENS = {"type": "integer", "minimum": 0}
_DAYS = {"type": "number", "exclusiveMinimum": 0, "maximum": 31, "description": "Default 30."}


def _schema(props: dict, required: tuple[str, ...] = ()) -> dict:
    s: dict = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        s["required"] = list(required)
    return s


def _required(inp: dict, key: str):
    # The CLI path skips jsonschema for plain options, so required inputs are checked here too.
    if inp.get(key) is None:
        raise InvalidInput(f"missing required field {key}", field=key)
    return inp[key]


# -- api_cost ------------------------------------------------------------------------------------------

API_COST_PROPS = {
    "model": {"type": "string", "description": "Claude model id or alias, e.g. 'claude-haiku-4-5'."},
    "input_tokens": {**_TOKENS, "description": "Whole prompt per request, cached parts included."},
    "output_tokens": {**_TOKENS, "description": "Per request, thinking included."},
    "cache_read_tokens": {**_TOKENS, "description": "Part of input_tokens read from the prompt cache."},
    "cache_write_tokens": {**_TOKENS, "description": "Part of input_tokens written to the prompt cache."},
    "cache_ttl": {"enum": list(CACHE_TTLS), "description": "Cache write lifetime (default 5m)."},
    "batch": {"type": "boolean", "description": "Batch API prices."},
    "requests_per_day": {"type": "integer", "minimum": 1, "description": "Volume (or requests_per_month)."},
    "requests_per_month": {"type": "integer", "minimum": 1, "description": "Volume (or requests_per_day)."},
    "days_per_month": _DAYS,
    "compare": {"type": "array", "items": {"type": "string"},
                "description": "More models, same workload; 'current' = every current model."},
    "as_of": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$",
              "description": "Date of the prices and model status (default today)."},
    "inference_geo": {"enum": list(GEOS), "description": "us = US-only inference (default global)."},
    "fast": {"type": "boolean", "description": "Fast mode prices."},
    "web_searches": {**_TOKENS, "description": "Per request; their results are input tokens."},
    "code_execution_hours": {"type": "number", "minimum": 0, "description": "Code execution container-hours per "
                             "request."},
    "tools_in_request": {"type": "boolean", "description": "The request defines tools (adds their system prompt)."},
    "tool_choice": {"enum": list(TOOL_CHOICES), "description": "With tools_in_request (default auto)."},
}


def _api_cost(inp: dict) -> dict:
    for key in ("model", "input_tokens", "output_tokens"):
        _required(inp, key)
    return api_cost(inp)


API_COST = Tool(
    name="api_cost",
    dated=True,
    description=(
        "Exact Claude API cost per request, day and month, itemised, from the dated price list (caching, Batch, "
        "long context, fast mode, US-only, server tools), with the model's status. Only the text known: "
        "count_tokens first. Open models on own GPUs: self_hosting_cost."),
    input_schema=_schema(API_COST_PROPS, ("model", "input_tokens", "output_tokens")),
    func=_api_cost,
    cli=CliSpec(command="cost", positional="model", help="Claude API cost of a workload (exact, itemised)."),
)


# -- self_hosting_cost ---------------------------------------------------------------------------------

SELF_HOST_PROPS = {
    "gpu_count": {"type": "integer", "minimum": 1, "description": "GPUs in the deployment."},
    "usd_per_gpu_hour": {"type": "number", "exclusiveMinimum": 0, "description": "$ per GPU-hour."},
    "tokens_per_second": {"type": "number", "exclusiveMinimum": 0,
                          "description": "Whole deployment, prompt + output tokens, sustained."},
    "utilization": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "description": "Default 1."},
    "claude_model": {"type": "string", "description": "Default: current Sonnet."},
    "input_output_ratio": {"type": "number", "minimum": 0, "description": "Input per output token (default 3)."},
    "batch": {"type": "boolean", "description": "Claude's Batch API prices."},
    "days_per_month": _DAYS,
}


def _self_hosting(inp: dict) -> dict:
    sh = self_hosting(_required(inp, "gpu_count"), _required(inp, "usd_per_gpu_hour"),
                      _required(inp, "tokens_per_second"), inp.get("utilization", 1), inp.get("days_per_month", 30))
    cat = active_catalog()
    d = today()
    entry = cat.lookup(inp.get("claude_model") or cat.default_model_id(d))
    rates = entry.rates_on(d)
    ratio = inp.get("input_output_ratio", 3)
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or ratio < 0 or not math.isfinite(ratio):
        raise InvalidInput(f"input_output_ratio must be a number >= 0, got {ratio!r}", field="input_output_ratio")
    r = Decimal(str(ratio))
    batch = bool(inp.get("batch", False))
    if batch and entry.batch_discount is None:
        raise InvalidInput(f"no Batch API discount on file for {entry.name}", field="batch")
    factor = 1 - entry.batch_discount if batch else Decimal(1)
    blended = blended_usd_per_mtok(rates, r, factor)
    even = break_even_tokens_per_month(sh.usd_per_month, blended)
    share = even / sh.capacity_tokens_per_month
    out = {
        "usd_per_hour_all_gpus": usd(sh.usd_per_hour), "tokens_per_hour": quantity(sh.tokens_per_hour),
        "self_hosted_usd_per_mtok": usd(sh.usd_per_mtok),
        "hours_per_month": quantity(sh.hours_per_month), "usd_per_month": usd(sh.usd_per_month),
        "capacity_tokens_per_month": int(sh.capacity_tokens_per_month),
        "claude": {"model": entry.id, "name": entry.name, "status": cat.lifecycle(entry, d).status,
                   "input_usd_per_mtok": usd(rates.input * factor),
                   "output_usd_per_mtok": usd(rates.output * factor),
                   "input_output_ratio": ratio, "blended_usd_per_mtok": usd(blended),
                   "source": entry.source, "as_of": entry.as_of},
        "break_even_tokens_per_month": math.ceil(even),
    }
    if share <= 1:
        out["break_even_share_of_capacity"] = _ratio(even, sh.capacity_tokens_per_month)
    ours, theirs = format_usd(sh.usd_per_mtok), format_usd(blended)
    if share <= 1:
        out["verdict"] = (f"at capacity, self-hosting costs {ours}/MTok vs {theirs}/MTok on {entry.name}; the "
                          f"{format_usd(sh.usd_per_month)}/month deployment breaks even above "
                          f"{math.ceil(even):,} tokens/month ({float(share):.1%} of its capacity)")
    else:
        out["verdict"] = (f"even at capacity, self-hosting costs {ours}/MTok, more than {theirs}/MTok on "
                          f"{entry.name}: no break-even within this deployment's capacity")
    out["assumptions"] = [
        f"$/MTok = {inp['gpu_count']} GPU(s) x ${inp['usd_per_gpu_hour']:g}/GPU-hour / ({inp['tokens_per_second']:g} "
        f"tokens/s x 3600 x utilization {inp.get('utilization', 1):g}) x 1,000,000",
        "tokens_per_second counts prompt and output tokens together, sustained over the hour",
        f"GPUs rented around the clock: {sh.hours_per_month:g} hours a month",
        f"Claude blended price: {ratio} input tokens per output token, uncached"
        + (", Batch API" if batch else "") + f"; list prices on {d} (catalog checked {entry.as_of})",
        "excludes engineering, storage, networking and idle headroom; a self-hosted open model is not "
        "Claude, so compare quality separately",
    ]
    warning = cat.lifecycle(entry, d).warning()
    if warning:
        out["warnings"] = [warning]
    return out


SELF_HOSTING_COST = Tool(
    name="self_hosting_cost",
    dated=True,
    description=(
        "Self-hosting $/MTok and $/month from GPUs x $/GPU-hour and sustained tokens/s, and the monthly volume "
        "where it breaks even with a Claude model. Throughput: the user's, or speed_estimate's."),
    input_schema=_schema(SELF_HOST_PROPS, ("gpu_count", "usd_per_gpu_hour", "tokens_per_second")),
    # Named as in hardware_fit and training_compute since 0.2; the old names still work for a release.
    input_aliases=MappingProxyType({"gpus": "gpu_count", "gpu_usd_per_hour": "usd_per_gpu_hour"}),
    func=_self_hosting,
    cli=CliSpec(command="self-host", help="Self-hosting $/MTok and break-even against a Claude model."),
)


# -- count_tokens --------------------------------------------------------------------------------------

COUNT_PROPS = {
    # Tool input (Claude, MCP, web) is capped by the shared JSON limits; the CLI's `tokens --file` counts
    # larger files directly (plugin/cli/prices.py), so the schema states the tool's own limit.
    "text": {"type": "string", "maxLength": jsonsafe.MAX_STRING_CHARS, "description": "Text to count."},
    "words": {"type": "number", "minimum": 0, "description": "Words to convert."},
    "pages": {"type": "number", "minimum": 0, "description": "Pages to convert."},
    "tokens": {**_TOKENS, "description": "Tokens to convert."},
    "model": {"type": "string", "description": "Claude model whose tokenizer to assume."},
}


def _tokenizer_of(model: str) -> tuple[str, str | None]:
    """(price-catalog id, 'previous' | 'newer' | None when the generation is not on file)."""
    from .capabilities import capabilities

    entry = active_catalog().lookup(model)  # unknown names raise with suggestions
    caps = capabilities(entry.id)
    return entry.id, caps.tokenizer if caps else None


def count_tokens_result(text: str, encoding=None, fallback_reason: str | None = None,
                        model: str | None = None) -> dict:
    c = tok.count_text(text, encoding, fallback_reason)
    newer = tok.newer_tokenizer_tokens(c.tokens)
    model_id, tokenizer = _tokenizer_of(model) if model else (None, None)
    n = newer if tokenizer == "newer" else c.tokens
    out = {"tokens": n, "approximate": True, "method": c.detail}
    if model_id:
        out |= {"model": model_id, "tokenizer": tokenizer or "unknown"}
    out |= {"tokens_by_tokenizer": {"previous_claude_tokenizer": c.tokens, "claude_4_7_and_later": newer},
            "characters": c.characters, "words": c.words,
            "pages_estimate": float(round(tok.tokens_to_pages(c.tokens), 2)), "rules_of_thumb": tok.RULES_OF_THUMB,
            "assumptions": [tok.CLAUDE_TOKENIZER_NOTE,
                            tok.NEWER_TOKENIZER_NOTE + f": {c.tokens:,} × 1.3 ≈ {newer:,}",
                            f"pages_estimate uses the rule of thumb of {tok.TOKENS_PER_PAGE} tokens per page"]}
    warnings = []
    if model_id and tokenizer is None:
        warnings.append(f"the tokenizer generation of {model_id} is not on file: tokens is the previous "
                        "tokenizer's estimate; see tokens_by_tokenizer for both")
    if c.fallback_reason:
        warnings.append(f"tiktoken not used: {c.fallback_reason}; counted with the heuristic "
                        f"1 token per {tok.CHARS_PER_TOKEN} characters (English)")
        if tok.non_ascii_share(text) > 0.2:
            warnings.append("much of the text is not ASCII: the 4-characters rule undercounts such text")
    if warnings:
        out["warnings"] = warnings
    return out


def _convert(inp: dict) -> dict:
    rule = "rules of thumb, not a tokenizer: 1 token ~ 0.75 words; 1 page ~ 400 tokens"
    if "tokens" in inp:
        n = count(inp["tokens"], "tokens")
        return {"tokens": n, "words_estimate": tok.tokens_to_words(n),
                "pages_estimate": float(round(tok.tokens_to_pages(n), 2)), "rules_of_thumb": tok.RULES_OF_THUMB,
                "assumptions": [rule]}
    key = "words" if "words" in inp else "pages"
    v = inp[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 or not math.isfinite(v):
        raise InvalidInput(f"{key} must be a number >= 0, got {v!r}", field=key)
    d = Decimal(str(v))
    n = tok.words_to_tokens(d) if key == "words" else tok.pages_to_tokens(d)
    out = {key: v, "tokens_estimate": n}
    if inp.get("model") is not None:
        # The rules of thumb describe the previous generation of tokenizers; the Claude 4.7+ one counts ~30% more.
        model_id, tokenizer = _tokenizer_of(inp["model"])
        newer = tok.newer_tokenizer_tokens(n)
        out = {key: v, "tokens_estimate": newer if tokenizer == "newer" else n, "model": model_id,
               "tokenizer": tokenizer or "unknown",
               "tokens_by_tokenizer": {"previous_claude_tokenizer": n, "claude_4_7_and_later": newer}}
        rule += "; " + tok.NEWER_TOKENIZER_NOTE
    return {**out, "rules_of_thumb": tok.RULES_OF_THUMB, "assumptions": [rule]}


def _count_tokens(inp: dict) -> dict:
    given = [k for k in ("text", "words", "pages", "tokens") if inp.get(k) is not None]
    if len(given) != 1:
        raise InvalidInput("give exactly one of text, words, pages or tokens", field=None,
                           allowed=["text", "words", "pages", "tokens"])
    if given[0] != "text":
        if given[0] == "tokens" and inp.get("model") is not None:
            raise InvalidInput("model applies to text, words or pages (it picks the tokenizer generation)",
                               field="model")
        return _convert(inp)
    if not isinstance(inp["text"], str):
        raise InvalidInput("text must be a string", field="text")
    encoding, reason = tok.default_encoding()
    return count_tokens_result(inp["text"], encoding, reason, model=inp.get("model"))


COUNT_TOKENS = Tool(
    name="count_tokens",
    description=(
        "Approximate tokens in a text (Claude's tokenizer is not public), or words, pages or tokens converted by "
        "rules of thumb. Give one of text, words, pages, tokens."),
    input_schema=_schema(COUNT_PROPS),
    func=_count_tokens,
)

TOOLS = (API_COST, SELF_HOSTING_COST, COUNT_TOKENS)
