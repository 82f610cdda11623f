"""Checkpoint headers → stored bytes: safetensors header parsing, which part a tensor belongs to, the format a
checkpoint's config or dtypes say, and the exact-bytes weight format memory/fit/speed use. Pure: bytes in,
numbers out. Expected values are hand derivations written beside them."""

from __future__ import annotations

import json

import pytest
from modelmath.tools.errors import ModelMathError, UnsupportedConfig
from modelmath.tools.model import quant
from modelmath.tools.model.checkpoint import (
    Checkpoint,
    TensorRecord,
    component_of,
    is_quant_metadata,
    parse_safetensors_header,
    parse_safetensors_index,
    part_of,
    safetensors_header_length,
    summarize,
    weights_for,
)
from modelmath.tools.model.resolve import from_checkpoint


def _header(tensors: dict) -> bytes:
    return json.dumps(tensors).encode()


def test_header_length_is_little_endian_u64():
    assert safetensors_header_length((1234).to_bytes(8, "little")) == 1234
    with pytest.raises(UnsupportedConfig, match="shorter than 8"):
        safetensors_header_length(b"\x01\x02")
    with pytest.raises(UnsupportedConfig, match="at most"):
        safetensors_header_length((2**40).to_bytes(8, "little"))


def test_stored_bytes_are_the_data_offsets_span():
    # F8_E4M3 [256, 384]: 98,304 bytes; its F32 block scales [2, 3]: 24 bytes (safetensors dtype sizes).
    recs = parse_safetensors_header(_header({
        "__metadata__": {"format": "pt"},
        "w": {"dtype": "F8_E4M3", "shape": [256, 384], "data_offsets": [0, 98304]},
        "w_scale_inv": {"dtype": "F32", "shape": [2, 3], "data_offsets": [98304, 98328]},
        "packed": {"dtype": "F4", "shape": [3], "data_offsets": [98328, 98330]},  # 3 x 4 bits round up to 2 B
    }), "model.safetensors", file_size=8 + 300 + 98330)
    assert [(r.name, r.nbytes) for r in recs] == [("w", 98304), ("w_scale_inv", 24), ("packed", 2)]


@pytest.mark.parametrize(("entry", "why"), [
    ({"dtype": "BF16", "shape": [4, 4], "data_offsets": [0, 31]}, "31 bytes for shape"),  # 4x4x2 = 32
    ({"dtype": "BF16", "shape": [4, -4], "data_offsets": [0, 32]}, "invalid shape"),
    ({"dtype": "BF16", "shape": [4, 4], "data_offsets": [32, 0]}, "invalid data_offsets"),
    ({"shape": [4, 4], "data_offsets": [0, 32]}, "no dtype"),
])
def test_corrupt_headers_are_refused(entry, why):
    with pytest.raises(UnsupportedConfig, match=why):
        parse_safetensors_header(_header({"t": entry}), "x.safetensors")


def test_header_past_the_end_of_the_file_is_refused():
    data = _header({"t": {"dtype": "U8", "shape": [100], "data_offsets": [0, 100]}})
    with pytest.raises(UnsupportedConfig, match="but the file has"):
        parse_safetensors_header(data, "x", file_size=8 + len(data) + 99)
    with pytest.raises(ModelMathError, match="not valid JSON"):
        parse_safetensors_header(b"{not json", "x")


def test_index_lists_each_shard_once_and_refuses_escapes():
    idx = json.dumps({"weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors",
                                     "c": "model-00001-of-00002.safetensors"}}).encode()
    assert parse_safetensors_index(idx) == ("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors")
    for bad in ("../etc/passwd.safetensors", "/abs.safetensors", "weights.bin"):
        with pytest.raises(UnsupportedConfig, match="invalid shard"):
            parse_safetensors_index(json.dumps({"weight_map": {"a": bad}}).encode())


