"""GGUF headers: the ggml type table against llama.cpp's gguf-py, the parser on files written by gguf-py's own
GGUFWriter, fed whole and in random pieces, and its promise never to ask past the header; GGUF metadata →
shape for each supported architecture."""

from __future__ import annotations

import os

import gguf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from modelmath.tools.errors import UnsupportedConfig
from modelmath.tools.model.gguf import FILE_TYPES, GGML_TYPES, GGUFParser
from modelmath.tools.model.gguf_config import config_from_gguf
from modelmath.tools.model.hf_config import read_hf_config
from modelmath.tools.model.params import parameter_count
from standin_hub.checkpoints import write_gguf


def test_type_table_matches_gguf_py():
    # gguf-py (llama.cpp's Python package) is an independent statement of the same block layouts.
    for tid, (name, block, size) in GGML_TYPES.items():
        qt = gguf.GGMLQuantizationType(tid)
        assert qt.name == name and gguf.GGML_QUANT_SIZES[qt] == (block, size), name
    for fid, name in FILE_TYPES.items():
        assert gguf.LlamaFileType(fid).name == name
    # Spot checks from ggml-common.h: block_q4_K = 2 x fp16 (d, dmin) + 12 scale bytes + 128 nibble bytes.
    assert GGML_TYPES[12] == ("Q4_K", 256, 2 * 2 + 12 + 256 // 2)
    # block_q6_K = 128 ql + 64 qh + 16 int8 scales + fp16 d = 210; block_q8_0 = fp16 + 32 int8 = 34.
    assert GGML_TYPES[14] == ("Q6_K", 256, 128 + 64 + 16 + 2) and GGML_TYPES[8] == ("Q8_0", 32, 2 + 32)


def _small_gguf(path: str, tokens: int = 3000) -> int:
    kv = {"llama.block_count": 2, "llama.context_length": 4096, "llama.embedding_length": 256,
          "llama.feed_forward_length": 512, "llama.attention.head_count": 4, "llama.attention.head_count_kv": 2,
          "general.file_type": 15, "general.name": "tiny"}
    t = [("token_embd.weight", "Q4_K", (1000, 256)), ("output.weight", "Q6_K", (1000, 256)),
         ("output_norm.weight", "F32", (256,))]
    for i in range(2):
        b = f"blk.{i}."
        t += [(b + "attn_q.weight", "Q4_K", (256, 256)), (b + "attn_k.weight", "Q4_K", (128, 256)),
              (b + "attn_v.weight", "Q6_K", (128, 256)), (b + "attn_output.weight", "Q4_K", (256, 256)),
              (b + "ffn_gate.weight", "Q4_K", (512, 256)), (b + "ffn_up.weight", "Q4_K", (512, 256)),
              (b + "ffn_down.weight", "Q6_K", (256, 512)), (b + "attn_norm.weight", "F32", (256,)),
              (b + "ffn_norm.weight", "F32", (256,))]
    return write_gguf(path, "llama", kv, t, [f"token-{i}" for i in range(tokens)])


def _feed_all(data: bytes, pieces) -> GGUFParser:
    p = GGUFParser("tiny.gguf")
    got = 0
    while not p.done:
        ask = p.need - p.received
        assert ask > 0
        n = min(ask, next(pieces, ask))
        p.feed(data[got:got + n])
        got += n
    return p


def test_parse_whole_file(tmp_path):
    path = str(tmp_path / "tiny.gguf")
    offset = _small_gguf(path)
    with open(path, "rb") as f:
        data = f.read(offset)
    p = _feed_all(data, iter(()))
    h = p.header()
    assert h.data_offset == offset and h.metadata["general.file_type"] == 15
    assert h.metadata["tokenizer.ggml.tokens"] == {"array_of": "STRING", "count": 3000}
    sizes = {t.name: t.nbytes for t in h.tensors}
    # Q4_K: 144 B per 256 weights; Q6_K: 210 B per 256 (ggml-common.h).
    assert sizes["token_embd.weight"] == 1000 * 256 // 256 * 144
    assert sizes["output.weight"] == 1000 * 256 // 256 * 210
    assert sizes["blk.0.ffn_down.weight"] == 256 * 512 // 256 * 210
    assert h.tensors[0].shape == (1000, 256)  # row-major, as the model's config reads it


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=5000), min_size=1, max_size=60))
def test_never_asks_past_the_header(tmp_path_factory, pieces):
    path = str(tmp_path_factory.mktemp("g") / "tiny.gguf")
    offset = _small_gguf(path, tokens=500)
    with open(path, "rb") as f:
        data = f.read()
    p = GGUFParser("tiny.gguf")
    it = iter(pieces)
    while not p.done:
        assert p.need <= offset  # the lower bound holds at every step
        n = min(p.need - p.received, next(it, 1 << 30))
        p.feed(data[p.received:p.received + n])
    assert p.received <= offset and p.header().data_offset == offset


def test_refuses_what_is_not_gguf():
    p = GGUFParser("x")
    with pytest.raises(UnsupportedConfig, match="magic"):
        p.feed(b"NOPE" + bytes(20))
    p = GGUFParser("x.gguf")  # named once, said once (was "not a readable GGUF header: not a readable ...")
    with pytest.raises(UnsupportedConfig) as exc:
        p.feed(b"NOPE" + bytes(20))
    assert exc.value.message == "x.gguf: not a readable GGUF header: no GGUF magic at the start of the file"
    p = GGUFParser("x")
    with pytest.raises(UnsupportedConfig, match="version 1"):
        p.feed(b"GGUF" + (1).to_bytes(4, "little") + bytes(16))


