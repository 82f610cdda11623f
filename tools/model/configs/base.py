"""What every family reader shares: config lookup over the family's transformers defaults, layer-type
lists, and the fields most decoder configs name the same way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ...errors import InvalidInput, UnsupportedConfig
from ..window import window_from_config

_KIND_TYPES = {"bool": bool, "int": int, "number": (int, float), "str": str, "list": list, "object": dict}
_KIND_NAMES = {"bool": "true or false (a JSON boolean)", "int": "an integer", "number": "a number",
               "str": "a string", "list": "a list", "object": "an object"}


def _shown(v) -> str:
    """The offending value with its JSON type: '"false" (a string)'."""
    kind = {bool: "a boolean", str: "a string", list: "a list", dict: "an object", float: "a number",
            int: "an integer"}.get(type(v), type(v).__name__)
    text = repr(v) if not isinstance(v, str) else '"' + v[:40] + '"'
    return f"{text[:60]} ({kind})"


class Cfg:
    """Config lookup with the family defaults underneath; `None` in the file counts as absent only
    where transformers treats it so (we keep explicit nulls, e.g. sliding_window: null).

    Every scalar a reader uses goes through `typed` (or its short forms flag / int / opt_int / number):
    a value of the wrong JSON type is refused, naming the field, instead of being coerced. A string
    "false" in tie_word_embeddings would otherwise be truthy and silently drop the LM head; transformers
    5 refuses such a config too (its strict config dataclasses raise "Field 'tie_word_embeddings'
    expected bool, got str")."""

    def __init__(self, raw: dict, model_type: str, defaults: dict):
        self.raw = raw
        self.defaults = defaults
        self.model_type = model_type
        self.defaulted: dict[str, object] = {}  # family defaults actually used, for the result's assumptions

    def get(self, key: str, default=None):
        """The raw value: only for compound fields (lists, objects, mixed spellings) the caller checks."""
        if key in self.raw:
            return self.raw[key]
        if key in self.defaults:
            self.defaulted[key] = self.defaults[key]
        return self.defaults.get(key, default)

    def typed(self, key: str, kind: str, default=None, *, required: bool = False):
        """The value of `key` if it is a JSON `kind` (bool, int, number, str, list, object); null or absent
        gives `default` (the family default first), or an error when `required`."""
        v = self.get(key, default)
        if v is None:
            v = default
        if v is None:
            if required:
                raise InvalidInput(f"config field {key} is missing; it must be {_KIND_NAMES[kind]}",
                                   field=f"hf_config.{key}")
            return None
        if isinstance(v, bool) != (kind == "bool") or not isinstance(v, _KIND_TYPES[kind]):
            raise InvalidInput(f"config field {key} must be {_KIND_NAMES[kind]}, got {_shown(v)}",
                               field=f"hf_config.{key}")
        return v

    def flag(self, key: str, default: bool = False) -> bool:
        return self.typed(key, "bool", default)

    def int(self, key: str, default=None, *, required: bool = True):
        return self.typed(key, "int", default, required=required)

    def opt_int(self, key: str, default=None) -> int | None:
        return self.typed(key, "int", default)

    def first_int(self, *keys: str) -> int:
        """The first of several spellings of one integer field the file has (n_embed for hidden_size …)."""
        key = next((k for k in keys if k in self.raw), keys[0])
        return self.int(key)

    def number(self, key: str, default=None, *, required: bool = True):
        return self.typed(key, "number", default, required=required)

    def int_list(self, key: str, n: int | None = None) -> list[int] | None:
        v = self.get(key)
        if v is None:
            return None
        if not isinstance(v, list) or any(isinstance(x, bool) or not isinstance(x, int) for x in v) or (
                n is not None and len(v) != n):
            size = f"{n} " if n is not None else ""
            raise InvalidInput(f"config field {key} must be a list of {size}integers", field=f"hf_config.{key}")
        return v

    def uniform(self, key: str, n: int) -> int | None:
        """A per-layer list that transformers allows but every released checkpoint keeps constant (Hunyuan
        moe_topk, Gemma 3n intermediate_size): read its one value, refuse a varying list."""
        v = self.get(key)
        if not isinstance(v, list):
            return self.int(key, required=False)
        vals = self.int_list(key, n)
        if len(set(vals)) != 1:
            raise UnsupportedConfig(f"config field {key} varies by layer ({sorted(set(vals))}); only a constant "
                                    "value is supported", field=f"hf_config.{key}")
        return vals[0]


# transformers layer_types names → our layer kinds ("mamba"/"attention" are older spellings it remaps).
LAYER_TYPE_NAMES = {
    "full_attention": "full", "sliding_attention": "sliding", "chunked_attention": "chunked",
    "linear_attention": "linear", "mamba": "linear", "conv": "linear", "attention": "full",
    "indexed_attention": "full", "hybrid": "hybrid",
}


def layer_types(cfg: Cfg, n_layers: int, key: str = "layer_types",
                allowed: tuple[str, ...] = ("full_attention", "sliding_attention")) -> tuple[str, ...] | None:
    """The config's explicit per-layer list, in our kinds; None when the config has none."""
    lt = cfg.raw.get(key)
    if lt is None:
        return None
    if not isinstance(lt, list) or len(lt) != n_layers:
        raise InvalidInput(f"config {key} must be a list of {n_layers} entries", field=f"hf_config.{key}")
    out = []
    for t in lt:
        if t not in allowed:
            raise InvalidInput(f"config {key} entry {t!r} is not supported for {cfg.model_type} "
                               f"({', '.join(allowed)})", field=f"hf_config.{key}")
        out.append(LAYER_TYPE_NAMES[t])
    return tuple(out)


def every_nth_full(n: int, pattern: int) -> tuple[str, ...]:
    """Gemma-2 / gpt-oss (2), Gemma-3 (6), Cohere2 / OLMo-3 / EXAONE-4 (4): layer i is full when
    (i + 1) % pattern == 0, else sliding."""
    return tuple("full" if pattern and (i + 1) % pattern == 0 else "sliding" for i in range(n))


def common(cfg: Cfg, **over) -> dict:
    """Fields of a Llama-style decoder (num_attention_heads, attention_bias on all four projections …);
    a field given in `over` is taken as is and not read from the config."""
    def bias() -> bool:
        return cfg.flag("attention_bias", False)

    def heads() -> int:
        return cfg.int("num_attention_heads")

    fields = dict(
        vocab_size=lambda: cfg.int("vocab_size"),
        hidden_size=lambda: cfg.int("hidden_size"),
        num_layers=lambda: cfg.int("num_hidden_layers"),
        num_heads=heads,
        num_kv_heads=lambda: heads() if cfg.opt_int("num_key_value_heads") is None
        else cfg.opt_int("num_key_value_heads"),
        head_dim=lambda: cfg.opt_int("head_dim"),
        intermediate_size=lambda: cfg.int("intermediate_size"),
        tied_embeddings=lambda: cfg.flag("tie_word_embeddings", False),
        max_position_embeddings=lambda: cfg.opt_int("max_position_embeddings"),
        qkv_bias=bias,
        o_bias=bias,
        mlp_bias=lambda: cfg.flag("mlp_bias", False),
        model_type=lambda: cfg.model_type,
    )
    d = {k: read() for k, read in fields.items() if k not in over}
    d.update(over)
    if "context_window" not in over:
        rope = cfg.get("rope_scaling")
        rope = cfg.get("rope_parameters") if rope is None else rope  # transformers 5 spelling
        d["context_window"], d["context_window_basis"], _ = window_from_config(
            d.get("max_position_embeddings"), rope, cfg.opt_int("original_max_position_embeddings"))
    return d


@dataclass(frozen=True)
class Family:
    """One model_type: how to read it, the transformers defaults underneath, and the class names
    (`architectures[0]`) that identify it when model_type is missing or unknown."""

    read: Callable[[Cfg], dict]
    defaults: dict
    classes: tuple[str, ...] = ()
