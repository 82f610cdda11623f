"""Number formats for weights and KV cache, with their true storage cost and where that comes from."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ..errors import UnknownName


@dataclass(frozen=True)
class StoredWeights:
    """Bytes a checkpoint actually stores for the decoder (from its safetensors/GGUF headers), with the parts
    that memory and speed treat apart: the input embedding (a lookup, not streamed at decode), the LM head,
    and the routed experts (only those hit are read)."""

    total: int
    embeddings: int
    lm_head: int
    routed_experts: int


@dataclass(frozen=True)
class WeightFormat:
    name: str
    bits_per_weight: Fraction  # average over all weights, scales and block headers included
    source: str
    note: str = ""
    # Set for a checkpoint's own format (tools/model/checkpoint.py): exact bytes replace bits x params, and
    # weight_only says how the kernels run it (otherwise decided by name in hardware/speed.py).
    stored: StoredWeights | None = None
    weight_only: bool | None = None

    @property
    def bits_float(self) -> float:
        return float(self.bits_per_weight)


def _wf(name: str, bits, source: str, note: str = "") -> WeightFormat:
    return WeightFormat(name, Fraction(bits), source, note)


_GGUF = "llama.cpp ggml-common.h block layouts (QK_K=256 super-blocks)"
_QUANTIZE = "llama.cpp tools/quantize/quantize.cpp size table for Llama-3-8B (8.03 billion params)"

WEIGHT_FORMATS: dict[str, WeightFormat] = {f.name: f for f in [
    _wf("fp32", 32, "IEEE 754 binary32"),
    _wf("fp16", 16, "IEEE 754 binary16"),
    _wf("bf16", 16, "bfloat16"),
    _wf("fp8", 8, "FP8 E4M3 with per-tensor or per-channel scales (scales negligible)",
        "scales not counted: one per tensor or channel is < 0.01% of the weights"),
    _wf("int8", 8, "W8A16 / LLM.int8() per-channel scales (negligible)"),
    _wf("int4", 4, "plain 4-bit payload", "payload only; real 4-bit formats add scales: see gptq/awq, nf4, q4_k_m"),
    # GPTQ/AWQ group size 128: one fp16 scale + one 4-bit zero per 128 weights → 4 + 20/128 bits.
    _wf("gptq", Fraction(4) + Fraction(20, 128), "GPTQ/AWQ 4-bit, group size 128, fp16 scale + 4-bit zero",
        "AutoGPTQ/AutoAWQ default group_size=128"),
    _wf("awq", Fraction(4) + Fraction(20, 128), "AWQ 4-bit, group size 128, fp16 scale + 4-bit zero"),
    # QLoRA paper §3 (Dettmers et al. 2023, arXiv 2305.14314): block 64 with double quantization costs
    # 8/64 + 32/(64*256) = 0.127 bits per parameter on top of the 4-bit codes.
    _wf("nf4", Fraction(4) + Fraction(8, 64) + Fraction(32, 64 * 256), "QLoRA paper (arXiv 2305.14314) §3"),
    # transformers' `load_in_4bit=True` alone is not QLoRA's NF4: BitsAndBytesConfig defaults to
    # bnb_4bit_quant_type="fp4" and bnb_4bit_use_double_quant=False (transformers utils/quantization_config.py),
    # and bitsandbytes quantize_4bit keeps one fp32 absmax per block of 64 (blocksize=64) → 4 + 32/64 bits.
    _wf("bnb_fp4", Fraction(4) + Fraction(32, 64), "bitsandbytes FP4, block 64, fp32 absmax, no double quantisation",
        "what transformers' load_in_4bit=True gives by default (bnb_4bit_quant_type='fp4'); NF4 + double quant is "
        "`nf4`"),
    # OCP Microscaling spec v1.0: 32 FP4 elements share one 8-bit E8M0 scale → 4 + 8/32 bits.
    _wf("mxfp4", Fraction(17, 4), "OCP Microscaling Formats (MX) v1.0: block 32, E8M0 scale"),
    # NVIDIA NVFP4: FP4 E2M1 elements, 16 per block sharing one FP8 E4M3 scale, plus one FP32 scale per tensor
    # → 4 + 8/16 = 4.5 bits (NVIDIA, "Introducing NVFP4 for Efficient and Accurate Low-Precision Inference",
    # developer.nvidia.com/blog; NeMo AutoModel nvfp4 docs: "0.5625 bytes per parameter"). The per-tensor scale
    # is 4 bytes per matrix: negligible.
    _wf("nvfp4", Fraction(9, 2), "NVIDIA NVFP4: E2M1 values, block 16 with an FP8 E4M3 scale, FP32 per-tensor scale",
        "TensorRT Model Optimizer checkpoints (quant_algo NVFP4, group_size 16) keep embeddings and lm_head in 16-bit"),
    # ggml block sizes: Q8_0 = 32 int8 + fp16 scale = 34 B/32; Q4_0 = 16 B + fp16 = 18 B/32;
    # Q6_K = 210 B/256; Q4_K = 144 B/256; Q5_K = 176 B/256; IQ4_XS = 136 B/256.
    # MLX affine quantization (mlx.core.quantize, mode "affine": group_size 64 and bits 4 by default; one scale and
    # one bias per group, both in the input's 16-bit dtype → bits + 32/64). mlx-lm's quantize converts every Linear
    # and Embedding layer, so embeddings and the LM head are quantized too; kernels dequantize (weight-only).
    *[WeightFormat(f"mlx_{b}bit", Fraction(b) + Fraction(32, 64),
                   "MLX affine quantization (ml-explore.github.io/mlx, mlx.core.quantize): group 64, fp16 scale and "
                   "bias per group", "mlx-lm quantizes embeddings and LM head as well", weight_only=True)
      for b in (4, 6, 8)],
    # MLC-LLM q4f16_1 (mlc-llm python/mlc_llm/quantization/quantization.py: GroupQuantize, 4-bit, group size 32,
    # float16 scale per group → 4 + 16/32 bits), applied to every Linear and the embedding (so the LM head too).
    WeightFormat("mlc_q4f16", Fraction(9, 2), "MLC-LLM q4f16_1: 4-bit, group 32, one fp16 scale per group",
                 "MLC quantizes the embedding and LM head as well", weight_only=True),
    _wf("q8_0", Fraction(34 * 8, 32), _GGUF),
    _wf("q4_0", Fraction(18 * 8, 32), _GGUF),
    _wf("q6_k", Fraction(210 * 8, 256), _GGUF),
    _wf("q4_k", Fraction(144 * 8, 256), _GGUF, "all tensors Q4_K; the usual mix is q4_k_m"),
    _wf("q5_k", Fraction(176 * 8, 256), _GGUF, "all tensors Q5_K; the usual mix is q5_k_m"),
    _wf("iq4_xs", Fraction(136 * 8, 256), _GGUF),
    # The _M mixes keep some tensors (attn_v, ffn_down halves, output) at higher types, and rows whose width is
    # not a multiple of 256 fall back to other types, so their average depends on the model. For a known model
    # every GGUF type here is laid out tensor by tensor instead (tools/model/gguf_quant.py, via
    # resolve.weights_for_model); these averages serve only where no shape is at hand. The quantize table's
    # Llama-3-8B file sizes give them: Q4_K_M 4.58 GiB, Q5_K_M 5.33 GiB over 8,030,261,248 weights → 4.899, 5.701.
    _wf("q4_k_m", Fraction(round(4.58 * 2**30 * 8 / 8030261248 * 1000), 1000), _QUANTIZE,
        "without a model shape: the mix's average on Llama-3-8B (4.58 GiB); a model's own is computed per tensor"),
    _wf("q4_k_s", Fraction(round(4.37 * 2**30 * 8 / 8030261248 * 1000), 1000), _QUANTIZE,
        "without a model shape: the mix's average on Llama-3-8B (4.37 GiB); a model's own is computed per tensor"),
    _wf("q5_k_s", Fraction(round(5.21 * 2**30 * 8 / 8030261248 * 1000), 1000), _QUANTIZE,
        "without a model shape: the mix's average on Llama-3-8B (5.21 GiB); a model's own is computed per tensor"),
    _wf("q5_k_m", Fraction(round(5.33 * 2**30 * 8 / 8030261248 * 1000), 1000), _QUANTIZE,
        "without a model shape: the mix's average on Llama-3-8B (5.33 GiB); a model's own is computed per tensor"),
]}

WEIGHT_ALIASES = {"float32": "fp32", "float16": "fp16", "half": "fp16", "bfloat16": "bf16", "e4m3": "fp8",
                  "fp8_e4m3": "fp8", "modelopt_fp4": "nvfp4", "w8a8": "int8", "w8a16": "int8", "w4a16": "gptq",
                  "bnb4": "nf4", "qlora": "nf4", "load_in_4bit": "bnb_fp4", "fp4_bnb": "bnb_fp4"}


def weight_format(name: str) -> WeightFormat:
    key = name.strip().lower().replace("-", "_")
    key = WEIGHT_ALIASES.get(key, key)
    if key not in WEIGHT_FORMATS:
        raise UnknownName(f"unknown weight format {name!r}", field="weight_dtype", allowed=sorted(WEIGHT_FORMATS))
    return WEIGHT_FORMATS[key]


@dataclass(frozen=True)
class KVFormat:
    name: str
    bits: int  # payload bits per element
    group: int  # elements sharing one scale (0: per-tensor scale, negligible)
    scale_bytes: int  # bytes of scale (+ zero point) per group
    note: str

    def bytes_for(self, elements: int) -> int:
        """Exact bytes to hold `elements` values of one cached vector, scales included."""
        payload = elements * self.bits // 8 + (1 if elements * self.bits % 8 else 0)
        if self.group:
            payload += -(-elements // self.group) * self.scale_bytes
        return payload


KV_FORMATS: dict[str, KVFormat] = {f.name: f for f in [
    KVFormat("fp32", 32, 0, 0, "no scales"),
    KVFormat("fp16", 16, 0, 0, "no scales"),
    KVFormat("bf16", 16, 0, 0, "no scales"),
    KVFormat("fp8", 8, 0, 0, "FP8 E4M3/E5M2 with per-tensor scales (vLLM/TensorRT-LLM); scale bytes negligible"),
    KVFormat("int8", 8, 0, 0, "int8 with per-tensor scales (TensorRT-LLM int8 KV); scale bytes negligible"),
    KVFormat("int4", 4, 32, 4, "int4, groups of 32 values with an fp16 scale and fp16 zero point "
             "(KIVI-style, 4 bytes per group = +1 bit per value)"),
]}


def kv_format(name: str) -> KVFormat:
    key = WEIGHT_ALIASES.get(name.strip().lower(), name.strip().lower())
    if key not in KV_FORMATS:
        raise UnknownName(f"unknown kv dtype {name!r}", field="kv_dtype", allowed=list(KV_FORMATS))
    return KV_FORMATS[key]