def test_a_header_over_the_cap_is_refused(tmp_path):
    path = str(tmp_path / "tiny.gguf")
    _small_gguf(path)
    with open(path, "rb") as f:
        data = f.read()
    p = GGUFParser("tiny.gguf", max_header_bytes=1000)
    with pytest.raises(UnsupportedConfig, match="larger than 1,000 bytes"):
        p.feed(data[:2000])


def _shape(md: dict, tensors: dict):
    return read_hf_config(config_from_gguf(md, tensors))[0]


def test_llama_metadata_gives_the_llama_shape():
    # Llama-3.1-8B GGUF metadata as convert_hf_to_gguf.py writes it; tensor shapes for vocab and tying.
    md = {"general.architecture": "llama", "llama.block_count": 32, "llama.context_length": 131072,
          "llama.embedding_length": 4096, "llama.feed_forward_length": 14336, "llama.attention.head_count": 32,
          "llama.attention.head_count_kv": 8}
    tensors = {"token_embd.weight": (128256, 4096), "output.weight": (128256, 4096)}
    assert parameter_count(_shape(md, tensors)).total == 8_030_261_248  # meta-llama/Llama-3.1-8B (hand count)
    del tensors["output.weight"]  # no output.weight: the LM head is the embedding (tied)
    assert parameter_count(_shape(md, tensors)).total == 8_030_261_248 - 128256 * 4096


def test_qwen3_moe_metadata():
    # Qwen3-30B-A3B config.json: hidden 2048, 48 layers, 32 heads, 4 KV heads, head_dim 128, 128 experts, top-8,
    # moe_intermediate_size 768, vocab 151936, untied. Qwen's model card: 30.5B total, 29.9B non-embedding,
    # 3.3B activated.
    md = {"general.architecture": "qwen3moe", "qwen3moe.block_count": 48, "qwen3moe.embedding_length": 2048,
          "qwen3moe.attention.head_count": 32, "qwen3moe.attention.head_count_kv": 4,
          "qwen3moe.attention.key_length": 128, "qwen3moe.expert_count": 128, "qwen3moe.expert_used_count": 8,
          "qwen3moe.expert_feed_forward_length": 768, "qwen3moe.feed_forward_length": 6144,
          "qwen3moe.context_length": 40960}
    c = parameter_count(_shape(md, {"token_embd.weight": (151936, 2048), "output.weight": (151936, 2048)}))
    # The card's "3.3B" truncates 3.35B (see tests/tools/model/test_params.py): allow its last digit.
    assert round(c.total / 1e9, 1) == 30.5 and round(c.non_embedding / 1e9, 1) == 29.9
    assert abs(c.active / 1e9 - 3.3) < 0.1


def test_deepseek2_mla_metadata_in_both_layouts():
    # DeepSeek-V3 config.json: hidden 7168, 61 layers, 128 heads, q_lora 1536, kv_lora 512, rope 64, nope 128,
    # v 128, 256 routed experts (top-8) of 2048, 1 shared, first 3 dense (18432), sigmoid routing.
    # DeepSeek's README_WEIGHTS.md: 671B parameters in the main model.
    base = {"general.architecture": "deepseek2", "deepseek2.block_count": 61, "deepseek2.embedding_length": 7168,
            "deepseek2.attention.head_count": 128, "deepseek2.attention.q_lora_rank": 1536,
            "deepseek2.attention.kv_lora_rank": 512, "deepseek2.rope.dimension_count": 64,
            "deepseek2.feed_forward_length": 18432, "deepseek2.expert_feed_forward_length": 2048,
            "deepseek2.expert_count": 256, "deepseek2.expert_used_count": 8, "deepseek2.expert_shared_count": 1,
            "deepseek2.leading_dense_block_count": 3, "deepseek2.expert_gating_func": 2,
            "deepseek2.context_length": 163840}
    tensors = {"token_embd.weight": (129280, 7168), "output.weight": (129280, 7168)}
    old = {**base, "deepseek2.attention.key_length": 192, "deepseek2.attention.value_length": 128,
           "deepseek2.attention.head_count_kv": 128}
    # llama.cpp since MLA-as-MQA: head_count_kv 1, key_length = 512 + 64, per-head sizes in the *_mla keys.
    new = {**base, "deepseek2.attention.key_length": 576, "deepseek2.attention.value_length": 512,
           "deepseek2.attention.head_count_kv": 1, "deepseek2.attention.key_length_mla": 192,
           "deepseek2.attention.value_length_mla": 128}
    for md in (old, new):
        s = _shape(md, tensors)
        assert s.model_type == "deepseek_v3" and s.mla.qk_nope_head_dim == 128 and s.mla.v_head_dim == 128
        assert round(parameter_count(s).total / 1e9) == 671


def test_unsupported_gguf_architecture():
    with pytest.raises(UnsupportedConfig, match="'rwkv7' is not one of the"):
        config_from_gguf({"general.architecture": "rwkv7"}, {})


def test_gguf_py_reader_agrees_on_a_real_file(tmp_path):
    # gguf-py's own reader (independent of ours) on the same file: same tensors, types and byte sizes.
    path = str(tmp_path / "tiny.gguf")
    offset = _small_gguf(path, tokens=50)
    theirs = gguf.GGUFReader(path)
    with open(path, "rb") as f:
        ours = _feed_all(f.read(offset), iter(())).header()
    assert [(t.name, t.tensor_type.name, int(t.n_bytes)) for t in theirs.tensors] == [
        (t.name, t.dtype, t.nbytes) for t in ours.tensors]
    assert theirs.data_offset == ours.data_offset == offset
    assert os.path.getsize(path) > 100_000 and os.stat(path).st_blocks * 512 < 200_000  # sparse on disk
