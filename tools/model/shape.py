"""The shape of a decoder-only transformer: every field that changes a parameter or KV count.

Frozen and validated on construction, so every calculator can trust it. Readers (HF config, catalog,
explicit fields) all end here; nothing downstream re-derives head_dim or guesses tying.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..errors import InvalidInput

FFN_KINDS = ("gated", "standard")
NORM_KINDS = ("rmsnorm", "layernorm")
QK_NORM_KINDS = ("none", "per_head", "full")
POSITION_KINDS = ("rotary", "learned", "alibi", "none")
LAYER_KINDS = ("full", "sliding")


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
    final_norm: bool = True
    positions: str = "rotary"
    max_position_embeddings: int | None = None  # learned table size; also the model's context window
    moe: MoE | None = None
    mla: MLA | None = None
    layer_types: tuple[str, ...] | None = None  # per layer "full"/"sliding"; None → all full
    sliding_window: int | None = None
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
        if self.moe is not None:
            bad = [i for i in self.moe.dense_layers if not 0 <= i < self.num_layers]
            if bad:
                raise InvalidInput(f"dense_layers {bad} outside 0..{self.num_layers - 1}", field="dense_layers")

    # -- derived views used by several calculators --------------------------------------------------
    @property
    def kinds(self) -> tuple[str, ...]:
        """Attention kind of every layer; a global sliding_window without layer_types slides everywhere
        (Mistral v0.1, Phi-3 convention in transformers)."""
        if self.layer_types is not None:
            return self.layer_types
        return ("sliding" if self.sliding_window else "full",) * self.num_layers

    @property
    def moe_layer_count(self) -> int:
        return 0 if self.moe is None else self.num_layers - len(set(self.moe.dense_layers))

    def to_dict(self) -> dict:
        d = asdict(self)
        if d["layer_types"] is not None:
            d["layer_types"] = list(d["layer_types"])
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
