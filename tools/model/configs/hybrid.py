"""Models whose layers keep a fixed state instead of (or beside) a KV cache: Qwen3-Next (gated DeltaNet),
Mamba-2, Bamba, Granite 4.0 hybrid, Nemotron-H, Falcon-H1 (Mamba-2), Jamba (Mamba-1), LFM2 (short
convolutions), MiniMax-01 (lightning attention).

Each reader returns the per-layer kinds ("linear" for the state layers, "hybrid" for Falcon-H1's
attention + Mamba side by side, "none" for Nemotron-H's FFN-only blocks) and one LinearMixer.
Defaults: transformers 5.24.0 config classes.
"""

from __future__ import annotations

import math

from ...errors import InvalidInput, UnsupportedConfig
from ..mixers import LinearMixer
from ..shape import MoE
from .base import Cfg, Family, common, layer_types
from .dense import qwen_moe_dense_layers

_LIN_FULL = ("full_attention", "linear_attention")


def _qwen3_next(cfg: Cfg) -> dict:
    n = cfg.int("num_hidden_layers")
    interval = cfg.int("full_attention_interval", 4)
    types = layer_types(cfg, n, allowed=_LIN_FULL) or tuple(
        "linear" if (i + 1) % interval else "full" for i in range(n))
    mixer = LinearMixer("gated_deltanet", num_heads=cfg.int("linear_num_value_heads"),
                        head_dim=cfg.int("linear_value_head_dim"), num_groups=cfg.int("linear_num_key_heads"),
                        state_size=cfg.int("linear_key_head_dim"), conv_kernel=cfg.int("linear_conv_kernel_dim"))
    shared = cfg.int("shared_expert_intermediate_size")
    moe = MoE(num_experts=cfg.int("num_experts"), experts_per_token=cfg.int("num_experts_per_tok"),
              expert_intermediate_size=cfg.int("moe_intermediate_size"), num_shared_experts=1 if shared else 0,
              shared_intermediate_size=shared, shared_expert_gate=bool(shared),
              dense_layers=qwen_moe_dense_layers(cfg, n))
    # Gated attention: q_proj also emits a sigmoid output gate per head; QK RMSNorm per head.
    return common(cfg, layer_types=types, linear=mixer, moe=moe, attn_output_gate=True, qk_norm="per_head")


def _mamba2_mixer(cfg: Cfg, prefix: str, inner: int, **over) -> LinearMixer:
    """Bamba / Granite-4 / Falcon-H1 spell the Mamba-2 fields mamba_n_heads, mamba_d_head, mamba_n_groups,
    mamba_d_state, mamba_d_conv, mamba_conv_bias, mamba_proj_bias."""
    kw = dict(num_heads=cfg.int(f"{prefix}n_heads"), head_dim=cfg.int(f"{prefix}d_head"),
              num_groups=cfg.int(f"{prefix}n_groups"), state_size=cfg.int(f"{prefix}d_state"), inner_size=inner,
              conv_kernel=cfg.int(f"{prefix}d_conv"), conv_bias=cfg.flag(f"{prefix}conv_bias"),
              proj_bias=cfg.flag(f"{prefix}proj_bias"))
    kw.update(over)
    return LinearMixer("mamba2", **kw)


def _expand(cfg: Cfg, key: str) -> int:
    # transformers: int(expand * hidden_size)
    return int(cfg.number(key) * cfg.int("hidden_size"))


def _mamba2(cfg: Cfg) -> dict:
    # A pure Mamba-2 stack: one RMSNorm + mixer per layer, no attention, no MLP. num_heads / head_dim are the
    # SSM heads (tensor parallelism shards them); intermediate_size is the mixer's inner width.
    n, inner = cfg.int("num_hidden_layers"), _expand(cfg, "expand")
    mixer = LinearMixer("mamba2", num_heads=cfg.int("num_heads"), head_dim=cfg.int("head_dim"),
                        num_groups=cfg.int("n_groups"), state_size=cfg.int("state_size"), inner_size=inner,
                        conv_kernel=cfg.int("conv_kernel"), conv_bias=cfg.flag("use_conv_bias"),
                        proj_bias=cfg.flag("use_bias"))
    return dict(vocab_size=cfg.int("vocab_size"), hidden_size=cfg.int("hidden_size"), num_layers=n,
                num_heads=mixer.num_heads, head_dim=mixer.head_dim, intermediate_size=inner, positions="none",
                tied_embeddings=cfg.flag("tie_word_embeddings", False), norms_per_layer=1,
                layer_types=("linear",) * n, linear=mixer, no_ffn_layers=tuple(range(n)), model_type=cfg.model_type)