@pytest.mark.parametrize(("name", "component"), [
    ("model.layers.60.mlp.experts.3.up_proj.weight", "decoder"),
    ("model.layers.61.mlp.experts.3.up_proj.weight", "mtp"),  # DeepSeek-V3: layer 61 of 61 is the MTP module
    ("model.layers.61.eh_proj.weight", "mtp"),
    ("mtp.layers.0.self_attn.q_proj.weight", "mtp"),  # Qwen3-Next
    ("model.vision_tower.encoder.layers.0.mlp.fc1.weight", "vision"),
    ("visual.blocks.3.attn.qkv.weight", "vision"),  # Qwen2.5-VL
    ("model.multi_modal_projector.linear_1.weight", "vision"),
    ("model.audio_tower.layers.0.fc1.weight", "audio"),
    ("rope_freqs.weight", "buffer"),  # llama.cpp's Llama-3.1 rope scaling table
    ("h.0.attn.bias", "buffer"),  # GPT-2's saved causal mask
    ("h.0.attn.c_attn.bias", "decoder"),  # ...but this is a real bias
    ("blk.46.nextn.eh_proj.weight", "mtp"),  # GLM-4.5 GGUF
])
def test_component(name, component):
    assert component_of(name, num_layers=61) == component


@pytest.mark.parametrize(("name", "part", "meta"), [
    ("model.embed_tokens.weight", "embeddings", False),
    ("token_embd.weight", "embeddings", False),
    ("lm_head.weight", "lm_head", False),
    ("output.weight", "lm_head", False),
    ("model.layers.3.mlp.experts.7.down_proj.weight_scale_inv", "routed_experts", True),
    ("model.layers.3.mlp.shared_experts.down_proj.weight", "other", False),
    ("blk.3.ffn_down_exps.weight", "routed_experts", False),
    ("model.layers.0.mlp.experts.gate_up_proj_scales", "routed_experts", True),  # gpt-oss MXFP4 scales
    ("model.layers.0.self_attn.q_proj.qzeros", "other", True),
    ("model.layers.0.self_attn.q_proj.weight.quant_state.bitsandbytes__nf4", "other", True),
])
def test_part_and_quant_metadata(name, part, meta):
    assert part_of(name) == part and is_quant_metadata(name) == meta


@pytest.mark.parametrize(("qc", "name", "weight_only"), [
    ({"quant_method": "fp8", "weight_block_size": [128, 128]}, "fp8", False),
    ({"quant_method": "gptq", "bits": 4, "group_size": 128}, "gptq", True),
    ({"quant_method": "gptq", "bits": 8, "group_size": 128}, "int8", True),
    ({"quant_method": "awq", "bits": 4, "group_size": 128}, "awq", True),
    ({"quant_method": "bitsandbytes", "load_in_4bit": True, "bnb_4bit_quant_type": "nf4"}, "nf4", True),
    ({"quant_method": "bitsandbytes", "load_in_8bit": True}, "int8", True),
    ({"quant_method": "mxfp4"}, "mxfp4", True),
    ({"quant_method": "compressed-tensors", "format": "float-quantized", "config_groups": {"group_0": {
        "weights": {"num_bits": 8, "type": "float", "strategy": "channel"},
        "input_activations": {"num_bits": 8, "type": "float", "dynamic": True}}}}, "fp8", False),
    ({"quant_method": "compressed-tensors", "format": "pack-quantized", "config_groups": {"group_0": {
        "weights": {"num_bits": 4, "type": "int", "strategy": "group", "group_size": 128}}}}, "w4a16", True),
    ({"quant_method": "compressed-tensors", "format": "nvfp4-pack-quantized", "config_groups": {"group_0": {
        "weights": {"num_bits": 4, "type": "float", "group_size": 16},
        "input_activations": {"num_bits": 4, "type": "float"}}}}, "nvfp4", True),
])
def test_format_from_quantization_config(qc, name, weight_only):
    got, detail, wo = quant.from_config({"quantization_config": qc}, {"BF16": 1})
    assert (got, wo) == (name, weight_only) and "quantization_config" in detail


def test_format_from_dtypes_and_gguf_file_type():
    assert quant.from_config({}, {"BF16": 10, "F32": 1})[:1] == ("bf16",)
    assert quant.from_config(None, {"F16": 10, "BF16": 1})[0] == "fp16"
    assert quant.from_gguf("MOSTLY_Q4_K_M", {"Q4_K": 1}) [0::2] == ("q4_k_m", True)
    assert quant.from_gguf("MOSTLY_BF16", {"BF16": 1})[0::2] == ("bf16", False)
    assert quant.from_gguf(None, {"Q8_0": 5, "F32": 1})[0] == "q8_0"


