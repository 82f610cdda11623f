"""Llama-style decoders (pre-norm, rotary, GQA) and the families that differ from Llama in a few fields:
biases, QK norms, extra post-norms, sliding-window patterns. Qwen's MoE variants share the Qwen reader.

Defaults: the transformers config classes (configuration_<family>.py); families added with the
architecture round (cohere … arcee) take transformers 5.24.0's, only the fields read here.
"""

from __future__ import annotations

from ...errors import InvalidInput
from ..shape import MoE
from .base import Cfg, Family, common, every_nth_full, layer_types

_LLAMA = dict(vocab_size=32000, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
              num_attention_heads=32, max_position_embeddings=2048, tie_word_embeddings=False)
_QWEN_WINDOW = dict(use_sliding_window=False, sliding_window=4096, max_window_layers=28)


def _llama(cfg: Cfg) -> dict:
    return common(cfg)


def _mistral(cfg: Cfg) -> dict:
    n = cfg.int("num_hidden_layers")
    explicit = layer_types(cfg, n)
    window = cfg.opt_int("sliding_window")
    if explicit is None and cfg.model_type == "ministral":  # MinistralConfig: all sliding when a window is set
        explicit = ("sliding" if window else "full",) * n
    d = common(cfg, sliding_window=window, layer_types=explicit)
    if cfg.model_type == "mixtral":
        d["moe"] = MoE(num_experts=cfg.int("num_local_experts"), experts_per_token=cfg.int("num_experts_per_tok"),
                       expert_intermediate_size=cfg.int("intermediate_size"))
    return d


def _qwen_sliding(cfg: Cfg, n: int) -> tuple[tuple[str, ...] | None, int | None]:
    # Qwen2/3: sliding only if use_sliding_window, and then only for layers >= max_window_layers.
    explicit = layer_types(cfg, n)
    window = cfg.opt_int("sliding_window") if cfg.flag("use_sliding_window") else None
    if explicit is not None:
        return explicit, (window or cfg.opt_int("sliding_window")) if "sliding" in explicit else None
    if not window:
        return None, None
    mwl = cfg.int("max_window_layers")
    return tuple("sliding" if i >= mwl else "full" for i in range(n)), window


def qwen_moe_dense_layers(cfg: Cfg, n: int) -> tuple[int, ...]:
    """Qwen2/3-MoE (and Qwen3-Next): layer i is sparse when it is not in mlp_only_layers and
    (i + 1) % decoder_sparse_step == 0."""
    step = cfg.int("decoder_sparse_step")
    only = set(cfg.int_list("mlp_only_layers") or [])
    return tuple(i for i in range(n) if i in only or not (cfg.int("num_experts") > 0 and (i + 1) % step == 0))


def _qwen(cfg: Cfg) -> dict:
    n = cfg.int("num_hidden_layers")
    types, window = _qwen_sliding(cfg, n)
    is3 = cfg.model_type.startswith("qwen3")
    # Qwen2 hard-codes bias on q/k/v and none on o; Qwen3 follows attention_bias for all four.
    bias = cfg.flag("attention_bias", False) if is3 else True
    d = common(cfg, layer_types=types, sliding_window=window, qkv_bias=bias, o_bias=bias if is3 else False,
               qk_norm="per_head" if is3 else "none")
    if not is3:
        d["head_dim"] = None  # Qwen2 always derives head_dim = hidden / heads
    if cfg.model_type.endswith("_moe"):
        shared = cfg.int("shared_expert_intermediate_size", 0) if not is3 else 0
        d["moe"] = MoE(num_experts=cfg.int("num_experts"), experts_per_token=cfg.int("num_experts_per_tok"),
                       expert_intermediate_size=cfg.int("moe_intermediate_size"),
                       num_shared_experts=1 if shared else 0, shared_intermediate_size=shared,
                       shared_expert_gate=bool(shared), dense_layers=qwen_moe_dense_layers(cfg, n))
    return d


def _phi3(cfg: Cfg) -> dict:
    return common(cfg, sliding_window=cfg.opt_int("sliding_window"), qkv_bias=False, o_bias=False)


