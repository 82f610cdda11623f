"""Tensor tables of real checkpoint layouts, for the stand-in Hub and for local-directory tests.

Shapes follow transformers' module names for a Llama-style decoder (model.layers.N.self_attn.q_proj …) and
each quantiser's storage layout:
- fp8 block-scaled (DeepSeek-V3 / Qwen3-FP8 `quant_method: fp8`, weight_block_size [128, 128]): F8_E4M3
  weight [out, in] + F32 `weight_scale_inv` [ceil(out/128), ceil(in/128)] per Linear;
- GPTQ (AutoGPTQ/GPTQModel, bits 4, group 128): I32 qweight [in/8, out], I32 qzeros [in/128, out/8],
  F16 scales [in/128, out], I32 g_idx [in];
- AWQ GEMM (AutoAWQ, bits 4, group 128): I32 qweight [in, out/8], I32 qzeros [in/128, out/8], F16 scales
  [in/128, out].
Embeddings, norms and the LM head stay 16-bit in all three (the quantisers only touch Linear layers).
The expected byte totals in tests are derived by hand in the tests, not from these functions.
"""

from __future__ import annotations

# Llama-3.1-8B (meta-llama/Llama-3.1-8B config.json): the shape used throughout.
LLAMA_8B = {"model_type": "llama", "vocab_size": 128256, "hidden_size": 4096, "intermediate_size": 14336,
            "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
            "max_position_embeddings": 131072, "tie_word_embeddings": False, "torch_dtype": "bfloat16"}


def linears(cfg: dict) -> list[tuple[str, int, int]]:
    """(name, out_features, in_features) of every Linear in the decoder layers."""
    h, i = cfg["hidden_size"], cfg["intermediate_size"]
    kv = cfg["num_key_value_heads"] * h // cfg["num_attention_heads"]
    out = []
    for n in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{n}."
        out += [(p + "self_attn.q_proj", h, h), (p + "self_attn.k_proj", kv, h), (p + "self_attn.v_proj", kv, h),
                (p + "self_attn.o_proj", h, h), (p + "mlp.gate_proj", i, h), (p + "mlp.up_proj", i, h),
                (p + "mlp.down_proj", h, i)]
    return out


def _sixteen_bit(cfg: dict, dtype: str) -> list[tuple[str, str, tuple[int, ...]]]:
    h, v = cfg["hidden_size"], cfg["vocab_size"]
    t = [("model.embed_tokens.weight", dtype, (v, h)), ("model.norm.weight", dtype, (h,))]
    for n in range(cfg["num_hidden_layers"]):
        t += [(f"model.layers.{n}.input_layernorm.weight", dtype, (h,)),
              (f"model.layers.{n}.post_attention_layernorm.weight", dtype, (h,))]
    if not cfg.get("tie_word_embeddings"):
        t.append(("lm_head.weight", dtype, (v, h)))
    return t


def tensors(cfg: dict, fmt: str) -> list[tuple[str, str, tuple[int, ...]]]:
    """fmt: bf16 | fp8_block | gptq | awq."""
    half = "F16" if fmt in ("gptq", "awq") else "BF16"
    t = _sixteen_bit(cfg, half)
    for name, out, inp in linears(cfg):
        if fmt == "bf16":
            t.append((name + ".weight", "BF16", (out, inp)))
        elif fmt == "fp8_block":
            t += [(name + ".weight", "F8_E4M3", (out, inp)),
                  (name + ".weight_scale_inv", "F32", (-(-out // 128), -(-inp // 128)))]
        elif fmt == "gptq":
            t += [(name + ".qweight", "I32", (inp // 8, out)), (name + ".qzeros", "I32", (inp // 128, out // 8)),
                  (name + ".scales", "F16", (inp // 128, out)), (name + ".g_idx", "I32", (inp,))]
        elif fmt == "awq":
            t += [(name + ".qweight", "I32", (inp, out // 8)), (name + ".qzeros", "I32", (inp // 128, out // 8)),
                  (name + ".scales", "F16", (inp // 128, out))]
        else:
            raise ValueError(fmt)
    return t


QUANT_CONFIGS = {
    "bf16": None,
    "fp8_block": {"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic",
                  "weight_block_size": [128, 128]},
    "gptq": {"quant_method": "gptq", "bits": 4, "group_size": 128, "desc_act": False, "sym": True},
    "awq": {"quant_method": "awq", "bits": 4, "group_size": 128, "version": "gemm", "zero_point": True},
}


def config(cfg: dict, fmt: str) -> dict:
    out = dict(cfg)
    if QUANT_CONFIGS[fmt] is not None:
        out["quantization_config"] = QUANT_CONFIGS[fmt]
    return out


def q4_k_m_gguf_tensors(n_layers: int = 32, vocab: int = 128256, hidden: int = 4096, inter: int = 14336,
                        kv_dim: int = 1024) -> list[tuple[str, str, tuple[int, ...]]]:
    """A Llama GGUF quantised as llama.cpp's Q4_K_M mix (src/llama-quant.cpp, llama_tensor_get_type): Q4_K
    everywhere except output.weight (Q6_K) and, in the layers where use_more_bits(i, n) holds
    (i < n/8, i >= 7n/8, or (i - n/8) % 3 == 2), attn_v and ffn_down (Q6_K); norms F32."""
    def more(i: int) -> bool:
        return i < n_layers // 8 or i >= 7 * n_layers // 8 or (i - n_layers // 8) % 3 == 2

    t = [("token_embd.weight", "Q4_K", (vocab, hidden)), ("output_norm.weight", "F32", (hidden,)),
         ("output.weight", "Q6_K", (vocab, hidden)), ("rope_freqs.weight", "F32", (64,))]
    for i in range(n_layers):
        b = f"blk.{i}."
        t += [(b + "attn_norm.weight", "F32", (hidden,)), (b + "attn_q.weight", "Q4_K", (hidden, hidden)),
              (b + "attn_k.weight", "Q4_K", (kv_dim, hidden)),
              (b + "attn_v.weight", "Q6_K" if more(i) else "Q4_K", (kv_dim, hidden)),
              (b + "attn_output.weight", "Q4_K", (hidden, hidden)), (b + "ffn_norm.weight", "F32", (hidden,)),
              (b + "ffn_gate.weight", "Q4_K", (inter, hidden)), (b + "ffn_up.weight", "Q4_K", (inter, hidden)),
              (b + "ffn_down.weight", "Q6_K" if more(i) else "Q4_K", (hidden, inter))]
    return t


LLAMA_GGUF_KV = {"llama.block_count": 32, "llama.context_length": 131072, "llama.embedding_length": 4096,
                 "llama.feed_forward_length": 14336, "llama.attention.head_count": 32,
                 "llama.attention.head_count_kv": 8, "llama.rope.dimension_count": 128, "general.file_type": 15}
