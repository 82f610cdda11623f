"""Registry declarations of the core calculators: parameter_count, memory_estimate, model_lookup (kv_cache in
kv_tool.py); TOOLS lists all four in the order Claude sees them.

Each function takes validated tool input and returns a JSON-ready dict with units in key names and a
short `assumptions` list.
"""

from __future__ import annotations

from .. import bands
from ..registry import CliSpec, Tool
from ..schemas import (
    BATCH,
    COUNT,
    DEFAULT_CONTEXT_NOTE,
    DEFAULT_CONTEXT_TOKENS,
    KV_DTYPE,
    OVERHEAD_GIB,
    WEIGHT_DTYPE,
    overhead_bytes,
    sent_schema,
    validation_schema,
)
from ..units import GB, GiB, sizes
from . import catalog
from .formats import kv_format
from .kv import default_state_dtype
from .kv_tool import KV_CACHE, STATE_DTYPE_SCHEMA
from .memory import DEFAULT_OVERHEAD_BYTES, DEFAULT_PREFILL_CHUNK_TOKENS, memory_estimate
from .params import parameter_count
from .resolve import (
    checkpoint_block,
    describe,
    resolve_model,
    resolve_reference,
    shape_from_entry,
    weights_for_model,
)
from .shape import ModelShape, ResolvedModel
from .window import context_warnings


def shape_summary(shape: ModelShape) -> dict:
    s = {"layers": shape.num_layers, "hidden_size": shape.hidden_size, "heads": shape.num_heads,
         "kv_heads": shape.num_kv_heads, "head_dim": shape.head_dim, "intermediate_size": shape.intermediate_size,
         "vocab_size": shape.vocab_size, "ffn": shape.ffn, "tied_embeddings": shape.tied_embeddings}
    if shape.max_position_embeddings:
        s["max_position_embeddings"] = shape.max_position_embeddings
    if shape.context_limit:
        s["context_window_tokens"] = shape.context_limit
        if shape.context_window_basis:
            s["context_window_basis"] = shape.context_window_basis
    if shape.moe:
        m = shape.moe
        s["moe"] = {"experts": m.num_experts, "experts_per_token": m.experts_per_token,
                    "expert_intermediate_size": m.expert_intermediate_size,
                    "shared_intermediate_size": m.shared_intermediate_size, "moe_layers": shape.moe_layer_count}
    if shape.mla:
        s["mla"] = {"kv_lora_rank": shape.mla.kv_lora_rank, "q_lora_rank": shape.mla.q_lora_rank,
                    "qk_nope_head_dim": shape.mla.qk_nope_head_dim, "qk_rope_head_dim": shape.mla.qk_rope_head_dim,
                    "v_head_dim": shape.mla.v_head_dim}
    if shape.sliding_window and "sliding" in shape.kinds:
        s["sliding_window"] = shape.sliding_window
        s["sliding_layers"] = shape.kinds.count("sliding")
    if "chunked" in shape.kinds:
        s["attention_chunk_size"] = shape.attention_chunk_size
        s["chunked_layers"] = shape.kinds.count("chunked")
    if set(shape.kinds) - {"full", "sliding", "chunked"}:
        s["layer_kinds"] = {k: shape.kinds.count(k) for k in dict.fromkeys(shape.kinds)}
    if shape.linear:
        s["linear_mixer"] = {k: v for k, v in shape.linear.__dict__.items() if v not in (None, False, 0)}
    if shape.indexer:
        s["indexer"] = {"heads": shape.indexer.n_heads, "head_dim": shape.indexer.head_dim}
    if shape.kv_shared_layers:
        s["kv_shared_layers"] = shape.kv_shared_layers
    return s


_context_warnings = context_warnings  # one convention for every calculator (tools/model/window.py)


# -- parameter_count ---------------------------------------------------------------------------------

def _params(inp: dict) -> dict:
    m = resolve_model(inp)
    c = parameter_count(m.shape)
    out = {
        "model": describe(m),
        "total_params": c.total,
        "active_params": c.active,
        "non_embedding_params": c.non_embedding,
        "active_non_embedding_params": c.active - c.embeddings - c.lm_head,
        "total_params_billions": round(c.total / 1e9, 3),
        "active_params_billions": round(c.active / 1e9, 3),
        "breakdown": c.breakdown(),
        "shape": shape_summary(m.shape),
        "assumptions": _param_assumptions(m, c),
    }
    if m.entry_id:
        e = catalog.lookup(m.entry_id)
        if e.published_params:
            out["published_params"] = {"value": e.published_params, "source": e.published_params_source}
    if m.checkpoint is not None:
        out["checkpoint"] = checkpoint_block(m, c)
        warnings = weights_for_model(m, {}, c.total)[2]
        if warnings:
            out["warnings"] = warnings
    return out


