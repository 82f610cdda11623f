"""Turn a tool's model inputs (`model` | `hf_config` | `architecture`) into a ResolvedModel, and the
JSON Schema pieces every model-taking tool shares.

A `model` string is, in this order: a catalog name → an existing local path → a Hub repository (see
reference.py for the forms and for when `org/name` means the catalog entry). Local paths and the Hub are read
by a *reference reader* that the edges register at start-up (plugin/hub.install(), called by the CLI, the MCP
server and the agent). Why injected rather than resolved by each edge before the call: the catalog decision and
the checkpoint arithmetic stay here, once, pure and testable with a fake reader; the only I/O is the reader,
and every edge reaches the tools through this one function, so all three resolve alike. Without a reader
(tools used as a library) a non-catalog name is an unknown name, exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import InvalidInput, ModelUnavailable, UnknownName
from .catalog import CatalogEntry, lookup
from .hf_config import read_hf_config
from .mixers import MIXER_KINDS, LinearMixer
from .reference import (
    ModelRef,
    catalog_entry_for_repo,
    local_path_refused,
    local_paths_allowed,
    parse_reference,
    similar_catalog_entry,
)
from .shape import LAYER_KINDS, MLA, Indexer, ModelShape, MoE, ResolvedModel

if TYPE_CHECKING:  # checkpoint.py is imported when a checkpoint is read, not on every catalog answer
    from .checkpoint import Checkpoint
    from .formats import WeightFormat

# reader(ref, local): `local` False means the caller may not name paths on this machine (reference.py's
# local_paths): the reader must not look at the file system for it, not even to see whether a name exists.
ReferenceReader = Callable[[ModelRef, bool], "Checkpoint | None"]
_reader: ReferenceReader | None = None


def set_reference_reader(reader: ReferenceReader | None) -> None:
    """Install the function that reads local paths and Hub repositories (None removes it). It returns None
    only for a bare name that is no local path (or any bare name, with local off); every other failure is a
    ModelMathError naming the cause."""
    global _reader
    _reader = reader


def reference_reader() -> ReferenceReader | None:
    return _reader

_INT = {"type": "integer", "minimum": 1}
_INT0 = {"type": "integer", "minimum": 0}
_BOOL = {"type": "boolean"}

# Explicit fields. Names follow the CLI flags (--layers, --heads …); the full list is sent to Claude once
# (in parameter_count); other tools point at it to keep the tool definitions short.
def _arch(schema: dict, text: str) -> dict:
    return {**schema, "description": text}


# Explicit fields. Names follow the CLI flags (--layers, --heads …). The per-field descriptions are the CLI's
# --help and the web forms' hints; Claude and MCP clients get ARCHITECTURE_DOC instead (one line of prose in
# parameter_count, a pointer elsewhere), and every call is validated against this schema.
ARCHITECTURE_SCHEMA: dict = {
    "type": "object",
    "description": ("Explicit shape. Required: vocab_size, hidden_size, layers, heads, and intermediate_size "
                    "unless ffn is standard (then 4 x hidden_size)."),
    "properties": {
        "vocab_size": _arch(_INT, "Vocabulary size: rows of the embedding table (and of the LM head)."),
        "hidden_size": _arch(_INT, "Model width d_model."),
        "layers": _arch(_INT, "Decoder layers."),
        "heads": _arch(_INT, "Query heads per layer."),
        "kv_heads": _arch(_INT, "Key/value heads (GQA; 1 = MQA). Default: heads (MHA)."),
        "head_dim": _arch(_INT, "Width of one head. Default: hidden_size / heads."),
        "intermediate_size": _arch(_INT, "MLP hidden width (per projection). Required unless --ffn standard "
                                   "(then 4 x hidden_size)."),
        "ffn": _arch({"enum": ["gated", "standard"]}, "gated: SwiGLU-style gate, up and down projections "
                     "(default); standard: up and down (GPT-2)."),
        "tied_embeddings": _arch(_BOOL, "The LM head shares the embedding table (default: untied, counted "
                                 "separately)."),
        "qkv_bias": _arch(_BOOL, "Biases on the q, k and v projections (Qwen2). Default: none."),
        "o_bias": _arch(_BOOL, "A bias on the attention output projection. Default: none."),
        "mlp_bias": _arch(_BOOL, "Biases on the MLP projections. Default: none."),
        "norm": _arch({"enum": ["rmsnorm", "layernorm"]}, "Norm kind: rmsnorm (a weight; default) or layernorm "
                      "(a weight and a bias)."),
        "norms_per_layer": _arch(_INT0, "Norms in each layer (default 2: before attention and before the MLP)."),
        "qk_norm": _arch({"enum": ["none", "per_head", "full"]}, "Norms on queries and keys: per_head (over "
                         "head_dim, Qwen3), full (over the whole projection, OLMo 2) or none (default)."),
        "positions": _arch({"enum": ["rotary", "learned", "alibi", "none"]}, "Position encoding (default "
                           "rotary); learned adds a max_position_embeddings x hidden_size table."),
        "max_position_embeddings": _arch(_INT, "The context window; the learned position table's size."),
        "sliding_window": _arch(_INT, "Tokens a sliding-window layer keeps; without --layer-types every "
                                "layer slides."),
        "layer_types": _arch({"type": "array", "items": {"enum": list(LAYER_KINDS)}},
                             "One kind per layer, comma-separated: full, sliding, chunked, linear (fixed-state "
                             "mixer), hybrid (attention and mixer side by side), none (MLP only). Default: "
                             "all full."),
        "attention_sinks": _arch(_BOOL, "One learned sink logit per head per layer (gpt-oss)."),
        "attention_chunk_size": _arch(_INT, "Tokens per attention chunk of chunked layers (Llama 4)."),
        "kv_shared_layers": _arch(_INT0, "The last N layers reuse an earlier layer's K/V: no cache, no k/v "
                                  "projections (Gemma 3n)."),
        "linear_kind": _arch({"enum": list(MIXER_KINDS)}, "Mixer of the linear/hybrid layers: mamba, mamba2, "
                             "gated_deltanet (Qwen3-Next), lightning (MiniMax), short_conv (LFM2)."),
        "linear_heads": _arch(_INT, "Mixer heads (gated_deltanet: value heads). Default 1."),
        "linear_head_dim": _arch(_INT, "Width of one mixer head (gated_deltanet: value head dim). Default 1."),
        "linear_state_size": _arch(_INT, "SSM state size N (gated_deltanet: key head dim)."),
        "linear_groups": _arch(_INT, "Mamba-2 B/C groups (gated_deltanet: key heads). Default 1."),
        "linear_conv_kernel": _arch(_INT, "Causal convolution width: the conv window kept per sequence."),
        "linear_inner_size": _arch(_INT, "Mixer inner width. Default: mamba2 heads x head_dim; mamba "
                                   "2 x hidden_size; short_conv hidden_size."),
        "index_heads": _arch(_INT, "Query heads of the DeepSeek-V3.2 attention indexer (with MLA)."),
        "index_head_dim": _arch(_INT, "Width of the indexer key cached per token (DeepSeek-V3.2: 128)."),
        "num_experts": _arch(_INT, "Routed experts per MoE layer."),
        "experts_per_token": _arch(_INT, "Routed experts each token uses (top-k)."),
        "expert_intermediate_size": _arch(_INT, "MLP width of one routed expert."),
        "shared_intermediate_size": _arch(_INT0, "Total MLP width of the always-on shared expert(s); 0: none."),
        "dense_layers": _arch(_INT0, "The first N layers keep a dense MLP instead of experts (DeepSeek)."),
        "kv_lora_rank": _arch(_INT, "MLA: width of the cached K/V latent (DeepSeek-V3: 512)."),
        "q_lora_rank": _arch(_INT, "MLA: width of the query latent (absent: a plain query projection)."),
        "qk_nope_head_dim": _arch(_INT, "MLA: per-head query/key width without rotary (DeepSeek-V3: 128)."),
        "qk_rope_head_dim": _arch(_INT, "MLA: rotary key width, cached once per token (DeepSeek-V3: 64)."),
        "v_head_dim": _arch(_INT, "MLA: per-head value width (DeepSeek-V3: 128)."),
    },
    "required": ["vocab_size", "hidden_size", "layers", "heads"],
    "additionalProperties": False,
}

MODEL_PROPERTIES: dict = {
    "model": {"type": "string", "description": (
        "Catalog name ('llama-3.1-70b'), Hub repo 'org/name[@revision]' or URL, 'org/name:file.gguf', or a "
        "local directory or .gguf path.")},
    "hf_config": {"type": "object", "description": "Contents of a Hugging Face config.json."},
    "architecture": ARCHITECTURE_SCHEMA,
}

# What Claude sees: the architecture fields as one line of prose (the full per-field schema costs ~500
# tokens per tool); every call is still validated against ARCHITECTURE_SCHEMA.
ARCHITECTURE_DOC = (
    "Explicit shape. Required: vocab_size, hidden_size, layers, heads, intermediate_size (ffn standard: default "
    "4 x hidden_size). Optional: kv_heads, head_dim, ffn gated|standard, tied_embeddings, qkv_bias, o_bias, "
    "mlp_bias, norm rmsnorm|layernorm, norms_per_layer, qk_norm none|per_head|full, positions "
    "rotary|learned|alibi|none, max_position_embeddings, sliding_window, attention_sinks, layer_types (per layer: "
    "full|sliding|chunked|linear|hybrid|none), attention_chunk_size, kv_shared_layers (last N reuse K/V). MoE: "
    "num_experts, experts_per_token, expert_intermediate_size, shared_intermediate_size, dense_layers (first N). "
    "MLA: kv_lora_rank, q_lora_rank, qk_nope_head_dim, qk_rope_head_dim, v_head_dim. DeepSeek-V3.2 indexer: "
    "index_heads, index_head_dim. Linear layers: linear_kind mamba|mamba2|gated_deltanet|lightning|short_conv, "
    "linear_heads, linear_head_dim, linear_state_size, linear_groups, linear_conv_kernel, linear_inner_size.")


def model_properties(full: bool, documented: bool = False) -> dict:
    """Schema properties for the three model inputs. `full=True`: for validation (and the CLI). Otherwise
    the form sent to Claude: `documented=True` spells the fields out once (parameter_count); every other
    tool points there."""
    if full:
        return dict(MODEL_PROPERTIES)
    if documented:
        return {"model": MODEL_PROPERTIES["model"], "hf_config": MODEL_PROPERTIES["hf_config"],
                "architecture": {"type": "object", "description": ARCHITECTURE_DOC}}
    return {"model": {"type": "string", "description": "As in parameter_count."},
            "hf_config": {"type": "object", "description": "As in parameter_count."},
            "architecture": {"type": "object", "description": "As in parameter_count."}}


_MLA_KEYS = ("kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim")
_LINEAR_KEYS = ("linear_kind", "linear_heads", "linear_head_dim", "linear_state_size", "linear_groups",
                "linear_conv_kernel", "linear_inner_size")


def _linear_from_architecture(a: dict) -> LinearMixer | None:
    """The fixed-state mixer of linear/hybrid layers. Unset sizes take the usual values: Mamba-2 inner width
    heads x head_dim, Mamba-1 inner 2 x hidden with dt_rank ceil(hidden / 16), short conv over the hidden size."""
    given = [k for k in _LINEAR_KEYS if k in a]
    if not given:
        return None
    if "linear_kind" not in a:
        raise InvalidInput(f"{given[0]} needs linear_kind", field="architecture.linear_kind",
                           allowed=list(MIXER_KINDS))
    kind, h = a["linear_kind"], a["hidden_size"]
    heads, head_dim = a.get("linear_heads", 1), a.get("linear_head_dim", 1)
    default_inner = {"mamba2": heads * head_dim, "mamba": 2 * h, "short_conv": h}.get(kind, 0)
    return LinearMixer(kind, num_heads=heads, head_dim=head_dim, state_size=a.get("linear_state_size", 0),
                       num_groups=a.get("linear_groups", 1), conv_kernel=a.get("linear_conv_kernel", 0),
                       inner_size=a.get("linear_inner_size", default_inner),
                       dt_rank=-(-h // 16) if kind == "mamba" else 0, conv_bias=kind in ("mamba", "mamba2"))
_MOE_KEYS = ("num_experts", "experts_per_token", "expert_intermediate_size")
_MOE_ONLY = ("dense_layers", "shared_intermediate_size")  # meaningless without experts


def _field(name: str) -> str:
    return f"architecture.{name}"


def _check_combinations(a: dict) -> None:
    """Fields that only mean something beside others: refused alone, never silently ignored."""
    moe_only = [k for k in _MOE_ONLY if k in a]
    if moe_only and not any(k in a for k in _MOE_KEYS):
        raise InvalidInput(f"{', '.join(moe_only)} describe a mixture of experts; this architecture has none (give "
                           f"{', '.join(_MOE_KEYS)} for an MoE model)", field=_field(moe_only[0]))
    if "q_lora_rank" in a and not any(k in a for k in _MLA_KEYS):
        raise InvalidInput(f"q_lora_rank belongs to multi-head latent attention: give {', '.join(_MLA_KEYS)} too",
                           field=_field("q_lora_rank"))
    if "kv_heads" in a and any(k in a for k in _MLA_KEYS) and a["kv_heads"] != a["heads"]:
        raise InvalidInput("kv_heads does not apply to multi-head latent attention (the cache is one latent); "
                           "leave it out", field=_field("kv_heads"))
    if "intermediate_size" not in a and a.get("ffn", "gated") == "gated":
        raise InvalidInput("intermediate_size is required for a gated FFN (ffn gated, the default); only ffn "
                           "standard defaults it to 4 x hidden_size", field=_field("intermediate_size"))


def architecture_assumptions(a: dict) -> tuple[str, ...]:
    if "intermediate_size" not in a:
        return (f"intermediate_size not given: 4 x hidden_size = {4 * a['hidden_size']:,} (the GPT convention "
                "for a standard FFN)",)
    return ()


def shape_from_architecture(a: dict, name: str = "custom") -> ModelShape:
    _check_combinations(a)
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
                            "tied_embeddings", "attention_chunk_size", "kv_shared_layers") if k in a}
    kw["linear"] = _linear_from_architecture(a)
    if "index_heads" in a or "index_head_dim" in a:
        if mla is None or "index_heads" not in a or "index_head_dim" not in a:
            raise InvalidInput("an indexer needs index_heads and index_head_dim, with the MLA fields",
                               field="architecture.index_head_dim")
        kw["indexer"] = Indexer(n_heads=a["index_heads"], head_dim=a["index_head_dim"])
    if mla is not None and "head_dim" not in kw:
        kw["head_dim"] = a["qk_nope_head_dim"] + a["qk_rope_head_dim"]
    kw.setdefault("intermediate_size", 4 * a["hidden_size"])  # ffn standard only: _check_combinations
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
        return resolve_reference(inp["model"])
    if kind == "hf_config":
        shape, notes = read_hf_config(inp["hf_config"], note_defaults=True)
        return ResolvedModel(shape, source="hf_config given by the user", label=shape.name, notes=notes)
    shape = shape_from_architecture(inp["architecture"])
    return ResolvedModel(shape, source="architecture fields given by the user", label="custom architecture",
                         notes=architecture_assumptions(inp["architecture"]))


def _from_entry(entry: CatalogEntry, extra_notes: tuple[str, ...] = ()) -> ResolvedModel:
    shape, notes = read_entry(entry)  # the entry's provenance notes are in model_lookup, not repeated everywhere
    return ResolvedModel(shape, source=entry.source, label=entry.name, entry_id=entry.id, as_of=entry.as_of,
                         notes=notes + extra_notes, read_from=(entry.read_from or {}).get("copy"))


def resolve_reference(text: str) -> ResolvedModel:
    """A `model` string → ResolvedModel: catalog name → existing local path → Hub (module doc). Where local
    paths are off (reference.local_paths), a path is refused and nothing local is looked at."""
    if not isinstance(text, str):
        raise InvalidInput("model must be a string", field="model")
    ref = parse_reference(text)
    local = local_paths_allowed()
    if ref.kind == "path" and not local:
        raise local_path_refused(ref.text)
    if ref.kind == "name":
        try:
            return _from_entry(lookup(text))
        except UnknownName:
            cp = _reader(ref, local) if _reader is not None else None  # a local path of that name, if any
            if cp is None:
                raise
            return from_checkpoint(cp)
    entry = catalog_entry_for_repo(ref)
    if entry is not None:
        return _from_entry(entry, (f"catalog entry {entry.id} used for {ref.repo_id} (offline, config as of "
                                   f"{entry.as_of}); for the Hub's current config and the checkpoint's exact stored "
                                   f"bytes ask for '{ref.repo_id}@main'",))
    if _reader is None:
        if ref.kind in ("repo", "path") and not ref.pinned:
            return _from_entry(lookup(text))  # today's forgiving lookup, or UnknownName with suggestions
        raise InvalidInput(f"{text!r} names a Hub repository or local path; only the modelmath CLI, MCP server and "
                           "assistant read those (this caller registered no reader)", field="model")
    same = similar_catalog_entry(ref) if ref.repo_id else None
    offer = f"the catalog entry {same.id} has the same name: give '{same.id}' for its offline answer" if same else ""
    try:
        cp = _reader(ref, local)
    except ModelUnavailable as exc:
        if offer and exc.reason in ("repo_not_found", "offline_not_cached", "network", "gated", "revision_not_found"):
            raise ModelUnavailable(f"{exc.message}; {offer}", reason=exc.reason, field=exc.field,
                                   allowed=[same.id]) from None
        raise
    if cp is None:
        lookup(text)  # no such local path: the catalog's error, with suggestions
    return from_checkpoint(cp, (offer,) if offer else ())


def from_checkpoint(cp: Checkpoint, extra_notes: tuple[str, ...] = ()) -> ResolvedModel:
    """Shape from the config (or GGUF metadata), stored bytes from the tensor headers."""
    from . import quant
    from .checkpoint import summarize

    tensors = {t.name: t.shape for t in cp.tensors}
    if cp.gguf_metadata is not None:
        from .gguf import FILE_TYPES
        from .gguf_config import config_from_gguf
        from .gguf_hybrid import gguf_notes

        config = config_from_gguf(cp.gguf_metadata, tensors)
        extra_notes = gguf_notes(cp.gguf_metadata) + extra_notes
        ftype = cp.gguf_metadata.get("general.file_type")

        def fmt(by_dtype):
            return quant.from_gguf(FILE_TYPES.get(ftype) if isinstance(ftype, int) else None, by_dtype)
    elif cp.config is not None:
        config = cp.config

        def fmt(by_dtype):
            return quant.from_config(cp.config, by_dtype)
    else:
        raise InvalidInput(f"{cp.label}: no config.json and no GGUF metadata to read a shape from", field="model")
    shape, notes = read_hf_config(config, name=cp.label)
    summary = summarize(cp.container or "", cp.files, cp.tensors, shape.num_layers, fmt) if cp.tensors else None
    if cp.container is None:
        notes += ("no safetensors or GGUF weights found beside the config: weights are estimated from the format "
                  "(weight_dtype, default bf16)",)
    return ResolvedModel(shape, source=cp.source, label=cp.label, notes=notes + cp.notes + extra_notes,
                         checkpoint=summary)


def weights_for_model(m: ResolvedModel, inp: dict, params_total: int) -> tuple[WeightFormat, list[str], list[str]]:
    """The weight format memory/fit/speed use, with (assumptions, warnings): a read checkpoint's exact stored
    bytes unless weight_dtype is given (checkpoint.weights_for), else the format's estimate (default bf16) -
    for a GGUF file type laid out tensor by tensor on this model's shape (tools/model/gguf_quant.py)."""
    if m.checkpoint is None:
        from .formats import weight_format

        fmt, a, w = weight_format(inp.get("weight_dtype", "bf16")), [], []
    else:
        from .checkpoint import weights_for

        fmt, a, w = weights_for(m.checkpoint, inp, params_total)
    shaped, lines = shaped_weight_format(fmt, m.shape)
    return shaped, a + lines, w


