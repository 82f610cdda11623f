"""Hardware fit: memory per GPU under tensor parallelism, the minimum GPU count, and ranked recommendations.

Placement conventions (stated in every result):
- Weights shard 1/tp (attention and MLP by heads/columns, embeddings and LM head by vocabulary, as vLLM
  does); when tp exceeds the KV heads, each GPU holds whole K/V projections for its head (replicated).
- KV cache shards by KV head up to num_kv_heads, then replicates: a GPU always holds at least one KV head.
  MLA's latent is a single "head", so every GPU holds all of it (vLLM replicates it under TP).
- The fixed state of linear/SSM layers shards with their heads: 1/tp per GPU (float32 recurrent state).
- Activations: the residual stream and the sampling logits are whole on every GPU; the block-internal
  widths (QKV, MLP intermediate) shard 1/tp.
- Runtime overhead per GPU: the core's 1 GiB, plus NCCL/custom all-reduce buffers once tp > 1.
- llama.cpp (engines.LAYER_SPLIT) splits by layer instead: each GPU holds its share of the layers whole (weights, KV and
  state 1/n, no replicated KV heads, no all-reduce buffers) and its runtime reserve is its compute buffer, the
  activations of one n_ubatch chunk (512 tokens) through whole layers.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model.formats import KVFormat, WeightFormat
from ..model.kv import kv_bytes_for_sequence, kv_layout
from ..model.memory import (
    ACT_BYTES,
    DEFAULT_OVERHEAD_BYTES,
    DEFAULT_PREFILL_CHUNK_TOKENS,
    LOGIT_BYTES,
    activation_peak,
    weight_bytes,
)
from ..model.params import ParamCount
from ..model.shape import ModelShape
from ..units import GiB
from . import engines
from .gpus import GPU

# vLLM's memory profile of Llama-3-8B on H100 (PR #10511 log): non-torch memory 1.79 GiB at TP1, 3.58 GiB at
# TP2, so communication buffers add ~1.79 GiB per GPU once tensor parallelism is on.
TP_COMM_OVERHEAD_BYTES = int(1.79 * GiB)


@dataclass(frozen=True)
class Placement:
    tp: int
    weights: int  # bytes per GPU
    kv_per_sequence: int  # bytes per GPU for one sequence at the context (KV + fixed state)
    kv: int  # bytes per GPU for the whole batch
    activations: int
    overhead: int
    usable: int  # what the device exposes
    kv_heads_per_gpu: int
    kv_replicated: bool
    weights_replicated_extra: int  # bytes of K/V projections held whole because tp > kv_heads
    state_per_sequence: int = 0  # of kv_per_sequence: the fixed state of linear/SSM layers

    @property
    def total(self) -> int:
        return self.weights + self.kv + self.activations + self.overhead

    @property
    def headroom(self) -> int:
        return self.usable - self.total

    @property
    def fits(self) -> bool:
        return self.total <= self.usable


def tp_degrees(shape: ModelShape, max_count: int) -> list[int]:
    """Tensor-parallel degrees an engine accepts: powers of two that divide the attention heads (vLLM
    requires num_heads % tp == 0), up to the device's practical maximum."""
    out, tp = [], 1
    while tp <= max_count:
        if shape.num_heads % tp == 0:
            out.append(tp)
        tp *= 2
    return out


