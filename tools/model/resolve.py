"""Turn a tool's model inputs (`model` | `hf_config` | `architecture`) into a ResolvedModel, and the
JSON Schema pieces every model-taking tool shares."""

from __future__ import annotations

from ..errors import InvalidInput
from .catalog import CatalogEntry, lookup
from .hf_config import read_hf_config
from .shape import MLA, ModelShape, MoE, ResolvedModel

_INT = {"type": "integer", "minimum": 1}
_INT0 = {"type": "integer", "minimum": 0}
_BOOL = {"type": "boolean"}

# Explicit fields. Names follow the CLI flags (--layers, --heads …); the full list is sent to Claude once
# (in parameter_count); other tools point at it to keep the tool definitions short.
ARCHITECTURE_SCHEMA: dict = {
    "type": "object",
    "description": "Explicit shape. Required: vocab_size, hidden_size, layers, heads, intermediate_size.",
    "properties": {
        "vocab_size": _INT, "hidden_size": _INT, "layers": _INT, "heads": _INT, "kv_heads": _INT,
        "head_dim": _INT, "intermediate_size": _INT,
        "ffn": {"enum": ["gated", "standard"]},
        "tied_embeddings": _BOOL, "qkv_bias": _BOOL, "o_bias": _BOOL, "mlp_bias": _BOOL,
        "norm": {"enum": ["rmsnorm", "layernorm"]}, "norms_per_layer": _INT0,
        "qk_norm": {"enum": ["none", "per_head", "full"]},
        "positions": {"enum": ["rotary", "learned", "alibi", "none"]},
        "max_position_embeddings": _INT,
        "sliding_window": _INT,
        "layer_types": {"type": "array", "items": {"enum": ["full", "sliding"]}},
        "attention_sinks": _BOOL,
        "num_experts": _INT, "experts_per_token": _INT, "expert_intermediate_size": _INT,
        "shared_intermediate_size": _INT0, "dense_layers": _INT0,
        "kv_lora_rank": _INT, "q_lora_rank": _INT, "qk_nope_head_dim": _INT, "qk_rope_head_dim": _INT,
        "v_head_dim": _INT,
    },
    "required": ["vocab_size", "hidden_size", "layers", "heads", "intermediate_size"],
    "additionalProperties": False,
}

MODEL_PROPERTIES: dict = {
    "model": {"type": "string", "description": "Catalog name or HF repo id, e.g. 'llama-3.1-70b'."},
    "hf_config": {"type": "object", "description": "Contents of a Hugging Face config.json."},
    "architecture": ARCHITECTURE_SCHEMA,
}

# What Claude sees: the architecture fields as one line of prose (the full per-field schema costs ~500
# tokens per tool); every call is still validated against ARCHITECTURE_SCHEMA.
ARCHITECTURE_DOC = (
    "Explicit shape. Required: vocab_size, hidden_size, layers, heads, intermediate_size. Optional: kv_heads, "
    "head_dim, ffn (gated|standard), tied_embeddings, qkv_bias, o_bias, mlp_bias, norm (rmsnorm|layernorm), "
    "norms_per_layer, qk_norm (none|per_head|full), positions (rotary|learned|alibi|none), "
    "max_position_embeddings, sliding_window, layer_types (list of full|sliding), attention_sinks; MoE: "
    "num_experts, experts_per_token, expert_intermediate_size, shared_intermediate_size, dense_layers (first N "
    "dense); MLA: kv_lora_rank, q_lora_rank, qk_nope_head_dim, qk_rope_head_dim, v_head_dim.")


def model_properties(full: bool, documented: bool = False) -> dict:
    """Schema properties for the three model inputs. `full=True`: for validation (and the CLI). Otherwise
    the form sent to Claude: `documented=True` spells the fields out once (parameter_count); every other
    tool points there."""
    if full:
        return dict(MODEL_PROPERTIES)
    if documented:
        return {"model": MODEL_PROPERTIES["model"], "hf_config": MODEL_PROPERTIES["hf_config"],
                "architecture": {"type": "object", "description": ARCHITECTURE_DOC}}
    return {"model": {"type": "string"}, "hf_config": {"type": "object"},
            "architecture": {"type": "object", "description": "As in parameter_count."}}


