"""DeepSeek-V2 / V3 / V3.2 (and Kimi K2, which ships a DeepSeek-V3 config): multi-head latent attention,
DeepSeek MoE, and V3.2's sparse-attention indexer.

Multi-token-prediction layers (num_nextn_predict_layers) are not part of the decoder transformers builds
and are not counted. Defaults: the transformers config classes (DeepseekV32Config from 5.24.0).
"""

from __future__ import annotations

from ..shape import MLA, Indexer, MoE
from .base import Cfg, Family, common


def _deepseek(cfg: Cfg) -> dict:
    n = cfg.int("num_hidden_layers")
    mla = MLA(kv_lora_rank=cfg.int("kv_lora_rank"), qk_nope_head_dim=cfg.int("qk_nope_head_dim"),
              qk_rope_head_dim=cfg.int("qk_rope_head_dim"), v_head_dim=cfg.int("v_head_dim"),
              q_lora_rank=cfg.int("q_lora_rank", required=False))
    d = common(cfg, mla=mla, head_dim=cfg.int("qk_nope_head_dim") + cfg.int("qk_rope_head_dim"))
    d["num_kv_heads"] = d["num_heads"]  # MLA expands the latent to every head; no GQA grouping
    if cfg.model_type == "deepseek_v32":
        d["indexer"] = Indexer(n_heads=cfg.int("index_n_heads"), head_dim=cfg.int("index_head_dim"),
                               topk=cfg.int("index_topk", required=False))
    routed = cfg.int("n_routed_experts", required=False)
    if routed:
        mlp_types = cfg.get("mlp_layer_types")
        if isinstance(mlp_types, list) and len(mlp_types) == n:  # V3.2: explicit "dense" / "sparse" per layer
            dense = tuple(i for i, t in enumerate(mlp_types) if t != "sparse")
        else:
            first, freq = cfg.int("first_k_dense_replace"), cfg.int("moe_layer_freq", 1)
            dense = tuple(i for i in range(n) if not (i >= first and i % freq == 0))
        inter = cfg.int("moe_intermediate_size")
        n_shared = cfg.int("n_shared_experts", required=False) or 0
        # V3's noaux_tc router keeps e_score_correction_bias (a buffer in transformers, stored in the
        # checkpoint); V2's greedy router has none.
        d["moe"] = MoE(num_experts=routed, experts_per_token=cfg.int("num_experts_per_tok"),
                       expert_intermediate_size=inter, num_shared_experts=n_shared,
                       shared_intermediate_size=n_shared * inter, dense_layers=dense,
                       router_score_bias=cfg.model_type != "deepseek_v2")
    return d


_V3 = dict(vocab_size=129280, hidden_size=7168, intermediate_size=18432, moe_intermediate_size=2048,
           num_hidden_layers=61, num_attention_heads=128, num_key_value_heads=128, n_shared_experts=1,
           n_routed_experts=256, num_experts_per_tok=8, first_k_dense_replace=3, moe_layer_freq=1, q_lora_rank=1536,
           kv_lora_rank=512, qk_rope_head_dim=64, v_head_dim=128, qk_nope_head_dim=128, max_position_embeddings=4096,
           tie_word_embeddings=False, attention_bias=False)

FAMILIES: dict[str, Family] = {
    "deepseek_v2": Family(_deepseek, dict(vocab_size=102400, hidden_size=4096, intermediate_size=11008,
                                          moe_intermediate_size=1407, num_hidden_layers=30, num_attention_heads=32,
                                          num_key_value_heads=32, n_shared_experts=None, n_routed_experts=None,
                                          num_experts_per_tok=None, first_k_dense_replace=0, moe_layer_freq=1,
                                          q_lora_rank=1536, kv_lora_rank=512, qk_rope_head_dim=64, v_head_dim=128,
                                          qk_nope_head_dim=128, max_position_embeddings=2048,
                                          tie_word_embeddings=False, attention_bias=False),
                          ("DeepseekV2ForCausalLM",)),
    "deepseek_v3": Family(_deepseek, _V3, ("DeepseekV3ForCausalLM",)),
    "deepseek_v32": Family(_deepseek, {**_V3, "max_position_embeddings": 163840, "index_n_heads": 64,
                                       "index_head_dim": 128, "index_topk": 2048}, ("DeepseekV32ForCausalLM",)),
}
