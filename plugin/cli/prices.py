"""The edges of the Claude cost tools: `modelmath prices [QUERY]`, `modelmath tokens`, and the user price
file (`--prices FILE` on the cost commands, or the MODELMATH_PRICES environment variable) that overrides or
adds catalog entries.

The file is read here and handed to tools/pricing/prices.py through a loader, lazily, so a command that never looks
at a price never opens it. `anthropic` is imported only inside `tokens --exact`.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click
from modelmath.plugin.cli.repeats import OnceCommand
from modelmath.tools.errors import ModelMathError
from modelmath.tools.registry import call_validated

from .. import files
from .build import CommandExtras, Count, InputError, Number, echo_json, format_error
from .paths import FilePath
from .render import render

if TYPE_CHECKING:
    from datetime import date
    from decimal import Decimal

    from modelmath.tools.pricing.lifecycle import Lifecycle
    from modelmath.tools.pricing.prices import PriceCatalog, PriceEntry

ENV_VAR = "MODELMATH_PRICES"
MAX_PRICE_FILE_BYTES = 1_000_000
MAX_TEXT_BYTES = 20_000_000  # matches count_tokens' maxLength


# -- price files ---------------------------------------------------------------------------------------

def read_price_file(path: str) -> dict:
    """Read and validate a user price file; every failure is a PriceFileError naming the file."""
    from modelmath.tools.pricing import prices

    try:
        text = files.read_text(path, MAX_PRICE_FILE_BYTES, what="price file")
    except files.FileRefused as exc:
        raise prices.PriceFileError(exc.message) from exc
    return prices.parse_price_file(text, path)


def install(path: str | None = None) -> None:
    """Price every later lookup with `path` merged over the built-in catalog; without a path, with the
    file named by $MODELMATH_PRICES, if set (read at the first lookup). The agent loop and MCP server call
    this too, so every entry point sees the same prices."""
    from modelmath.tools.pricing import prices

    def loader() -> list[tuple[dict, str]]:
        chosen = path or os.environ.get(ENV_VAR)
        return [(read_price_file(chosen), chosen)] if chosen else []

    prices.set_override_loader(loader)


def use_price_file(path: str) -> PriceCatalog:
    """--prices: install and load now, so a bad file stops the command with one line (exit 2)."""
    from modelmath.tools.pricing import prices

    install(path)
    try:
        return prices.active_catalog()
    except ModelMathError as exc:
        raise InputError(exc.message) from exc


def _catalog() -> PriceCatalog:
    from modelmath.tools.pricing import prices

    try:
        return prices.active_catalog()
    except ModelMathError as exc:  # a bad $MODELMATH_PRICES file
        raise InputError(exc.message) from exc


# -- human output --------------------------------------------------------------------------------------

def humanize(result):
    """Money as $ amounts (cents from $1 up) for the terminal, empty fields left out; JSON output keeps exact
    numbers and nulls."""
    from decimal import Decimal

    from modelmath.tools.pricing.quote import format_usd

    if isinstance(result, dict):
        return {k: (format_usd(Decimal(repr(v))) if "usd" in k and isinstance(v, (int, float))
                    and not isinstance(v, bool) else humanize(v))
                for k, v in result.items() if k != "display" and v is not None}
    if isinstance(result, list):
        return [humanize(x) for x in result]
    return result


def _prepare(values: dict) -> None:
    if values.get("prices_file"):
        use_price_file(values["prices_file"])


PRICED_EXTRAS = CommandExtras(
    params=(click.Option(["--prices", "prices_file"], type=FilePath(dir_okay=False), default=None,
                         help=f"JSON price file overriding or adding catalog entries (else ${ENV_VAR})."),),
    prepare=_prepare,
    present=humanize,
)


# -- modelmath prices ----------------------------------------------------------------------------------

def _fmt(d: Decimal | None) -> str:
    return "-" if d is None else f"{d}"


def _dates(life: Lifecycle) -> str:
    """The dates that matter for the status on the chosen day, shortest first."""
    if life.status == "retired":
        return f"retired {life.retires_on}"
    if life.status == "unreleased":
        return f"released {life.released}"
    parts = []
    if life.deprecated_on and life.status == "deprecated":
        parts.append(f"deprecated {life.deprecated_on}")
    if life.retires_on:
        parts.append(f"retires {life.retires_on}")
    elif life.retires_not_before and life.retires_not_before > life.as_of:
        parts.append(f"no retirement before {life.retires_not_before}")
    elif life.retires_not_before:  # the guaranteed period has passed; Anthropic announces retirements ahead
        parts.append(f"no retirement announced (guaranteed until {life.retires_not_before})")
    return ", ".join(parts) or f"released {life.released or '?'}"


def _row(cat: PriceCatalog, e: PriceEntry, as_of: date) -> dict:
    life = cat.lifecycle(e, as_of)
    r = e.rates_on(as_of)
    lc = e.long_context_on(as_of)
    fast = e.fast_on(as_of)
    return {"model": e.id, "name": e.name, "status": life.status, "dates": _dates(life),
            "replacement": life.replacement or "-", "input": _fmt(r.input), "output": _fmt(r.output),
            "cache_5m": _fmt(r.cache_write_5m), "cache_1h": _fmt(r.cache_write_1h), "cache_read": _fmt(r.cache_read),
            "long_context": f">{lc.above_prompt_tokens // 1000}K: {lc.rates.input}/{lc.rates.output}" if lc else "-",
            "fast": "-" if fast is None else "unpriced" if fast.rates is None
            else f"{fast.rates.input}/{fast.rates.output}",
            "verified": "yes" if e.verified else "no*"}


def _as_of(value: str | None) -> date:
    from modelmath.tools.pricing.lifecycle import as_of_or_today

    try:
        return as_of_or_today(value)
    except ModelMathError as exc:
        raise InputError(exc.message.replace("as_of", "--as-of", 1)) from exc


@click.command("prices", cls=OnceCommand)
@click.argument("query", required=False)
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD",
              help="Status and prices on this date (default today).")
@click.option("--prices", "prices_file", type=FilePath(dir_okay=False), default=None,
              help=f"JSON price file overriding or adding entries (else ${ENV_VAR}).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (every field, with sources).")
def prices_cmd(query: str | None, as_of: str | None, prices_file: str | None, as_json: bool) -> None:
    """List the Claude API price catalog (optionally matching QUERY: a name, family or status) with the
    status computed for --as-of, dates, replacements and sources."""
    day = _as_of(as_of)
    cat = use_price_file(prices_file) if prices_file else _catalog()
    found = cat.search(query, day)
    if not found:
        try:
            found = [cat.lookup(query or "")]
        except ModelMathError as exc:
            raise InputError(exc.message) from exc
    if as_json:
        echo_json({"as_of": day.isoformat(), "price_files": list(cat.price_files),
                   "models": [e.describe(cat.lifecycle(e, day)) for e in found]})
        return
    click.echo(f"Claude API list prices on {day}, USD per million tokens (MTok); status computed for that date. "
               "no* = some figures not confirmed on Anthropic's pages; --json gives sources, notes and the Batch "
               "API discount.")
    if cat.price_files:
        click.echo(f"Price file(s) merged: {', '.join(cat.price_files)}")
    click.echo(render({"models": [_row(cat, e, day) for e in found]}))
    # Retiring soon (or not yet released) is worth a line under the table; retired shows in the status column.
    lives = [cat.lifecycle(e, day) for e in found]
    warnings = [life.warning() for life in lives if life.status != "retired" and life.warning()]
    if warnings:
        click.echo("\n".join(["", *warnings]))


# -- modelmath tokens ----------------------------------------------------------------------------------

def exact_count(text: str, model: str | None, api_key: str) -> dict:
    """Count with Anthropic's messages.count_tokens endpoint (free, but needs a key and the network)."""
    from modelmath.tools.pricing import prices

    try:
        entry = prices.lookup_price(model) if model else prices.lookup_price(prices.default_model_id())
    except ModelMathError as exc:
        raise InputError(exc.message) from exc
    life = prices.active_catalog().lifecycle(entry)
    if life.status == "retired":
        raise InputError(f"{entry.name} is retired (since {life.retires_on}); the API cannot count for it")
    import anthropic  # lazy: ~0.3 s, and only this path talks to the network

    client = anthropic.Anthropic(api_key=api_key, max_retries=1, timeout=30.0)
    try:
        resp = client.messages.count_tokens(model=entry.id, messages=[{"role": "user", "content": text}])
    except anthropic.AnthropicError as exc:
        raise InputError(f"count_tokens request failed: {type(exc).__name__}: {exc}") from exc
    return {"tokens": resp.input_tokens, "approximate": False,
            "method": f"Anthropic API messages.count_tokens, model {entry.id}", "model": entry.id,
            "characters": len(text), "words": len(text.split()),
            "assumptions": ["counted as one user message, so it includes the few tokens of message framing",
                            "exact for this model only: Claude 4.7 and later count the same text as about 30% "
                            "more tokens than Claude Haiku 4.5 (Anthropic)"]}