_MLA_KEYS = ("kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim")
_MOE_KEYS = ("num_experts", "experts_per_token", "expert_intermediate_size")


def shape_from_architecture(a: dict, name: str = "custom") -> ModelShape:
    moe = mla = None
    given_moe = [k for k in _MOE_KEYS if k in a]
    if given_moe:
        missing = [k for k in _MOE_KEYS if k not in a]
        if missing:
            raise InvalidInput(f"MoE needs {', '.join(_MOE_KEYS)}; missing {', '.join(missing)}",
                               field=f"architecture.{missing[0]}")
        dense = a.get("dense_layers", 0)
        if dense >= a["layers"]:
            raise InvalidInput(f"dense_layers ({dense}) must be < layers ({a['layers']})",
                               field="architecture.dense_layers")
        shared = a.get("shared_intermediate_size", 0)
        moe = MoE(num_experts=a["num_experts"], experts_per_token=a["experts_per_token"],
                  expert_intermediate_size=a["expert_intermediate_size"], num_shared_experts=1 if shared else 0,
                  shared_intermediate_size=shared, dense_layers=tuple(range(dense)))
    if any(k in a for k in _MLA_KEYS):
        missing = [k for k in _MLA_KEYS if k not in a]
        if missing:
            raise InvalidInput(f"MLA needs {', '.join(_MLA_KEYS)}; missing {', '.join(missing)}",
                               field=f"architecture.{missing[0]}")
        mla = MLA(**{k: a[k] for k in _MLA_KEYS}, q_lora_rank=a.get("q_lora_rank"))
    kw = {k: a[k] for k in ("vocab_size", "hidden_size", "head_dim", "intermediate_size", "ffn", "qkv_bias",
                            "o_bias", "mlp_bias", "norm", "norms_per_layer", "qk_norm", "positions",
                            "max_position_embeddings", "sliding_window", "layer_types", "attention_sinks",
                            "tied_embeddings") if k in a}
    if mla is not None and "head_dim" not in kw:
        kw["head_dim"] = a["qk_nope_head_dim"] + a["qk_rope_head_dim"]
    kv_heads = a["heads"] if mla is not None else a.get("kv_heads")
    return ModelShape(num_layers=a["layers"], num_heads=a["heads"], num_kv_heads=kv_heads, moe=moe, mla=mla,
                      name=name, **kw)


def read_entry(entry: CatalogEntry) -> tuple[ModelShape, tuple[str, ...]]:
    """A catalog entry's shape and the reader's notes (e.g. a multimodal wrapper read as text only)."""
    if entry.config is not None:
        return read_hf_config(entry.config, name=entry.name)
    return shape_from_architecture(entry.architecture, name=entry.name), ()


def shape_from_entry(entry: CatalogEntry) -> ModelShape:
    return read_entry(entry)[0]


def resolve_model(inp: dict) -> ResolvedModel:
    given = [k for k in ("model", "hf_config", "architecture") if inp.get(k) is not None]
    if len(given) != 1:
        raise InvalidInput(
            "give exactly one of model (a catalog name), hf_config (config.json contents) or architecture "
            f"(explicit fields); got {', '.join(given) if given else 'none'}",
            field="model", allowed=["model", "hf_config", "architecture"])
    kind = given[0]
    if kind == "model":
        entry = lookup(inp["model"])  # its provenance notes are in model_lookup, not repeated everywhere
        shape, notes = read_entry(entry)
        return ResolvedModel(shape, source=entry.source, label=entry.name, entry_id=entry.id, as_of=entry.as_of,
                             notes=notes)
    if kind == "hf_config":
        shape, notes = read_hf_config(inp["hf_config"])
        return ResolvedModel(shape, source="hf_config given by the user", label=shape.name, notes=notes)
    shape = shape_from_architecture(inp["architecture"])
    return ResolvedModel(shape, source="architecture fields given by the user", label="custom architecture")


def describe(model: ResolvedModel) -> dict:
    """The `model` block of every result: what was computed and where its shape came from."""
    out = {"name": model.label, "shape_source": model.source}
    if model.entry_id:
        out["catalog_id"] = model.entry_id
        out["as_of"] = model.as_of
    if model.notes:
        out["notes"] = list(model.notes)
    return out
