"""Mixture-of-experts decoders with standard (GQA) attention: gpt-oss, Granite-MoE, Phi-3.5-MoE, ERNIE-4.5-MoE,
Hunyuan-MoE, GLM-4.5/4.6, dots.llm1, MiniMax-M2, Llama 4.

Routers are Linear(hidden, experts) without bias unless said; the score-correction bias of the
DeepSeek-style routers (GLM-4.5, dots.llm1, MiniMax-M2) is stored in the checkpoints and counted.
Defaults: transformers 5.24.0 config classes (gpt_oss: the class this reader was first written against).
"""

from __future__ import annotations

from ..shape import MoE
from .base import Cfg, Family, common, every_nth_full, layer_types


def _gpt_oss(cfg: Cfg) -> dict:
    n = cfg.int("num_hidden_layers")
    types = layer_types(cfg, n) or every_nth_full(n, 2)
    top_k = cfg.first_int("num_experts_per_tok", "experts_per_token")
    moe = MoE(num_experts=cfg.int("num_local_experts"), experts_per_token=top_k,
              expert_intermediate_size=cfg.int("intermediate_size"), router_bias=True)
    return common(cfg, layer_types=types, sliding_window=cfg.int("sliding_window"), attention_sinks=True, moe=moe,
                  mlp_bias=True)


def _simple_moe(cfg: Cfg, **over) -> dict:
    """Every layer MoE over num_local_experts experts of intermediate_size (Granite-MoE, Phi-3.5-MoE)."""
    moe = MoE(num_experts=cfg.int("num_local_experts"), experts_per_token=cfg.int("num_experts_per_tok"),
              expert_intermediate_size=cfg.int("intermediate_size"))
    return common(cfg, moe=moe, **over)


def _granitemoe(cfg: Cfg) -> dict:
    return _simple_moe(cfg)


def _phimoe(cfg: Cfg) -> dict:
    # LayerNorms with bias, all four attention projections biased by attention_bias, optional LM-head bias.
    return _simple_moe(cfg, norm="layernorm", sliding_window=cfg.opt_int("sliding_window"),
                       lm_head_bias=cfg.flag("lm_head_bias"))


def _ernie_moe(cfg: Cfg) -> dict:
    n = cfg.int("num_hidden_layers")
    start, interval = cfg.int("moe_layer_start_index"), cfg.int("moe_layer_interval")
    end = cfg.int("moe_layer_end_index")
    end = n - 1 if end == -1 else end
    dense = tuple(i for i in range(n) if not ((i + 1) % interval == 0 and start <= i <= end))
    inter = cfg.int("moe_intermediate_size")
    shared = cfg.int("moe_num_shared_experts")
    bias = cfg.flag("use_bias", False)
    # The router keeps a per-expert score-correction bias (moe_statics) as a parameter.
    moe = MoE(num_experts=cfg.int("moe_num_experts"), experts_per_token=cfg.int("moe_k"),
              expert_intermediate_size=inter, num_shared_experts=shared, shared_intermediate_size=shared * inter,
              dense_layers=dense, router_score_bias=True)
    return common(cfg, qkv_bias=bias, o_bias=bias, mlp_bias=bias, lm_head_bias=bias, moe=moe,
                  tied_embeddings=cfg.flag("tie_word_embeddings", True))


def _hunyuan_moe(cfg: Cfg) -> dict:
    # transformers builds every layer as MoE with experts and one shared MLP of intermediate_size
    # (moe_intermediate_size / num_shared_expert are not read); num_experts / moe_topk may be per-layer lists.
    n = cfg.int("num_hidden_layers")
    inter = cfg.int("intermediate_size")
    moe = MoE(num_experts=cfg.uniform("num_experts", n), experts_per_token=cfg.uniform("moe_topk", n),
              expert_intermediate_size=inter, num_shared_experts=1, shared_intermediate_size=inter)
    return common(cfg, qk_norm="per_head", moe=moe)