def _mamba(cfg: Cfg) -> dict:
    # Mamba-1: one RMSNorm + mixer per layer, no attention, no MLP.
    n, h = cfg.int("num_hidden_layers"), cfg.int("hidden_size")
    rank = cfg.get("time_step_rank")
    mixer = LinearMixer("mamba", inner_size=_expand(cfg, "expand"), state_size=cfg.int("state_size"),
                        conv_kernel=cfg.int("conv_kernel"),
                        dt_rank=math.ceil(h / 16) if rank == "auto" else cfg.int("time_step_rank"),
                        conv_bias=cfg.flag("use_conv_bias"), proj_bias=cfg.flag("use_bias"))
    return dict(vocab_size=cfg.int("vocab_size"), hidden_size=h, num_layers=n, num_heads=1, head_dim=h,
                intermediate_size=mixer.inner_size, positions="none", norms_per_layer=1,
                tied_embeddings=cfg.flag("tie_word_embeddings", True), layer_types=("linear",) * n,
                linear=mixer, no_ffn_layers=tuple(range(n)), model_type=cfg.model_type)


def _bamba(cfg: Cfg) -> dict:
    n = cfg.int("num_hidden_layers")
    attn = set(cfg.int_list("attn_layer_indices") or [])
    types = layer_types(cfg, n, allowed=_LIN_FULL) or tuple("full" if i in attn else "linear" for i in range(n))
    return common(cfg, layer_types=types, linear=_mamba2_mixer(cfg, "mamba_", _expand(cfg, "mamba_expand")))


def _granite_hybrid(cfg: Cfg) -> dict:
    n = cfg.int("num_hidden_layers")
    types = layer_types(cfg, n, allowed=(*_LIN_FULL, "mamba", "attention"))
    if types is None:
        types = layer_types(cfg, n, key="layers_block_type", allowed=(*_LIN_FULL, "mamba", "attention"))
    types = types or ("linear",) * n
    shared = cfg.int("shared_intermediate_size")
    experts = cfg.int("num_local_experts")
    # With experts: MoE of intermediate_size plus an always-on shared MLP; without: the shared MLP is the MLP.
    moe = MoE(num_experts=experts, experts_per_token=cfg.int("num_experts_per_tok"),
              expert_intermediate_size=cfg.int("intermediate_size"), num_shared_experts=1,
              shared_intermediate_size=shared) if experts else None
    return common(cfg, layer_types=types, linear=_mamba2_mixer(cfg, "mamba_", _expand(cfg, "mamba_expand")),
                  intermediate_size=shared, moe=moe)


_NEMOTRON_CHARS = {"M": "linear", "*": "full", "-": "none", "E": "none"}


def _nemotron_h(cfg: Cfg) -> dict:
    names = {"linear_attention": "M", "mamba": "M", "full_attention": "*", "attention": "*", "mlp": "-", "moe": "E"}
    pattern = cfg.get("hybrid_override_pattern")
    listed = cfg.get("layers_block_type", cfg.get("layer_types"))
    if pattern is None and isinstance(listed, list) and all(t in names for t in listed):
        pattern = "".join(names[t] for t in listed)
    if not isinstance(pattern, str) or not pattern or set(pattern) - set(_NEMOTRON_CHARS):
        raise InvalidInput("nemotron_h needs hybrid_override_pattern (M, *, -, E per layer) or layers_block_type",
                           field="hf_config.hybrid_override_pattern")
    if cfg.opt_int("moe_latent_size") is not None:
        raise UnsupportedConfig("nemotron_h with moe_latent_size (latent MoE projections) is not supported",
                                field="hf_config.moe_latent_size")
    n = len(pattern)
    mixer = LinearMixer("mamba2", num_heads=cfg.int("mamba_num_heads"), head_dim=cfg.int("mamba_head_dim"),
                        num_groups=cfg.int("n_groups"), state_size=cfg.int("ssm_state_size"),
                        inner_size=cfg.int("mamba_num_heads") * cfg.int("mamba_head_dim"),
                        conv_kernel=cfg.int("conv_kernel"), conv_bias=cfg.flag("use_conv_bias"),
                        proj_bias=cfg.flag("use_bias"))
    moe = None
    if "E" in pattern:
        n_shared = cfg.int("n_shared_experts", required=False) or 0
        moe = MoE(num_experts=cfg.int("n_routed_experts"), experts_per_token=cfg.int("num_experts_per_tok"),
                  expert_intermediate_size=cfg.int("moe_intermediate_size"), num_shared_experts=n_shared,
                  shared_intermediate_size=cfg.int("moe_shared_expert_intermediate_size") if n_shared else 0,
                  dense_layers=tuple(i for i, c in enumerate(pattern) if c == "-"), router_score_bias=True)
    head_dim = cfg.first_int("head_dim", "attention_head_dim")
    # One RMSNorm per block; each block holds one of: Mamba-2 mixer, attention, ReLU² MLP, MoE.
    return common(cfg, num_layers=n, head_dim=head_dim, ffn="standard", norms_per_layer=1,
                  layer_types=tuple(_NEMOTRON_CHARS[c] for c in pattern), linear=mixer, moe=moe,
                  no_ffn_layers=tuple(i for i, c in enumerate(pattern) if c in "M*"))