def kv_heads_per_gpu(shape: ModelShape, tp: int) -> tuple[int, bool]:
    """(KV heads each GPU holds, whether some are replicated)."""
    heads = 1 if shape.mla is not None else shape.num_kv_heads
    if shape.mla is not None:
        return 1, tp > 1
    if tp <= heads:
        return -(-heads // tp), False
    return 1, True


def state_bytes_per_sequence_per_gpu(shape: ModelShape, kvfmt: KVFormat, tp: int) -> int:
    return -(-kv_layout(shape, kvfmt).state_bytes_per_sequence // tp)


def kv_bytes_per_sequence_per_gpu(shape: ModelShape, kvfmt: KVFormat, context: int, tp: int) -> int:
    """KV plus fixed state of one sequence on one GPU."""
    state = state_bytes_per_sequence_per_gpu(shape, kvfmt, tp)
    per_seq = kv_bytes_for_sequence(kv_layout(shape, kvfmt), context)
    if shape.mla is not None:
        return per_seq + state
    held, _ = kv_heads_per_gpu(shape, tp)
    # kv_bytes_for_sequence is 2·kv_heads·(bytes per head) per layer-token, so this division is exact.
    return per_seq // shape.num_kv_heads * held + state


def _kv_projection_extra(shape: ModelShape, wfmt: WeightFormat, tp: int) -> int:
    if shape.mla is not None or tp <= shape.num_kv_heads:
        return 0
    # Each GPU keeps one KV head's k_proj and v_proj whole instead of kv_heads/tp of them.
    params_per_head = 2 * shape.hidden_size * shape.head_dim * shape.num_layers
    extra = params_per_head * (tp - shape.num_kv_heads) / tp
    return int(-(-(extra * wfmt.bits_per_weight) // 8))


def weight_bytes_per_gpu(params: ParamCount, shape: ModelShape, wfmt: WeightFormat, tp: int) -> tuple[int, int]:
    """(bytes per GPU, of which K/V projections held whole because tp > kv_heads)."""
    total, _, _ = weight_bytes(params, wfmt)
    extra = _kv_projection_extra(shape, wfmt, tp)
    return -(-total // tp) + extra, extra


def activation_bytes_per_gpu(shape: ModelShape, tokens: int, batch: int, tp: int) -> int:
    whole = activation_peak(shape, tokens, batch)
    residual = tokens * 2 * shape.hidden_size * ACT_BYTES
    logits = batch * shape.vocab_size * LOGIT_BYTES
    inner = whole - residual - logits
    return residual + logits + -(-inner // tp)


def overhead_bytes(tp: int, override: int | None = None, engine: str | None = None) -> int:
    """Runtime overhead per GPU: 1 GiB, plus all-reduce buffers with tp > 1 unless the engine splits by layer."""
    if override is not None:
        return override
    comm = tp > 1 and engine not in engines.LAYER_SPLIT
    return DEFAULT_OVERHEAD_BYTES + (TP_COMM_OVERHEAD_BYTES if comm else 0)


def _place_by_layer(shape: ModelShape, params: ParamCount, gpu: GPU, wfmt: WeightFormat, kvfmt: KVFormat, *,
                    context: int, batch: int, tp: int, overhead: int | None, prefill_chunk: int | None,
                    engine: str) -> Placement:
    """llama.cpp's layer split: 1/tp of the weights, KV and state per GPU (rounded up), whole-layer activations
    of one n_ubatch chunk (its compute buffer), no all-reduce buffers."""
    layout = kv_layout(shape, kvfmt)
    state = -(-layout.state_bytes_per_sequence // tp)
    kv_seq = -(-kv_bytes_for_sequence(layout, context) // tp) + state
    chunk = prefill_chunk or engines.lookup(engine).step_token_budget or DEFAULT_PREFILL_CHUNK_TOKENS
    tokens = min(chunk, max(context * batch, 1))
    heads = 1 if shape.mla is not None else shape.num_kv_heads
    return Placement(tp=tp, weights=-(-weight_bytes(params, wfmt)[0] // tp), kv_per_sequence=kv_seq,
                     kv=kv_seq * batch, activations=activation_peak(shape, tokens, batch),
                     overhead=overhead_bytes(tp, overhead, engine), usable=gpu.usable_bytes, kv_heads_per_gpu=heads,
                     kv_replicated=False, weights_replicated_extra=0, state_per_sequence=state)


def place(shape: ModelShape, params: ParamCount, gpu: GPU, wfmt: WeightFormat, kvfmt: KVFormat, *, context: int,
          batch: int, tp: int, overhead: int | None = None, prefill_chunk: int | None = None,
          engine: str | None = None) -> Placement:
    """Memory per GPU at tensor-parallel degree `tp`; `engine` (an id) None or a tensor-parallel engine: the
    vLLM-style placement; an engine in engines.LAYER_SPLIT: by layer."""
    if engine in engines.LAYER_SPLIT:
        return _place_by_layer(shape, params, gpu, wfmt, kvfmt, context=context, batch=batch, tp=tp,
                               overhead=overhead, prefill_chunk=prefill_chunk, engine=engine)
    weights, extra = weight_bytes_per_gpu(params, shape, wfmt, tp)
    kv_seq = kv_bytes_per_sequence_per_gpu(shape, kvfmt, context, tp)
    held, replicated = kv_heads_per_gpu(shape, tp)
    tokens = min(prefill_chunk or DEFAULT_PREFILL_CHUNK_TOKENS, max(context * batch, 1))
    return Placement(tp=tp, weights=weights, kv_per_sequence=kv_seq, kv=kv_seq * batch,
                     activations=activation_bytes_per_gpu(shape, tokens, batch, tp),
                     overhead=overhead_bytes(tp, overhead), usable=gpu.usable_bytes, kv_heads_per_gpu=held,
                     kv_replicated=replicated, weights_replicated_extra=extra,
                     state_per_sequence=state_bytes_per_sequence_per_gpu(shape, kvfmt, tp))


def min_placement(shape: ModelShape, params: ParamCount, gpu: GPU, wfmt: WeightFormat, kvfmt: KVFormat, *,
                  context: int, batch: int, overhead: int | None = None,
                  prefill_chunk: int | None = None, engine: str | None = None) -> Placement | None:
    """The smallest tensor-parallel degree that fits, or None when none up to the device's maximum does."""
    for tp in tp_degrees(shape, gpu.max_count):
        p = place(shape, params, gpu, wfmt, kvfmt, context=context, batch=batch, tp=tp, overhead=overhead,
                  prefill_chunk=prefill_chunk, engine=engine)
        if p.fits:
            return p
    return None


@dataclass(frozen=True)
class Option:
    """One way to serve the model, for ranking."""

    gpu_id: str
    count: int
    usd_per_hour: float | None
    decode_tokens_per_s: float  # one stream
    batch_tokens_per_s: float  # aggregate at the requested batch

    @property
    def usd_per_mtok(self) -> float | None:
        if self.usd_per_hour is None or self.batch_tokens_per_s <= 0:
            return None
        return self.usd_per_hour / (self.batch_tokens_per_s * 3600) * 1e6


def recommend(options: list[Option]) -> dict:
    """Cheapest per hour that fits, fastest single stream, and lowest $ per million output tokens."""
    out: dict = {}
    priced = [o for o in options if o.usd_per_hour is not None]
    if priced:
        out["cheapest_per_hour"] = min(priced, key=lambda o: (o.usd_per_hour, -o.decode_tokens_per_s))
    if options:
        out["fastest"] = max(options, key=lambda o: (o.decode_tokens_per_s, -(o.usd_per_hour or 0)))
    per_tok = [o for o in priced if o.usd_per_mtok is not None]
    if per_tok:
        out["best_usd_per_mtok"] = min(per_tok, key=lambda o: o.usd_per_mtok)
    return out
