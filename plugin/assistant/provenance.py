"""Provenance the client computes from the tool calls themselves, never from the model's text: for each call
the offline command that prints the identical result, and the catalog entries (models, GPUs, Claude prices)
the results drew on, with their source and date.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Iterable
from functools import cache

DISPLAY_LIMIT = 300  # characters of a command shown on a terminal; --json and the logs hold the full command


def reproduce_command(name: str, tool_input: object, environ: dict | None = None) -> str:
    """`modelmath run-tool NAME '<json>'`, quoted for a POSIX shell, that prints this call's result byte for
    byte (run-tool prints the same JSON the model was sent, indented). A price file in effect is part of it,
    and so is the date for a tool whose result depends on it (prices and model status change with the day:
    without the pin, tomorrow's run of the command would print a different result)."""
    from modelmath.tools.errors import UnknownName
    from modelmath.tools.pricing.lifecycle import today
    from modelmath.tools.registry import get_tool

    env = os.environ if environ is None else environ
    arg = json.dumps(tool_input, ensure_ascii=False, separators=(",", ":"))
    prefix = f"MODELMATH_PRICES={shlex.quote(env['MODELMATH_PRICES'])} " if env.get("MODELMATH_PRICES") else ""
    try:
        dated = get_tool(name).dated
    except UnknownName:  # a tool the model invented: its command prints the same "unknown tool" error any day
        dated = False
    if dated:
        prefix += f"MODELMATH_TODAY={today().isoformat()} "
    return f"{prefix}modelmath run-tool {shlex.quote(name)} {shlex.quote(arg)}"


def shorten(command: str, limit: int = DISPLAY_LIMIT) -> str:
    if len(command) <= limit:
        return command
    return f"{command[:limit - 1]}… ({len(command):,} characters; the full command is in --json and `modelmath logs`)"


# -- sources -------------------------------------------------------------------------------------------

# Result keys whose string value (or a dict's "id"/"catalog_id") may name a catalog entry. Only exact ids count:
# a result states the entry it used, so nothing here is guessed.
_ID_KEYS = ("id", "catalog_id", "model", "gpu", "claude_model")


@cache
def _model_catalog() -> dict[str, dict]:
    from modelmath.tools.model.catalog import entries

    return {e.id: {"kind": "model", "id": e.id, "name": e.name, "source": e.source, "as_of": e.as_of}
            for e in entries()}


@cache
def _gpu_catalog() -> dict[str, dict]:
    from modelmath.tools.hardware.gpus import catalog

    out = {}
    for g in catalog():
        p = g.provenance()
        out[g.id] = {"kind": "gpu", "id": g.id, "name": p.get("name", g.id), "source": p["source"],
                     "as_of": p["as_of"]}
    return out


def _price_catalog() -> dict[str, dict]:
    # Not cached: a user price file (MODELMATH_PRICES) can change the active catalog.
    from modelmath.tools.pricing.prices import active_catalog

    return {e.id: {"kind": "price", "id": e.id, "name": e.name, "source": e.source, "as_of": e.as_of}
            for e in active_catalog().entries}


def _walk(obj, found: list[tuple[str, object]]) -> None:
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in _ID_KEYS and isinstance(v, str):
                found.append(("id", v))
            _walk(v, found)
        if "source" in obj and "as_of" in obj and "name" in obj and not ({"id", "catalog_id"} & set(obj)):
            found.append(("entry", obj))  # an entry quoted without an id (self_hosting_cost's Claude price list)
    elif isinstance(obj, list):
        for v in obj:
            _walk(v, found)


def sources(results: Iterable[dict]) -> list[dict]:
    """Catalog entries named in successful tool results, each once, in order of first use."""
    found: list[tuple[str, object]] = []
    for r in results:
        _walk(r, found)
    catalogs = (_model_catalog(), _gpu_catalog(), _price_catalog())
    out: dict[tuple, dict] = {}
    for how, value in found:
        if how == "id":
            entry = next((c[value] for c in catalogs if value in c), None)  # type: ignore[index]
        else:
            v = value  # type: ignore[assignment]
            named = next((e for e in catalogs[2].values() if e["name"] == v["name"]), None)
            entry = named or {"kind": "entry", "id": None, "name": v["name"], "source": v["source"],
                              "as_of": v["as_of"]}
        if entry is not None:
            out.setdefault((entry["kind"], entry["id"] or entry["name"]), entry)
    return list(out.values())
