"""What every family reader shares: config lookup over the family's transformers defaults, layer-type
lists, and the fields most decoder configs name the same way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ...errors import InvalidInput, UnsupportedConfig


class Cfg:
    """Config lookup with the family defaults underneath; `None` in the file counts as absent only
    where transformers treats it so (we keep explicit nulls, e.g. sliding_window: null)."""

    def __init__(self, raw: dict, model_type: str, defaults: dict):
        self.raw = raw
        self.defaults = defaults
        self.model_type = model_type

    def get(self, key: str, default=None):
        if key in self.raw:
            return self.raw[key]
        return self.defaults.get(key, default)

    def int(self, key: str, default=None, *, required: bool = True):
        v = self.get(key, default)
        if v is None and not required:
            return None
        if isinstance(v, bool) or not isinstance(v, int):
            raise InvalidInput(f"config field {key} must be an integer, got {v!r}", field=f"hf_config.{key}")
        return v

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
        return bool(cfg.get("attention_bias", False))

    def heads() -> int:
        return cfg.int("num_attention_heads")

    fields = dict(
        vocab_size=lambda: cfg.int("vocab_size"),
        hidden_size=lambda: cfg.int("hidden_size"),
        num_layers=lambda: cfg.int("num_hidden_layers"),
        num_heads=heads,
        num_kv_heads=lambda: cfg.get("num_key_value_heads") if cfg.get("num_key_value_heads") is not None
        else heads(),
        head_dim=lambda: cfg.get("head_dim"),
        intermediate_size=lambda: cfg.int("intermediate_size"),
        tied_embeddings=lambda: bool(cfg.get("tie_word_embeddings", False)),
        max_position_embeddings=lambda: cfg.get("max_position_embeddings"),
        qkv_bias=bias,
        o_bias=bias,
        mlp_bias=lambda: bool(cfg.get("mlp_bias", False)),
        model_type=lambda: cfg.model_type,
    )
    d = {k: read() for k, read in fields.items() if k not in over}
    d.update(over)
    return d


@dataclass(frozen=True)
class Family:
    """One model_type: how to read it, the transformers defaults underneath, and the class names
    (`architectures[0]`) that identify it when model_type is missing or unknown."""

    read: Callable[[Cfg], dict]
    defaults: dict
    classes: tuple[str, ...] = ()
