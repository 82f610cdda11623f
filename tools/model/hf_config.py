"""Hugging Face `config.json` → ModelShape, per model_type.

Only data is read: nothing in the config is imported or executed (`auto_map`, `trust_remote_code` are
ignored). A field missing from the file takes the default of that family's `transformers` config class,
so a trimmed config means what transformers would make of it.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import InvalidInput, ModelMathError, UnsupportedConfig
from .shape import MLA, ModelShape, MoE

MAX_CONFIG_BYTES = 1_000_000  # real config.json files are < 20 kB; anything near 1 MB is not a config

# Defaults of the transformers config classes (configuration_<family>.py), only the fields we read.
_DEFAULTS: dict[str, dict] = {
    "llama": dict(vocab_size=32000, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
                  num_attention_heads=32, max_position_embeddings=2048, tie_word_embeddings=False),
    "mistral": dict(vocab_size=32000, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                    num_attention_heads=32, num_key_value_heads=8, max_position_embeddings=4096 * 32,
                    tie_word_embeddings=False, sliding_window=4096),
    "mixtral": dict(vocab_size=32000, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                    num_attention_heads=32, num_key_value_heads=8, max_position_embeddings=4096 * 32,
                    tie_word_embeddings=False, sliding_window=None, num_local_experts=8,
                    num_experts_per_tok=2),
    "qwen2": dict(vocab_size=151936, hidden_size=4096, intermediate_size=22016, num_hidden_layers=32,
                  num_attention_heads=32, num_key_value_heads=32, max_position_embeddings=32768,
                  tie_word_embeddings=False, use_sliding_window=False, sliding_window=4096,
                  max_window_layers=28),
    "qwen2_moe": dict(vocab_size=151936, hidden_size=2048, intermediate_size=5632, num_hidden_layers=24,
                      num_attention_heads=16, num_key_value_heads=16, max_position_embeddings=32768,
                      tie_word_embeddings=False, use_sliding_window=False, sliding_window=4096,
                      max_window_layers=28, decoder_sparse_step=1, moe_intermediate_size=1408,
                      shared_expert_intermediate_size=5632, num_experts_per_tok=4, num_experts=60,
                      mlp_only_layers=[]),
    "qwen3": dict(vocab_size=151936, hidden_size=4096, intermediate_size=22016, num_hidden_layers=32,
                  num_attention_heads=32, num_key_value_heads=32, head_dim=128, max_position_embeddings=32768,
                  tie_word_embeddings=False, use_sliding_window=False, sliding_window=4096,
                  max_window_layers=28, attention_bias=False),
    "qwen3_moe": dict(vocab_size=151936, hidden_size=2048, intermediate_size=6144, num_hidden_layers=24,
                      num_attention_heads=32, num_key_value_heads=4, head_dim=128,
                      max_position_embeddings=32768, tie_word_embeddings=False, use_sliding_window=False,
                      sliding_window=4096, max_window_layers=28, attention_bias=False, decoder_sparse_step=1,
                      moe_intermediate_size=768, num_experts_per_tok=8, num_experts=128, mlp_only_layers=[]),
    "gemma": dict(vocab_size=256000, hidden_size=3072, intermediate_size=24576, num_hidden_layers=28,
                  num_attention_heads=16, num_key_value_heads=16, head_dim=256, max_position_embeddings=8192,
                  tie_word_embeddings=True, attention_bias=False),
    "gemma2": dict(vocab_size=256000, hidden_size=2304, intermediate_size=9216, num_hidden_layers=26,
                   num_attention_heads=8, num_key_value_heads=4, head_dim=256, max_position_embeddings=8192,
                   tie_word_embeddings=True, attention_bias=False, sliding_window=4096),
    "gemma3_text": dict(vocab_size=262208, hidden_size=2304, intermediate_size=9216, num_hidden_layers=26,
                        num_attention_heads=8, num_key_value_heads=4, head_dim=256,
                        max_position_embeddings=131072, tie_word_embeddings=True, attention_bias=False,
                        sliding_window=4096, sliding_window_pattern=6),
    "phi3": dict(vocab_size=32064, hidden_size=3072, intermediate_size=8192, num_hidden_layers=32,
                 num_attention_heads=32, max_position_embeddings=4096, tie_word_embeddings=False,
                 sliding_window=None),
    "gpt2": dict(vocab_size=50257, n_positions=1024, n_embd=768, n_layer=12, n_head=12, n_inner=None,
                 tie_word_embeddings=True),
    "gpt_neox": dict(vocab_size=50432, hidden_size=6144, num_hidden_layers=44, num_attention_heads=64,
                     intermediate_size=24576, max_position_embeddings=2048, tie_word_embeddings=False,
                     use_parallel_residual=True, attention_bias=True),
    "falcon": dict(vocab_size=65024, hidden_size=4544, num_hidden_layers=32, num_attention_heads=71,
                   new_decoder_architecture=False, multi_query=True, num_kv_heads=None, parallel_attn=True,
                   bias=False, alibi=False, ffn_hidden_size=None, max_position_embeddings=2048,
                   tie_word_embeddings=True, num_ln_in_parallel_attn=None),
    "deepseek_v2": dict(vocab_size=102400, hidden_size=4096, intermediate_size=11008,
                        moe_intermediate_size=1407, num_hidden_layers=30, num_attention_heads=32,
                        num_key_value_heads=32, n_shared_experts=None, n_routed_experts=None,
                        num_experts_per_tok=None, first_k_dense_replace=0, moe_layer_freq=1,
                        q_lora_rank=1536, kv_lora_rank=512, qk_rope_head_dim=64, v_head_dim=128,
                        qk_nope_head_dim=128, max_position_embeddings=2048, tie_word_embeddings=False,
                        attention_bias=False),
    "deepseek_v3": dict(vocab_size=129280, hidden_size=7168, intermediate_size=18432,
                        moe_intermediate_size=2048, num_hidden_layers=61, num_attention_heads=128,
                        num_key_value_heads=128, n_shared_experts=1, n_routed_experts=256,
                        num_experts_per_tok=8, first_k_dense_replace=3, moe_layer_freq=1, q_lora_rank=1536,
                        kv_lora_rank=512, qk_rope_head_dim=64, v_head_dim=128, qk_nope_head_dim=128,
                        max_position_embeddings=4096, tie_word_embeddings=False, attention_bias=False),
    "gpt_oss": dict(vocab_size=201088, hidden_size=2880, intermediate_size=2880, num_hidden_layers=36,
                    num_attention_heads=64, num_key_value_heads=8, head_dim=64, num_local_experts=128,
                    num_experts_per_tok=4, sliding_window=128, max_position_embeddings=131072,
                    tie_word_embeddings=False, attention_bias=True),
    "olmo2": dict(vocab_size=50304, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
                  num_attention_heads=32, max_position_embeddings=2048, tie_word_embeddings=False,
                  attention_bias=False),
    "olmoe": dict(vocab_size=50304, hidden_size=2048, intermediate_size=2048, num_hidden_layers=16,
                  num_attention_heads=16, max_position_embeddings=4096, tie_word_embeddings=False,
                  attention_bias=False, num_experts=64, num_experts_per_tok=8),
}
SUPPORTED_MODEL_TYPES = tuple(sorted([*_DEFAULTS, "gemma3"]))

# Some hand-made or very old configs name only the class; map it to the family transformers would load.
_ARCHITECTURES = {
    "LlamaForCausalLM": "llama", "MistralForCausalLM": "mistral", "MixtralForCausalLM": "mixtral",
    "Qwen2ForCausalLM": "qwen2", "Qwen2MoeForCausalLM": "qwen2_moe", "Qwen3ForCausalLM": "qwen3",
    "Qwen3MoeForCausalLM": "qwen3_moe", "GemmaForCausalLM": "gemma", "Gemma2ForCausalLM": "gemma2",
    "Gemma3ForCausalLM": "gemma3_text", "Gemma3ForConditionalGeneration": "gemma3", "Phi3ForCausalLM": "phi3",
    "GPT2LMHeadModel": "gpt2", "GPTNeoXForCausalLM": "gpt_neox", "FalconForCausalLM": "falcon",
    "DeepseekV2ForCausalLM": "deepseek_v2", "DeepseekV3ForCausalLM": "deepseek_v3",
    "GptOssForCausalLM": "gpt_oss", "Olmo2ForCausalLM": "olmo2", "OlmoeForCausalLM": "olmoe",
}


class _Cfg:
    """Config lookup with the family defaults underneath; `None` in the file counts as absent only
    where transformers treats it so (we keep explicit nulls, e.g. sliding_window: null)."""

    def __init__(self, raw: dict, model_type: str):
        self.raw = raw
        self.defaults = _DEFAULTS[model_type]
        self.model_type = model_type

    def get(self, key: str, default=None):
        if key in self.raw:
            return self.raw[key]
        return self.defaults.get(key, default)

    def int(self, key: str, default=None, *, required: bool = True):
        v = self.get(key, default)
        if v is None and not required:
            return None
        if isinstance(v, bool) or not isinstance(v, int):
            raise InvalidInput(f"config field {key} must be an integer, got {v!r}", field=f"hf_config.{key}")
        return v


def _layer_types_from_list(cfg: _Cfg, n_layers: int) -> tuple[str, ...] | None:
    lt = cfg.raw.get("layer_types")
    if lt is None:
        return None
    if not isinstance(lt, list) or len(lt) != n_layers:
        raise InvalidInput(f"config layer_types must be a list of {n_layers} entries", field="hf_config.layer_types")
    out = []
    for t in lt:
        if t == "full_attention":
            out.append("full")
        elif t == "sliding_attention":
            out.append("sliding")
        else:
            raise InvalidInput(f"config layer_types entry {t!r} is not supported "
                               "(full_attention, sliding_attention)", field="hf_config.layer_types")
    return tuple(out)


def _qwen_sliding(cfg: _Cfg, n: int) -> tuple[tuple[str, ...] | None, int | None]:
    # Qwen2/3: sliding only if use_sliding_window, and then only for layers >= max_window_layers.
    explicit = _layer_types_from_list(cfg, n)
    window = cfg.get("sliding_window") if cfg.get("use_sliding_window") else None
    if explicit is not None:
        return explicit, (window or cfg.get("sliding_window")) if "sliding" in explicit else None
    if not window:
        return None, None
    mwl = cfg.int("max_window_layers")
    return tuple("sliding" if i >= mwl else "full" for i in range(n)), window


def _alternating(cfg: _Cfg, n: int, pattern: int) -> tuple[tuple[str, ...], int]:
    # Gemma-2 / gpt-oss (pattern 2) and Gemma-3 (pattern 6): layer i is full when (i+1) % pattern == 0.
    explicit = _layer_types_from_list(cfg, n)
    types = explicit or tuple("full" if (i + 1) % pattern == 0 else "sliding" for i in range(n))
    return types, cfg.int("sliding_window")


def _common(cfg: _Cfg, **over) -> dict:
    n_heads = cfg.int("num_attention_heads")
    kv = cfg.get("num_key_value_heads")
    d = dict(
        vocab_size=cfg.int("vocab_size"),
        hidden_size=cfg.int("hidden_size"),
        num_layers=cfg.int("num_hidden_layers"),
        num_heads=n_heads,
        num_kv_heads=kv if kv is not None else n_heads,
        head_dim=cfg.get("head_dim"),
        intermediate_size=cfg.int("intermediate_size"),
        tied_embeddings=bool(cfg.get("tie_word_embeddings", False)),
        max_position_embeddings=cfg.get("max_position_embeddings"),
        qkv_bias=bool(cfg.get("attention_bias", False)),
        o_bias=bool(cfg.get("attention_bias", False)),
        mlp_bias=bool(cfg.get("mlp_bias", False)),
        model_type=cfg.model_type,
    )
    d.update(over)
    return d


def _llama(cfg: _Cfg) -> dict:
    return _common(cfg)


def _mistral(cfg: _Cfg) -> dict:
    n = cfg.int("num_hidden_layers")
    explicit = _layer_types_from_list(cfg, n)
    d = _common(cfg, sliding_window=cfg.get("sliding_window"), layer_types=explicit)
    if cfg.model_type == "mixtral":
        d["moe"] = MoE(num_experts=cfg.int("num_local_experts"), experts_per_token=cfg.int("num_experts_per_tok"),
                       expert_intermediate_size=cfg.int("intermediate_size"))
    return d


def _qwen(cfg: _Cfg) -> dict:
    n = cfg.int("num_hidden_layers")
    types, window = _qwen_sliding(cfg, n)
    is3 = cfg.model_type.startswith("qwen3")
    # Qwen2 hard-codes bias on q/k/v and none on o; Qwen3 follows attention_bias for all four.
    bias = bool(cfg.get("attention_bias", False)) if is3 else True
    d = _common(cfg, layer_types=types, sliding_window=window, qkv_bias=bias, o_bias=bias if is3 else False,
                qk_norm="per_head" if is3 else "none")
    if not is3:
        d["head_dim"] = None  # Qwen2 always derives head_dim = hidden / heads
    if cfg.model_type.endswith("_moe"):
        step = cfg.int("decoder_sparse_step")
        only = set(cfg.get("mlp_only_layers") or [])
        dense = tuple(i for i in range(n) if i in only or not (cfg.int("num_experts") > 0 and (i + 1) % step == 0))
        shared = cfg.int("shared_expert_intermediate_size", 0) if not is3 else 0
        d["moe"] = MoE(num_experts=cfg.int("num_experts"), experts_per_token=cfg.int("num_experts_per_tok"),
                       expert_intermediate_size=cfg.int("moe_intermediate_size"),
                       num_shared_experts=1 if shared else 0, shared_intermediate_size=shared,
                       shared_expert_gate=bool(shared), dense_layers=dense)
    return d


def _gemma(cfg: _Cfg) -> dict:
    n = cfg.int("num_hidden_layers")
    d = _common(cfg, tied_embeddings=bool(cfg.get("tie_word_embeddings", True)))
    if cfg.model_type == "gemma2":
        d["layer_types"], d["sliding_window"] = _alternating(cfg, n, 2)
        d["norms_per_layer"] = 4
    elif cfg.model_type == "gemma3_text":
        d["layer_types"], d["sliding_window"] = _alternating(cfg, n, cfg.int("sliding_window_pattern"))
        d["norms_per_layer"] = 4
        d["qk_norm"] = "per_head"
    return d


def _phi3(cfg: _Cfg) -> dict:
    return _common(cfg, sliding_window=cfg.get("sliding_window"), qkv_bias=False, o_bias=False)


def _gpt2(cfg: _Cfg) -> dict:
    h = cfg.int("n_embd")
    inner = cfg.get("n_inner")
    return dict(vocab_size=cfg.int("vocab_size"), hidden_size=h, num_layers=cfg.int("n_layer"),
                num_heads=cfg.int("n_head"), intermediate_size=inner if inner else 4 * h, ffn="standard",
                tied_embeddings=bool(cfg.get("tie_word_embeddings", True)), qkv_bias=True, o_bias=True,
                mlp_bias=True, norm="layernorm", positions="learned",
                max_position_embeddings=cfg.int("n_positions"), model_type="gpt2")


def _gpt_neox(cfg: _Cfg) -> dict:
    bias = bool(cfg.get("attention_bias", True))
    return _common(cfg, ffn="standard", norm="layernorm", qkv_bias=bias, o_bias=bias, mlp_bias=True,
                   num_kv_heads=None, head_dim=None, parallel_block=bool(cfg.get("use_parallel_residual")))


def _falcon(cfg: _Cfg) -> dict:
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


def _deepseek(cfg: _Cfg) -> dict:
    n = cfg.int("num_hidden_layers")
    mla = MLA(kv_lora_rank=cfg.int("kv_lora_rank"), qk_nope_head_dim=cfg.int("qk_nope_head_dim"),
              qk_rope_head_dim=cfg.int("qk_rope_head_dim"), v_head_dim=cfg.int("v_head_dim"),
              q_lora_rank=cfg.int("q_lora_rank", required=False))
    d = _common(cfg, mla=mla, head_dim=cfg.int("qk_nope_head_dim") + cfg.int("qk_rope_head_dim"))
    d["num_kv_heads"] = d["num_heads"]  # MLA expands the latent to every head; no GQA grouping
    routed = cfg.int("n_routed_experts", required=False)
    if routed:
        first = cfg.int("first_k_dense_replace")
        freq = cfg.int("moe_layer_freq")
        dense = tuple(i for i in range(n) if not (i >= first and i % freq == 0))
        inter = cfg.int("moe_intermediate_size")
        n_shared = cfg.int("n_shared_experts", required=False) or 0
        d["moe"] = MoE(num_experts=routed, experts_per_token=cfg.int("num_experts_per_tok"),
                       expert_intermediate_size=inter, num_shared_experts=n_shared,
                       shared_intermediate_size=n_shared * inter, dense_layers=dense,
                       router_score_bias=cfg.model_type == "deepseek_v3")
    return d


def _gpt_oss(cfg: _Cfg) -> dict:
    n = cfg.int("num_hidden_layers")
    types, window = _alternating(cfg, n, 2)
    top_k = cfg.raw.get("num_experts_per_tok", cfg.raw.get("experts_per_token", cfg.defaults["num_experts_per_tok"]))
    moe = MoE(num_experts=cfg.int("num_local_experts"), experts_per_token=top_k,
              expert_intermediate_size=cfg.int("intermediate_size"), router_bias=True)
    return _common(cfg, layer_types=types, sliding_window=window, attention_sinks=True, moe=moe, mlp_bias=True)


def _olmo(cfg: _Cfg) -> dict:
    d = _common(cfg, qk_norm="full")
    if cfg.model_type == "olmoe":
        d["moe"] = MoE(num_experts=cfg.int("num_experts"), experts_per_token=cfg.int("num_experts_per_tok"),
                       expert_intermediate_size=cfg.int("intermediate_size"))
    return d


_READERS: dict[str, Callable[[_Cfg], dict]] = {
    "llama": _llama, "mistral": _mistral, "mixtral": _mistral, "qwen2": _qwen, "qwen2_moe": _qwen,
    "qwen3": _qwen, "qwen3_moe": _qwen, "gemma": _gemma, "gemma2": _gemma, "gemma3_text": _gemma,
    "phi3": _phi3, "gpt2": _gpt2, "gpt_neox": _gpt_neox, "falcon": _falcon, "deepseek_v2": _deepseek,
    "deepseek_v3": _deepseek, "gpt_oss": _gpt_oss, "olmo2": _olmo, "olmoe": _olmo,
}


def read_hf_config(config: dict, *, name: str | None = None) -> tuple[ModelShape, tuple[str, ...]]:
    """Read a parsed config.json → (shape, notes the result must carry). Multimodal wrappers (gemma3,
    mistral3, …) are read through their text_config; a family we do not know by model_type is read by its
    architectures class when that names one we do."""
    if not isinstance(config, dict):
        raise UnsupportedConfig("hf_config must be a JSON object (the contents of config.json)", field="hf_config")
    notes: list[str] = []
    model_type = config.get("model_type")
    arch = config.get("architectures")
    by_class = _ARCHITECTURES.get(arch[0]) if isinstance(arch, list) and arch and isinstance(arch[0], str) else None
    if model_type not in _READERS and model_type != "gemma3" and by_class and not isinstance(
            config.get("text_config"), dict):
        if model_type is not None:
            notes.append(f"model_type {model_type!r} is not a supported family; read as {by_class} because "
                         f"architectures names {arch[0]}")
        model_type = by_class
        config = {**config, "model_type": model_type}
    if model_type == "gemma3" or (isinstance(config.get("text_config"), dict) and model_type not in _READERS):
        text = config.get("text_config")
        if not isinstance(text, dict):
            raise UnsupportedConfig(f"{model_type} config has no text_config object", field="hf_config.text_config")
        if "vision_config" in config or "audio_config" in config:
            notes.append(f"{model_type}: text decoder only (text_config); the vision/audio encoder and its "
                         "projector are not counted")
        config = {"model_type": "gemma3_text", **text}
        if text.get("model_type") not in (None, "gemma3_text"):
            config["model_type"] = text["model_type"]
        model_type = config["model_type"]
    if model_type not in _READERS:
        raise UnsupportedConfig(
            f"model_type {model_type!r} is not supported; supported: {', '.join(SUPPORTED_MODEL_TYPES)}",
            field="hf_config.model_type", allowed=list(SUPPORTED_MODEL_TYPES))
    cfg = _Cfg(config, model_type)
    try:
        fields = _READERS[model_type](cfg)
    except (TypeError, KeyError, ValueError) as exc:
        if isinstance(exc, ModelMathError):
            raise
        raise InvalidInput(f"config.json for {model_type} has an unusable field: {exc}", field="hf_config") from exc
    return ModelShape(name=name or config.get("_name_or_path") or model_type, **fields), tuple(notes)


def shape_from_hf_config(config: dict, *, name: str | None = None) -> ModelShape:
    """The shape alone (see read_hf_config for the notes that go with it)."""
    return read_hf_config(config, name=name)[0]


def config_size_ok(n_bytes: int) -> None:
    if n_bytes > MAX_CONFIG_BYTES:
        raise UnsupportedConfig(f"config file is {n_bytes} bytes; refusing anything over {MAX_CONFIG_BYTES} "
                                "(a real config.json is a few kB)", field="hf_config")
