"""KV cache and fixed per-sequence state: exact bytes per token, per sequence, and the inverse (max context /
max sequences for a memory budget).

Conventions, stated in each result:
- GQA/MQA: K and V are cached for num_kv_heads heads of head_dim each.
- MLA: cached as serving engines store it (vLLM, SGLang): one latent of kv_lora_rank plus the shared
  rope key (qk_rope_head_dim), no separate K and V. The naive expanded size is reported beside it.
  DeepSeek-V3.2's indexer adds one index_head_dim key per token per layer, which every engine that serves it
  (vLLM's DeepseekV32IndexerCache, SGLang's DSA pool, TensorRT-LLM's indexer K cache) stores as fp8 with one fp32
  scale per 128 values, whatever the KV dtype: 128 + 4 = 132 bytes. Its fp8 latent uses FlashMLA's sparse layout
  (vLLM's fp8_ds_mla): kv_lora_rank fp8 values, one fp32 scale per 128 of them, and the rope key left in bf16:
  512 + 16 + 128 = 656 bytes. (transformers' reference cache keeps the indexer key in the model dtype instead.)
- Sliding-window and chunked (Llama 4) layers hold at most `sliding_window` / `attention_chunk_size`
  tokens (transformers' cache convention). vLLM's hybrid allocator keeps up to window − 1 +
  max_num_batched_tokens, slightly more.
- KV-shared layers (Gemma 3n) read an earlier layer's cache and hold none of their own.
- Linear / state-space layers hold a fixed state per sequence, whatever the context: a conv window in
  the model's 16-bit dtype and a recurrent state in `state_dtype`. By default float32 for Mamba / DeltaNet
  (as transformers' kernels and vLLM's mamba_ssm_cache_dtype keep it) and 16-bit for MiniMax's lightning
  attention: transformers keeps MiniMaxCache.linear_cache in the model dtype (a bf16 forward's cache is
  [B, 64, 128, 128] bfloat16 for MiniMax-Text-01: /work/research/hf/cases/minimax-text-01.json) and vLLM
  refuses a float32 state for it (MambaStateDtypeCalculator.linear_attention_state_dtype).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InvalidInput
from .formats import KVFormat, kv_format
from .shape import ModelShape

CONV_STATE_BYTES = 2  # conv windows are kept in the model's dtype (bf16/fp16)
SPARSE_MLA_QUANT_BLOCK = 128  # values per fp32 scale in DeepSeek sparse attention's fp8 caches (docstring)
_FP32_SCALE_BYTES = 4
_ROPE_BYTES = 2  # the rope key stays bf16 in the fp8 sparse-MLA layout


def _fp8_with_block_scales(elements: int) -> int:
    return elements + -(-elements // SPARSE_MLA_QUANT_BLOCK) * _FP32_SCALE_BYTES


def indexer_key_bytes(head_dim: int) -> int:
    """Bytes of one token's indexer key in one layer, as the engines store it (fp8 + fp32 block scales)."""
    return _fp8_with_block_scales(head_dim)
STATE_DTYPES = ("fp32", "bf16", "fp16")
DEFAULT_STATE_DTYPE = None  # each mixer's own default: default_state_dtype()


def default_state_dtype(shape: ModelShape) -> str:
    """The recurrent state's dtype when none is asked for (module docstring: why lightning differs)."""
    return "bf16" if shape.linear is not None and shape.linear.kind == "lightning" else "fp32"


@dataclass(frozen=True)
class KVLayout:
    bytes_per_token_per_layer: int  # what one token costs in one caching layer (K+V, or MLA latent + index key)
    full_layers: int  # caching layers that keep every token
    windowed: tuple[tuple[str, int, int], ...]  # (kind, window tokens, layers) for sliding / chunked layers
    expanded_bytes_per_token_per_layer: int | None  # MLA only: K and V per head, as plain MHA would store
    state_layers: int = 0  # layers with a fixed per-sequence state
    conv_state_bytes_per_layer: int = 0
    recurrent_state_bytes_per_layer: int = 0
    state_dtype: str = "fp32"

    @property
    def caching_layers(self) -> int:
        return self.full_layers + sum(n for _, _, n in self.windowed)

    @property
    def bytes_per_token(self) -> int:
        """Every caching layer, before any window fills."""
        return self.bytes_per_token_per_layer * self.caching_layers

    @property
    def state_bytes_per_sequence(self) -> int:
        return self.state_layers * (self.conv_state_bytes_per_layer + self.recurrent_state_bytes_per_layer)

    # Single-window views kept for callers that predate chunked layers.
    @property
    def sliding_layers(self) -> int:
        return sum(n for _, _, n in self.windowed)

    @property
    def window(self) -> int | None:
        return max((w for _, w, _ in self.windowed), default=None)


