"""GPT-2-era and other non-Llama layouts: LayerNorm with bias, biased projections, plain (ungated)
MLPs, parallel attention/MLP blocks, learned positions, biased LM heads.

Defaults: the transformers config classes (gptj … starcoder2 from transformers 5.24.0).
"""

from __future__ import annotations

from ...errors import InvalidInput, UnsupportedConfig
from .base import Cfg, Family, common


def _gpt2(cfg: Cfg) -> dict:
    h = cfg.int("n_embd")
    inner = cfg.opt_int("n_inner")
    return dict(vocab_size=cfg.int("vocab_size"), hidden_size=h, num_layers=cfg.int("n_layer"),
                num_heads=cfg.int("n_head"), intermediate_size=inner if inner else 4 * h, ffn="standard",
                tied_embeddings=cfg.flag("tie_word_embeddings", True), qkv_bias=True, o_bias=True,
                mlp_bias=True, norm="layernorm", positions="learned",
                max_position_embeddings=cfg.int("n_positions"), model_type="gpt2")


def _gptj(cfg: Cfg) -> dict:
    # Parallel block with one LayerNorm; unbiased q/k/v/out, biased fc_in/fc_out and LM head.
    h = cfg.int("n_embd")
    inner = cfg.opt_int("n_inner")
    return dict(vocab_size=cfg.int("vocab_size"), hidden_size=h, num_layers=cfg.int("n_layer"),
                num_heads=cfg.int("n_head"), intermediate_size=inner if inner else 4 * h, ffn="standard",
                tied_embeddings=cfg.flag("tie_word_embeddings", False), mlp_bias=True, norm="layernorm",
                norms_per_layer=1, parallel_block=True, lm_head_bias=True,
                max_position_embeddings=cfg.int("n_positions"), model_type="gptj")


def _gpt_bigcode(cfg: Cfg) -> dict:
    # GPT-2 layout with multi-query attention (one K/V head) when multi_query.
    d = _gpt2(cfg)
    d.update(num_kv_heads=1 if cfg.flag("multi_query", True) else None, model_type="gpt_bigcode")
    return d


def _gpt_neo(cfg: Cfg) -> dict:
    # Learned positions; unbiased q/k/v, biased out_proj and MLP; "local" layers attend within window_size.
    n = cfg.int("num_layers")
    kinds: list[str] = []
    for entry in cfg.get("attention_types"):
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], list)
                and isinstance(entry[1], int) and set(entry[0]) <= {"global", "local"}):
            raise InvalidInput("attention_types must look like [[['global', 'local'], 12]]",
                               field="hf_config.attention_types")
        kinds += ["full" if t == "global" else "sliding" for t in entry[0]] * entry[1]
    if len(kinds) != n:
        raise InvalidInput(f"attention_types expand to {len(kinds)} layers, num_layers is {n}",
                           field="hf_config.attention_types")
    h = cfg.int("hidden_size")
    inner = cfg.opt_int("intermediate_size")
    return dict(vocab_size=cfg.int("vocab_size"), hidden_size=h, num_layers=n, num_heads=cfg.int("num_heads"),
                intermediate_size=inner if inner else 4 * h, ffn="standard", norm="layernorm", o_bias=True,
                mlp_bias=True, positions="learned", max_position_embeddings=cfg.int("max_position_embeddings"),
                tied_embeddings=cfg.flag("tie_word_embeddings", True), layer_types=tuple(kinds),
                sliding_window=cfg.int("window_size") if "sliding" in kinds else None, model_type="gpt_neo")


def _opt(cfg: Cfg) -> dict:
    # Learned positions with 2 extra rows (OPTLearnedPositionalEmbedding offset); biased everything;
    # LayerNorms; the final LayerNorm only in pre-norm models (do_layer_norm_before).
    h = cfg.int("hidden_size")
    if cfg.int("word_embed_proj_dim") != h:
        raise UnsupportedConfig("OPT with word_embed_proj_dim != hidden_size (project_in/out, OPT-350M) is not "
                                "supported", field="hf_config.word_embed_proj_dim")
    bias = cfg.flag("enable_bias", True)
    affine = cfg.flag("layer_norm_elementwise_affine", True)
    return dict(vocab_size=cfg.int("vocab_size"), hidden_size=h, num_layers=cfg.int("num_hidden_layers"),
                num_heads=cfg.int("num_attention_heads"), intermediate_size=cfg.int("ffn_dim"), ffn="standard",
                qkv_bias=bias, o_bias=bias, mlp_bias=bias, norm="layernorm" if affine else "nonparametric",
                final_norm=cfg.flag("do_layer_norm_before") and not cfg.flag("_remove_final_layer_norm"),
                positions="learned", max_position_embeddings=cfg.int("max_position_embeddings"), position_offset=2,
                tied_embeddings=cfg.flag("tie_word_embeddings", True), model_type="opt")


def _bloom(cfg: Cfg) -> dict:
    # ALiBi, a LayerNorm after the embedding, fused biased QKV, biased dense and 4h MLP. Hub configs may
    # still say n_embed for hidden_size (BloomConfig accepts it).
    h = cfg.first_int("hidden_size", "n_embed")
    return dict(vocab_size=cfg.int("vocab_size"), hidden_size=h, num_layers=cfg.int("n_layer"),
                num_heads=cfg.int("n_head"), intermediate_size=4 * h, ffn="standard", qkv_bias=True, o_bias=True,
                mlp_bias=True, norm="layernorm", embedding_norm=True, positions="alibi",
                tied_embeddings=cfg.flag("tie_word_embeddings", True), model_type="bloom")


def _codegen(cfg: Cfg) -> dict:
    # GPT-J layout: parallel block, one LayerNorm, unbiased fused QKV and out_proj, biased MLP and LM head.
    d = _gptj(cfg)
    d["model_type"] = "codegen"
    return d


