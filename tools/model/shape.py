"""The shape of a decoder-only model: every field that changes a parameter, KV or state count.

Frozen and validated on construction, so every calculator can trust it. Readers (HF config, catalog,
explicit fields) all end here; nothing downstream re-derives head_dim or guesses tying.

Each layer has a token-mixer kind (`layer_types`): attention that caches K/V for every token ("full"),
for at most a window ("sliding": sliding_window; "chunked": Llama-4 attention_chunk_size), a fixed-state
mixer ("linear": `linear`, a Mamba / DeltaNet / lightning / short-conv LinearMixer), both side by side
("hybrid": Falcon-H1), or none (Nemotron-H blocks that hold only an MLP or MoE).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from ..errors import InvalidInput
from .mixers import LinearMixer

if TYPE_CHECKING:
    from .checkpoint import CheckpointSummary

FFN_KINDS = ("gated", "standard")
# weight + bias (layernorm), weight only (rmsnorm, layernorm_nobias: Cohere), no weights (OLMo-1)
NORM_KINDS = ("rmsnorm", "layernorm", "layernorm_nobias", "nonparametric")
QK_NORM_KINDS = ("none", "per_head", "full")
POSITION_KINDS = ("rotary", "learned", "alibi", "none")
LAYER_KINDS = ("full", "sliding", "chunked", "linear", "hybrid", "none")
ATTENTION_KINDS = ("full", "sliding", "chunked", "hybrid")  # layers with attention (and a KV cache)
STATE_KINDS = ("linear", "hybrid")  # layers with a LinearMixer (and a fixed state per sequence)


def _positive(name: str, value: int | None, *, allow_none: bool = False, allow_zero: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{name} must be an integer, got {value!r}", field=name)
    if value < 0 or (value == 0 and not allow_zero):
        raise InvalidInput(f"{name} must be {'>= 0' if allow_zero else '> 0'}, got {value}", field=name)


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise InvalidInput(f"{name} must be one of {', '.join(allowed)}; got {value!r}", field=name,
                           allowed=list(allowed))


@dataclass(frozen=True)
class MoE:
    """Mixture of experts. `shared_intermediate_size` is the total width of the always-on shared block
    (DeepSeek: n_shared × moe_intermediate; Qwen2-MoE: shared_expert_intermediate_size)."""

    num_experts: int
    experts_per_token: int
    expert_intermediate_size: int
    num_shared_experts: int = 0
    shared_intermediate_size: int = 0
    shared_expert_gate: bool = False  # Qwen2-MoE: sigmoid gate Linear(hidden, 1) on the shared expert
    dense_layers: tuple[int, ...] = ()  # layer indices whose FFN is dense (DeepSeek first_k_dense_replace)
    router_bias: bool = False  # gpt-oss router has a bias
    router_score_bias: bool = False  # DeepSeek-V3 e_score_correction_bias (one per expert)

    def __post_init__(self) -> None:
        _positive("num_experts", self.num_experts)
        _positive("experts_per_token", self.experts_per_token)
        _positive("expert_intermediate_size", self.expert_intermediate_size)
        _positive("num_shared_experts", self.num_shared_experts, allow_zero=True)
        _positive("shared_intermediate_size", self.shared_intermediate_size, allow_zero=True)
        if self.experts_per_token > self.num_experts:
            raise InvalidInput(
                f"experts_per_token ({self.experts_per_token}) cannot exceed num_experts ({self.num_experts})",
                field="experts_per_token",
            )
        if self.num_shared_experts and not self.shared_intermediate_size:
            raise InvalidInput("num_shared_experts > 0 needs shared_intermediate_size > 0",
                               field="shared_intermediate_size")


@dataclass(frozen=True)
class MLA:
    """Multi-head latent attention (DeepSeek-V2/V3). K/V are cached as one latent of kv_lora_rank plus
    the shared rope key of qk_rope_head_dim."""

    kv_lora_rank: int
    qk_nope_head_dim: int
    qk_rope_head_dim: int
    v_head_dim: int
    q_lora_rank: int | None = None  # None: queries use a plain projection (DeepSeek-V2-Lite)

    def __post_init__(self) -> None:
        for name in ("kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim"):
            _positive(name, getattr(self, name))
        _positive("q_lora_rank", self.q_lora_rank, allow_none=True)


@dataclass(frozen=True)
class Indexer:
    """DeepSeek sparse attention's lightning indexer (DeepSeek-V3.2): per layer it caches one key of
    head_dim per token beside the MLA latent, and scores it with n_heads query heads."""

    n_heads: int
    head_dim: int
    topk: int | None = None  # keys attended per query; does not change sizes

    def __post_init__(self) -> None:
        _positive("index_heads", self.n_heads)
        _positive("index_head_dim", self.head_dim)
        _positive("index_topk", self.topk, allow_none=True)


@dataclass(frozen=True)
class PerLayerInputs:
    """Gemma 3n: a second embedding table giving every layer its own `width`-wide input per token
    (vocab_size x num_layers x width), AltUp with `altup_inputs` parallel streams, LAuReL of `laurel_rank`."""

    vocab_size: int
    width: int
    altup_inputs: int
    laurel_rank: int

    def __post_init__(self) -> None:
        for n in ("vocab_size", "width", "altup_inputs", "laurel_rank"):
            _positive(n, getattr(self, n))


@dataclass(frozen=True)
class ModelShape:
    vocab_size: int
    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    num_kv_heads: int | None = None  # None → num_heads (MHA)
    head_dim: int | None = None  # None → hidden_size / num_heads, only when that divides exactly
    ffn: str = "gated"
    tied_embeddings: bool = False
    qkv_bias: bool = False
    o_bias: bool = False
    mlp_bias: bool = False
    norm: str = "rmsnorm"
    norms_per_layer: int = 2
    qk_norm: str = "none"
    qk_norm_kind: str | None = None  # the QK norms' own kind when it differs from `norm` (StableLM)
    final_norm: bool = True
    positions: str = "rotary"
    max_position_embeddings: int | None = None  # learned table size; the context window unless set below
    # The window the config sets up (tools/model/window.py: YaRN's original x factor can exceed
    # max_position_embeddings) and how it was derived; None → max_position_embeddings.
    context_window: int | None = None
    context_window_basis: str | None = None
    moe: MoE | None = None
    mla: MLA | None = None
    layer_types: tuple[str, ...] | None = None  # per layer, one of LAYER_KINDS; None → all full (or sliding)
    sliding_window: int | None = None
    attention_chunk_size: int | None = None  # "chunked" layers attend within chunks of this many tokens
    linear: LinearMixer | None = None  # the mixer of "linear" / "hybrid" layers
    indexer: Indexer | None = None
    kv_shared_layers: int = 0  # the last N layers reuse an earlier layer's K/V: no cache, no k/v proj
    no_ffn_layers: tuple[int, ...] = ()  # layers without an MLP or MoE (Nemotron-H mixer blocks)
    attn_output_gate: bool = False  # q_proj also emits a per-head output gate (Qwen3-Next): 2x width
    lm_head_bias: bool = False
    embedding_norm: bool = False  # a norm right after the token embedding (BLOOM word_embeddings_layernorm)
    position_offset: int = 0  # learned position rows beyond max_position_embeddings (OPT keeps 2 extra)
    ffn_act_params: int = 0  # learned activation parameters per MLP (Apertus xIELU: 2)
    per_layer_inputs: PerLayerInputs | None = None
    attention_sinks: bool = False  # gpt-oss: one learned sink logit per head per layer
    parallel_block: bool = False  # attention and MLP read the same input (GPT-J/NeoX/Falcon)
    name: str = "custom"
    model_type: str | None = None

    def __post_init__(self) -> None:
        for n in ("vocab_size", "hidden_size", "num_layers", "num_heads", "intermediate_size"):
            _positive(n, getattr(self, n))
        _positive("norms_per_layer", self.norms_per_layer, allow_zero=True)
        _positive("max_position_embeddings", self.max_position_embeddings, allow_none=True)
        _positive("sliding_window", self.sliding_window, allow_none=True)
        _positive("context_window", self.context_window, allow_none=True)
        if self.num_kv_heads is None:
            object.__setattr__(self, "num_kv_heads", self.num_heads)
        _positive("num_kv_heads", self.num_kv_heads)
        if self.num_kv_heads > self.num_heads or self.num_heads % self.num_kv_heads:
            raise InvalidInput(
                f"num_heads ({self.num_heads}) must be a multiple of num_kv_heads ({self.num_kv_heads})",
                field="num_kv_heads",
            )
        if self.head_dim is None:
            if self.hidden_size % self.num_heads:
                raise InvalidInput(
                    f"hidden_size {self.hidden_size} is not divisible by num_heads {self.num_heads}; "
                    "give head_dim explicitly",
                    field="head_dim",
                )
            object.__setattr__(self, "head_dim", self.hidden_size // self.num_heads)
        _positive("head_dim", self.head_dim)
        _choice("ffn", self.ffn, FFN_KINDS)
        _choice("norm", self.norm, NORM_KINDS)
        _choice("qk_norm", self.qk_norm, QK_NORM_KINDS)
        if self.qk_norm_kind is not None:
            _choice("qk_norm_kind", self.qk_norm_kind, NORM_KINDS)
        _choice("positions", self.positions, POSITION_KINDS)
        if self.positions == "learned" and not self.max_position_embeddings:
            raise InvalidInput("learned positions need max_position_embeddings", field="max_position_embeddings")
        if self.layer_types is not None:
            object.__setattr__(self, "layer_types", tuple(self.layer_types))
            if len(self.layer_types) != self.num_layers:
                raise InvalidInput(
                    f"layer_types has {len(self.layer_types)} entries but num_layers is {self.num_layers}",
                    field="layer_types",
                )
            for t in self.layer_types:
                _choice("layer_types[]", t, LAYER_KINDS)
            if "sliding" in self.layer_types and not self.sliding_window:
                raise InvalidInput("sliding layers need sliding_window", field="sliding_window")
            if "chunked" in self.layer_types and not self.attention_chunk_size:
                raise InvalidInput("chunked layers need attention_chunk_size", field="attention_chunk_size")
            if any(t in STATE_KINDS for t in self.layer_types) and self.linear is None:
                raise InvalidInput("linear/hybrid layers need a linear mixer (linear_kind and its sizes)",
                                   field="linear_kind")
        _positive("attention_chunk_size", self.attention_chunk_size, allow_none=True)
        _positive("kv_shared_layers", self.kv_shared_layers, allow_zero=True)
        _positive("ffn_act_params", self.ffn_act_params, allow_zero=True)
        _positive("position_offset", self.position_offset, allow_zero=True)
        if self.kv_shared_layers >= self.num_layers:
            raise InvalidInput(f"kv_shared_layers ({self.kv_shared_layers}) must be < num_layers "
                               f"({self.num_layers})", field="kv_shared_layers")
        if self.indexer is not None and self.mla is None:
            raise InvalidInput("an attention indexer needs MLA (DeepSeek-V3.2)", field="index_head_dim")
        object.__setattr__(self, "no_ffn_layers", tuple(sorted(set(self.no_ffn_layers))))
        bad = [i for i in self.no_ffn_layers if not 0 <= i < self.num_layers]
        if bad:
            raise InvalidInput(f"no_ffn_layers {bad} outside 0..{self.num_layers - 1}", field="no_ffn_layers")
        if self.moe is not None:
            object.__setattr__(self.moe, "dense_layers", tuple(sorted(set(self.moe.dense_layers))))
            bad = [i for i in self.moe.dense_layers if not 0 <= i < self.num_layers]
            if bad:
                raise InvalidInput(f"dense_layers {bad} outside 0..{self.num_layers - 1}", field="dense_layers")
            both = set(self.moe.dense_layers) & set(self.no_ffn_layers)
            if both:
                raise InvalidInput(f"layers {sorted(both)} cannot be both dense and FFN-less", field="dense_layers")

    # -- derived views used by several calculators --------------------------------------------------
    @property
    def context_limit(self) -> int | None:
        """The model's context window in tokens (None: unknown)."""
        return self.context_window or self.max_position_embeddings

    @property
    def kinds(self) -> tuple[str, ...]:
        """Attention kind of every layer; a global sliding_window without layer_types slides everywhere
        (Mistral v0.1, Phi-3 convention in transformers)."""
        if self.layer_types is not None:
            return self.layer_types
        return ("sliding" if self.sliding_window else "full",) * self.num_layers

    def window(self, kind: str) -> int | None:
        """Tokens an attention layer of this kind keeps (None: the whole context)."""
        return {"sliding": self.sliding_window, "chunked": self.attention_chunk_size}.get(kind)

    @property
    def attention_windows(self) -> tuple[int | None, ...]:
        """One entry per attention layer (linear / FFN-only layers left out): its window, None for full."""
        return tuple(self.window(k) for k in self.kinds if k in ATTENTION_KINDS)

    @property
    def kv_cached_kinds(self) -> tuple[str, ...]:
        """Kinds of the attention layers that keep a KV cache of their own (KV-shared layers left out)."""
        own = self.kinds[:self.num_layers - self.kv_shared_layers]
        return tuple(k for k in own if k in ATTENTION_KINDS)

    @property
    def state_layer_count(self) -> int:
        return sum(1 for k in self.kinds if k in STATE_KINDS)

    @property
    def moe_layer_count(self) -> int:
        if self.moe is None:
            return 0
        return self.num_layers - len(self.moe.dense_layers) - len(self.no_ffn_layers)

    @property
    def dense_ffn_layer_count(self) -> int:
        """Layers with a dense MLP (not MoE, not FFN-less)."""
        if self.moe is None:
            return self.num_layers - len(self.no_ffn_layers)
        return len(self.moe.dense_layers)

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("layer_types", "no_ffn_layers"):
            if d[k] is not None:
                d[k] = list(d[k])
        if d["moe"] is not None:
            d["moe"]["dense_layers"] = list(d["moe"]["dense_layers"])
        return d


@dataclass(frozen=True)
class ResolvedModel:
    """A shape together with where it came from, so every result can cite its provenance."""

    shape: ModelShape
    source: str
    label: str
    entry_id: str | None = None
    as_of: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    read_from: str | None = None  # catalog entries read from a copy of `source` (tools/model/catalog.py)
    checkpoint: CheckpointSummary | None = None  # stored tensor bytes, when headers were read (Hub, local)
