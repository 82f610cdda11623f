"""What a request to each Claude model may carry: the `output_config.effort` levels it accepts and its
default, whether it thinks by default (thinking tokens count toward `max_tokens`), and which tokenizer
generation it uses. Read from tools/data/claude_capabilities.json, keyed by the price catalog's ids, so
any name the price catalog understands (alias, dated id, display name) finds its entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from ..datafiles import read_json

EFFORT_LEVELS = ("low", "medium", "high", "xhigh", "max")
THINKING_DEFAULTS = ("always_on", "on", "off", "none")
TOKENIZERS = ("previous", "newer")

CAPABILITIES_SCHEMA: dict = {
    "type": "object",
    "properties": {
        "schema_version": {"const": 1},
        "as_of": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
        "notes": {"type": "string"},
        "models": {"type": "array", "items": {
            "type": "object",
            "properties": {
                "id": {"type": "string", "minLength": 1},
                "effort_levels": {"type": "array", "items": {"enum": list(EFFORT_LEVELS)}, "uniqueItems": True},
                "effort_default": {"enum": [*EFFORT_LEVELS, None]},
                "thinking_default": {"enum": list(THINKING_DEFAULTS)},
                "tokenizer": {"enum": list(TOKENIZERS)},
                "source": {"type": "string", "minLength": 1},
                "as_of": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
            },
            "required": ["id", "effort_levels", "effort_default", "thinking_default", "tokenizer", "source", "as_of"],
            "additionalProperties": False,
        }},
    },
    "required": ["schema_version", "models"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class Capabilities:
    id: str
    effort_levels: tuple[str, ...]  # empty: the model rejects output_config.effort, so it is never sent
    effort_default: str | None
    thinking_default: str  # always_on | on | off | none
    tokenizer: str  # previous | newer (Claude 4.7 and later)
    source: str
    as_of: str

    @property
    def supports_effort(self) -> bool:
        return bool(self.effort_levels)

    @property
    def thinks_by_default(self) -> bool:
        return self.thinking_default in ("always_on", "on")


@cache
def _by_id() -> dict[str, Capabilities]:
    raw = read_json("claude_capabilities.json")
    return {m["id"]: Capabilities(m["id"], tuple(m["effort_levels"]), m["effort_default"], m["thinking_default"],
                                  m["tokenizer"], m["source"], m["as_of"]) for m in raw["models"]}


def all_capabilities() -> tuple[Capabilities, ...]:
    return tuple(_by_id().values())


def capabilities(model: str) -> Capabilities | None:
    """The entry for a Claude model name as the price catalog resolves it; None for a model the catalogs do
    not know (a newer model, or one added by a user price file): callers then send nothing optional."""
    from .prices import active_catalog

    entry = active_catalog().find(model)
    return _by_id().get(entry.id if entry else model)