def shaped_weight_format(fmt: WeightFormat, shape) -> tuple[WeightFormat, list[str]]:
    """A GGUF file type's estimate for this shape (exact per-tensor bytes, as llama-quantize would write them)
    in place of its average bits per weight; other formats unchanged."""
    from .gguf_quant import FILE_TYPES

    if fmt.stored is not None or fmt.name not in FILE_TYPES:
        return fmt, []
    from dataclasses import replace
    from fractions import Fraction

    from . import gguf_quant
    from .params import parameter_count

    params = parameter_count(shape)
    est = gguf_quant.estimate(shape, params, fmt.name)
    bits = Fraction(est.stored.total * 8, params.total) if params.total else fmt.bits_per_weight
    shaped = replace(fmt, bits_per_weight=bits, source=gguf_quant.LLAMA_QUANT, stored=est.stored)
    return shaped, gguf_quant.describe(est)


def checkpoint_block(m: ResolvedModel, params) -> dict | None:
    """The `checkpoint` block of a result, or None when no headers were read."""
    if m.checkpoint is None:
        return None
    from .checkpoint import checkpoint_report

    return checkpoint_report(m.checkpoint, params, estimate=lambda f: shaped_weight_format(f, m.shape)[0])


def describe(model: ResolvedModel) -> dict:
    """The `model` block of every result: what was computed and where its shape came from."""
    out = {"name": model.label, "shape_source": model.source}
    if model.read_from:
        out["shape_read_from"] = model.read_from  # the copy the catalog values were read from (source is gated etc.)
    if model.entry_id:
        out["catalog_id"] = model.entry_id
        out["as_of"] = model.as_of
    if model.notes:
        out["notes"] = list(model.notes)
    return out