def _param_assumptions(m: ResolvedModel, c) -> list[str]:
    s = m.shape
    a = [
        "weights as stored in the checkpoint; buffers (rotary tables, masks) are not parameters",
        "LM head tied to the token embedding: counted once" if s.tied_embeddings
        else "untied LM head counted separately",
        "active_params includes embeddings and LM head; active_non_embedding_params excludes both",
    ]
    if s.moe:
        a.append(f"active = all non-expert weights + top-{s.moe.experts_per_token} of {s.moe.num_experts} "
                 "routed experts per MoE layer" + (" + shared experts" if s.moe.shared_intermediate_size else ""))
    if s.model_type == "deepseek_v3":
        a.append("multi-token-prediction (MTP) module weights are not included")
    return a


PARAMETER_COUNT = Tool(
    name="parameter_count",
    description=(
        "Exact parameter count of an open LLM: total, active (MoE), non-embedding, breakdown. Not for Claude "
        "(unpublished). Every model tool takes one of model, hf_config or architecture, described here."),
    input_schema=sent_schema({}, documented=True),
    validation_schema=validation_schema({}),
    func=_params,
    cli=CliSpec(command="params", positional="model", file_inputs={"hf_config": "config"}, flatten="architecture",
                help="Exact parameter count (total, active, breakdown)."),
)


# -- memory_estimate ---------------------------------------------------------------------------------

def memory_report(m: ResolvedModel, inp: dict) -> dict:
    params = parameter_count(m.shape)
    wfmt, w_assumptions, w_warnings = weights_for_model(m, inp, params.total)
    kvfmt = kv_format(inp.get("kv_dtype", "bf16"))
    context, batch = inp.get("context_tokens", DEFAULT_CONTEXT_TOKENS), inp.get("batch_size", 1)
    overhead = overhead_bytes(inp)
    overhead = DEFAULT_OVERHEAD_BYTES if overhead is None else overhead
    state_dtype = inp.get("state_dtype") or default_state_dtype(m.shape)
    est = memory_estimate(m.shape, params, wfmt, kvfmt, context=context, batch=batch, overhead_bytes=overhead,
                          prefill_chunk_tokens=inp.get("prefill_chunk_tokens"), state_dtype=state_dtype)
    total = est.total
    items = {"weights": sizes(est.weights), "kv_cache": sizes(est.kv_cache),
             "activations": sizes(est.activations), "runtime_overhead": sizes(est.overhead)}
    if est.state:
        items["recurrent_state"] = sizes(est.state)
    if wfmt.stored is not None:
        a = w_assumptions
    else:
        a = [f"weights: {params.total:,} params; {wfmt.name} = {wfmt.bits_float:.4g} bits/weight ({wfmt.source})",
             *w_assumptions]
    if wfmt.note and wfmt.stored is None:
        a.append(f"{wfmt.name}: {wfmt.note}")
    if est.weights_16bit_params:
        which = ("non-expert" if wfmt.name == "mxfp4" and params.routed_experts else "embedding/LM-head")
        a.append(f"{est.weights_16bit_params:,} {which} params kept in 16-bit, as quantized checkpoints do")
    if "context_tokens" not in inp:
        a.append(f"{DEFAULT_CONTEXT_NOTE}; context_tokens 0 gives the weights without KV")
    if context:
        a.append(f"KV: {kvfmt.name}, {context:,} tokens x {batch} sequence(s)")
        if est.state:
            a.append(f"recurrent_state: {m.shape.state_layer_count} {m.shape.linear.kind} layers keep a fixed state "
                     f"per sequence (conv window 16-bit, recurrent state {state_dtype}), independent of context")
    else:
        a.append("KV cache not included: context_tokens 0")
    a.append(f"activations: peak of one layer over a {est.prefill_tokens:,}-token prefill chunk in 16-bit "
             f"(chunked prefill of {DEFAULT_PREFILL_CHUNK_TOKENS:,} unless prefill_chunk_tokens is set) + fp32 "
             "logits per sequence; assumes FlashAttention/SDPA (no T x T score matrix)")
    a.append(f"runtime overhead {est.overhead / GiB:.2f} GiB: CUDA context, cuBLAS workspace, allocator slack "
             "(assumption; override with overhead_gib). Serving engines like vLLM instead pre-reserve "
             "gpu_memory_utilization (default 0.9) of the GPU")
    out = {"model": describe(m), "weight_dtype": wfmt.name, "kv_dtype": kvfmt.name, "context_tokens": context,
           "batch_size": batch, "weights_bytes": est.weights, "kv_cache_bytes": est.kv_cache,
           "activations_bytes": est.activations, "overhead_bytes": est.overhead, "state_bytes": est.state,
           "total_bytes": total, "total_gb": round(total / GB, 3), "total_gib": round(total / GiB, 3),
           "items": items, "total_params": params.total, "bits_per_weight": round(wfmt.bits_float, 4),
           "assumptions": a}
    # total_band: the measured-over-predicted quantiles of inference-memory calibration cases (tools/bands.py).
    rule = bands.rule("inference_memory", "calibrated")
    low, mid, high = map(int, rule.apply(total))
    out["band"] = rule.describe("memory formula (weights + KV + activations + overhead)")
    # Physical floor: the weights are resident whatever the engine does, so no peak can be below them.
    floor = est.weights + est.state
    if low < floor:
        out["band"]["capped"] = (f"low end raised to the resident weights{' and state' if est.state else ''} "
                                 f"({floor:,} B); the calibration quantile alone gave {low:,} B")
        low = floor
    out["total_band"] = {"low": low, "mid": mid, "high": max(high, low)}
    a.append(f"total_band is meant to hold {bands.coverage():.0%} of measured peaks of setups like this: total x "
             "quantiles of measured/predicted over inference-memory calibration cases (`band` says which)")
    if m.checkpoint is not None:
        out["checkpoint"] = checkpoint_block(m, params)
    warnings = _context_warnings(m.shape, context) + w_warnings
    if warnings:
        out["warnings"] = warnings
    return out


