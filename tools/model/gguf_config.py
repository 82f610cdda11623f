"""GGUF metadata → the equivalent Hugging Face config.json fields, so one reader (hf_config.py) builds every
shape. Keys are llama.cpp's (gguf-py/gguf/constants.py, `Keys.LLM` / `Keys.Attention`: "{arch}.block_count",
"{arch}.attention.head_count_kv", …) as convert_hf_to_gguf.py writes them; the vocabulary size and tying are
read from the tensor table itself (token_embd.weight rows; no output.weight means a tied LM head).
"""

from __future__ import annotations

from ..errors import UnsupportedConfig
from .gguf_hybrid import HYBRID_ARCHITECTURES, hybrid_config, no_rope_context

# GGUF general.architecture → transformers model_type (deepseek2 and llama are refined below).
ARCHITECTURES = {
    "llama": "llama", "qwen2": "qwen2", "qwen2moe": "qwen2_moe", "qwen3": "qwen3", "qwen3moe": "qwen3_moe",
    "gemma": "gemma", "gemma2": "gemma2", "gemma3": "gemma3_text", "phi3": "phi3", "olmo2": "olmo2",
    "olmoe": "olmoe", "gpt-oss": "gpt_oss", "deepseek2": "deepseek_v2", "gpt2": "gpt2",
    **HYBRID_ARCHITECTURES,  # tools/model/gguf_hybrid.py
}


def _bad(why: str) -> UnsupportedConfig:
    return UnsupportedConfig(f"GGUF metadata: {why}", field="model")


def _one(value, key: str):
    """A per-layer array of one repeated value is that value; real per-layer variation is not supported."""
    if isinstance(value, list):
        if value and all(v == value[0] for v in value):
            return value[0]
        raise _bad(f"{key} varies per layer ({value[:4]}…), which this reader does not support")
    return value


def config_from_gguf(metadata: dict, tensors: dict[str, tuple[int, ...]]) -> dict:
    """`tensors`: name → shape (row-major, as TensorRecord holds it)."""
    arch = metadata.get("general.architecture")
    if arch not in ARCHITECTURES:
        raise UnsupportedConfig(f"GGUF architecture {arch!r} is not one of the {len(ARCHITECTURES)} this reader "
                                "supports", field="model", allowed=sorted(ARCHITECTURES))

    def get(key: str, default=None):
        return _one(metadata.get(f"{arch}.{key}", default), f"{arch}.{key}")

    def need(key: str):
        v = get(key)
        if not isinstance(v, int) or isinstance(v, bool):
            raise _bad(f"{arch}.{key} missing or not an integer ({v!r})")
        return v

    emb = tensors.get("token_embd.weight")
    vocab = emb[0] if emb and len(emb) == 2 else get("vocab_size")
    if vocab is None:
        toks = metadata.get("tokenizer.ggml.tokens")
        vocab = toks.get("count") if isinstance(toks, dict) else len(toks) if isinstance(toks, list) else None
    nextn = get("nextn_predict_layers", 0) or 0
    heads = need("attention.head_count")
    if arch in HYBRID_ARCHITECTURES:  # head_count_kv / feed_forward_length are per-layer arrays there
        ctx = get("context_length")
        return hybrid_config(arch, metadata, tensors, {
            "vocab_size": vocab, "hidden_size": need("embedding_length"), "num_hidden_layers": need("block_count")
            - nextn, "num_attention_heads": heads,
            # llama.cpp writes 2**20 for hybrids without RoPE ("arbitrary value", not the trained window): no
            # window is better than that one (gguf_hybrid.gguf_notes says so).
            "max_position_embeddings": None if no_rope_context(arch, ctx) else ctx,
            "tie_word_embeddings": "output.weight" not in tensors})
    cfg: dict = {
        "model_type": ARCHITECTURES[arch], "vocab_size": vocab, "hidden_size": need("embedding_length"),
        "num_hidden_layers": need("block_count") - nextn, "num_attention_heads": heads,
        "num_key_value_heads": get("attention.head_count_kv", heads), "max_position_embeddings": get("context_length"),
        "tie_word_embeddings": "output.weight" not in tensors,
        "attention_bias": "blk.0.attn_q.bias" in tensors,
    }
    if get("feed_forward_length") is not None:
        cfg["intermediate_size"] = get("feed_forward_length")
    if get("attention.key_length") is not None and arch != "deepseek2":
        cfg["head_dim"] = get("attention.key_length")
    window = get("attention.sliding_window")
    experts, used = get("expert_count", 0) or 0, get("expert_used_count", 0) or 0
    if arch == "llama" and experts:
        cfg.update(model_type="mixtral", num_local_experts=experts, num_experts_per_tok=used)
    elif arch in ("qwen2moe", "qwen3moe", "olmoe"):
        cfg.update(num_experts=experts, num_experts_per_tok=used)
        if arch != "olmoe":
            cfg.update(moe_intermediate_size=need("expert_feed_forward_length"), decoder_sparse_step=1,
                       mlp_only_layers=[])
        if arch == "qwen2moe":
            shexp = tensors.get("blk.0.ffn_up_shexp.weight")
            cfg["shared_expert_intermediate_size"] = get("expert_shared_feed_forward_length",
                                                         shexp[0] if shexp else 0)
    elif arch == "gpt-oss":
        cfg.update(num_local_experts=experts, num_experts_per_tok=used,
                   intermediate_size=need("expert_feed_forward_length"), sliding_window=window)
    elif arch == "deepseek2":
        rope = need("rope.dimension_count")
        mla_k, mla_v = get("attention.key_length_mla"), get("attention.value_length_mla")
        # Since llama.cpp stores MLA as MQA over the latent, key_length is kv_lora_rank + rope and the per-head
        # sizes moved to key_length_mla / value_length_mla; older files carry them in key/value_length.
        k = mla_k if mla_k is not None else need("attention.key_length")
        v = mla_v if mla_v is not None else need("attention.value_length")
        cfg.update(kv_lora_rank=need("attention.kv_lora_rank"), q_lora_rank=get("attention.q_lora_rank"),
                   qk_rope_head_dim=rope, qk_nope_head_dim=k - rope, v_head_dim=v, num_key_value_heads=heads,
                   n_routed_experts=experts or None, num_experts_per_tok=used or None,
                   moe_intermediate_size=get("expert_feed_forward_length"),
                   n_shared_experts=get("expert_shared_count"),
                   first_k_dense_replace=get("leading_dense_block_count", 0), moe_layer_freq=1)
        if get("expert_gating_func") == 2:  # sigmoid routing with a score-correction bias: DeepSeek-V3
            cfg["model_type"] = "deepseek_v3"
    elif arch in ("gemma2", "gemma3", "phi3"):
        cfg["sliding_window"] = window
        if arch == "gemma3":
            pattern = metadata.get("gemma3.attention.sliding_window_pattern")
            if isinstance(pattern, list):
                cfg["layer_types"] = ["sliding_attention" if p else "full_attention" for p in pattern]
            else:  # llama.cpp's Gemma 3 default: every 6th layer global
                cfg["sliding_window_pattern"] = pattern if isinstance(pattern, int) else 6
    elif arch == "gpt2":
        cfg = {"model_type": "gpt2", "vocab_size": vocab, "n_embd": cfg["hidden_size"],
               "n_layer": cfg["num_hidden_layers"], "n_head": heads, "n_positions": need("context_length"),
               "n_inner": get("feed_forward_length"), "tie_word_embeddings": cfg["tie_word_embeddings"]}
    return {k: v for k, v in cfg.items() if v is not None or k == "q_lora_rank"}
