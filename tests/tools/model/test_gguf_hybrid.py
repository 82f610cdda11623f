"""Hybrid models from GGUF files (granitehybrid, nemotron_h / nemotron_h_moe, qwen3next, jamba, falcon-h1) and
the pure state-space stacks (mamba, mamba2).

Each test writes a .gguf with gguf-py's GGUFWriter (a true header, sparse data) holding the metadata keys and
the tensor table llama.cpp's convert_hf_to_gguf.py writes for that model's config.json (the writers in
tests/standin_hub/gguf_hybrids.py restate its rules), then reads the file the way `modelmath params|kv
<file.gguf>` does.

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
from standin_hub.gguf_hybrids import WRITERS, nemotron, w

_HERE = Path(__file__).parent
CASES = {c["slug"]: c for c in json.loads((_HERE / "data" / "transformers_counts.json").read_text())["cases"]}
_spec = importlib.util.spec_from_file_location("_tc_counts", _HERE / "test_transformers_counts.py")
_tc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_tc)
CACHE_BY_HAND, STORED_ROUTER_BIAS = _tc.CACHE_BY_HAND, _tc.STORED_ROUTER_BIAS


SLUGS = ["granite-4.0-h-micro", "bamba-9b", "nemotron-h-56b", "nemotron-3-nano-30b-a3b", "qwen3-next-80b-a3b",
         "jamba-v0.1", "falcon-h1-0.5b", "mamba-codestral-7b", "mamba-130m"]
# mamba-130m has no cache probe: by hand, 24 Mamba-1 layers of conv [1536, 4] bf16 + ssm [1536, 16] fp32.
CACHE_BY_HAND = {**CACHE_BY_HAND, "mamba-130m": dict(kv=0, state=24 * (1536 * 4 * 2 + 1536 * 16 * 4))}


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
    if slug == "bamba-9b":  # llama.cpp converts Bamba to granitehybrid too: same layers, the other type name
        assert (mine.pop("model_type"), theirs.pop("model_type")) == ("granitemoehybrid", "bamba")
    assert mine == theirs
    assert parameter_count(shape).total == CASES[slug]["total_params"] + STORED_ROUTER_BIAS.get(slug, 0)


def test_granite_context_2_pow_20_is_not_a_window(reader, tmp_path):
    # convert_hf_to_gguf.py writes context_length 2**20 ("arbitrary value") for Granite-4 hybrids without RoPE:
    # not the model's window, and the result says why none is given.
    path, _ = _gguf("granite-4.0-h-micro", tmp_path)
    out = run_tool("parameter_count", {"model": str(path)}).result
    assert any("1,048,576" in a and "no context window" in a for a in out["assumptions"])
    for slug in ("granite-4.0-h-micro", "nemotron-h-56b"):  # NemotronHModel extends GraniteHybridModel
        md, t = _md_and_tensors(slug)
        assert read_hf_config(config_from_gguf(md, t))[0].context_limit is None
    md, t = _md_and_tensors("bamba-9b")  # Bamba uses RoPE: its max_position_embeddings is written
    assert read_hf_config(config_from_gguf(md, t))[0].context_limit == 262144
    md, t = _md_and_tensors("falcon-h1-0.5b")  # a real context_length is kept
    assert read_hf_config(config_from_gguf(md, t))[0].context_limit == 16384


def test_nemotron_mtp_block_is_not_a_decoder_layer(reader, tmp_path):
    # NemotronHModel appends the MTP head as one more block (block_count + 1, every per-layer array one longer,
    # nextn_predict_layers 1). transformers does not build it: the count and the caches stay the same.
    slug = "nemotron-3-nano-30b-a3b"
    c = CASES[slug]["config"]
    arch, kv, tensors = nemotron(c)
    n, h = kv["block_count"], c["hidden_size"]
    kv.update(block_count=n + 1, nextn_predict_layers=1,
              **{k: kv[k] + [v] for k, v in (("feed_forward_length", c["moe_intermediate_size"]),
                                             ("attention.head_count_kv", c["num_key_value_heads"]))})
    tensors += [w(f"blk.{n}.attn_norm.weight", h), w(f"blk.{n}.eh_proj.weight", h, 2 * h)]
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


def test_granite_hybrid_with_experts(reader, tmp_path):
    # No transformers count for a Granite-4 MoE hybrid in the data file: a MoE variant of the micro config
    # (64 experts of 512, top 6, shared MLP 1024) must read as its config.json does, and count the
    # tensors the file holds (each shape by hand in standin_hub/gguf_hybrids.py).
    c = {**CASES["granite-4.0-h-micro"]["config"], "num_local_experts": 64, "num_experts_per_tok": 6,
         "intermediate_size": 512, "shared_intermediate_size": 1024}
    arch, kv, tensors = WRITERS["granitemoehybrid"](c)
    path = tmp_path / "granite-moe.gguf"
    write_gguf(str(path), arch, {f"{arch}.{k}": v for k, v in kv.items()}, tensors)
    md = {"general.architecture": arch, **{f"{arch}.{k}": v for k, v in kv.items()}}
    shape = read_hf_config(config_from_gguf(md, {n: s for n, _k, s in tensors}))[0].to_dict()
    want = read_hf_config(c)[0].to_dict()
    for k in ("name", "context_window", "context_window_basis", "max_position_embeddings"):
        shape.pop(k), want.pop(k)
    assert shape == want and shape["moe"]["num_experts"] == 64
    out = run_tool("parameter_count", {"model": str(path)}).result
    assert out["total_params"] == _elements(tensors)