def _memory(inp: dict) -> dict:
    return memory_report(resolve_model(inp), inp)


_MEM_PROPS = {
    "weight_dtype": WEIGHT_DTYPE, "kv_dtype": KV_DTYPE,
    "context_tokens": {"type": "integer", "minimum": 0,
                       "description": f"Tokens per sequence (default {DEFAULT_CONTEXT_TOKENS}; 0: weights only, "
                                      "no KV)."},
    "batch_size": BATCH,
    "state_dtype": STATE_DTYPE_SCHEMA,
    "overhead_gib": OVERHEAD_GIB,
    "prefill_chunk_tokens": {**COUNT, "description": "Tokens per prefill step (default 8192)."},
}

MEMORY_ESTIMATE = Tool(
    name="memory_estimate",
    description=(
        "Inference memory, itemised: weights at the format's true bits/weight + KV cache + activations + "
        "overhead, in bytes, GB and GiB. Which GPUs and how many: hardware_fit; tokens/s: speed_estimate."),
    input_schema=sent_schema(_MEM_PROPS, spell_out_dtypes=True),
    validation_schema=validation_schema(_MEM_PROPS),
    func=_memory,
    cli=CliSpec(command="memory", positional="model", file_inputs={"hf_config": "config"}, flatten="architecture",
                help="Inference memory: weights + KV + activations + overhead."),
)


# -- model_lookup ------------------------------------------------------------------------------------

def _catalog_list() -> dict:
    rows = [{"id": e.id, "name": e.name, "hf_repo": e.hf_repo, "as_of": e.as_of} | (
        {"speculative": True} if e.speculative else {}) for e in catalog.entries()]
    return {"models": rows, "assumptions": ["give one id as model for its config, shape and parameter counts; "
                                            "'speculative' entries are illustrative, not real models"]}


def _lookup(inp: dict) -> dict:
    if not inp.get("model"):
        return _catalog_list()
    m = resolve_reference(inp["model"])  # a Hub repository or local checkpoint is looked up there
    if m.entry_id is None:
        c = parameter_count(m.shape)
        out = {"model": describe(m), "total_params": c.total, "active_params": c.active,
               "shape": shape_summary(m.shape),
               "assumptions": ["shape read from the checkpoint's config (or GGUF metadata) with transformers' "
                               "defaults for any missing field"]}
        if m.checkpoint is not None:
            out["checkpoint"] = checkpoint_block(m, c)
        return out
    e = catalog.lookup(m.entry_id)
    shape = shape_from_entry(e)
    c = parameter_count(shape)
    out = {"model": e.provenance(), "hf_repo": e.hf_repo, "aliases": list(e.aliases),
           "total_params": c.total, "active_params": c.active, "shape": shape_summary(shape),
           "config": e.config if e.config is not None else e.architecture}
    out["assumptions"] = ["shape read from the config fields above with transformers' defaults for any missing"]
    if e.speculative:
        out["assumptions"].insert(0, "SPECULATIVE: an illustrative tier, not a real Claude model; Anthropic does "
                                     "not publish Claude's sizes")
    return out


MODEL_LOOKUP = Tool(
    name="model_lookup",
    description=("What a model name is: its catalog entry (config, shape, parameters, source, date), or a Hub/local "
                 "checkpoint's shape and stored bytes; unknown names get suggestions. No model: the catalog's ids."),
    input_schema={"type": "object", "properties": {"model": {"type": "string",
                                                             "description": "As in parameter_count."}},
                  "additionalProperties": False},
    func=_lookup,
)

TOOLS = (PARAMETER_COUNT, KV_CACHE, MEMORY_ESTIMATE, MODEL_LOOKUP)
