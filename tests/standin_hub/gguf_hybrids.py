"""GGUF headers of hybrid models as llama.cpp's convert_hf_to_gguf.py writes them, from a config.json: the
metadata keys (GraniteHybridModel, NemotronHModel, Qwen3NextModel, JambaModel, FalconH1Model / Mamba2Model
set_gguf_parameters) and the tensor table (names from gguf-py's MODEL_TENSORS, shapes row-major as our
TensorRecord holds them). Restated here as the rules, not copied. Used by tests/tools/model/test_gguf_hybrid.py
(which checks every table's element total against transformers' count) and the stand-in Hub tests.
"""

from __future__ import annotations


def w(name: str, *shape: int) -> tuple[str, str, tuple[int, ...]]:
    """A tensor as llama.cpp stores it: matrices quantised (Q4_0 when rows split in 32s), vectors F32."""
    kind = "F32" if len(shape) == 1 or shape[-1] == 1 else "Q4_0" if shape[-1] % 32 == 0 else "F16"
    return (name, kind, tuple(shape))


def _common(c: dict, tied: bool) -> list:
    v, h = c["vocab_size"], c["hidden_size"]
    return [w("token_embd.weight", v, h), w("output_norm.weight", h)] + ([] if tied else [w("output.weight", v, h)])


def _attn(b: str, c: dict, h: int, head_dim: int, q_mult: int = 1) -> list:
    q, kv = c["num_attention_heads"] * head_dim, c["num_key_value_heads"] * head_dim
    return [w(b + "attn_q.weight", q * q_mult, h), w(b + "attn_k.weight", kv, h), w(b + "attn_v.weight", kv, h),
            w(b + "attn_output.weight", h, q)]