def _olmo(cfg: Cfg) -> dict:
    t = cfg.model_type
    if t == "olmo":  # OLMo-1: LayerNorm without weights anywhere
        return common(cfg, norm="nonparametric")
    d = common(cfg, qk_norm="full")  # OLMo-2/3: RMSNorm over all of q and all of k, post-norms only
    if t == "olmoe":
        d["moe"] = MoE(num_experts=cfg.int("num_experts"), experts_per_token=cfg.int("num_experts_per_tok"),
                       expert_intermediate_size=cfg.int("intermediate_size"))
    elif t == "olmo3":
        n = d["num_layers"]
        d["layer_types"] = layer_types(cfg, n) or every_nth_full(n, 4)
        d["sliding_window"] = cfg.opt_int("sliding_window") if "sliding" in d["layer_types"] else None
    return d


def _cohere(cfg: Cfg) -> dict:
    # Parallel block with one LayerNorm (weight, no bias); optional QK LayerNorms over (heads, head_dim).
    qk = "full" if cfg.flag("use_qk_norm") else "none"
    d = common(cfg, norm="layernorm_nobias", norms_per_layer=1, parallel_block=True, qk_norm=qk,
               tied_embeddings=cfg.flag("tie_word_embeddings", True))
    if cfg.model_type == "cohere2":
        n = d["num_layers"]
        d["layer_types"] = layer_types(cfg, n) or every_nth_full(n, cfg.int("sliding_window_pattern", 4))
        d["sliding_window"] = cfg.opt_int("sliding_window") if "sliding" in d["layer_types"] else None
    return d


def _glm(cfg: Cfg) -> dict:
    # attention_bias puts a bias on q/k/v only; GLM-4 (glm4) adds post-attention and post-MLP norms.
    return common(cfg, o_bias=False, norms_per_layer=4 if cfg.model_type == "glm4" else 2)


def _exaone4_types(cfg: Cfg, n: int) -> tuple[str, ...]:
    explicit = layer_types(cfg, n)
    if explicit is not None:
        return explicit
    pattern = cfg.get("sliding_window_pattern")
    if cfg.opt_int("sliding_window") is None or not pattern:
        return ("full",) * n
    if isinstance(pattern, str):  # "LLLG": L local (sliding), G global, repeated; the last layer global
        if set(pattern) - {"L", "G"}:
            raise InvalidInput("sliding_window_pattern must use L and G", field="hf_config.sliding_window_pattern")
        out = ["sliding" if pattern[i % len(pattern)] == "L" else "full" for i in range(n)]
        out[-1] = "full"
        return tuple(out)
    return every_nth_full(n, cfg.int("sliding_window_pattern"))


def _exaone4(cfg: Cfg) -> dict:
    n = cfg.int("num_hidden_layers")
    types = _exaone4_types(cfg, n)
    return common(cfg, qkv_bias=False, o_bias=False, qk_norm="per_head", layer_types=types,
                  sliding_window=cfg.opt_int("sliding_window") if "sliding" in types else None)


def _seed_oss(cfg: Cfg) -> dict:
    return common(cfg, o_bias=cfg.flag("attention_out_bias", False))


def _smollm3(cfg: Cfg) -> dict:
    # NoPE layers (no_rope_layers) change no size; sliding only with use_sliding_window, on NoPE layers.
    n = cfg.int("num_hidden_layers")
    types = layer_types(cfg, n)
    window = cfg.opt_int("sliding_window")
    if types is None and cfg.flag("use_sliding_window") and window:
        no_rope = cfg.int_list("no_rope_layers", n) or [int((i + 1) % cfg.int("no_rope_layer_interval", 4) != 0)
                                                        for i in range(n)]
        types = tuple("sliding" if not has_rope else "full" for has_rope in no_rope)
    return common(cfg, layer_types=types, sliding_window=window if types and "sliding" in types else None)


def _ernie(cfg: Cfg) -> dict:
    bias = cfg.flag("use_bias", False)
    return common(cfg, qkv_bias=bias, o_bias=bias, mlp_bias=bias,
                  tied_embeddings=cfg.flag("tie_word_embeddings", True))