@click.command("tokens", cls=OnceCommand)
@click.argument("text", required=False)
@click.option("--file", "file_", type=FilePath(dir_okay=False), help="Count a UTF-8 text file ('-' = stdin).")
@click.option("--exact", is_flag=True, help="Exact count via Anthropic's count_tokens API (needs ANTHROPIC_API_KEY).")
@click.option("--model", default=None, help="Claude model: its tokenizer generation (Claude 4.7+ count ~30% more), "
              "or the model --exact asks about (default: the current Sonnet).")
@click.option("--words", type=Number(0), default=None, help="Convert words to tokens (rule of thumb).")
@click.option("--pages", type=Number(0), default=None, help="Convert pages to tokens (rule of thumb).")
@click.option("--tokens", "tokens_", type=Count(0), default=None, help="Convert tokens to words and pages.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def tokens_cmd(text: str | None, file_: str | None, exact: bool, model: str | None, words: float | None,
               pages: float | None, tokens_: int | None, as_json: bool) -> None:
    """Approximate token count of TEXT or --file (Claude's tokenizer is not public), or convert
    words/pages/tokens by rules of thumb. --exact asks the Anthropic API."""
    given = [n for n, v in (("TEXT", text), ("--file", file_), ("--words", words), ("--pages", pages),
                            ("--tokens", tokens_)) if v is not None]
    if len(given) != 1:
        raise InputError("give exactly one of TEXT, --file, --words, --pages or --tokens"
                         + (f" (got {', '.join(given)})" if given else ""))
    if file_ is not None:
        text = files.read_text(file_, MAX_TEXT_BYTES, what="text file")
    elif text == "-":
        text = files.read_text("-", MAX_TEXT_BYTES, what="text")
    if exact:
        if text is None:
            raise InputError("--exact counts text: give TEXT or --file")
        key = os.environ.get("ANTHROPIC_API_KEY")
        if not key:
            raise InputError("--exact needs ANTHROPIC_API_KEY; without --exact the count is approximate and offline")
        result = exact_count(text, model, key)
    else:
        inp = next({k: v} for k, v in (("text", text), ("words", words), ("pages", pages), ("tokens", tokens_))
                   if v is not None)
        if model is not None:
            inp["model"] = model  # the tokenizer generation of this Claude model
        outcome = call_validated("count_tokens", inp)
        if outcome.is_error:
            raise InputError(format_error(outcome.result))
        result = outcome.result
    if not as_json:
        result = {k: v for k, v in result.items() if k != "rules_of_thumb"}
    if as_json:
        echo_json(result)
    else:
        click.echo(render(result))
