"""The weight format of a checkpoint, read from its config's `quantization_config`, its tensor dtypes, or its
GGUF file type. Returns (format, detail, weight_only): `format` is a weight_dtype name where one fits (so the
user can ask for the format-name estimate to compare), `detail` says what was read, `weight_only` whether
kernels dequantise to 16-bit math (everything but fp8 on FP8 hardware and plain 16/32-bit).
"""

from __future__ import annotations

Guess = tuple[str, str, bool]

# Dtype of the bulk of a checkpoint without quantization_config → weight_dtype name.
_PLAIN = {"BF16": "bf16", "F16": "fp16", "F32": "fp32", "F8_E4M3": "fp8", "F8_E5M2": "fp8"}


def _int(v, default=None):
    return v if isinstance(v, int) and not isinstance(v, bool) else default


def _compressed_tensors(qc: dict) -> Guess:
    fmt = qc.get("format") or "?"
    groups = qc.get("config_groups") if isinstance(qc.get("config_groups"), dict) else {}
    g = next((v for v in groups.values() if isinstance(v, dict)), {})
    w = g.get("weights") if isinstance(g.get("weights"), dict) else {}
    acts = g.get("input_activations") if isinstance(g.get("input_activations"), dict) else None
    bits, kind = _int(w.get("num_bits")), w.get("type")
    group, strategy = _int(w.get("group_size")), w.get("strategy")
    scheme = f"W{bits or '?'}A{(_int(acts.get('num_bits')) or '?') if acts else 16}"
    detail = (f"compressed-tensors {fmt}, {scheme}, {kind or '?'} weights, strategy {strategy or '?'}"
              + (f", group size {group}" if group else "") + " (quantization_config)")
    if kind == "float" and bits == 8:
        return "fp8", detail, False
    if kind == "float" and bits == 4:
        return ("nvfp4" if "nvfp4" in str(fmt) else "fp4"), detail, True
    if kind == "int" and bits == 8:
        return "int8", detail, acts is None
    if kind == "int" and bits == 4:
        return "w4a16" if acts is None else "w4a4", detail, True
    return f"compressed-tensors-w{bits or '?'}", detail, True


def from_config(config: dict | None, bytes_by_dtype: dict[str, int]) -> Guess:
    """Format of a safetensors checkpoint."""
    qc = None
    if isinstance(config, dict):
        qc = config.get("quantization_config") or config.get("compression_config")
        text = config.get("text_config")
        if qc is None and isinstance(text, dict):
            qc = text.get("quantization_config")
    if isinstance(qc, dict):
        method = str(qc.get("quant_method", "")).lower()
        bits = _int(qc.get("bits"), 4)
        group = _int(qc.get("group_size"))
        gtxt = f", group size {group}" if group else ""
        if method == "fp8":
            block = qc.get("weight_block_size")
            how = (f"{block[0]}x{block[1]} block scales" if isinstance(block, list) and len(block) == 2
                   else "per-tensor/per-channel scales")
            return "fp8", f"FP8 E4M3 weights with {how} (quantization_config, quant_method fp8)", False
        if method == "fbgemm_fp8":
            return "fp8", "FP8 weights with per-row scales (quantization_config, quant_method fbgemm_fp8)", False
        if method in ("gptq", "awq"):
            name = method if bits == 4 else ("int8" if bits == 8 else f"{method}-int{bits}")
            extra = f", desc_act={bool(qc.get('desc_act'))}" if method == "gptq" else ""
            return name, f"{method.upper()} {bits}-bit{gtxt}{extra} (quantization_config)", True
        if method == "compressed-tensors":
            return _compressed_tensors(qc)
        if method == "bitsandbytes":
            if qc.get("load_in_4bit"):
                kind = str(qc.get("bnb_4bit_quant_type", "fp4"))
                dq = ", double quantisation" if qc.get("bnb_4bit_use_double_quant") else ""
                name = "nf4" if kind == "nf4" else "bnb-fp4"
                return name, f"bitsandbytes 4-bit {kind}{dq} (quantization_config)", True
            return "int8", "bitsandbytes LLM.int8() (quantization_config)", True
        if method == "mxfp4":
            return "mxfp4", "MXFP4: 4-bit E2M1 blocks of 32 with an E8M0 scale (quantization_config)", True
        if method:
            return method, f"quant_method {method} (quantization_config); kernels assumed weight-only", True
    if not bytes_by_dtype:
        return "bf16", "no tensors read", False
    top = max(bytes_by_dtype, key=lambda d: bytes_by_dtype[d])
    name = _PLAIN.get(top)
    if name is None:
        return top.lower(), f"tensors mostly {top} without a quantization_config", True
    return name, f"tensors mostly {top}, no quantization_config", False


def from_gguf(file_type_name: str | None, bytes_by_dtype: dict[str, int]) -> Guess:
    """Format of a GGUF file, from general.file_type (a LlamaFileType name such as MOSTLY_Q4_K_M)."""
    if file_type_name:
        short = file_type_name.removeprefix("MOSTLY_").removeprefix("ALL_").lower()
        name = {"f32": "fp32", "f16": "fp16"}.get(short, short)
        return name, f"GGUF file type {file_type_name} (general.file_type)", name not in ("fp32", "fp16", "bf16")
    if not bytes_by_dtype:
        return "unknown", "GGUF without tensors", True
    top = max(bytes_by_dtype, key=lambda d: bytes_by_dtype[d])
    name = {"F32": "fp32", "F16": "fp16", "BF16": "bf16"}.get(top, top.lower())
    return name, f"GGUF tensors mostly {top} (no general.file_type)", name not in ("fp32", "fp16", "bf16")