def _hunyuan(cfg: Cfg) -> dict:
    return common(cfg, qk_norm="per_head")  # query_layernorm / key_layernorm are always built


def _apertus(cfg: Cfg) -> dict:
    # Up/down MLP (no gate); xIELU has two learned scalars (alpha_p, alpha_n) per MLP.
    act = 2 if cfg.typed("hidden_act", "str", "xielu") == "xielu" else 0
    return common(cfg, ffn="standard", mlp_bias=False, qk_norm="per_head", ffn_act_params=act)


def _arcee(cfg: Cfg) -> dict:
    return common(cfg, ffn="standard")  # ReLU² up/down MLP


def _f(read, classes=(), **defaults) -> Family:
    return Family(read, defaults, classes)


FAMILIES: dict[str, Family] = {
    "llama": _f(_llama, ("LlamaForCausalLM",), **_LLAMA),
    "mistral": _f(_mistral, ("MistralForCausalLM",), vocab_size=32000, hidden_size=4096, intermediate_size=14336,
                  num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=8,
                  max_position_embeddings=4096 * 32, tie_word_embeddings=False, sliding_window=4096),
    "mixtral": _f(_mistral, ("MixtralForCausalLM",), vocab_size=32000, hidden_size=4096, intermediate_size=14336,
                  num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=8,
                  max_position_embeddings=4096 * 32, tie_word_embeddings=False, sliding_window=None,
                  num_local_experts=8, num_experts_per_tok=2),
    "ministral": _f(_mistral, ("MinistralForCausalLM",), vocab_size=32000, hidden_size=4096, intermediate_size=14336,
                    num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=8,
                    max_position_embeddings=131072, tie_word_embeddings=False, sliding_window=4096),
    "ministral3": _f(_mistral, ("Ministral3ForCausalLM",), vocab_size=131072, hidden_size=4096,
                     intermediate_size=14336, num_hidden_layers=34, num_attention_heads=32, num_key_value_heads=8,
                     head_dim=128, max_position_embeddings=262144, tie_word_embeddings=False, sliding_window=None),
    "qwen2": _f(_qwen, ("Qwen2ForCausalLM",), vocab_size=151936, hidden_size=4096, intermediate_size=22016,
                num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=32, max_position_embeddings=32768,
                tie_word_embeddings=False, **_QWEN_WINDOW),
    "qwen2_moe": _f(_qwen, ("Qwen2MoeForCausalLM",), vocab_size=151936, hidden_size=2048, intermediate_size=5632,
                    num_hidden_layers=24, num_attention_heads=16, num_key_value_heads=16,
                    max_position_embeddings=32768, tie_word_embeddings=False, decoder_sparse_step=1,
                    moe_intermediate_size=1408, shared_expert_intermediate_size=5632, num_experts_per_tok=4,
                    num_experts=60, mlp_only_layers=[], **_QWEN_WINDOW),
    "qwen3": _f(_qwen, ("Qwen3ForCausalLM",), vocab_size=151936, hidden_size=4096, intermediate_size=22016,
                num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=32, head_dim=128,
                max_position_embeddings=32768, tie_word_embeddings=False, attention_bias=False, **_QWEN_WINDOW),
    "qwen3_moe": _f(_qwen, ("Qwen3MoeForCausalLM",), vocab_size=151936, hidden_size=2048, intermediate_size=6144,
                    num_hidden_layers=24, num_attention_heads=32, num_key_value_heads=4, head_dim=128,
                    max_position_embeddings=32768, tie_word_embeddings=False, attention_bias=False,
                    decoder_sparse_step=1, moe_intermediate_size=768, num_experts_per_tok=8, num_experts=128,
                    mlp_only_layers=[], **_QWEN_WINDOW),
    "phi3": _f(_phi3, ("Phi3ForCausalLM",), vocab_size=32064, hidden_size=3072, intermediate_size=8192,
               num_hidden_layers=32, num_attention_heads=32, max_position_embeddings=4096,
               tie_word_embeddings=False, sliding_window=None),
    "olmo": _f(_olmo, ("OlmoForCausalLM",), **{**_LLAMA, "vocab_size": 50304}),
    "olmo2": _f(_olmo, ("Olmo2ForCausalLM",), **{**_LLAMA, "vocab_size": 50304}, attention_bias=False),
    "olmo3": _f(_olmo, ("Olmo3ForCausalLM",), **{**_LLAMA, "vocab_size": 50304}, sliding_window=4096),
    "olmoe": _f(_olmo, ("OlmoeForCausalLM",), vocab_size=50304, hidden_size=2048, intermediate_size=2048,
                num_hidden_layers=16, num_attention_heads=16, max_position_embeddings=4096,
                tie_word_embeddings=False, attention_bias=False, num_experts=64, num_experts_per_tok=8),
    "granite": _f(_llama, ("GraniteForCausalLM",), **_LLAMA),
    "cohere": _f(_cohere, ("CohereForCausalLM",), vocab_size=256000, hidden_size=8192, intermediate_size=22528,
                 num_hidden_layers=40, num_attention_heads=64, max_position_embeddings=8192,
                 tie_word_embeddings=True, use_qk_norm=False),
    "cohere2": _f(_cohere, ("Cohere2ForCausalLM",), vocab_size=256000, hidden_size=8192, intermediate_size=22528,
                  num_hidden_layers=40, num_attention_heads=64, max_position_embeddings=8192,
                  tie_word_embeddings=True, sliding_window=4096, head_dim=128),
    "glm": _f(_glm, ("GlmForCausalLM",), vocab_size=151552, hidden_size=4096, intermediate_size=13696,
              num_hidden_layers=40, num_attention_heads=32, num_key_value_heads=2, head_dim=128,
              max_position_embeddings=131072, tie_word_embeddings=False, attention_bias=True),
    "glm4": _f(_glm, ("Glm4ForCausalLM",), vocab_size=151552, hidden_size=4096, intermediate_size=13696,
               num_hidden_layers=40, num_attention_heads=32, num_key_value_heads=2, head_dim=128,
               max_position_embeddings=131072, tie_word_embeddings=False, attention_bias=True),
    "exaone4": _f(_exaone4, ("Exaone4ForCausalLM",), vocab_size=102400, hidden_size=4096, intermediate_size=16384,
                  num_hidden_layers=32, num_attention_heads=32, max_position_embeddings=2048,
                  tie_word_embeddings=False, sliding_window=4096, sliding_window_pattern=4),
    "seed_oss": _f(_seed_oss, ("SeedOssForCausalLM",), vocab_size=155136, hidden_size=4096,
                   intermediate_size=27648, num_hidden_layers=64, num_attention_heads=80, num_key_value_heads=8,
                   head_dim=128, max_position_embeddings=524288, tie_word_embeddings=False, attention_bias=True,
                   attention_out_bias=False),
    "smollm3": _f(_smollm3, ("SmolLM3ForCausalLM",), vocab_size=128256, hidden_size=2048, intermediate_size=11008,
                  num_hidden_layers=36, num_attention_heads=16, num_key_value_heads=4,
                  max_position_embeddings=32768, tie_word_embeddings=True, use_sliding_window=False,
                  sliding_window=None, no_rope_layer_interval=4),
    "ernie4_5": _f(_ernie, ("Ernie4_5ForCausalLM",), vocab_size=103424, hidden_size=1024, intermediate_size=3072,
                   num_hidden_layers=18, num_attention_heads=16, num_key_value_heads=2, head_dim=128,
                   max_position_embeddings=131072, tie_word_embeddings=True, use_bias=False),
    "hunyuan_v1_dense": _f(_hunyuan, ("HunYuanDenseV1ForCausalLM",), **{**_LLAMA, "vocab_size": 290943}),
    "apertus": _f(_apertus, ("ApertusForCausalLM",), vocab_size=131072, hidden_size=4096, intermediate_size=14336,
                  num_hidden_layers=32, num_attention_heads=32, max_position_embeddings=65536,
                  tie_word_embeddings=False, hidden_act="xielu"),
    "arcee": _f(_arcee, ("ArceeForCausalLM",), vocab_size=32000, hidden_size=2560, intermediate_size=18432,
                num_hidden_layers=32, num_attention_heads=32, max_position_embeddings=4096,
                tie_word_embeddings=False),
}
