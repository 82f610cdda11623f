"""Registry declaration of kv_cache: KV bytes per token and per sequence, fixed recurrent state, and the inverse
(max context / max sequences for a memory budget), with the convention behind each figure in `assumptions`.
"""

from __future__ import annotations

from ..errors import InvalidInput
from ..registry import CliSpec, Tool
from ..schemas import BATCH, CONTEXT, KV_DTYPE, sent_schema, validation_schema
from ..units import GB, GiB
from .formats import kv_format
from .kv import (
    DEFAULT_STATE_DTYPE,
    STATE_DTYPES,
    indexer_key_bytes,
    kv_bytes_for_sequence,
    kv_layout,
    max_context_for_budget,
    max_sequences_for_budget,
)
from .resolve import describe, resolve_model
from .shape import ModelShape, ResolvedModel
from .window import context_warnings as _context_warnings


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
    # DeepSeek sparse attention's fp8 cache has its own layout with block scales (said below), not fp8's generic note.
    a = [] if s.indexer and fmt.name == "fp8" else [f"{fmt.name} KV: {fmt.note}"]
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
        # of a caching layer; a model with none (pure Mamba) caches nothing per token, whatever its head shape says
        "bytes_per_token_per_layer": layout.bytes_per_token_per_layer if layout.caching_layers else 0,
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
STATE_DTYPE_SCHEMA = {"enum": list(STATE_DTYPES),
                "description": "State dtype of linear/SSM layers (default fp32; bf16 for MiniMax lightning attention)."}
# Why the default state dtype, said in the assumptions: [Mamba / DeltaNet, lightning].
_STATE_WHY = ("float32 is what transformers' kernels and vLLM's default keep",
              "MiniMax lightning: transformers keeps it in the model dtype and vLLM has no float32 state for it")
_KV_PROPS = {"context_tokens": CONTEXT, "batch_size": BATCH, "kv_dtype": KV_DTYPE, "state_dtype": STATE_DTYPE_SCHEMA,
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
