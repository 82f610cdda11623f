"""Registry declarations of the core calculators: parameter_count, kv_cache, memory_estimate, model_lookup.

Each function takes validated tool input and returns a JSON-ready dict with units in key names and a
short `assumptions` list.
"""

from __future__ import annotations

from .. import bands
from ..errors import InvalidInput
from ..registry import CliSpec, Tool
from ..schemas import (
    BATCH,
    CONTEXT,
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
from .kv import (
    DEFAULT_STATE_DTYPE,
    STATE_DTYPES,
    default_state_dtype,
    indexer_key_bytes,
    kv_bytes_for_sequence,
    kv_layout,
    max_context_for_budget,
    max_sequences_for_budget,
)
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


# -- kv_cache ----------------------------------------------------------------------------------------

def _budget(inp: dict) -> int | None:
    gb_, gib_ = inp.get("memory_budget_gb"), inp.get("memory_budget_gib")
    if gb_ is not None and gib_ is not None:
        raise InvalidInput("give memory_budget_gb or memory_budget_gib, not both", field="memory_budget_gb")
    if gb_ is not None:
        return int(gb_ * GB)
    if gib_ is not None:
        return int(gib_ * GiB)
    return None


def _layer_rows(m: ResolvedModel, layout, context: int, batch: int) -> list[dict]:
    """One row per cache kind: full attention, each window, and the fixed-state layers."""
    b = layout.bytes_per_token_per_layer
    rows = []
    if layout.full_layers:
        rows.append({"type": "full", "layers": layout.full_layers, "tokens_held_per_sequence": context,
                     "bytes": b * layout.full_layers * context * batch})
    for kind, window, n in layout.windowed:
        held = min(context, window)
        rows.append({"type": kind, "layers": n, "window_tokens": window, "tokens_held_per_sequence": held,
                     "bytes": b * n * held * batch})
    if layout.state_layers:
        rows.append({"type": "state", "mixer": m.shape.linear.kind, "layers": layout.state_layers,
                     "conv_state_bytes_per_layer": layout.conv_state_bytes_per_layer,
                     "recurrent_state_bytes_per_layer": layout.recurrent_state_bytes_per_layer,
                     "state_dtype": layout.state_dtype, "bytes": layout.state_bytes_per_sequence * batch})
    return rows


def _kv_assumptions(s: ModelShape, fmt, layout) -> list[str]:
    a = [f"{fmt.name} KV: {fmt.note}"]
    if s.mla:
        a.append("MLA cached as vLLM/SGLang store it: latent (kv_lora_rank) + rope key, one head, no K/V pair")
        if s.indexer:
            a.append(f"DeepSeek sparse-attention indexer: one {s.indexer.head_dim}-wide key per token per layer "
                     f"beside the latent, {indexer_key_bytes(s.indexer.head_dim)} bytes as vLLM, SGLang and "
                     "TensorRT-LLM store it (fp8 + one fp32 scale per 128 values, whatever the KV dtype; "
                     "transformers keeps it in the model dtype)")
            if fmt.name == "fp8":
                a.append("fp8 latent in FlashMLA's sparse layout (vLLM's fp8_ds_mla): kv_lora_rank fp8 values + one "
                         "fp32 scale per 128 + the rope key in bf16")
            elif fmt.name not in ("bf16", "fp16"):
                a.append(f"no engine we know stores DeepSeek sparse attention's latent in {fmt.name} (vLLM: bf16 or "
                         f"fp8); computed as generic {fmt.name}")
    elif layout.caching_layers:
        a.append(f"K and V for {s.num_kv_heads} KV heads x head_dim {s.head_dim} per layer")
    if layout.windowed:
        a.append("sliding-window and chunked layers hold min(context, window) tokens (transformers convention; "
                 "vLLM keeps window - 1 + max_num_batched_tokens)")
    if s.kv_shared_layers:
        a.append(f"the last {s.kv_shared_layers} layers reuse earlier layers' K/V and cache nothing of their own")
    if layout.state_layers:
        a.append(f"{layout.state_layers} {s.linear.kind} layers keep a fixed state per sequence, independent of "
                 f"context: conv window in 16-bit + recurrent state in {layout.state_dtype} "
                 f"({_STATE_WHY[s.linear.kind == 'lightning']}; state_dtype changes it)")
    a.append("bytes_per_token counts every caching layer (before any window fills); total_bytes applies the "
             "windows and adds the fixed state")
    return a


def kv_report(m: ResolvedModel, context: int, batch: int, kv_dtype: str, budget: int | None = None,
              state_dtype: str | None = DEFAULT_STATE_DTYPE) -> dict:
    fmt = kv_format(kv_dtype)
    layout = kv_layout(m.shape, fmt, state_dtype)
    kv_seq = kv_bytes_for_sequence(layout, context)
    per_seq = kv_seq + layout.state_bytes_per_sequence
    total = per_seq * batch
    out = {
        "model": describe(m), "kv_dtype": fmt.name, "context_tokens": context, "batch_size": batch,
        "bytes_per_token": layout.bytes_per_token,
        "bytes_per_token_per_layer": layout.bytes_per_token_per_layer,
        "bytes_per_sequence": per_seq,
        "total_bytes": total, "total_gb": round(total / GB, 3), "total_gib": round(total / GiB, 3),
        "by_layer_type": _layer_rows(m, layout, context, batch),
    }
    if layout.state_layers:
        out.update(kv_bytes_per_sequence=kv_seq, state_bytes_per_sequence=layout.state_bytes_per_sequence,
                   state_dtype=layout.state_dtype)
    s = m.shape
    if s.mla and layout.caching_layers:
        expanded = layout.expanded_bytes_per_token_per_layer * layout.caching_layers
        out["mla"] = {"cached_dims_per_layer": s.mla.kv_lora_rank + s.mla.qk_rope_head_dim,
                      "naive_expanded_bytes_per_token": expanded,
                      "compression_vs_expanded": round(expanded / out["bytes_per_token"], 2)}
    warnings = _context_warnings(m.shape, context)
    a = _kv_assumptions(s, fmt, layout)
    if budget is not None:
        max_ctx = max_context_for_budget(layout, budget, batch)
        out["budget"] = {"memory_budget_bytes": budget, "max_context_tokens_at_batch": max_ctx,
                         "max_sequences_at_context": max_sequences_for_budget(layout, budget, context)}
        window = m.shape.context_limit
        if max_ctx == 0 and layout.state_layers:
            warnings.append(f"the fixed state of {batch} sequence(s) alone ({layout.state_bytes_per_sequence * batch:,}"
                            " bytes) exceeds the budget")
        elif window and (max_ctx is None or max_ctx > window):
            out["budget"]["model_context_window_tokens"] = window
            basis = m.shape.context_window_basis or f"max_position_embeddings {window:,}"
            warnings.append(f"the budget would hold more context than the model's window ({window:,} tokens: "
                            f"{basis}); the usable maximum is the window")
        if max_ctx is None:
            a.append("no layer keeps every token (windows fill, or only fixed state): context is unbounded")
    out["assumptions"] = a
    if warnings:
        out["warnings"] = warnings
    return out


def _kv(inp: dict) -> dict:
    return kv_report(resolve_model(inp), inp["context_tokens"], inp.get("batch_size", 1),
                     inp.get("kv_dtype", "bf16"), _budget(inp), inp.get("state_dtype", DEFAULT_STATE_DTYPE))


_BUDGET_PROPS = {
    "memory_budget_gb": {"type": "number", "exclusiveMinimum": 0,
                         "description": "KV memory budget in GB (10^9 bytes)."},
    "memory_budget_gib": {"type": "number", "exclusiveMinimum": 0, "description": "Same in GiB."},
}
_STATE_DTYPE = {"enum": list(STATE_DTYPES),
                "description": "State dtype of linear/SSM layers (default fp32; bf16 for MiniMax lightning attention)."}
# Why the default state dtype, said in the assumptions: [Mamba / DeltaNet, lightning].
_STATE_WHY = ("float32 is what transformers' kernels and vLLM's default keep",
              "MiniMax lightning: transformers keeps it in the model dtype and vLLM has no float32 state for it")
_KV_PROPS = {"context_tokens": CONTEXT, "batch_size": BATCH, "kv_dtype": KV_DTYPE, "state_dtype": _STATE_DTYPE,
             **_BUDGET_PROPS}

KV_CACHE = Tool(
    name="kv_cache",
    description=(
        "KV-cache bytes per token and for context_tokens x batch_size (any attention, windows, SSM state); with a "
        "memory budget, the max context and max sequences. Cache only; total serving memory: memory_estimate."),
    input_schema=sent_schema(_KV_PROPS, ("context_tokens",)),
    validation_schema=validation_schema(_KV_PROPS, ("context_tokens",)),
    func=_kv,
    cli=CliSpec(command="kv", positional="model", file_inputs={"hf_config": "config"}, flatten="architecture",
                help="KV-cache size."),
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
    "state_dtype": _STATE_DTYPE,
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
