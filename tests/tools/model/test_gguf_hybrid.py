"""Hybrid models from GGUF files (granitehybrid, nemotron_h / nemotron_h_moe, qwen3next, jamba, falcon-h1).

Each test writes a .gguf with gguf-py's GGUFWriter (a true header, sparse data) holding the metadata keys and
the tensor table llama.cpp's convert_hf_to_gguf.py writes for that model's config.json (the `to_gguf` writers
below restate its rules: GraniteHybridModel, NemotronHModel, Qwen3NextModel, JambaModel, FalconH1Model /
Mamba2Model set_gguf_parameters and tensor names from gguf-py's MODEL_TENSORS), then reads the file the way
`modelmath params|kv <file.gguf>` does.

Expected values, all independent of modelmath:
- parameters: transformers' meta-device count of the same config.json (data/transformers_counts.json,
  `total_params`; see test_transformers_counts.py for how they were gathered), plus the stored router bias
  transformers keeps as a buffer (test_transformers_counts.STORED_ROUTER_BIAS, by hand);
- KV bytes per token and state bytes per sequence: the hand derivations in test_transformers_counts.py
  (CACHE_BY_HAND), themselves checked against transformers' cache probe.
The writers' tensor tables are checked on their own: their element total equals the same transformers count,
so a table that left out or invented a tensor fails before modelmath is asked anything.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from modelmath.tools.errors import UnsupportedConfig
from modelmath.tools.model.gguf import GGUFParser
from modelmath.tools.model.gguf_config import config_from_gguf
from modelmath.tools.model.hf_config import read_hf_config
from modelmath.tools.model.params import parameter_count
from modelmath.tools.registry import run_tool
from standin_hub.checkpoints import write_gguf

_HERE = Path(__file__).parent
CASES = {c["slug"]: c for c in json.loads((_HERE / "data" / "transformers_counts.json").read_text())["cases"]}
_spec = importlib.util.spec_from_file_location("_tc_counts", _HERE / "test_transformers_counts.py")
_tc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_tc)
CACHE_BY_HAND, STORED_ROUTER_BIAS = _tc.CACHE_BY_HAND, _tc.STORED_ROUTER_BIAS


def _w(name: str, *shape: int) -> tuple[str, str, tuple[int, ...]]:
    """A tensor as llama.cpp stores it: matrices quantised (Q4_0 when rows split in 32s), vectors F32."""
    kind = "F32" if len(shape) == 1 or shape[-1] == 1 else "Q4_0" if shape[-1] % 32 == 0 else "F16"
    return (name, kind, tuple(shape))


def _common(c: dict, tied: bool) -> list:
    v, h = c["vocab_size"], c["hidden_size"]
    return [_w("token_embd.weight", v, h), _w("output_norm.weight", h)] + ([] if tied else [_w("output.weight", v, h)])


def _attn(b: str, c: dict, h: int, head_dim: int, q_mult: int = 1) -> list:
    q, kv = c["num_attention_heads"] * head_dim, c["num_key_value_heads"] * head_dim
    return [_w(b + "attn_q.weight", q * q_mult, h), _w(b + "attn_k.weight", kv, h), _w(b + "attn_v.weight", kv, h),
            _w(b + "attn_output.weight", h, q)]


def _mamba2(b: str, h: int, heads: int, inner: int, groups: int, state: int, conv: int, conv_bias: bool,
            norm: bool = True) -> list:
    # Mamba2Model.modify_tensors: in_proj → ssm_in [z, x, B, C, dt], conv1d squeezed to [channels, kernel],
    # dt_bias → ssm_dt.bias, A_log → ssm_a [H, 1], D → ssm_d [H, 1], the gated norm → ssm_norm [G, I/G].
    ch = inner + 2 * groups * state
    t = [_w(b + "ssm_in.weight", 2 * inner + 2 * groups * state + heads, h), _w(b + "ssm_conv1d.weight", ch, conv),
         _w(b + "ssm_dt.bias", heads), _w(b + "ssm_a", heads, 1), _w(b + "ssm_d", heads, 1),
         _w(b + "ssm_out.weight", h, inner)]
    t += [_w(b + "ssm_conv1d.bias", ch)] if conv_bias else []
    return t + ([_w(b + "ssm_norm.weight", groups, inner // groups)] if norm else [])


def _ffn(b: str, h: int, ff: int, gated: bool = True, suffix: str = "") -> list:
    return ([_w(f"{b}ffn_gate{suffix}.weight", ff, h)] if gated else []) + [
        _w(f"{b}ffn_up{suffix}.weight", ff, h), _w(f"{b}ffn_down{suffix}.weight", h, ff)]


def _granite(c: dict):
    n, h = c["num_hidden_layers"], c["hidden_size"]
    attn = [i for i, t in enumerate(c["layer_types"]) if t == "attention"]
    inner = c["mamba_expand"] * h
    kv = {"block_count": n, "context_length": 2**20,  # no RoPE: llama.cpp writes 2**20
          "embedding_length": h, "feed_forward_length": c["intermediate_size"],
          "attention.head_count": c["num_attention_heads"],
          "attention.head_count_kv": [c["num_key_value_heads"] if i in attn else 0 for i in range(n)],
          "expert_count": c["num_local_experts"], "expert_used_count": c["num_experts_per_tok"],
          "expert_shared_feed_forward_length": c["shared_intermediate_size"],
          "ssm.conv_kernel": c["mamba_d_conv"], "ssm.state_size": c["mamba_d_state"],
          "ssm.group_count": c["mamba_n_groups"], "ssm.inner_size": inner, "ssm.time_step_rank": c["mamba_n_heads"]}
    t = _common(c, c["tie_word_embeddings"])
    for i in range(n):
        b = f"blk.{i}."
        t += [_w(b + "attn_norm.weight", h), _w(b + "ffn_norm.weight", h)]
        t += _ffn(b, h, c["shared_intermediate_size"])  # no experts: the shared MLP is stored as the FFN
        t += (_attn(b, c, h, h // c["num_attention_heads"]) if i in attn else
              _mamba2(b, h, c["mamba_n_heads"], inner, c["mamba_n_groups"], c["mamba_d_state"], c["mamba_d_conv"],
                      c["mamba_conv_bias"]))
    return "granitehybrid", kv, t


def _nemotron(c: dict):
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
        t.append(_w(b + "attn_norm.weight", h))  # one norm per block
        if ch == "M":
            t += _mamba2(b, h, c["mamba_num_heads"], inner, c["n_groups"], c["ssm_state_size"], c["conv_kernel"],
                         c.get("use_conv_bias", True))
        elif ch == "*":
            t += _attn(b, c, h, hd)
        elif ch == "-":
            t += _ffn(b, h, c["intermediate_size"], gated=False)  # ReLU² MLP: up, down
        else:
            e, f, s = c["n_routed_experts"], c["moe_intermediate_size"], c["moe_shared_expert_intermediate_size"]
            t += [_w(b + "ffn_gate_inp.weight", e, h), _w(b + "exp_probs_b.bias", e),
                  _w(b + "ffn_up_exps.weight", e, f, h), _w(b + "ffn_down_exps.weight", e, h, f)]
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
        t += [_w(b + "attn_norm.weight", h), _w(b + "post_attention_norm.weight", h)]
        if (i + 1) % c["full_attention_interval"]:  # gated DeltaNet: in_proj_qkvz, in_proj_ba, conv, out
            t += [_w(b + "ssm_in.weight", 2 * hk * dk + 2 * hv * dv, h), _w(b + "ssm_ba.weight", 2 * hv, h),
                  _w(b + "ssm_conv1d.weight", 2 * hk * dk + hv * dv, c["linear_conv_kernel_dim"]),
                  _w(b + "ssm_dt.bias", hv), _w(b + "ssm_a", hv), _w(b + "ssm_norm.weight", dv),
                  _w(b + "ssm_out.weight", h, hv * dv)]
        else:  # gated attention: q_proj emits the output gate too; per-head q/k RMSNorm
            t += _attn(b, c, h, hd, q_mult=2) + [_w(b + "attn_q_norm.weight", hd), _w(b + "attn_k_norm.weight", hd)]
        t += [_w(b + "ffn_gate_inp.weight", e, h), _w(b + "ffn_gate_inp_shexp.weight", h),
              _w(b + "ffn_gate_exps.weight", e, f, h), _w(b + "ffn_up_exps.weight", e, f, h),
              _w(b + "ffn_down_exps.weight", e, h, f)] + _ffn(b, h, s, suffix="_shexp")
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
        t += [_w(b + "attn_norm.weight", h), _w(b + "ffn_norm.weight", h)]
        if i in attn:
            t += _attn(b, c, h, h // c["num_attention_heads"])
        else:  # Mamba-1 with dt/B/C RMSNorms
            t += [_w(b + "ssm_in.weight", 2 * inner, h), _w(b + "ssm_conv1d.weight", inner, k),
                  _w(b + "ssm_conv1d.bias", inner), _w(b + "ssm_x.weight", r + 2 * st, inner),
                  _w(b + "ssm_dt.weight", inner, r), _w(b + "ssm_dt.bias", inner), _w(b + "ssm_a", inner, st),
                  _w(b + "ssm_d", inner), _w(b + "ssm_dt_norm.weight", r), _w(b + "ssm_b_norm.weight", st),
                  _w(b + "ssm_c_norm.weight", st), _w(b + "ssm_out.weight", h, inner)]
        if i % c["expert_layer_period"] == c["expert_layer_offset"]:
            t += [_w(b + "ffn_gate_inp.weight", e, h), _w(b + "ffn_gate_exps.weight", e, f, h),
                  _w(b + "ffn_up_exps.weight", e, f, h), _w(b + "ffn_down_exps.weight", e, h, f)]
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
        t += [_w(b + "attn_norm.weight", h), _w(b + "ffn_norm.weight", h)] + _attn(b, c, h, hd) + _ffn(
            b, h, c["intermediate_size"]) + _mamba2(b, h, c["mamba_n_heads"], inner, c["mamba_n_groups"],
                                                    c["mamba_d_state"], c["mamba_d_conv"], c["mamba_conv_bias"],
                                                    norm=c["mamba_rms_norm"])
    return "falcon-h1", kv, t


WRITERS = {"granitemoehybrid": _granite, "nemotron_h": _nemotron, "qwen3_next": _qwen3_next, "jamba": _jamba,
           "falcon_h1": _falcon_h1}
SLUGS = ["granite-4.0-h-micro", "nemotron-h-56b", "nemotron-3-nano-30b-a3b", "qwen3-next-80b-a3b", "jamba-v0.1",
         "falcon-h1-0.5b"]


def _gguf(slug: str, folder: Path) -> tuple[Path, list]:
    case = CASES[slug]
    arch, kv, tensors = WRITERS[case["model_type"]](case["config"])
    path = folder / f"{slug}.gguf"
    write_gguf(str(path), arch, {f"{arch}.{k}": v for k, v in kv.items()}, tensors)
    return path, tensors


def _elements(tensors: list) -> int:
    total = 0
    for _name, _kind, shape in tensors:
        n = 1
        for d in shape:
            n *= d
        total += n
    return total


@pytest.fixture
def reader():
    from modelmath.plugin.hub import install

    install()


@pytest.mark.parametrize("slug", SLUGS)
def test_the_written_tensor_table_holds_transformers_count(tmp_path, slug):
    # The writer is right before modelmath reads anything: its tensors hold exactly transformers' count (plus
    # the router bias transformers keeps as a buffer and the checkpoint stores).
    _path, tensors = _gguf(slug, tmp_path)
    assert _elements(tensors) == CASES[slug]["total_params"] + STORED_ROUTER_BIAS.get(slug, 0)


@pytest.mark.parametrize("slug", SLUGS)
def test_params_kv_and_state_from_the_gguf_file(reader, tmp_path, slug):
    path, _ = _gguf(slug, tmp_path)
    case, hand = CASES[slug], CACHE_BY_HAND[slug]
    out = run_tool("parameter_count", {"model": str(path)})
    assert not out.is_error, out.result
    assert out.result["total_params"] == case["total_params"] + STORED_ROUTER_BIAS.get(slug, 0)
    if case.get("active_params_derived"):
        assert out.result["active_params"] == case["active_params_derived"] + STORED_ROUTER_BIAS.get(slug, 0)
    ctx = 10_000
    kv = run_tool("kv_cache", {"model": str(path), "context_tokens": ctx, "kv_dtype": "bf16"})
    assert not kv.is_error, kv.result
    assert kv.result["state_bytes_per_sequence"] == hand["state"]
    assert kv.result["bytes_per_sequence"] == hand["kv"] * ctx + hand["state"]


@pytest.mark.parametrize("slug", SLUGS)
def test_the_gguf_shape_is_the_config_shape(tmp_path, slug):
    # Same shape as config.json gives, and no field left to a transformers default.
    path, _ = _gguf(slug, tmp_path)
    p = GGUFParser(path.name)
    with open(path, "rb") as f:  # header only: the data is sparse
        while not p.done:
            p.feed(f.read(p.need - p.received))
    h = p.header()
    cfg = config_from_gguf(h.metadata, {t.name: t.shape for t in h.tensors})
    shape, notes = read_hf_config(cfg, note_defaults=True)
    assert not [x for x in notes if "defaults" in x], notes
    want = read_hf_config(CASES[slug]["config"])[0]
    mine = shape.to_dict()
    theirs = want.to_dict()
    for k in ("name", "context_window", "context_window_basis", "max_position_embeddings"):
        mine.pop(k), theirs.pop(k)
    assert mine == theirs
    assert parameter_count(shape).total == CASES[slug]["total_params"] + STORED_ROUTER_BIAS.get(slug, 0)


def test_granite_context_2_pow_20_is_not_a_window(reader, tmp_path):
    # convert_hf_to_gguf.py writes context_length 2**20 ("arbitrary value") for Granite-4 hybrids without RoPE:
    # not the model's window, and the result says why none is given.
    path, _ = _gguf("granite-4.0-h-micro", tmp_path)
    out = run_tool("parameter_count", {"model": str(path)}).result
    assert any("1,048,576" in a and "no context window" in a for a in out["assumptions"])
    md, t = _md_and_tensors("granite-4.0-h-micro")
    assert read_hf_config(config_from_gguf(md, t))[0].context_limit is None
    md, t = _md_and_tensors("falcon-h1-0.5b")  # a real context_length is kept
    assert read_hf_config(config_from_gguf(md, t))[0].context_limit == 16384


def test_nemotron_mtp_block_is_not_a_decoder_layer(reader, tmp_path):
    # NemotronHModel appends the MTP head as one more block (block_count + 1, every per-layer array one longer,
    # nextn_predict_layers 1). transformers does not build it: the count and the caches stay the same.
    slug = "nemotron-3-nano-30b-a3b"
    c = CASES[slug]["config"]
    arch, kv, tensors = _nemotron(c)
    n, h = kv["block_count"], c["hidden_size"]
    kv.update(block_count=n + 1, nextn_predict_layers=1,
              **{k: kv[k] + [v] for k, v in (("feed_forward_length", c["moe_intermediate_size"]),
                                             ("attention.head_count_kv", c["num_key_value_heads"]))})
    tensors += [_w(f"blk.{n}.attn_norm.weight", h), _w(f"blk.{n}.eh_proj.weight", h, 2 * h)]
    path = tmp_path / "nano-mtp.gguf"
    write_gguf(str(path), arch, {f"{arch}.{k}": v for k, v in kv.items()}, tensors)
    out = run_tool("parameter_count", {"model": str(path)}).result
    assert out["total_params"] == CASES[slug]["total_params"] + STORED_ROUTER_BIAS[slug]
    kv_out = run_tool("kv_cache", {"model": str(path), "context_tokens": 1000, "kv_dtype": "bf16"}).result
    assert kv_out["bytes_per_sequence"] == CACHE_BY_HAND[slug]["kv"] * 1000 + CACHE_BY_HAND[slug]["state"]


def _md_and_tensors(slug: str):
    arch, kv, tensors = WRITERS[CASES[slug]["model_type"]](CASES[slug]["config"])
    md = {"general.architecture": arch, **{f"{arch}.{k}": v for k, v in kv.items()}}
    return md, {n: s for n, _k, s in tensors}


def test_missing_ssm_keys_are_refused_by_name():
    md, t = _md_and_tensors("nemotron-h-56b")
    del md["nemotron_h.ssm.group_count"]
    with pytest.raises(UnsupportedConfig, match="nemotron_h.ssm.group_count is missing"):
        config_from_gguf(md, t)
    md, t = _md_and_tensors("falcon-h1-0.5b")
    del md["falcon-h1.ssm.state_size"]
    with pytest.raises(UnsupportedConfig, match=r"falcon-h1\.ssm\.state_size missing"):
        config_from_gguf(md, t)


def test_jamba_moe_layers_come_from_the_tensor_table():
    # The Jamba metadata has no expert_layer_period/offset: the ffn_gate_inp tensors place the MoE layers.
    md, t = _md_and_tensors("jamba-v0.1")
    cfg = config_from_gguf(md, t)
    assert (cfg["expert_layer_period"], cfg["expert_layer_offset"]) == (2, 1)
    assert (cfg["attn_layer_period"], cfg["attn_layer_offset"]) == (8, 4)
    del t["blk.3.ffn_gate_inp.weight"]  # an irregular placement the config form cannot state: refused
    with pytest.raises(UnsupportedConfig, match="not every k-th layer"):
        config_from_gguf(md, t)


def test_no_tensor_table_is_refused():
    md, _ = _md_and_tensors("jamba-v0.1")
    with pytest.raises(UnsupportedConfig, match="lists no blk"):
        config_from_gguf(md, {"token_embd.weight": (65536, 4096)})


def test_differing_kv_heads_per_layer_are_refused():
    md, t = _md_and_tensors("granite-4.0-h-micro")
    md["granitehybrid.attention.head_count_kv"][5] = 4
    with pytest.raises(UnsupportedConfig, match="differing non-zero values"):
        config_from_gguf(md, t)
