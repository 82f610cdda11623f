"""Large checkpoint layouts rebuilt from published configs, for the benchmarks (too big for unit tests).

These are reconstructions: tensor names and shapes follow each model's transformers module names and its
quantiser's storage rules, not a copy of the real header. The benchmarks say so when they print them.
"""

from __future__ import annotations


def _fp8(name: str, out: int, inp: int) -> list[tuple[str, str, tuple[int, ...]]]:
    """An FP8 block-scaled Linear (quant_method fp8, 128x128 blocks): weight + fp32 weight_scale_inv."""
    scales = (-(-out // 128), -(-inp // 128))
    return [(name + ".weight", "F8_E4M3", (out, inp)), (name + ".weight_scale_inv", "F32", scales)]


# deepseek-ai/DeepSeek-V3 config.json (values as published).
DEEPSEEK_V3 = {"model_type": "deepseek_v3", "vocab_size": 129280, "hidden_size": 7168, "intermediate_size": 18432,
               "moe_intermediate_size": 2048, "num_hidden_layers": 61, "num_attention_heads": 128,
               "num_key_value_heads": 128, "n_shared_experts": 1, "n_routed_experts": 256, "num_experts_per_tok": 8,
               "first_k_dense_replace": 3, "moe_layer_freq": 1, "q_lora_rank": 1536, "kv_lora_rank": 512,
               "qk_rope_head_dim": 64, "v_head_dim": 128, "qk_nope_head_dim": 128, "num_nextn_predict_layers": 1,
               "max_position_embeddings": 163840, "tie_word_embeddings": False,
               "quantization_config": {"quant_method": "fp8", "activation_scheme": "dynamic", "fmt": "e4m3",
                                       "weight_block_size": [128, 128]}}


def deepseek_v3_fp8() -> list[tuple[str, str, tuple[int, ...]]]:
    """DeepSeek-V3 as published: FP8 block-scaled Linears, BF16 norms/router/embeddings/head, fp32 router
    bias; layer 61 is the MTP module (its own embed_tokens, enorm, hnorm, eh_proj, shared_head copies)."""
    c = DEEPSEEK_V3
    h, v, heads = c["hidden_size"], c["vocab_size"], c["num_attention_heads"]
    qk = c["qk_nope_head_dim"] + c["qk_rope_head_dim"]
    t = [("model.embed_tokens.weight", "BF16", (v, h)), ("model.norm.weight", "BF16", (h,)),
         ("lm_head.weight", "BF16", (v, h))]
    for i in range(c["num_hidden_layers"] + c["num_nextn_predict_layers"]):
        p = f"model.layers.{i}."
        t += [(p + "input_layernorm.weight", "BF16", (h,)), (p + "post_attention_layernorm.weight", "BF16", (h,)),
              (p + "self_attn.q_a_layernorm.weight", "BF16", (c["q_lora_rank"],)),
              (p + "self_attn.kv_a_layernorm.weight", "BF16", (c["kv_lora_rank"],))]
        t += _fp8(p + "self_attn.q_a_proj", c["q_lora_rank"], h)
        t += _fp8(p + "self_attn.q_b_proj", heads * qk, c["q_lora_rank"])
        t += _fp8(p + "self_attn.kv_a_proj_with_mqa", c["kv_lora_rank"] + c["qk_rope_head_dim"], h)
        t += _fp8(p + "self_attn.kv_b_proj", heads * (c["qk_nope_head_dim"] + c["v_head_dim"]), c["kv_lora_rank"])
        t += _fp8(p + "self_attn.o_proj", h, heads * c["v_head_dim"])
        if i < c["first_k_dense_replace"]:
            inter = c["intermediate_size"]
            t += _fp8(p + "mlp.gate_proj", inter, h) + _fp8(p + "mlp.up_proj", inter, h)
            t += _fp8(p + "mlp.down_proj", h, inter)
            continue
        m = c["moe_intermediate_size"]
        t += [(p + "mlp.gate.weight", "BF16", (c["n_routed_experts"], h)),
              (p + "mlp.gate.e_score_correction_bias", "F32", (c["n_routed_experts"],))]
        for j in range(c["n_routed_experts"]):
            e = f"{p}mlp.experts.{j}."
            t += _fp8(e + "gate_proj", m, h) + _fp8(e + "up_proj", m, h) + _fp8(e + "down_proj", h, m)
        s = m * c["n_shared_experts"]
        t += (_fp8(p + "mlp.shared_experts.gate_proj", s, h) + _fp8(p + "mlp.shared_experts.up_proj", s, h)
              + _fp8(p + "mlp.shared_experts.down_proj", h, s))
        if i >= c["num_hidden_layers"]:  # the MTP module's own parts
            t += [(p + "enorm.weight", "BF16", (h,)), (p + "hnorm.weight", "BF16", (h,)),
                  (p + "eh_proj.weight", "BF16", (h, 2 * h)), (p + "embed_tokens.weight", "BF16", (v, h)),
                  (p + "shared_head.norm.weight", "BF16", (h,)), (p + "shared_head.head.weight", "BF16", (v, h))]
    return t


# openai/gpt-oss-20b config.json: hidden 2880, 24 layers, 64 heads of 64, 8 KV heads, 32 experts (top-4) of
# 2880, vocab 201088, untied; experts stored MXFP4 (quantization_config quant_method mxfp4).
GPT_OSS_20B = {"model_type": "gpt_oss", "vocab_size": 201088, "hidden_size": 2880, "intermediate_size": 2880,
               "num_hidden_layers": 24, "num_attention_heads": 64, "num_key_value_heads": 8, "head_dim": 64,
               "num_local_experts": 32, "num_experts_per_tok": 4, "sliding_window": 128,
               "max_position_embeddings": 131072, "tie_word_embeddings": False,
               "quantization_config": {"quant_method": "mxfp4",
                                       "modules_to_not_convert": ["model.layers.*.self_attn",
                                                                  "model.layers.*.mlp.router", "model.embed_tokens",
                                                                  "lm_head"]}}


def gpt_oss_20b_mxfp4() -> list[tuple[str, str, tuple[int, ...]]]:
    """gpt-oss as published: expert weights as MXFP4 blocks (U8, 16 bytes = 32 values per block) and E8M0
    scales (U8, one per block); attention, router, biases, embeddings and head BF16; sinks per head."""
    c = GPT_OSS_20B
    h, v, e, i = c["hidden_size"], c["vocab_size"], c["num_local_experts"], c["intermediate_size"]
    q, kv = c["num_attention_heads"] * c["head_dim"], c["num_key_value_heads"] * c["head_dim"]
    t = [("model.embed_tokens.weight", "BF16", (v, h)), ("model.norm.weight", "BF16", (h,)),
         ("lm_head.weight", "BF16", (v, h))]
    for n in range(c["num_hidden_layers"]):
        p = f"model.layers.{n}."
        t += [(p + "input_layernorm.weight", "BF16", (h,)), (p + "post_attention_layernorm.weight", "BF16", (h,)),
              (p + "self_attn.q_proj.weight", "BF16", (q, h)), (p + "self_attn.q_proj.bias", "BF16", (q,)),
              (p + "self_attn.k_proj.weight", "BF16", (kv, h)), (p + "self_attn.k_proj.bias", "BF16", (kv,)),
              (p + "self_attn.v_proj.weight", "BF16", (kv, h)), (p + "self_attn.v_proj.bias", "BF16", (kv,)),
              (p + "self_attn.o_proj.weight", "BF16", (h, q)), (p + "self_attn.o_proj.bias", "BF16", (h,)),
              (p + "self_attn.sinks", "BF16", (c["num_attention_heads"],)),
              (p + "mlp.router.weight", "BF16", (e, h)), (p + "mlp.router.bias", "BF16", (e,)),
              (p + "mlp.experts.gate_up_proj_blocks", "U8", (e, 2 * i, h // 32, 16)),
              (p + "mlp.experts.gate_up_proj_scales", "U8", (e, 2 * i, h // 32)),
              (p + "mlp.experts.gate_up_proj_bias", "BF16", (e, 2 * i)),
              (p + "mlp.experts.down_proj_blocks", "U8", (e, h, i // 32, 16)),
              (p + "mlp.experts.down_proj_scales", "U8", (e, h, i // 32)),
              (p + "mlp.experts.down_proj_bias", "BF16", (e, h))]
    return t