def _falcon_h1(cfg: Cfg) -> dict:
    # Every layer runs attention and a Mamba-2 mixer side by side, then an MLP.
    n = cfg.int("num_hidden_layers")
    d_ssm = cfg.opt_int("mamba_d_ssm")
    inner = d_ssm if d_ssm is not None else _expand(cfg, "mamba_expand")
    mixer = _mamba2_mixer(cfg, "mamba_", inner, out_bias=cfg.flag("projectors_bias"),
                          gated_norm=cfg.flag("mamba_rms_norm"))
    return common(cfg, layer_types=("hybrid",) * n, linear=mixer)


def _jamba(cfg: Cfg) -> dict:
    n, h = cfg.int("num_hidden_layers"), cfg.int("hidden_size")
    a_per, a_off = cfg.int("attn_layer_period"), cfg.int("attn_layer_offset")
    e_per, e_off = cfg.int("expert_layer_period"), cfg.int("expert_layer_offset")
    dt_rank = cfg.get("mamba_dt_rank")
    dt_rank = math.ceil(h / 16) if dt_rank == "auto" else cfg.int("mamba_dt_rank")
    mixer = LinearMixer("mamba", inner_size=_expand(cfg, "mamba_expand"), state_size=cfg.int("mamba_d_state"),
                        conv_kernel=cfg.int("mamba_d_conv"), dt_rank=dt_rank,
                        conv_bias=cfg.flag("mamba_conv_bias"), proj_bias=cfg.flag("mamba_proj_bias"),
                        bc_norms=True)
    moe = MoE(num_experts=cfg.int("num_experts"), experts_per_token=cfg.int("num_experts_per_tok"),
              expert_intermediate_size=cfg.int("intermediate_size"),
              dense_layers=tuple(i for i in range(n) if i % e_per != e_off)) if cfg.int("num_experts") > 1 else None
    types = tuple("full" if i % a_per == a_off else "linear" for i in range(n))
    return common(cfg, layer_types=types, linear=mixer, moe=moe)


