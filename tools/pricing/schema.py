"""The JSON Schema of the price catalog, shared by the packaged tools/data/claude_prices.json and by user
price files (`--prices FILE`, $MODELMATH_PRICES). A user entry may be partial: it overrides the fields it
gives of the built-in entry with the same id or alias.

Dated facts carry `from` / `until` (inclusive, YYYY-MM-DD; null = open-ended) so that a quote for an
earlier date uses what applied then: earlier list prices (`price_history`), long-context tiers and
fast-mode prices that existed only in a window.
"""

from __future__ import annotations

RATE_KEYS = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")
FAMILIES = ("haiku", "sonnet", "opus", "fable", "mythos", "instant")

DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_DATE_OR_NULL = {"anyOf": [DATE, {"type": "null"}]}
_PRICE = {"type": ["number", "null"], "minimum": 0}
RATES = {"type": "object", "properties": {k: _PRICE for k in RATE_KEYS}, "additionalProperties": False}
_WINDOW = {"from": _DATE_OR_NULL, "until": _DATE_OR_NULL, "source": {"type": "string"}, "notes": {"type": "string"}}

_TIER = {
    "type": "object",
    "properties": {"above_prompt_tokens": {"type": "integer", "minimum": 1}, "prices_usd_per_mtok": RATES,
                   "context_window_tokens": {"type": "integer", "minimum": 1},
                   "condition": {"type": "string"}, **_WINDOW},
    "required": ["above_prompt_tokens", "prices_usd_per_mtok"],
    "additionalProperties": False,
}
_FAST_PERIOD = {
    "type": "object",
    "properties": {
        # null prices: fast mode exists in this window but Anthropic publishes no price for it.
        "prices_usd_per_mtok": {"anyOf": [RATES, {"type": "null"}]},
        "long_context": {"type": "object",
                         "properties": {"above_prompt_tokens": {"type": "integer", "minimum": 1},
                                        "prices_usd_per_mtok": RATES},
                         "required": ["above_prompt_tokens", "prices_usd_per_mtok"], "additionalProperties": False},
        **_WINDOW},
    "required": ["prices_usd_per_mtok"],
    "additionalProperties": False,
}
_PRICE_CHANGE = {
    "type": "object",
    "properties": {"prices_usd_per_mtok": RATES, **_WINDOW},
    "required": ["prices_usd_per_mtok", "until"],
    "additionalProperties": False,
}
_TOOL_USE = {
    "type": ["object", "null"],
    "properties": {"auto_none": {"type": ["integer", "null"], "minimum": 0},
                   "any_tool": {"type": ["integer", "null"], "minimum": 0},
                   "any_tool_rejected": {"type": "boolean"}},
    "additionalProperties": False,
}

ENTRY = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "minLength": 1},
        "name": {"type": "string"},
        "family": {"type": "string"},
        "aliases": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "released": _DATE_OR_NULL,
        "deprecated_on": _DATE_OR_NULL,
        "retires_on": _DATE_OR_NULL,
        "retires_not_before": _DATE_OR_NULL,
        "replacement": {"type": ["string", "null"]},
        "context_window_tokens": {"type": "integer", "minimum": 1},
        "max_output_tokens": {"type": "integer", "minimum": 1},
        "tokenizer": {"type": "string"},
        "prices_usd_per_mtok": RATES,
        "price_history": {"type": "array", "items": _PRICE_CHANGE},
        "batch_discount": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
        # One tier object (older files) or dated tiers.
        "long_context": {"anyOf": [{"type": "null"}, _TIER, {"type": "array", "items": _TIER}]},
        "fast_mode": {"type": "array", "items": _FAST_PERIOD},
        "fast_mode_after_removal": {"enum": ["error", "standard"]},
        "inference_geo_us_multiplier": {"type": ["number", "null"], "minimum": 1},
        "min_cacheable_tokens": {"type": ["integer", "null"], "minimum": 1},
        "tool_use_system_prompt_tokens": _TOOL_USE,
        "source": {"type": "string", "minLength": 1},
        "as_of": DATE,
        "verified": {"type": "boolean"},
        "unverified": {"type": "array", "items": {"type": "string"}},
        "notes": {"type": "string"},
    },
    "required": ["id", "source", "as_of"],
    "additionalProperties": False,
}

SERVER_TOOLS = {
    "type": "object",
    "properties": {
        "web_search_usd_per_1000": {"type": "number", "minimum": 0},
        "code_execution": {
            "type": "object",
            "properties": {"usd_per_container_hour": {"type": "number", "minimum": 0},
                           "free_hours_per_month": {"type": "number", "minimum": 0},
                           "minimum_minutes": {"type": "number", "minimum": 0},
                           "free_with_web_tools_since": DATE},
            "required": ["usd_per_container_hour", "free_hours_per_month", "minimum_minutes"],
            "additionalProperties": False,
        },
        "source": {"type": "string", "minLength": 1},
        "as_of": DATE,
    },
    "required": ["web_search_usd_per_1000", "code_execution", "source", "as_of"],
    "additionalProperties": False,
}

PRICE_FILE_SCHEMA: dict = {
    "type": "object",
    "properties": {
        "schema_version": {"const": 1},
        "as_of": DATE,
        "notes": {"type": "string"},
        "server_tools": SERVER_TOOLS,
        "models": {"type": "array", "items": ENTRY},
    },
    "required": ["schema_version", "models"],
    "additionalProperties": False,
}

# Fields an older price file may carry that are now computed or renamed: refused with a pointer.
RETIRED_FIELDS = {
    "status": "status is computed from the dates: give released, deprecated_on and retires_on instead",
    "retired_on": "use retires_on (the retirement date, past or future)",
    "context_window_tokens_beta": "give the beta window as long_context[].context_window_tokens",
}
