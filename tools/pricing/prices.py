"""The Claude API price catalog: load it, look models up (forgiving of aliases, dated ids and platform
prefixes), merge a user's price file over it (validated by a JSON Schema), and price a Messages API
`usage` block exactly.

Prices are `Decimal` dollars per million tokens, read from JSON with `parse_float=Decimal`, so no binary
float ever touches money. Everything here is pure except reading the packaged data file; a user's price
file is read by the plugin edge and handed in through `set_override_loader`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, cached_property

from .. import jsonsafe
from ..datafiles import read_json
from ..errors import InvalidInput, ModelMathError, UnknownName
from ..names import closest

RATE_KEYS = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")
STATUSES = ("current", "legacy", "deprecated", "retired")
FAMILIES = ("haiku", "sonnet", "opus", "fable", "mythos", "instant")
_DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_PRICE = {"type": ["number", "null"], "minimum": 0}
_RATES_SCHEMA = {"type": "object", "properties": {k: _PRICE for k in RATE_KEYS}, "additionalProperties": False}

# One schema for the packaged catalog and for user price files. A user entry may be partial (it overrides
# fields of the built-in entry with the same id or alias); new entries are checked for prices after merging.
PRICE_FILE_SCHEMA: dict = {
    "type": "object",
    "properties": {
        "schema_version": {"const": 1},
        "as_of": _DATE,
        "notes": {"type": "string"},
        "models": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "string", "minLength": 1},
                    "name": {"type": "string"},
                    "family": {"type": "string"},
                    "aliases": {"type": "array", "items": {"type": "string", "minLength": 1}},
                    "status": {"enum": list(STATUSES)},
                    "released": _DATE, "deprecated_on": _DATE, "retires_on": _DATE, "retired_on": _DATE,
                    "context_window_tokens": {"type": "integer", "minimum": 1},
                    "context_window_tokens_beta": {"type": "integer", "minimum": 1},
                    "max_output_tokens": {"type": "integer", "minimum": 1},
                    "prices_usd_per_mtok": _RATES_SCHEMA,
                    "batch_discount": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
                    "long_context": {
                        "type": ["object", "null"],
                        "properties": {"above_prompt_tokens": {"type": "integer", "minimum": 1},
                                       "prices_usd_per_mtok": _RATES_SCHEMA},
                        "required": ["above_prompt_tokens", "prices_usd_per_mtok"],
                        "additionalProperties": False,
                    },
                    "source": {"type": "string", "minLength": 1},
                    "as_of": _DATE,
                    "verified": {"type": "boolean"},
                    "unverified": {"type": "array", "items": {"type": "string"}},
                    "notes": {"type": "string"},
                },
                "required": ["id", "source", "as_of"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["schema_version", "models"],
    "additionalProperties": False,
}


class PriceFileError(ModelMathError):
    """A price file that cannot be read or fails its schema."""

    kind = "invalid_price_file"


@dataclass(frozen=True)
class Rates:
    """Dollars per million tokens; None where no price is on file."""

    input: Decimal | None
    output: Decimal | None
    cache_write_5m: Decimal | None = None
    cache_write_1h: Decimal | None = None
    cache_read: Decimal | None = None

    def as_json(self) -> dict:
        return {f"{k}_usd_per_mtok": (None if v is None else float(v)) for k, v in self._items()}

    def _items(self):
        return ((k, getattr(self, k)) for k in RATE_KEYS)


@dataclass(frozen=True)
class LongContext:
    """Above `above_prompt_tokens` of prompt, the WHOLE request is billed at `rates` (Anthropic's rule)."""

    above_prompt_tokens: int
    rates: Rates


@dataclass(frozen=True)
class PriceEntry:
    id: str
    name: str
    family: str
    aliases: tuple[str, ...]
    status: str
    rates: Rates
    batch_discount: Decimal | None
    long_context: LongContext | None
    source: str
    as_of: str
    verified: bool
    unverified: tuple[str, ...] = ()
    notes: str = ""
    released: str | None = None
    deprecated_on: str | None = None
    retires_on: str | None = None
    retired_on: str | None = None
    context_window_tokens: int | None = None
    context_window_tokens_beta: int | None = None
    max_output_tokens: int | None = None
    origin: str = "built-in"

    def rates_for_prompt(self, prompt_tokens: int) -> tuple[Rates, LongContext | None]:
        lc = self.long_context
        if lc is not None and prompt_tokens > lc.above_prompt_tokens:
            return lc.rates, lc
        return self.rates, None

    def lifecycle_warning(self) -> str | None:
        if self.status == "retired":
            since = f" since {self.retired_on}" if self.retired_on else ""
            return (f"{self.name} ({self.id}) is retired on the Claude API{since}: requests to it fail. "
                    "Priced at its last list price, for reference.")
        if self.status == "deprecated":
            when = f" on {self.retires_on}" if self.retires_on else ""
            return f"{self.name} ({self.id}) is deprecated and retires{when}; plan a migration."
        return None

    def provenance(self) -> dict:
        out: dict = {"id": self.id, "name": self.name, "status": self.status}
        for k in ("released", "deprecated_on", "retires_on", "retired_on"):
            if getattr(self, k):
                out[k] = getattr(self, k)
        out |= {"source": self.source, "as_of": self.as_of, "verified": self.verified}
        if self.unverified:
            out["unverified"] = list(self.unverified)
        if self.origin != "built-in":
            out["price_file"] = self.origin
        if self.notes:
            out["notes"] = self.notes
        return out

    def describe(self) -> dict:
        """Everything a `prices --json` listing shows."""
        out = self.provenance() | {"aliases": list(self.aliases), "family": self.family,
                                   "context_window_tokens": self.context_window_tokens,
                                   "max_output_tokens": self.max_output_tokens,
                                   "prices": self.rates.as_json(),
                                   "batch_discount": None if self.batch_discount is None
                                   else float(self.batch_discount)}
        if self.context_window_tokens_beta:
            out["context_window_tokens_beta"] = self.context_window_tokens_beta
        if self.long_context:
            out["long_context"] = {"above_prompt_tokens": self.long_context.above_prompt_tokens,
                                   "prices": self.long_context.rates.as_json()}
        return out


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


def _rates(raw: Mapping | None) -> Rates:
    raw = raw or {}
    return Rates(**{k: _dec(raw.get(k)) for k in RATE_KEYS})


def _entry(raw: Mapping, origin: str) -> PriceEntry:
    lc = raw.get("long_context")
    return PriceEntry(
        id=raw["id"], name=raw.get("name") or raw["id"], family=raw.get("family", ""),
        aliases=tuple(raw.get("aliases", ())), status=raw.get("status", "current"),
        rates=_rates(raw.get("prices_usd_per_mtok")), batch_discount=_dec(raw.get("batch_discount")),
        long_context=LongContext(lc["above_prompt_tokens"], _rates(lc["prices_usd_per_mtok"])) if lc else None,
        source=raw["source"], as_of=raw["as_of"], verified=bool(raw.get("verified", False)),
        unverified=tuple(raw.get("unverified", ())), notes=raw.get("notes", ""),
        released=raw.get("released"), deprecated_on=raw.get("deprecated_on"), retires_on=raw.get("retires_on"),
        retired_on=raw.get("retired_on"), context_window_tokens=raw.get("context_window_tokens"),
        context_window_tokens_beta=raw.get("context_window_tokens_beta"),
        max_output_tokens=raw.get("max_output_tokens"), origin=origin,
    )


def validate_price_file(raw: object, origin: str) -> None:
    """Check a parsed price file against PRICE_FILE_SCHEMA; raise PriceFileError naming the bad field."""
    import jsonschema  # lazy: only paid when a user file is given
    from jsonschema.exceptions import best_match

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

    def find(self, name: str) -> PriceEntry | None:
        return self._exact.get(name.strip().lower()) or self._normalized.get(normalize(name))

    def lookup(self, name: str) -> PriceEntry:
        """By API id, alias, dated id or display name; unknown names raise with the closest ids."""
        if not isinstance(name, str) or not name.strip():
            raise InvalidInput("model must be a non-empty Claude model name", field="model")
        found = self.find(name)
        if found is not None:
            return found
        key = normalize(name)
        # A bare family name ('sonnet') is ambiguous: suggest that family's current model first.
        family = [e.id for e in self.entries if e.family == key and e.status == "current"]
        close = closest(key, self._normalized, lambda e: e.id, cutoff=0.5)
        suggestions = list(dict.fromkeys([*family, *close]))[:5]
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else "; `modelmath prices` lists them"
        raise UnknownName(f"unknown Claude model {name!r}{hint}", field="model", allowed=suggestions or None)

    def search(self, query: str | None = None) -> list[PriceEntry]:
        if not query:
            return list(self.entries)
        exact = self.find(query)
        q = query.strip().lower()
        hits = [e for e in self.entries
                if q in e.id or q in e.name.lower() or q == e.family or q == e.status
                or any(q in a for a in e.aliases)]
        return [exact, *[e for e in hits if e is not exact]] if exact else hits

    def current(self) -> list[PriceEntry]:
        return [e for e in self.entries if e.status == "current"]

    def default_model_id(self) -> str:
        sonnets = [e for e in self.current() if e.family == "sonnet"]
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
    base_catalog = PriceCatalog(tuple(_entry(m, "built-in") for m in builtin_raw["models"]))
    if not overrides:
        return base_catalog
    raws = {m["id"]: dict(m) for m in builtin_raw["models"]}
    origins = {m["id"]: "built-in" for m in builtin_raw["models"]}
    for raw, origin in overrides:
        for m in raw["models"]:
            origins[_merge(raws, m, base_catalog)] = origin
    entries = []
    for mid, m in raws.items():
        e = _entry(m, origins[mid])
        if e.origin != "built-in" and (e.rates.input is None or e.rates.output is None):
            raise PriceFileError(f"price file {e.origin}: new model {mid!r} needs prices_usd_per_mtok.input and "
                                 ".output", field=f"models/{mid}/prices_usd_per_mtok")
        entries.append(e)
    return PriceCatalog(tuple(entries), tuple(o for _, o in overrides))


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


def default_model_id() -> str:
    """API id of the current Sonnet (the assistant's default model)."""
    return active_catalog().default_model_id()


def usage_cost_usd(model_id: str, usage: dict) -> Decimal:
    """Exact USD cost of one Messages API response's `usage` block.

    Unlike `api_cost` inputs, the API's `input_tokens` EXCLUDES cache reads and writes, which arrive as
    `cache_read_input_tokens` / `cache_creation_input_tokens`. Cache writes are split by
    `cache_creation.ephemeral_5m/1h_input_tokens` when present, else billed as 5-minute writes (the API's
    default TTL). `service_tier == "batch"` applies the Batch API discount. Long-context tiers use the
    whole prompt (input + cache reads + cache writes)."""
    from .cost import price_request, tokens_from_usage

    tokens, batch = tokens_from_usage(usage)
    return price_request(lookup_price(model_id), tokens, batch=batch).total