def _lfm2(cfg: Cfg) -> dict:
    n = cfg.int("num_hidden_layers")
    types = layer_types(cfg, n, allowed=("full_attention", "conv"))
    if types is None:
        idx = cfg.int_list("full_attn_idxs")
        idx = set(range(n) if idx is None else idx)
        types = tuple("full" if i in idx else "linear" for i in range(n))
    ff = cfg.int("intermediate_size")
    if cfg.flag("block_auto_adjust_ff_dim"):  # Lfm2MLP: 2/3 of it, times the multiplier, rounded up
        ff = int(2 * ff / 3)
        mult = cfg.number("block_ffn_dim_multiplier", required=False)
        if mult is not None:
            step = cfg.int("block_multiple_of")
            ff = step * ((int(mult * ff) + step - 1) // step)
    h = cfg.int("hidden_size")
    mixer = LinearMixer("short_conv", inner_size=h, conv_kernel=cfg.int("conv_L_cache"),
                        conv_bias=cfg.flag("conv_bias"), proj_bias=cfg.flag("conv_bias"))
    return common(cfg, intermediate_size=ff, layer_types=types, linear=mixer, qk_norm="per_head",
                  tied_embeddings=cfg.flag("tie_word_embeddings", True))


def _minimax(cfg: Cfg) -> dict:
    n = cfg.int("num_hidden_layers")
    types = layer_types(cfg, n, allowed=_LIN_FULL)
    attn_list = cfg.int_list("attn_type_list", n)
    if types is None and attn_list is not None:  # MiniMax's own config.json: 1 = softmax attention, 0 = lightning
        types = tuple("full" if t == 1 else "linear" for t in attn_list)
    types = types or tuple("full" if (i + 1) % 2 else "linear" for i in range(n))
    d = common(cfg, layer_types=types)
    mixer = LinearMixer("lightning", num_heads=d["num_heads"],
                        head_dim=d["head_dim"] or d["hidden_size"] // d["num_heads"])
    d["linear"] = mixer
    d["moe"] = MoE(num_experts=cfg.int("num_local_experts"), experts_per_token=cfg.int("num_experts_per_tok"),
                   expert_intermediate_size=cfg.int("intermediate_size"))
    return d


_MAMBA2_FIELDS = dict(mamba_n_heads=128, mamba_d_head=64, mamba_n_groups=1, mamba_d_state=256, mamba_d_conv=4,
                      mamba_expand=2, mamba_conv_bias=True, mamba_proj_bias=False)
_BASE = dict(hidden_size=4096, intermediate_size=14336, num_hidden_layers=32, num_attention_heads=32,
             num_key_value_heads=8, tie_word_embeddings=False, attention_bias=False, mlp_bias=False)

FAMILIES: dict[str, Family] = {
    "qwen3_next": Family(_qwen3_next, dict(vocab_size=151936, hidden_size=2048, intermediate_size=5632,
                                           num_hidden_layers=48, num_attention_heads=16, num_key_value_heads=2,
                                           head_dim=256, max_position_embeddings=32768, tie_word_embeddings=False,
                                           attention_bias=False, linear_conv_kernel_dim=4, linear_key_head_dim=128,
                                           linear_value_head_dim=128, linear_num_key_heads=16,
                                           linear_num_value_heads=32, decoder_sparse_step=1,
                                           moe_intermediate_size=512, shared_expert_intermediate_size=512,
                                           num_experts_per_tok=10, num_experts=512, mlp_only_layers=[]),
                         ("Qwen3NextForCausalLM",)),
    "mamba2": Family(_mamba2, dict(num_heads=128, head_dim=64, vocab_size=32768, hidden_size=4096, state_size=128,
                                   num_hidden_layers=64, expand=2, conv_kernel=4, n_groups=8, use_bias=False,
                                   use_conv_bias=True, tie_word_embeddings=False), ("Mamba2ForCausalLM",)),
    "mamba": Family(_mamba, dict(vocab_size=50280, hidden_size=768, state_size=16, num_hidden_layers=32, expand=2,
                                 conv_kernel=4, use_bias=False, use_conv_bias=True, time_step_rank="auto",
                                 tie_word_embeddings=True), ("MambaForCausalLM",)),
    "bamba": Family(_bamba, dict(vocab_size=128000, max_position_embeddings=262144, attn_layer_indices=None,
                                 **_BASE, **_MAMBA2_FIELDS), ("BambaForCausalLM",)),
    "granitemoehybrid": Family(_granite_hybrid, dict(
        vocab_size=32000, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32, num_attention_heads=32,
        num_key_value_heads=32, max_position_embeddings=2048, tie_word_embeddings=False, attention_bias=False,
        num_local_experts=8, num_experts_per_tok=2, shared_intermediate_size=1024, **_MAMBA2_FIELDS),
        ("GraniteMoeHybridForCausalLM",)),
    "nemotron_h": Family(_nemotron_h, dict(
        vocab_size=131072, hidden_size=4096, num_attention_heads=32, num_key_value_heads=8, head_dim=128,
        max_position_embeddings=4096, attention_bias=False, intermediate_size=21504, mlp_bias=False,
        ssm_state_size=128, mamba_num_heads=128, mamba_head_dim=64, n_groups=8, conv_kernel=4, use_conv_bias=True,
        use_bias=False, n_routed_experts=8, n_shared_experts=1, moe_intermediate_size=7688,
        moe_shared_expert_intermediate_size=7688, num_experts_per_tok=2, tie_word_embeddings=False,
        layers_block_type=["linear_attention", "moe", "full_attention", "mlp"]), ("NemotronHForCausalLM",)),
    "falcon_h1": Family(_falcon_h1, dict(vocab_size=128000, max_position_embeddings=8192, head_dim=None,
                                         mamba_d_ssm=1024, projectors_bias=False, mamba_rms_norm=False,
                                         **{**_BASE, **_MAMBA2_FIELDS, "mamba_d_head": 8}),
                        ("FalconH1ForCausalLM",)),
    "jamba": Family(_jamba, dict(vocab_size=65536, max_position_embeddings=262144, num_experts=16,
                                 num_experts_per_tok=2, expert_layer_period=2, expert_layer_offset=1,
                                 attn_layer_period=8, attn_layer_offset=4, mamba_d_state=16, mamba_d_conv=4,
                                 mamba_expand=2, mamba_dt_rank="auto", mamba_conv_bias=True, mamba_proj_bias=False,
                                 **_BASE), ("JambaForCausalLM",)),
    "lfm2": Family(_lfm2, dict(vocab_size=65536, hidden_size=2560, intermediate_size=12288, num_hidden_layers=32,
                               num_attention_heads=32, num_key_value_heads=8, max_position_embeddings=128000,
                               tie_word_embeddings=True, conv_bias=False, conv_L_cache=3, block_multiple_of=256,
                               block_ffn_dim_multiplier=1.0, block_auto_adjust_ff_dim=True), ("Lfm2ForCausalLM",)),
    "minimax": Family(_minimax, dict(vocab_size=32000, hidden_size=4096, intermediate_size=14336,
                                     num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=8,
                                     head_dim=None, max_position_embeddings=131072, tie_word_embeddings=False,
                                     num_experts_per_tok=2, num_local_experts=8), ("MiniMaxForCausalLM",)),
}
