"""KV-cache size: exact bytes per token, totals, and the inverse (max context / max sequences).

Conventions, stated in each result:
- GQA/MQA: K and V are cached for num_kv_heads heads of head_dim each.
- MLA: cached as serving engines store it (vLLM, SGLang): one latent of kv_lora_rank plus the shared
  rope key (qk_rope_head_dim), no separate K and V. The naive expanded size is reported beside it.
- Sliding-window layers hold at most `sliding_window` tokens (transformers' cache convention). vLLM's
  hybrid allocator keeps up to window − 1 + max_num_batched_tokens, slightly more.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InvalidInput
from .formats import KVFormat
from .shape import ModelShape


@dataclass(frozen=True)
class KVLayout:
    bytes_per_token_per_layer: int  # what one token costs in one layer, K and V (or the MLA latent)
    full_layers: int
    sliding_layers: int
    window: int | None
    expanded_bytes_per_token_per_layer: int | None  # MLA only: K and V per head, as plain MHA would store


def kv_layout(shape: ModelShape, fmt: KVFormat) -> KVLayout:
    kinds = shape.kinds
    sliding = sum(1 for k in kinds if k == "sliding")
    if shape.mla is not None:
        m = shape.mla
        per_layer = fmt.bytes_for(m.kv_lora_rank + m.qk_rope_head_dim)
        expanded = shape.num_heads * (
            fmt.bytes_for(m.qk_nope_head_dim + m.qk_rope_head_dim) + fmt.bytes_for(m.v_head_dim))
    else:
        per_layer = 2 * shape.num_kv_heads * fmt.bytes_for(shape.head_dim)
        expanded = None
    return KVLayout(per_layer, len(kinds) - sliding, sliding, shape.sliding_window if sliding else None, expanded)


def tokens_held(layout: KVLayout, context: int) -> tuple[int, int]:
    """(tokens in each full layer, tokens in each sliding layer) for one sequence of `context` tokens."""
    return context, min(context, layout.window) if layout.window else 0


def bytes_for_sequence(layout: KVLayout, context: int) -> int:
    full_t, slide_t = tokens_held(layout, context)
    return layout.bytes_per_token_per_layer * (layout.full_layers * full_t + layout.sliding_layers * slide_t)


def max_context_for_budget(layout: KVLayout, budget_bytes: int, batch: int) -> int | None:
    """Largest context whose KV for `batch` sequences fits in the budget; None when unbounded
    (every layer sliding: the cache stops growing at the window)."""
    per_seq_budget = budget_bytes // batch
    per_token_all = layout.bytes_per_token_per_layer * (layout.full_layers + layout.sliding_layers)
    if per_token_all == 0:
        raise InvalidInput("this shape caches nothing per token", field="model")
    # Below the window every layer grows; above it only full layers do.
    if layout.window is None:
        return per_seq_budget // per_token_all
    at_window = per_token_all * layout.window
    if per_seq_budget < at_window:
        return per_seq_budget // per_token_all
    if layout.full_layers == 0:
        return None
    fixed = layout.bytes_per_token_per_layer * layout.sliding_layers * layout.window
    return (per_seq_budget - fixed) // (layout.bytes_per_token_per_layer * layout.full_layers)


def max_sequences_for_budget(layout: KVLayout, budget_bytes: int, context: int) -> int:
    per_seq = bytes_for_sequence(layout, context)
    return budget_bytes // per_seq if per_seq else 0
