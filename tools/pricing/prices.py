"""The Claude API price catalog: load it, look models up (forgiving of aliases, dated ids and platform
prefixes), merge a user's price file over it (validated by a JSON Schema, tools/pricing/schema.py), and
price a Messages API `usage` block exactly.

Prices are `Decimal` dollars per million tokens, read from JSON with `parse_float=Decimal`, so no binary
float ever touches money. Facts that held only for a while (an earlier price, a long-context tier, a
fast-mode price) carry their dates, and every lookup that depends on them takes the date it is for.
Everything here is pure except reading the packaged data file; a user's price file is read by the plugin
edge and handed in through `set_override_loader`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache, cached_property

from .. import jsonsafe
from ..datafiles import read_json
from ..errors import InvalidInput, ModelMathError, UnknownName
from ..names import closest
from .entry import FastPeriod, LongContext, PriceChange, PriceEntry, Rates, ToolUseTokens
from .lifecycle import STATUSES, Lifecycle, lifecycle, today
from .schema import FAMILIES, PRICE_FILE_SCHEMA, RATE_KEYS, RETIRED_FIELDS

__all__ = ["STATUSES", "RATE_KEYS", "PRICE_FILE_SCHEMA", "PriceFileError", "Rates", "LongContext", "FastPeriod",
           "PriceEntry", "PriceCatalog", "lookup_price", "default_model_id", "usage_cost_usd"]


class PriceFileError(ModelMathError):
    """A price file that cannot be read or fails its schema."""

    kind = "invalid_price_file"


# -- name normalisation --------------------------------------------------------------------------------

_PLATFORM_PREFIX = re.compile(r"^(?:[a-z]{2,4}\.)?anthropic\.")  # Bedrock: us.anthropic.claude-…
_DATE_SUFFIX = re.compile(r"(?:[-@]v?\d{8})(?:-v\d+(?::\d+)?)?$")  # -20251001, @20250929, -20250929-v1:0


def normalize(name: str) -> str:
    """'Claude Haiku 4.5', 'claude-haiku-4-5', 'haiku-4.5', 'anthropic/claude-haiku-4.5' → 'haiku45'.
    Claude 3.x ids put the version first (claude-3-5-haiku); the family word is moved to the front."""
    s = name.strip().lower().split("/")[-1]
    s = _PLATFORM_PREFIX.sub("", s)
    s = s.replace("[1m]", "")
    s = re.sub(r"-v\d+:\d+$", "", s)
    s = _DATE_SUFFIX.sub("", s)
    words = [w for w in re.findall(r"[a-z]+|\d+", s) if w not in ("claude", "latest", "v")]
    family = [w for w in words if w in FAMILIES]
    rest = [w for w in words if w not in FAMILIES]
    return "".join(family[:1] + rest) or s


# -- parsing -------------------------------------------------------------------------------------------

def _dec(v) -> Decimal | None:
    return None if v is None else Decimal(v) if isinstance(v, (int, Decimal)) else Decimal(str(v))


def _day(v) -> date | None:
    return None if v is None else date.fromisoformat(v)


def _rates(raw: Mapping | None) -> Rates:
    raw = raw or {}
    return Rates(**{k: _dec(raw.get(k)) for k in RATE_KEYS})


def _tier(t: Mapping) -> LongContext:
    return LongContext(t["above_prompt_tokens"], _rates(t["prices_usd_per_mtok"]), _day(t.get("from")),
                       _day(t.get("until")), t.get("context_window_tokens"), t.get("condition", ""))


def _entry(raw: Mapping, origin: str) -> PriceEntry:
    lc = raw.get("long_context")
    tiers = () if lc is None else tuple(_tier(t) for t in (lc if isinstance(lc, list) else [lc]))
    fast = tuple(FastPeriod(None if p["prices_usd_per_mtok"] is None else _rates(p["prices_usd_per_mtok"]),
                            _day(p.get("from")), _day(p.get("until")),
                            _tier(p["long_context"]) if p.get("long_context") else None)
                 for p in raw.get("fast_mode", ()))
    history = tuple(PriceChange({k: _dec(v) for k, v in c["prices_usd_per_mtok"].items()}, _day(c.get("from")),
                                _day(c["until"]), c.get("source", ""))
                    for c in raw.get("price_history", ()))
    tu = raw.get("tool_use_system_prompt_tokens")
    return PriceEntry(
        id=raw["id"], name=raw.get("name") or raw["id"], family=raw.get("family", ""),
        aliases=tuple(raw.get("aliases", ())), rates=_rates(raw.get("prices_usd_per_mtok")),
        batch_discount=_dec(raw.get("batch_discount")), long_context=tiers,
        source=raw["source"], as_of=raw["as_of"], verified=bool(raw.get("verified", False)),
        unverified=tuple(raw.get("unverified", ())), notes=raw.get("notes", ""),
        released=raw.get("released"), deprecated_on=raw.get("deprecated_on"), retires_on=raw.get("retires_on"),
        retires_not_before=raw.get("retires_not_before"), replacement=raw.get("replacement"),
        context_window_tokens=raw.get("context_window_tokens"), max_output_tokens=raw.get("max_output_tokens"),
        tokenizer=raw.get("tokenizer"), price_history=history, fast_mode=fast,
        fast_mode_after_removal=raw.get("fast_mode_after_removal", "error"),
        inference_geo_us_multiplier=_dec(raw.get("inference_geo_us_multiplier")),
        min_cacheable_tokens=raw.get("min_cacheable_tokens"),
        tool_use=None if tu is None else ToolUseTokens(tu.get("auto_none"), tu.get("any_tool"),
                                                       bool(tu.get("any_tool_rejected", False))),
        origin=origin,
    )


def validate_price_file(raw: object, origin: str) -> None:
    """Check a parsed price file against PRICE_FILE_SCHEMA; raise PriceFileError naming the bad field."""
    import jsonschema  # lazy: only paid when a user file is given
    from jsonschema.exceptions import best_match

    if isinstance(raw, dict) and isinstance(raw.get("models"), list):
        for i, m in enumerate(raw["models"]):
            gone = sorted(set(m) & set(RETIRED_FIELDS)) if isinstance(m, dict) else []
            if gone:
                raise PriceFileError(f"price file {origin}: models/{i} has {gone[0]!r}: {RETIRED_FIELDS[gone[0]]}",
                                     field=f"models/{i}/{gone[0]}")
    err = best_match(jsonschema.Draft202012Validator(PRICE_FILE_SCHEMA).iter_errors(raw))
    if err is None:
        ids = [m["id"] for m in raw["models"]]  # type: ignore[index]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise PriceFileError(f"price file {origin}: duplicate model id(s) {', '.join(dupes)}", field="models")
        return
    where = "/".join(str(p) for p in err.absolute_path) or "top level"
    raise PriceFileError(f"price file {origin} fails its schema at {where}: {err.message}", field=where)


def parse_price_file(text: str, origin: str) -> dict:
    """JSON text → validated dict with Decimal prices."""
    try:
        raw = jsonsafe.loads(text, what=f"price file {origin}", decimal=True)
    except InvalidInput as exc:
        raise PriceFileError(exc.message) from exc
    validate_price_file(raw, origin)
    return raw


# -- the catalog ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PriceCatalog:
    entries: tuple[PriceEntry, ...]
    price_files: tuple[str, ...] = field(default=())
    server_tools: Mapping | None = None  # the catalog's server-tool prices (web search, code execution)
    as_of: str | None = None  # the catalog's own date

    @cached_property
    def _exact(self) -> dict[str, PriceEntry]:
        idx: dict[str, PriceEntry] = {}
        for e in self.entries:
            for key in (e.id, *e.aliases):
                idx.setdefault(key.lower(), e)
        return idx

    @cached_property
    def _normalized(self) -> dict[str, PriceEntry]:
        idx: dict[str, PriceEntry] = {}
        for e in self.entries:
            for key in (e.id, e.name, *e.aliases):
                idx.setdefault(normalize(key), e)
        return idx

    @cached_property
    def _names(self) -> dict[str, str]:
        return {e.id: e.name for e in self.entries}

    def find(self, name: str) -> PriceEntry | None:
        return self._exact.get(name.strip().lower()) or self._normalized.get(normalize(name))

    def lifecycle(self, entry: PriceEntry, as_of: date | None = None) -> Lifecycle:
        """`entry`'s status on `as_of` (default today), from its dates and its family's release dates."""
        return lifecycle(entry, as_of or today(), self.entries, self._names)

    def lookup(self, name: str) -> PriceEntry:
        """By API id, alias, dated id or display name; unknown names raise with the closest ids."""
        if not isinstance(name, str) or not name.strip():
            raise InvalidInput("model must be a non-empty Claude model name", field="model")
        found = self.find(name)
        if found is not None:
            return found
        key = normalize(name)
        # A bare family name ('sonnet') is ambiguous: suggest that family's current model first.
        family = [e.id for e in self.current() if e.family == key]
        close = closest(key, self._normalized, lambda e: e.id, cutoff=0.5)
        suggestions = list(dict.fromkeys([*family, *close]))[:5]
        if suggestions:
            raise UnknownName(f"unknown Claude model {name!r}; did you mean {', '.join(suggestions)}?", field="model",
                              allowed=suggestions)
        current = [e.id for e in self.current()]
        raise UnknownName(f"unknown Claude model {name!r}; current models: {', '.join(current)}", field="model",
                          allowed=current)

    def search(self, query: str | None = None, as_of: date | None = None) -> list[PriceEntry]:
        """Entries matching a name, family or status (the status on `as_of`, default today)."""
        if not query:
            return list(self.entries)
        exact = self.find(query)
        q = query.strip().lower()
        hits = [e for e in self.entries
                if q in e.id or q in e.name.lower() or q == e.family or any(q in a for a in e.aliases)
                or (q in STATUSES and self.lifecycle(e, as_of).status == q)]
        return [exact, *[e for e in hits if e is not exact]] if exact else hits

    def current(self, as_of: date | None = None) -> list[PriceEntry]:
        return [e for e in self.entries if self.lifecycle(e, as_of).status == "current"]

    def default_model_id(self, as_of: date | None = None) -> str:
        sonnets = [e for e in self.current(as_of) if e.family == "sonnet"]
        if not sonnets:
            raise UnknownName("the price catalog has no current Sonnet model", field="model")
        return max(sonnets, key=lambda e: e.released or "").id


def _merge(base: dict[str, dict], override: Mapping, base_catalog: PriceCatalog) -> str:
    """Fold one user entry into `base` (raw dicts keyed by id) and return the id it landed on: an entry
    naming a known model (by id or alias) replaces the fields it gives, prices key by key; an unknown id
    adds a model."""
    known = base_catalog.find(override["id"])
    if known is None or known.id not in base:
        base[override["id"]] = {**base.get(override["id"], {}), **override}
        return override["id"]
    merged = dict(base[known.id])
    for k, v in override.items():
        if k == "id":
            continue
        if k == "prices_usd_per_mtok":
            merged[k] = {**merged.get(k, {}), **v}
            # A negotiated price replaces the list price on every date, so the dated list history goes.
            merged.pop("price_history", None)
        else:
            merged[k] = v
    # A user's numbers are not Anthropic's published ones unless the file says so.
    merged["verified"] = override.get("verified", False)
    merged["unverified"] = override.get("unverified", [])
    merged["notes"] = override.get("notes") or f"overrides the built-in entry ({base[known.id]['source']})"
    base[known.id] = merged
    return known.id


def build_catalog(builtin_raw: dict, overrides: Sequence[tuple[dict, str]] = ()) -> PriceCatalog:
    """The built-in catalog with each (parsed price file, origin) merged over it, in order."""
    server = builtin_raw.get("server_tools")
    base_catalog = PriceCatalog(tuple(_entry(m, "built-in") for m in builtin_raw["models"]), (), server,
                                builtin_raw.get("as_of"))
    if not overrides:
        return base_catalog
    raws = {m["id"]: dict(m) for m in builtin_raw["models"]}
    origins = {m["id"]: "built-in" for m in builtin_raw["models"]}
    for raw, origin in overrides:
        server = raw.get("server_tools", server)
        for m in raw["models"]:
            origins[_merge(raws, m, base_catalog)] = origin
    entries = []
    for mid, m in raws.items():
        e = _entry(m, origins[mid])
        if e.origin != "built-in" and (e.rates.input is None or e.rates.output is None):
            raise PriceFileError(f"price file {e.origin}: new model {mid!r} needs prices_usd_per_mtok.input and "
                                 ".output", field=f"models/{mid}/prices_usd_per_mtok")
        entries.append(e)
    return PriceCatalog(tuple(entries), tuple(o for _, o in overrides), server, builtin_raw.get("as_of"))


@cache
def builtin_raw() -> dict:
    return read_json("claude_prices.json", parse_float=Decimal)


# The plugin edge (CLI --prices, MODELMATH_PRICES) installs a loader returning [(parsed file, origin)];
# tools stay free of file I/O and the file is read only when a price is first needed.
_override_loader: Callable[[], list[tuple[dict, str]]] | None = None


def set_override_loader(loader: Callable[[], list[tuple[dict, str]]] | None) -> None:
    global _override_loader
    _override_loader = loader
    active_catalog.cache_clear()


@cache
def active_catalog() -> PriceCatalog:
    overrides = _override_loader() if _override_loader else []
    return build_catalog(builtin_raw(), overrides)


def lookup_price(name: str) -> PriceEntry:
    """The price entry for a Claude model name, alias or dated id (raises UnknownName with suggestions)."""
    return active_catalog().lookup(name)


def default_model_id(as_of: date | None = None) -> str:
    """API id of the Sonnet that is current on `as_of` (default today): the assistant's default model."""
    return active_catalog().default_model_id(as_of)