def _mamba2(b: str, h: int, heads: int, inner: int, groups: int, state: int, conv: int, conv_bias: bool,
            norm: bool = True) -> list:
    # Mamba2Model.modify_tensors: in_proj → ssm_in [z, x, B, C, dt], conv1d squeezed to [channels, kernel],
    # dt_bias → ssm_dt.bias, A_log → ssm_a [H, 1], D → ssm_d [H, 1], the gated norm → ssm_norm [G, I/G].
    ch = inner + 2 * groups * state
    t = [w(b + "ssm_in.weight", 2 * inner + 2 * groups * state + heads, h), w(b + "ssm_conv1d.weight", ch, conv),
         w(b + "ssm_dt.bias", heads), w(b + "ssm_a", heads, 1), w(b + "ssm_d", heads, 1),
         w(b + "ssm_out.weight", h, inner)]
    t += [w(b + "ssm_conv1d.bias", ch)] if conv_bias else []
    return t + ([w(b + "ssm_norm.weight", groups, inner // groups)] if norm else [])


def _ffn(b: str, h: int, ff: int, gated: bool = True, suffix: str = "") -> list:
    return ([w(f"{b}ffn_gate{suffix}.weight", ff, h)] if gated else []) + [
        w(f"{b}ffn_up{suffix}.weight", ff, h), w(f"{b}ffn_down{suffix}.weight", h, ff)]


def _granite(c: dict):
    # GraniteMoeHybrid and Bamba both convert to granitehybrid. Attention layers: layer_types "attention", else
    # attn_layer_indices. RoPE (Bamba): context_length is max_position_embeddings; without (Granite 4): 2**20.
    n, h = c["num_hidden_layers"], c["hidden_size"]
    attn = ([i for i, t in enumerate(c["layer_types"]) if t == "attention"] if "layer_types" in c
            else c["attn_layer_indices"])
    bamba = c["model_type"] == "bamba"
    inner, experts = c["mamba_expand"] * h, c.get("num_local_experts", 0)
    shared = c.get("shared_intermediate_size", c["intermediate_size"])
    kv = {"block_count": n, "context_length": c["max_position_embeddings"] if bamba else 2**20,
          "embedding_length": h, "feed_forward_length": c["intermediate_size"],
          "attention.head_count": c["num_attention_heads"],
          "attention.head_count_kv": [c["num_key_value_heads"] if i in attn else 0 for i in range(n)],
          "ssm.conv_kernel": c["mamba_d_conv"], "ssm.state_size": c["mamba_d_state"],
          "ssm.group_count": c["mamba_n_groups"], "ssm.inner_size": inner, "ssm.time_step_rank": c["mamba_n_heads"]}
    if "num_local_experts" in c:  # written only when the config has them
        kv.update({"expert_count": experts, "expert_used_count": c["num_experts_per_tok"]})
    if "shared_intermediate_size" in c:
        kv["expert_shared_feed_forward_length"] = shared
    t = _common(c, c["tie_word_embeddings"])
    for i in range(n):
        b = f"blk.{i}."
        t += [w(b + "attn_norm.weight", h), w(b + "ffn_norm.weight", h)]
        if experts:  # router, experts of intermediate_size, the shared MLP as the shared expert
            f = c["intermediate_size"]
            t += [w(b + "ffn_gate_inp.weight", experts, h), w(b + "ffn_gate_exps.weight", experts, f, h),
                  w(b + "ffn_up_exps.weight", experts, f, h), w(b + "ffn_down_exps.weight", experts, h, f)]
            t += _ffn(b, h, shared, suffix="_shexp")
        else:  # no experts: the shared MLP (Bamba: the MLP) is stored as the FFN
            t += _ffn(b, h, shared)
        t += (_attn(b, c, h, h // c["num_attention_heads"]) if i in attn else
              _mamba2(b, h, c["mamba_n_heads"], inner, c["mamba_n_groups"], c["mamba_d_state"], c["mamba_d_conv"],
                      c["mamba_conv_bias"]))
    return "granitehybrid", kv, t


def nemotron(c: dict):
    pattern, h = c["hybrid_override_pattern"], c["hidden_size"]
    moe = "E" in pattern
    n, hd = len(pattern), c.get("head_dim") or c.get("attention_head_dim")
    inner = c["mamba_num_heads"] * c["mamba_head_dim"]
    ffw = c["moe_intermediate_size"] if moe else c["intermediate_size"]
    kv = {"block_count": n, "context_length": 2**20, "embedding_length": h,
          "feed_forward_length": [ffw if ch == ("E" if moe else "-") else 0 for ch in pattern],
          "attention.head_count": c["num_attention_heads"],
          "attention.head_count_kv": [c["num_key_value_heads"] if ch == "*" else 0 for ch in pattern],
          "attention.key_length": hd, "attention.value_length": hd,
          "ssm.conv_kernel": c["conv_kernel"], "ssm.state_size": c["ssm_state_size"],
          "ssm.group_count": c["n_groups"], "ssm.inner_size": inner, "ssm.time_step_rank": c["mamba_num_heads"]}
    if moe:
        kv.update({"expert_count": c["n_routed_experts"], "expert_used_count": c["num_experts_per_tok"],
                   "expert_feed_forward_length": c["moe_intermediate_size"],
                   "expert_shared_feed_forward_length": c["moe_shared_expert_intermediate_size"],
                   "expert_shared_count": c["n_shared_experts"]})
    t = _common(c, c["tie_word_embeddings"])
    for i, ch in enumerate(pattern):
        b = f"blk.{i}."
        t.append(w(b + "attn_norm.weight", h))  # one norm per block
        if ch == "M":
            t += _mamba2(b, h, c["mamba_num_heads"], inner, c["n_groups"], c["ssm_state_size"], c["conv_kernel"],
                         c.get("use_conv_bias", True))
        elif ch == "*":
            t += _attn(b, c, h, hd)
        elif ch == "-":
            t += _ffn(b, h, c["intermediate_size"], gated=False)  # ReLU² MLP: up, down
        else:
            e, f, s = c["n_routed_experts"], c["moe_intermediate_size"], c["moe_shared_expert_intermediate_size"]
            t += [w(b + "ffn_gate_inp.weight", e, h), w(b + "exp_probs_b.bias", e),
                  w(b + "ffn_up_exps.weight", e, f, h), w(b + "ffn_down_exps.weight", e, h, f)]
            t += _ffn(b, h, s, gated=False, suffix="_shexp")
    return ("nemotron_h_moe" if moe else "nemotron_h"), kv, t


def _qwen3_next(c: dict):
    n, h, hd = c["num_hidden_layers"], c["hidden_size"], c["head_dim"]
    hk, dk, hv, dv = (c["linear_num_key_heads"], c["linear_key_head_dim"], c["linear_num_value_heads"],
                      c["linear_value_head_dim"])
    kv = {"block_count": n, "context_length": c["max_position_embeddings"], "embedding_length": h,
          "feed_forward_length": c["intermediate_size"], "attention.head_count": c["num_attention_heads"],
          "attention.head_count_kv": c["num_key_value_heads"], "attention.key_length": hd,
          "attention.value_length": hd, "expert_count": c["num_experts"], "expert_used_count": c["num_experts_per_tok"],
          "expert_feed_forward_length": c["moe_intermediate_size"],
          "expert_shared_feed_forward_length": c["shared_expert_intermediate_size"],
          "ssm.conv_kernel": c["linear_conv_kernel_dim"], "ssm.state_size": dk, "ssm.group_count": hk,
          "ssm.time_step_rank": hv, "ssm.inner_size": dv * hv,
          "full_attention_interval": c["full_attention_interval"]}
    t = _common(c, c["tie_word_embeddings"])
    e, f, s = c["num_experts"], c["moe_intermediate_size"], c["shared_expert_intermediate_size"]
    for i in range(n):
        b = f"blk.{i}."
        t += [w(b + "attn_norm.weight", h), w(b + "post_attention_norm.weight", h)]
        if (i + 1) % c["full_attention_interval"]:  # gated DeltaNet: in_proj_qkvz, in_proj_ba, conv, out
            t += [w(b + "ssm_in.weight", 2 * hk * dk + 2 * hv * dv, h), w(b + "ssm_ba.weight", 2 * hv, h),
                  w(b + "ssm_conv1d.weight", 2 * hk * dk + hv * dv, c["linear_conv_kernel_dim"]),
                  w(b + "ssm_dt.bias", hv), w(b + "ssm_a", hv), w(b + "ssm_norm.weight", dv),
                  w(b + "ssm_out.weight", h, hv * dv)]
        else:  # gated attention: q_proj emits the output gate too; per-head q/k RMSNorm
            t += _attn(b, c, h, hd, q_mult=2) + [w(b + "attn_q_norm.weight", hd), w(b + "attn_k_norm.weight", hd)]
        t += [w(b + "ffn_gate_inp.weight", e, h), w(b + "ffn_gate_inp_shexp.weight", h),
              w(b + "ffn_gate_exps.weight", e, f, h), w(b + "ffn_up_exps.weight", e, f, h),
              w(b + "ffn_down_exps.weight", e, h, f)] + _ffn(b, h, s, suffix="_shexp")
    return "qwen3next", kv, t


def _jamba(c: dict):
    n, h = c["num_hidden_layers"], c["hidden_size"]
    inner, r, st, k = c["mamba_expand"] * h, c["mamba_dt_rank"], c["mamba_d_state"], c["mamba_d_conv"]
    attn = [i for i in range(n) if i % c["attn_layer_period"] == c["attn_layer_offset"]]
    kv = {"block_count": n, "context_length": c["max_position_embeddings"], "embedding_length": h,
          "feed_forward_length": c["intermediate_size"], "attention.head_count": c["num_attention_heads"],
          "attention.head_count_kv": [c["num_key_value_heads"] if i in attn else 0 for i in range(n)],
          "ssm.conv_kernel": k, "ssm.inner_size": inner, "ssm.state_size": st, "ssm.time_step_rank": r,
          "expert_count": c["num_experts"], "expert_used_count": c["num_experts_per_tok"]}
    t = _common(c, c["tie_word_embeddings"])
    e, f = c["num_experts"], c["intermediate_size"]
    for i in range(n):
        b = f"blk.{i}."
        t += [w(b + "attn_norm.weight", h), w(b + "ffn_norm.weight", h)]
        if i in attn:
            t += _attn(b, c, h, h // c["num_attention_heads"])
        else:  # Mamba-1 with dt/B/C RMSNorms
            t += [w(b + "ssm_in.weight", 2 * inner, h), w(b + "ssm_conv1d.weight", inner, k),
                  w(b + "ssm_conv1d.bias", inner), w(b + "ssm_x.weight", r + 2 * st, inner),
                  w(b + "ssm_dt.weight", inner, r), w(b + "ssm_dt.bias", inner), w(b + "ssm_a", inner, st),
                  w(b + "ssm_d", inner), w(b + "ssm_dt_norm.weight", r), w(b + "ssm_b_norm.weight", st),
                  w(b + "ssm_c_norm.weight", st), w(b + "ssm_out.weight", h, inner)]
        if i % c["expert_layer_period"] == c["expert_layer_offset"]:
            t += [w(b + "ffn_gate_inp.weight", e, h), w(b + "ffn_gate_exps.weight", e, f, h),
                  w(b + "ffn_up_exps.weight", e, f, h), w(b + "ffn_down_exps.weight", e, h, f)]
        else:
            t += _ffn(b, h, f)
    return "jamba", kv, t


def _falcon_h1(c: dict):
    n, h, hd = c["num_hidden_layers"], c["hidden_size"], c["head_dim"]
    inner = c["mamba_d_ssm"]
    kv = {"vocab_size": c["vocab_size"], "block_count": n, "context_length": c["max_position_embeddings"],
          "embedding_length": h, "feed_forward_length": c["intermediate_size"],
          "attention.head_count": c["num_attention_heads"], "attention.head_count_kv": c["num_key_value_heads"],
          "attention.key_length": hd, "attention.value_length": hd, "ssm.conv_kernel": c["mamba_d_conv"],
          "ssm.inner_size": inner, "ssm.state_size": c["mamba_d_state"],
          "ssm.time_step_rank": inner // c["mamba_d_head"], "ssm.group_count": c["mamba_n_groups"]}
    t = _common(c, c["tie_word_embeddings"])
    for i in range(n):
        b = f"blk.{i}."
        t += [w(b + "attn_norm.weight", h), w(b + "ffn_norm.weight", h)] + _attn(b, c, h, hd) + _ffn(
            b, h, c["intermediate_size"]) + _mamba2(b, h, c["mamba_n_heads"], inner, c["mamba_n_groups"],
                                                    c["mamba_d_state"], c["mamba_d_conv"], c["mamba_conv_bias"],
                                                    norm=c["mamba_rms_norm"])
    return "falcon-h1", kv, t


def _mamba2_stack(c: dict):
    # Mamba2Model: no attention; feed_forward_length and head_count 0, context_length 2**20.
    n, h, inner = c["num_hidden_layers"], c["hidden_size"], c["expand"] * c["hidden_size"]
    kv = {"block_count": n, "context_length": 2**20, "embedding_length": h, "feed_forward_length": 0,
          "attention.head_count": 0, "ssm.conv_kernel": c["conv_kernel"], "ssm.inner_size": inner,
          "ssm.state_size": c["state_size"], "ssm.time_step_rank": inner // c["head_dim"],
          "ssm.group_count": c["n_groups"]}
    t = _common(c, c["tie_word_embeddings"])
    for i in range(n):
        t += [w(f"blk.{i}.attn_norm.weight", h)] + _mamba2(f"blk.{i}.", h, c["num_heads"], inner, c["n_groups"],
                                                           c["state_size"], c["conv_kernel"], c["use_conv_bias"])
    return "mamba2", kv, t


def _mamba1(c: dict):
    # MambaModel: in_proj [x, z], conv1d, x_proj [dt, B, C], dt_proj with bias, A_log → ssm_a [I, N], D, out_proj.
    n, h, inner = c["num_hidden_layers"], c["hidden_size"], c["intermediate_size"]
    r, st, k = c["time_step_rank"], c["state_size"], c["conv_kernel"]
    kv = {"block_count": n, "context_length": 2**20, "embedding_length": h, "feed_forward_length": 0,
          "attention.head_count": 0, "ssm.conv_kernel": k, "ssm.inner_size": inner, "ssm.state_size": st,
          "ssm.time_step_rank": r, "ssm.dt_b_c_rms": False}
    t = _common(c, c.get("tie_word_embeddings", True))
    for i in range(n):
        b = f"blk.{i}."
        t += [w(b + "attn_norm.weight", h), w(b + "ssm_in.weight", 2 * inner, h), w(b + "ssm_conv1d.weight", inner, k),
              w(b + "ssm_x.weight", r + 2 * st, inner), w(b + "ssm_dt.weight", inner, r), w(b + "ssm_dt.bias", inner),
              w(b + "ssm_a", inner, st), w(b + "ssm_d", inner), w(b + "ssm_out.weight", h, inner)]
        t += [w(b + "ssm_conv1d.bias", inner)] if c["use_conv_bias"] else []
    return "mamba", kv, t


WRITERS = {"mamba2": _mamba2_stack, "mamba": _mamba1, "granitemoehybrid": _granite, "bamba": _granite,
           "nemotron_h": nemotron, "qwen3_next": _qwen3_next,
           "jamba": _jamba, "falcon_h1": _falcon_h1}