def kv_layout(shape: ModelShape, fmt: KVFormat, state_dtype: str | None = DEFAULT_STATE_DTYPE) -> KVLayout:
    state_dtype = state_dtype or default_state_dtype(shape)
    if state_dtype not in STATE_DTYPES:
        raise InvalidInput(f"state_dtype must be one of {', '.join(STATE_DTYPES)}; got {state_dtype!r}",
                           field="state_dtype", allowed=list(STATE_DTYPES))
    if shape.mla is not None:
        m = shape.mla
        if shape.indexer is not None and fmt.name == "fp8":
            per_layer = _fp8_with_block_scales(m.kv_lora_rank) + m.qk_rope_head_dim * _ROPE_BYTES
        else:
            per_layer = fmt.bytes_for(m.kv_lora_rank + m.qk_rope_head_dim)
        if shape.indexer is not None:
            per_layer += indexer_key_bytes(shape.indexer.head_dim)
        expanded = shape.num_heads * (
            fmt.bytes_for(m.qk_nope_head_dim + m.qk_rope_head_dim) + fmt.bytes_for(m.v_head_dim))
    else:
        per_layer = 2 * shape.num_kv_heads * fmt.bytes_for(shape.head_dim)
        expanded = None
    kinds = shape.kv_cached_kinds
    full = sum(1 for k in kinds if shape.window(k) is None)
    windows: dict[tuple[str, int], int] = {}
    for k in kinds:
        w = shape.window(k)
        if w is not None:
            windows[(k, w)] = windows.get((k, w), 0) + 1
    conv = rec = 0
    if shape.linear is not None and shape.state_layer_count:
        conv = shape.linear.conv_state_elements * CONV_STATE_BYTES
        rec = shape.linear.recurrent_state_elements * kv_format(state_dtype).bytes_for(1)
    return KVLayout(per_layer, full, tuple((k, w, c) for (k, w), c in sorted(windows.items(), key=lambda x: x[0][1])),
                    expanded, shape.state_layer_count, conv, rec, state_dtype)


def tokens_held(layout: KVLayout, context: int) -> tuple[int, int]:
    """(tokens in each full layer, tokens in each windowed layer of the largest window) for one sequence."""
    return context, min(context, layout.window) if layout.window else 0


def kv_bytes_for_sequence(layout: KVLayout, context: int) -> int:
    """Per-token caches of one sequence of `context` tokens (windows applied), state excluded."""
    tokens = layout.full_layers * context + sum(n * min(context, w) for _, w, n in layout.windowed)
    return layout.bytes_per_token_per_layer * tokens


def bytes_for_sequence(layout: KVLayout, context: int) -> int:
    """Everything one sequence holds: its KV at `context` tokens plus its fixed state."""
    return kv_bytes_for_sequence(layout, context) + layout.state_bytes_per_sequence


def max_context_for_budget(layout: KVLayout, budget_bytes: int, batch: int) -> int | None:
    """Largest context whose KV + state for `batch` sequences fits in the budget; 0 when not even the
    fixed state fits; None when unbounded (no layer keeps every token: caches stop growing once the
    windows fill, or the model has only fixed state)."""
    per_seq_budget = budget_bytes // batch - layout.state_bytes_per_sequence
    if per_seq_budget < 0:
        return 0
    if layout.caching_layers == 0 and layout.state_layers == 0:
        raise InvalidInput("this shape caches nothing per token", field="model")
    b = layout.bytes_per_token_per_layer
    # The per-sequence cache is piecewise linear in the context: every caching layer grows until its
    # window fills, then only the full layers (and larger windows) do. Walk the breakpoints.
    start, used = 0, 0
    growing = layout.caching_layers
    for _, w, n in sorted(layout.windowed, key=lambda x: x[1]) + [("end", None, 0)]:
        rate = b * growing
        if w is None:
            return None if rate == 0 else start + (per_seq_budget - used) // rate
        if rate and used + rate * (w - start) > per_seq_budget:
            return start + (per_seq_budget - used) // rate
        used += rate * (w - start)
        start, growing = w, growing - n
    return None  # unreachable: the loop returns at the sentinel


def max_sequences_for_budget(layout: KVLayout, budget_bytes: int, context: int) -> int:
    per_seq = bytes_for_sequence(layout, context)
    return budget_bytes // per_seq if per_seq else 0