def _fp8_checkpoint() -> Checkpoint:
    # A 2-layer Llama-style model, FP8 block-scaled, with an MTP layer (index 2) and a vision tower.
    # hidden 256, intermediate 512, vocab 1000, 4 heads (head_dim 64), 2 KV heads, untied.
    cfg = {"model_type": "llama", "vocab_size": 1000, "hidden_size": 256, "intermediate_size": 512,
           "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
           "quantization_config": {"quant_method": "fp8", "weight_block_size": [128, 128]}}
    t = [TensorRecord("model.embed_tokens.weight", "BF16", (1000, 256), 1000 * 256 * 2),
         TensorRecord("lm_head.weight", "BF16", (1000, 256), 1000 * 256 * 2),
         TensorRecord("model.norm.weight", "BF16", (256,), 512)]
    for layer in range(3):  # layer 2 is past num_hidden_layers: MTP
        p = f"model.layers.{layer}."
        for name, out, inp in (("self_attn.q_proj", 256, 256), ("self_attn.k_proj", 128, 256),
                               ("self_attn.v_proj", 128, 256), ("self_attn.o_proj", 256, 256),
                               ("mlp.gate_proj", 512, 256), ("mlp.up_proj", 512, 256), ("mlp.down_proj", 256, 512)):
            t.append(TensorRecord(p + name + ".weight", "F8_E4M3", (out, inp), out * inp))
            blocks = -(-out // 128) * -(-inp // 128)
            t.append(TensorRecord(p + name + ".weight_scale_inv", "F32", (-(-out // 128), -(-inp // 128)), 4 * blocks))
        t += [TensorRecord(p + "input_layernorm.weight", "BF16", (256,), 512),
              TensorRecord(p + "post_attention_layernorm.weight", "BF16", (256,), 512)]
    t.append(TensorRecord("model.vision_tower.patch_embed.weight", "BF16", (256, 588), 256 * 588 * 2))
    return Checkpoint(label="acme/tiny-fp8", source="test", container="safetensors", files=("model.safetensors",),
                      config=cfg, tensors=tuple(t))


# Hand count of that checkpoint's decoder (layers 0-1):
#   FP8 weights per layer: 256x256 x2 (q, o) + 128x256 x2 (k, v) + 512x256 x3 (gate, up, down) = 589,824 B
#   F32 scales per layer: blocks 2x2 + 1x2 + 1x2 + 2x2 + 4x2 + 4x2 + 2x4 = 36 -> 144 B
#   BF16: embeddings + LM head 2 x 1000 x 256 x 2 = 1,024,000; norms (2 x 2 + 1) x 256 x 2 = 2,560
FP8_W, FP8_S = 2 * 589_824, 2 * 144
DECODER = FP8_W + FP8_S + 1_024_000 + 2_560
PARAMS = 2 * (256 * 256 * 2 + 128 * 256 * 2 + 512 * 256 * 3) + 2 * 1000 * 256 + 5 * 256  # 1,693,952


def test_summary_of_an_fp8_checkpoint_with_mtp_and_vision():
    m = from_checkpoint(_fp8_checkpoint())
    cp = m.checkpoint
    assert cp.stored.total == DECODER == 2_206_496
    assert (cp.stored.embeddings, cp.stored.lm_head, cp.quant_metadata_bytes) == (512_000, 512_000, FP8_S)
    assert {d.dtype: d.bytes for d in cp.by_dtype} == {"F8_E4M3": FP8_W, "F32": FP8_S, "BF16": 1_026_560}
    assert (cp.format, cp.weight_only) == ("fp8", False)
    extras = {x.kind: (x.tensors, x.bytes) for x in cp.extras}
    assert extras == {"mtp": (16, 589_824 + 144 + 1_024), "vision": (1, 256 * 588 * 2)}
    assert cp.decoder_elements == PARAMS  # fp8 weights are unpacked: elements (scales aside) are parameters


def test_weights_for_uses_the_stored_bytes_unless_a_format_is_asked():
    cp = from_checkpoint(_fp8_checkpoint()).checkpoint
    fmt, assumptions, warnings = weights_for(cp, {}, PARAMS)
    from modelmath.tools.model.memory import weight_bytes
    from modelmath.tools.model.params import parameter_count
    from modelmath.tools.model.resolve import from_checkpoint as fc

    params = parameter_count(fc(_fp8_checkpoint()).shape)
    assert params.total == PARAMS
    assert weight_bytes(params, fmt)[0] == DECODER and fmt.name == "fp8" and warnings == []
    assert any("mtp (16 tensors" in a and "speculative" in a for a in assumptions)
    fmt2, a2, _ = weights_for(cp, {"weight_dtype": "q4_k_m"}, PARAMS)
    assert fmt2.stored is None and fmt2.name == "q4_k_m" and "2,206,496 B" in a2[0]


def test_element_count_that_disagrees_with_the_config_is_a_warning():
    cp = _fp8_checkpoint()
    bigger = Checkpoint(**{**cp.__dict__, "config": {**cp.config, "intermediate_size": 640}})
    summary = from_checkpoint(bigger).checkpoint
    from modelmath.tools.model.params import parameter_count

    p = parameter_count(from_checkpoint(bigger).shape).total
    warnings = weights_for(summary, {}, p)[2]
    assert len(warnings) == 1 and f"{PARAMS:,} elements" in warnings[0]


def test_summarize_sums_every_decoder_tensor_once():
    recs = tuple(TensorRecord(f"model.layers.0.w{i}", "BF16", (i + 1,), 2 * (i + 1)) for i in range(100))
    s = summarize("safetensors", ("a",), recs, 1, lambda by: ("bf16", "", False))
    assert s.stored.total == 2 * sum(range(1, 101)) == 10_100


def test_decode_reads_the_stored_experts_it_hits():
    # A 2-layer Qwen3-MoE: hidden 256, 4 heads x 64 (2 KV heads), 4 experts of 128, top-1, vocab 1000, untied.
    # Experts stored as FP8 (1 B/weight, scales left out for brevity), everything else BF16.
    cfg = {"model_type": "qwen3_moe", "vocab_size": 1000, "hidden_size": 256, "num_hidden_layers": 2,
           "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 64, "num_experts": 4,
           "num_experts_per_tok": 1, "moe_intermediate_size": 128, "intermediate_size": 512}
    t = [TensorRecord("model.embed_tokens.weight", "BF16", (1000, 256), 512_000),
         TensorRecord("lm_head.weight", "BF16", (1000, 256), 512_000),
         TensorRecord("model.norm.weight", "BF16", (256,), 512)]
    for i in range(2):
        p = f"model.layers.{i}."
        for name, shape in (("self_attn.q_proj.weight", (256, 256)), ("self_attn.k_proj.weight", (128, 256)),
                            ("self_attn.v_proj.weight", (128, 256)), ("self_attn.o_proj.weight", (256, 256)),
                            ("self_attn.q_norm.weight", (64,)), ("self_attn.k_norm.weight", (64,)),
                            ("input_layernorm.weight", (256,)), ("post_attention_layernorm.weight", (256,)),
                            ("mlp.gate.weight", (4, 256))):
            t.append(TensorRecord(p + name, "BF16", shape, 2 * shape[0] * (shape[1] if len(shape) > 1 else 1)))
        for e in range(4):
            for name, shape in (("gate_proj", (128, 256)), ("up_proj", (128, 256)), ("down_proj", (256, 128))):
                t.append(TensorRecord(f"{p}mlp.experts.{e}.{name}.weight", "F8_E4M3", shape, shape[0] * shape[1]))
    m = from_checkpoint(Checkpoint("moe", "test", "safetensors", ("m",), cfg, None, tuple(t)))
    from modelmath.tools.hardware import gpus
    from modelmath.tools.hardware.speed import decode_step
    from modelmath.tools.model.params import parameter_count

    params = parameter_count(m.shape)
    fmt = weights_for(m.checkpoint, {}, params.total)[0]
    routed = 2 * 4 * 3 * 128 * 256  # 196,608 B of experts
    attn = 2 * 2 * (256 * 256 + 128 * 256 + 128 * 256 + 256 * 256 + 64 + 64 + 256 + 256 + 4 * 256)
    total = 512_000 * 2 + 512 + attn + routed
    assert m.checkpoint.stored.total == total and m.checkpoint.stored.routed_experts == routed
    # Batch 1 hits k/E = 1/4 of the experts per layer; the input embedding is a lookup, not read.
    step = decode_step(m.shape, params, gpus.lookup("h100"), fmt, context=1, batch=1)
    assert step.weight_bytes_per_gpu == total - 512_000 - routed * 3 // 4