def _gpt_neox(cfg: Cfg) -> dict:
    bias = cfg.flag("attention_bias", True)
    return common(cfg, ffn="standard", norm="layernorm", qkv_bias=bias, o_bias=bias, mlp_bias=True,
                  num_kv_heads=None, head_dim=None, parallel_block=cfg.flag("use_parallel_residual"))


def _phi(cfg: Cfg) -> dict:
    # Phi-1/1.5/2: parallel block with one LayerNorm, biased everything, biased LM head, optional per-head
    # QK LayerNorms (weight + bias).
    return common(cfg, ffn="standard", norm="layernorm", norms_per_layer=1, parallel_block=True, qkv_bias=True,
                  o_bias=True, mlp_bias=True, lm_head_bias=True, head_dim=None,
                  qk_norm="per_head" if cfg.flag("qk_layernorm") else "none")


def _stablelm(cfg: Cfg) -> dict:
    # LayerNorms with bias; q/k/v bias by use_qkv_bias; per-head QK LayerNorms without bias (one per head,
    # so q has num_heads x head_dim weights); the parallel-residual variant drops post_attention_layernorm.
    parallel = cfg.flag("use_parallel_residual")
    return common(cfg, norm="layernorm", norms_per_layer=1 if parallel else 2, parallel_block=parallel,
                  qkv_bias=cfg.flag("use_qkv_bias"), o_bias=False, head_dim=None,
                  qk_norm="full" if cfg.flag("qk_layernorm") else "none", qk_norm_kind="layernorm_nobias")


def _starcoder2(cfg: Cfg) -> dict:
    bias = cfg.flag("use_bias", True)
    return common(cfg, ffn="standard", norm="layernorm", qkv_bias=bias, o_bias=bias, mlp_bias=bias,
                  sliding_window=cfg.opt_int("sliding_window"), tied_embeddings=cfg.flag("tie_word_embeddings", True))


def _falcon(cfg: Cfg) -> dict:
    h = cfg.int("hidden_size")
    heads = cfg.int("num_attention_heads")
    new_arch = cfg.flag("new_decoder_architecture")
    # New architecture: grouped KV heads; old: multi_query means one shared KV head.
    old_kv = 1 if cfg.flag("multi_query") else heads
    kv = (cfg.opt_int("num_kv_heads") or heads) if new_arch else old_kv
    bias = cfg.flag("bias")
    parallel = cfg.flag("parallel_attn")
    # transformers FalconDecoderLayer: sequential blocks have input + post-attention LayerNorms; parallel
    # blocks have ln_attn + ln_mlp when num_ln_in_parallel_attn == 2 (None means 2 for the new
    # architecture), else one input LayerNorm (Falcon-7B; Falcon2-11B sets 1).
    n_ln = cfg.opt_int("num_ln_in_parallel_attn")
    if n_ln is None and new_arch:
        n_ln = 2
    norms = 2 if not parallel or n_ln == 2 else 1
    ffn = cfg.opt_int("ffn_hidden_size") or 4 * h
    return dict(vocab_size=cfg.int("vocab_size"), hidden_size=h, num_layers=cfg.int("num_hidden_layers"),
                num_heads=heads, num_kv_heads=kv, intermediate_size=ffn, ffn="standard",
                tied_embeddings=cfg.flag("tie_word_embeddings", True), qkv_bias=bias, o_bias=bias,
                mlp_bias=bias, norm="layernorm", norms_per_layer=norms,
                positions="alibi" if cfg.flag("alibi") else "rotary",
                max_position_embeddings=cfg.opt_int("max_position_embeddings"), parallel_block=parallel,
                model_type="falcon")


FAMILIES: dict[str, Family] = {
    "gpt2": Family(_gpt2, dict(vocab_size=50257, n_positions=1024, n_embd=768, n_layer=12, n_head=12, n_inner=None,
                               tie_word_embeddings=True), ("GPT2LMHeadModel",)),
    "gptj": Family(_gptj, dict(vocab_size=50400, n_positions=2048, n_embd=4096, n_layer=28, n_head=16, n_inner=None,
                               tie_word_embeddings=False), ("GPTJForCausalLM",)),
    "gpt_bigcode": Family(_gpt_bigcode, dict(vocab_size=50257, n_positions=1024, n_embd=768, n_layer=12, n_head=12,
                                             n_inner=None, multi_query=True, tie_word_embeddings=True),
                          ("GPTBigCodeForCausalLM",)),
    "gpt_neo": Family(_gpt_neo, dict(vocab_size=50257, max_position_embeddings=2048, hidden_size=2048, num_layers=24,
                                     attention_types=[[["global", "local"], 12]], num_heads=16, intermediate_size=None,
                                     window_size=256, tie_word_embeddings=True), ("GPTNeoForCausalLM",)),
    "opt": Family(_opt, dict(vocab_size=50272, hidden_size=768, num_hidden_layers=12, ffn_dim=3072,
                             max_position_embeddings=2048, do_layer_norm_before=True, _remove_final_layer_norm=False,
                             word_embed_proj_dim=768, num_attention_heads=12, enable_bias=True,
                             layer_norm_elementwise_affine=True, tie_word_embeddings=True), ("OPTForCausalLM",)),
    "bloom": Family(_bloom, dict(vocab_size=250880, hidden_size=64, n_layer=2, n_head=8, tie_word_embeddings=True),
                    ("BloomForCausalLM",)),
    "codegen": Family(_codegen, dict(vocab_size=50400, n_positions=2048, n_embd=4096, n_layer=28, n_head=16,
                                     n_inner=None, tie_word_embeddings=False), ("CodeGenForCausalLM",)),
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
