"""Hugging Face `config.json` → ModelShape, per model_type.

Only data is read: nothing in the config is imported or executed (`auto_map`, `trust_remote_code` are
ignored). A field missing from the file takes the default of that family's `transformers` config class,
so a trimmed config means what transformers would make of it. The family readers live in
tools/model/configs/ (one module per family group, one registry).
"""

from __future__ import annotations

from ..errors import InvalidInput, ModelMathError, UnsupportedConfig
from .configs import BY_CLASS, FAMILIES, Cfg
from .shape import ModelShape

MAX_CONFIG_BYTES = 1_000_000  # real config.json files are < 20 kB; anything near 1 MB is not a config

# Config fields that may hold NaN/Infinity in a published config.json, read as null. transformers' Mamba-2 family
# (Mamba2Config, NemotronHConfig, BambaConfig, FalconH1Config, GraniteMoeHybridConfig) defaults time_step_limit to
# (0.0, float("inf")), and save_pretrained writes it as `[0.0, Infinity]` (nvidia/Nemotron-H-56B-Base-8K's
# config.json holds exactly that). It clamps dt at run time and sizes nothing, so no reader here uses it.
NONFINITE_KEYS = frozenset({"time_step_limit"})

# Multimodal wrappers: their decoder is text_config, whose model_type defaults to this when absent.
WRAPPERS = {"gemma3": "gemma3_text", "gemma3n": "gemma3n_text", "llama4": "llama4_text", "mistral3": "mistral"}

SUPPORTED_MODEL_TYPES = tuple(sorted([*FAMILIES, *WRAPPERS]))


def _resolve_family(config: dict, notes: list[str]) -> dict:
    """Unwrap multimodal configs and map unknown model_types through `architectures`; returns the
    config of the decoder to read, its model_type set."""
    model_type = config.get("model_type")
    arch = config.get("architectures")
    by_class = BY_CLASS.get(arch[0]) if isinstance(arch, list) and arch and isinstance(arch[0], str) else None
    text = config.get("text_config")
    if model_type not in FAMILIES and model_type not in WRAPPERS and by_class and not isinstance(text, dict):
        if model_type is not None:
            notes.append(f"model_type {model_type!r} is not a supported family; read as {by_class} because "
                         f"architectures names {arch[0]}")
        return {**config, "model_type": by_class}
    if model_type in WRAPPERS or (isinstance(text, dict) and model_type not in FAMILIES):
        if text is None and model_type in WRAPPERS:
            notes.append(f"{model_type}: no text_config; the defaults of transformers' {WRAPPERS[model_type]} "
                         "config apply")
            text = {}
        if not isinstance(text, dict):
            raise UnsupportedConfig(f"{model_type} config has no text_config object", field="hf_config.text_config")
        if any(k in config for k in ("vision_config", "audio_config")) or model_type in WRAPPERS:
            notes.append(f"{model_type}: text decoder only (text_config); the vision/audio encoder and its "
                         "projector are not counted")
        inner = text.get("model_type") or WRAPPERS.get(model_type, "gemma3_text")
        # A wrapper's top-level tie_word_embeddings governs the decoder it builds (Mistral-3, Gemma-3).
        out = {**text, "model_type": inner}
        if "tie_word_embeddings" in config and "tie_word_embeddings" not in text:
            out["tie_word_embeddings"] = config["tie_word_embeddings"]
        return out
    return config


def read_hf_config(config: dict, *, name: str | None = None,
                   note_defaults: bool = False) -> tuple[ModelShape, tuple[str, ...]]:
    """Read a parsed config.json → (shape, notes the result must carry). Multimodal wrappers (gemma3,
    mistral3, llama4, …) are read through their text_config; a family we do not know by model_type is
    read by its architectures class when that names one we do. `note_defaults`: say which fields the file
    lacked and took from the family's transformers defaults (for a user's file; catalog configs are copies
    of the official ones)."""
    if not isinstance(config, dict):
        raise UnsupportedConfig("hf_config must be a JSON object (the contents of config.json)", field="hf_config")
    notes: list[str] = []
    inner = _resolve_family(config, notes)
    model_type = inner.get("model_type")
    if model_type not in FAMILIES:
        # The names are listed once, in `allowed` (the CLI prints them after the message).
        what = (f"model_type {model_type!r} is not one of the {len(SUPPORTED_MODEL_TYPES)} supported model_types"
                if model_type is not None else
                f"the config has no model_type (nor an architectures class we read); give one of the "
                f"{len(SUPPORTED_MODEL_TYPES)} supported model_types")
        raise UnsupportedConfig(what, field="hf_config.model_type", allowed=list(SUPPORTED_MODEL_TYPES))
    family = FAMILIES[model_type]
    cfg = Cfg(inner, model_type, family.defaults)
    try:
        fields = family.read(cfg)
        shape = ModelShape(name=name or config.get("_name_or_path") or model_type, **fields)
    except (TypeError, KeyError, ValueError, ZeroDivisionError) as exc:
        if isinstance(exc, ModelMathError):
            raise
        raise InvalidInput(f"config.json for {model_type} has an unusable field: {exc}", field="hf_config") from exc
    if note_defaults and cfg.defaulted:
        from ..jsonsafe import dumps

        used = ", ".join(f"{k} {dumps(v)}" for k, v in cfg.defaulted.items())
        notes.append(f"not in the config, so taken from transformers' {model_type} defaults: {used}")
    return shape, tuple(notes)


def shape_from_hf_config(config: dict, *, name: str | None = None) -> ModelShape:
    """The shape alone (see read_hf_config for the notes that go with it)."""
    return read_hf_config(config, name=name)[0]


def config_size_ok(n_bytes: int) -> None:
    if n_bytes > MAX_CONFIG_BYTES:
        raise UnsupportedConfig(f"config file is {n_bytes} bytes; refusing anything over {MAX_CONFIG_BYTES} "
                                "(a real config.json is a few kB)", field="hf_config")