def usage_cost_usd(model_id: str, usage: dict, as_of: date | None = None) -> Decimal:
    """Exact USD cost of one Messages API response's `usage` block, at the prices of `as_of` (default today).

    Unlike `api_cost` inputs, the API's `input_tokens` EXCLUDES cache reads and writes, which arrive as
    `cache_read_input_tokens` / `cache_creation_input_tokens`. Cache writes are split by
    `cache_creation.ephemeral_5m/1h_input_tokens` when present, else billed as 5-minute writes (the API's
    default TTL). `service_tier == "batch"` applies the Batch API discount; `speed == "fast"` fast-mode
    prices; `inference_geo == "us"` the US-only multiplier; `server_tool_use.web_search_requests` the
    per-search fee. Code execution is billed by container time, which `usage` does not report: not included.
    Long-context tiers use the whole prompt (input + cache reads + cache writes)."""
    from .cost import PricingOptions, price_request, tokens_from_usage
    from .servertools import web_search_usd

    tokens, opts = tokens_from_usage(usage)
    entry = lookup_price(model_id)
    when = as_of or today()
    total = price_request(entry, tokens, PricingOptions(as_of=when, **opts)).total
    searches = (usage.get("server_tool_use") or {}).get("web_search_requests") or 0
    if searches:
        total += web_search_usd(active_catalog(), searches)
    return total