def _first_k_dense(cfg: Cfg, n: int, **moe_over) -> MoE:
    """DeepSeek-style MoE: the first first_k_dense_replace layers dense, n_shared_experts shared experts of
    moe_intermediate_size, a score-corrected router."""
    first = cfg.int("first_k_dense_replace")
    inter = cfg.int("moe_intermediate_size")
    n_shared = cfg.int("n_shared_experts", required=False) or 0
    kw = dict(num_experts=cfg.int("n_routed_experts"), experts_per_token=cfg.int("num_experts_per_tok"),
              expert_intermediate_size=inter, num_shared_experts=n_shared, shared_intermediate_size=n_shared * inter,
              dense_layers=tuple(range(min(first, n))), router_score_bias=True)
    kw.update(moe_over)
    return MoE(**kw)


def _glm4_moe(cfg: Cfg) -> dict:
    n = cfg.int("num_hidden_layers")
    # attention_bias puts a bias on q/k/v only; QK RMSNorm per head with use_qk_norm. MTP layers
    # (num_nextn_predict_layers) are not part of the decoder transformers builds and are not counted.
    return common(cfg, o_bias=False, qk_norm="per_head" if cfg.flag("use_qk_norm") else "none",
                  moe=_first_k_dense(cfg, n))


def _dots1(cfg: Cfg) -> dict:
    n = cfg.int("num_hidden_layers")
    types = layer_types(cfg, n)
    window = cfg.opt_int("sliding_window")
    if types is None and window is not None:
        types = tuple("sliding" if i >= cfg.int("max_window_layers") else "full" for i in range(n))
    return common(cfg, qk_norm="per_head", moe=_first_k_dense(cfg, n), layer_types=types,
                  sliding_window=window if types and "sliding" in types else None)


def _minimax_m2(cfg: Cfg) -> dict:
    # q_norm / k_norm over all heads' dims; routing bias (e_score_correction_bias) per expert.
    moe = MoE(num_experts=cfg.int("num_local_experts"), experts_per_token=cfg.int("num_experts_per_tok"),
              expert_intermediate_size=cfg.int("intermediate_size"), router_score_bias=True)
    return common(cfg, qk_norm="full", moe=moe)


def _llama4(cfg: Cfg) -> dict:
    n = cfg.int("num_hidden_layers")
    chunk = cfg.opt_int("attention_chunk_size")
    types = layer_types(cfg, n, allowed=("full_attention", "chunked_attention"))
    if types is None:
        # RoPE layers attend within chunks; every no_rope_layer_interval-th layer is NoPE and global.
        interval = cfg.int("no_rope_layer_interval", 4)
        no_rope = cfg.int_list("no_rope_layers", n) or [int((i + 1) % interval != 0) for i in range(n)]
        types = tuple("chunked" if rope and chunk is not None else "full" for rope in no_rope)
    moe_layers = cfg.int_list("moe_layers")
    if moe_layers is None:
        step = cfg.int("interleave_moe_layer_step")
        moe_layers = list(range(step - 1, n, step))
    inter = cfg.int("intermediate_size")
    moe = MoE(num_experts=cfg.int("num_local_experts"), experts_per_token=cfg.int("num_experts_per_tok"),
              expert_intermediate_size=inter, num_shared_experts=1, shared_intermediate_size=inter,
              dense_layers=tuple(i for i in range(n) if i not in set(moe_layers)))
    # Dense layers use intermediate_size_mlp; use_qk_norm is a weightless L2 norm.
    return common(cfg, intermediate_size=cfg.int("intermediate_size_mlp"), layer_types=types,
                  attention_chunk_size=chunk if "chunked" in types else None, moe=moe)


_DS_MOE = dict(n_shared_experts=1, n_group=1, topk_group=1, first_k_dense_replace=1, attention_bias=False,
               tie_word_embeddings=False)

