"""GPT-2-era and other non-Llama layouts: LayerNorm with bias, biased projections, plain (ungated)
MLPs, parallel attention/MLP blocks, learned positions, biased LM heads.

Defaults: the transformers config classes (gptj … starcoder2 from transformers 5.24.0).
"""

from __future__ import annotations

from .base import Cfg, Family, common


def _gpt2(cfg: Cfg) -> dict:
    h = cfg.int("n_embd")
    inner = cfg.get("n_inner")
    return dict(vocab_size=cfg.int("vocab_size"), hidden_size=h, num_layers=cfg.int("n_layer"),
                num_heads=cfg.int("n_head"), intermediate_size=inner if inner else 4 * h, ffn="standard",
                tied_embeddings=bool(cfg.get("tie_word_embeddings", True)), qkv_bias=True, o_bias=True,
                mlp_bias=True, norm="layernorm", positions="learned",
                max_position_embeddings=cfg.int("n_positions"), model_type="gpt2")


def _gptj(cfg: Cfg) -> dict:
    # Parallel block with one LayerNorm; unbiased q/k/v/out, biased fc_in/fc_out and LM head.
    h = cfg.int("n_embd")
    inner = cfg.get("n_inner")
    return dict(vocab_size=cfg.int("vocab_size"), hidden_size=h, num_layers=cfg.int("n_layer"),
                num_heads=cfg.int("n_head"), intermediate_size=inner if inner else 4 * h, ffn="standard",
                tied_embeddings=bool(cfg.get("tie_word_embeddings", False)), mlp_bias=True, norm="layernorm",
                norms_per_layer=1, parallel_block=True, lm_head_bias=True,
                max_position_embeddings=cfg.int("n_positions"), model_type="gptj")


def _gpt_neox(cfg: Cfg) -> dict:
    bias = bool(cfg.get("attention_bias", True))
    return common(cfg, ffn="standard", norm="layernorm", qkv_bias=bias, o_bias=bias, mlp_bias=True,
                  num_kv_heads=None, head_dim=None, parallel_block=bool(cfg.get("use_parallel_residual")))


def _phi(cfg: Cfg) -> dict:
    # Phi-1/1.5/2: parallel block with one LayerNorm, biased everything, biased LM head, optional per-head
    # QK LayerNorms (weight + bias).
    return common(cfg, ffn="standard", norm="layernorm", norms_per_layer=1, parallel_block=True, qkv_bias=True,
                  o_bias=True, mlp_bias=True, lm_head_bias=True, head_dim=None,
                  qk_norm="per_head" if cfg.get("qk_layernorm") else "none")


def _stablelm(cfg: Cfg) -> dict:
    # LayerNorms with bias; q/k/v bias by use_qkv_bias; per-head QK LayerNorms without bias (one per head,
    # so q has num_heads x head_dim weights); the parallel-residual variant drops post_attention_layernorm.
    parallel = bool(cfg.get("use_parallel_residual"))
    return common(cfg, norm="layernorm", norms_per_layer=1 if parallel else 2, parallel_block=parallel,
                  qkv_bias=bool(cfg.get("use_qkv_bias")), o_bias=False, head_dim=None,
                  qk_norm="full" if cfg.get("qk_layernorm") else "none", qk_norm_kind="layernorm_nobias")


def _starcoder2(cfg: Cfg) -> dict:
    bias = bool(cfg.get("use_bias", True))
    return common(cfg, ffn="standard", norm="layernorm", qkv_bias=bias, o_bias=bias, mlp_bias=bias,
                  sliding_window=cfg.get("sliding_window"), tied_embeddings=bool(cfg.get("tie_word_embeddings", True)))