FAMILIES: dict[str, Family] = {
    "gpt_oss": Family(_gpt_oss, dict(vocab_size=201088, hidden_size=2880, intermediate_size=2880, num_hidden_layers=36,
                                     num_attention_heads=64, num_key_value_heads=8, head_dim=64, num_local_experts=128,
                                     num_experts_per_tok=4, sliding_window=128, max_position_embeddings=131072,
                                     tie_word_embeddings=False, attention_bias=True), ("GptOssForCausalLM",)),
    "granitemoe": Family(_granitemoe, dict(vocab_size=32000, hidden_size=4096, intermediate_size=11008,
                                           num_hidden_layers=32, num_attention_heads=32, max_position_embeddings=2048,
                                           tie_word_embeddings=False, num_local_experts=8, num_experts_per_tok=2),
                         ("GraniteMoeForCausalLM",)),
    "phimoe": Family(_phimoe, dict(vocab_size=32064, hidden_size=4096, intermediate_size=6400, num_hidden_layers=32,
                                   num_attention_heads=32, num_key_value_heads=8, max_position_embeddings=131072,
                                   tie_word_embeddings=False, sliding_window=None, num_local_experts=16,
                                   num_experts_per_tok=2, lm_head_bias=False), ("PhimoeForCausalLM",)),
    "ernie4_5_moe": Family(_ernie_moe, dict(vocab_size=103424, hidden_size=2560, intermediate_size=12288,
                                            num_hidden_layers=28, num_attention_heads=20, num_key_value_heads=4,
                                            max_position_embeddings=131072, tie_word_embeddings=True, use_bias=False,
                                            moe_intermediate_size=1536, moe_k=6, moe_num_experts=64,
                                            moe_num_shared_experts=2, moe_layer_start_index=1,
                                            moe_layer_end_index=-1, moe_layer_interval=1),
                           ("Ernie4_5_MoeForCausalLM",)),
    "hunyuan_v1_moe": Family(_hunyuan_moe, dict(vocab_size=290943, hidden_size=4096, intermediate_size=11008,
                                                num_hidden_layers=32, num_attention_heads=32,
                                                max_position_embeddings=2048, tie_word_embeddings=False,
                                                num_experts=1, moe_topk=1), ("HunYuanMoEV1ForCausalLM",)),
    "glm4_moe": Family(_glm4_moe, dict(vocab_size=151552, hidden_size=4096, intermediate_size=10944,
                                       num_hidden_layers=46, num_attention_heads=96, num_key_value_heads=8,
                                       max_position_embeddings=131072, moe_intermediate_size=1408,
                                       num_experts_per_tok=8, n_routed_experts=128, use_qk_norm=False, **_DS_MOE),
                       ("Glm4MoeForCausalLM",)),
    "dots1": Family(_dots1, dict(vocab_size=152064, hidden_size=4608, intermediate_size=10944,
                                 moe_intermediate_size=1408, num_hidden_layers=62, num_attention_heads=32,
                                 max_position_embeddings=2048,
                                 n_shared_experts=None, n_routed_experts=None, num_experts_per_tok=None,
                                 first_k_dense_replace=0, tie_word_embeddings=False, attention_bias=False,
                                 sliding_window=4096, max_window_layers=62), ("Dots1ForCausalLM",)),
    "minimax_m2": Family(_minimax_m2, dict(vocab_size=200064, hidden_size=3072, intermediate_size=1536,
                                           num_hidden_layers=62, num_attention_heads=48, num_key_value_heads=8,
                                           head_dim=128, max_position_embeddings=196608, tie_word_embeddings=False,
                                           num_experts_per_tok=8, num_local_experts=256), ("MiniMaxM2ForCausalLM",)),
    "llama4_text": Family(_llama4, dict(vocab_size=202048, hidden_size=5120, intermediate_size=8192,
                                        intermediate_size_mlp=16384, num_hidden_layers=48, num_attention_heads=40,
                                        num_key_value_heads=8, head_dim=128, max_position_embeddings=131072,
                                        tie_word_embeddings=False, num_experts_per_tok=1, num_local_experts=16,
                                        interleave_moe_layer_step=1, no_rope_layer_interval=4,
                                        attention_chunk_size=8192, attention_bias=False),
                          ("Llama4ForCausalLM",)),
}