def _falcon(cfg: Cfg) -> dict:
    h = cfg.int("hidden_size")
    heads = cfg.int("num_attention_heads")
    new_arch = bool(cfg.get("new_decoder_architecture"))
    # New architecture: grouped KV heads; old: multi_query means one shared KV head.
    old_kv = 1 if cfg.get("multi_query") else heads
    kv = (cfg.get("num_kv_heads") or heads) if new_arch else old_kv
    bias = bool(cfg.get("bias"))
    parallel = bool(cfg.get("parallel_attn"))
    # transformers FalconDecoderLayer: sequential blocks have input + post-attention LayerNorms; parallel
    # blocks have ln_attn + ln_mlp when num_ln_in_parallel_attn == 2 (None means 2 for the new
    # architecture), else one input LayerNorm (Falcon-7B; Falcon2-11B sets 1).
    n_ln = cfg.get("num_ln_in_parallel_attn")
    if n_ln is None and new_arch:
        n_ln = 2
    norms = 2 if not parallel or n_ln == 2 else 1
    ffn = cfg.get("ffn_hidden_size") or 4 * h
    return dict(vocab_size=cfg.int("vocab_size"), hidden_size=h, num_layers=cfg.int("num_hidden_layers"),
                num_heads=heads, num_kv_heads=kv, intermediate_size=ffn, ffn="standard",
                tied_embeddings=bool(cfg.get("tie_word_embeddings", True)), qkv_bias=bias, o_bias=bias,
                mlp_bias=bias, norm="layernorm", norms_per_layer=norms,
                positions="alibi" if cfg.get("alibi") else "rotary",
                max_position_embeddings=cfg.get("max_position_embeddings"), parallel_block=parallel,
                model_type="falcon")


FAMILIES: dict[str, Family] = {
    "gpt2": Family(_gpt2, dict(vocab_size=50257, n_positions=1024, n_embd=768, n_layer=12, n_head=12, n_inner=None,
                               tie_word_embeddings=True), ("GPT2LMHeadModel",)),
    "gptj": Family(_gptj, dict(vocab_size=50400, n_positions=2048, n_embd=4096, n_layer=28, n_head=16, n_inner=None,
                               tie_word_embeddings=False), ("GPTJForCausalLM",)),
    "gpt_neox": Family(_gpt_neox, dict(vocab_size=50432, hidden_size=6144, num_hidden_layers=44,
                                       num_attention_heads=64, intermediate_size=24576, max_position_embeddings=2048,
                                       tie_word_embeddings=False, use_parallel_residual=True, attention_bias=True),
                       ("GPTNeoXForCausalLM",)),
    "phi": Family(_phi, dict(vocab_size=51200, hidden_size=2048, intermediate_size=8192, num_hidden_layers=24,
                             num_attention_heads=32, max_position_embeddings=2048, tie_word_embeddings=False,
                             qk_layernorm=False), ("PhiForCausalLM",)),
    "stablelm": Family(_stablelm, dict(vocab_size=50304, hidden_size=2560, intermediate_size=6912,
                                       num_hidden_layers=32, num_attention_heads=32, max_position_embeddings=4096,
                                       tie_word_embeddings=False, use_qkv_bias=False, qk_layernorm=False,
                                       use_parallel_residual=False), ("StableLmForCausalLM",)),
    "starcoder2": Family(_starcoder2, dict(vocab_size=49152, hidden_size=3072, intermediate_size=12288,
                                           num_hidden_layers=30, num_attention_heads=24, num_key_value_heads=2,
                                           max_position_embeddings=4096, sliding_window=None, use_bias=True,
                                           tie_word_embeddings=True), ("Starcoder2ForCausalLM",)),
    "falcon": Family(_falcon, dict(vocab_size=65024, hidden_size=4544, num_hidden_layers=32, num_attention_heads=71,
                                   new_decoder_architecture=False, multi_query=True, num_kv_heads=None,
                                   parallel_attn=True, bias=False, alibi=False, ffn_hidden_size=None,
                                   max_position_embeddings=2048, tie_word_embeddings=True,
                                   num_ln_in_parallel_attn=None), ("FalconForCausalLM",)),
}
