"""Checkpoint files for tests: true headers, sparse data (multi-GB logical sizes, kilobytes on disk).

safetensors (format: https://huggingface.co/docs/safetensors, "Format"): 8-byte little-endian header length,
a JSON header {name: {dtype, shape, data_offsets}}, then the data. We write the header and extend the file
to its full length with truncate(), which leaves a hole instead of writing zeros.
GGUF: written by llama.cpp's own gguf-py GGUFWriter (header, key/values, tensor infos), then extended to the
end of its data region the same way.
"""

from __future__ import annotations

import json
import os

# Bytes per element by safetensors dtype (safetensors docs, "Format"; the writer's table, kept apart from
# tools/model/checkpoint.py on purpose).
ST_BYTES = {"BF16": 2, "F16": 2, "F32": 4, "F8_E4M3": 1, "I32": 4, "U8": 1, "I8": 1, "I64": 8}


def _prod(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def write_safetensors(path: str, tensors: list[tuple[str, str, tuple[int, ...]]]) -> int:
    """Write a sparse safetensors file; returns the header's end (8 + header length): the first data byte."""
    header: dict = {"__metadata__": {"format": "pt"}}
    off = 0
    for name, dtype, shape in tensors:
        n = _prod(shape) * ST_BYTES[dtype]
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [off, off + n]}
        off += n
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)  # the format allows trailing spaces; 8-byte alignment as the library writes
    with open(path, "wb") as f:
        f.write(len(raw).to_bytes(8, "little"))
        f.write(raw)
        f.truncate(8 + len(raw) + off)
    return 8 + len(raw)


def write_sharded(folder: str, tensors: list[tuple[str, str, tuple[int, ...]]], shards: int) -> dict[str, int]:
    """model-0000k-of-0000n.safetensors + model.safetensors.index.json; returns {file: header end}."""
    per = -(-len(tensors) // shards)
    ends, weight_map = {}, {}
    for k in range(shards):
        name = f"model-{k + 1:05d}-of-{shards:05d}.safetensors"
        part = tensors[k * per:(k + 1) * per]
        ends[name] = write_safetensors(os.path.join(folder, name), part)
        weight_map.update({t[0]: name for t in part})
    total = sum(_prod(s) * ST_BYTES[d] for _, d, s in tensors)
    with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f)
    return ends


def write_gguf(path: str, arch: str, kv: dict, tensors: list[tuple[str, str, tuple[int, ...]]],
               tokens: list[str] | None = None) -> int:
    """A sparse GGUF file written by gguf-py; tensors are (name, ggml type name, row-major shape). Returns the
    data offset (the header's end)."""
    import gguf
    import numpy as np

    w = gguf.GGUFWriter(path, arch)
    for key, value in kv.items():
        if isinstance(value, bool):
            w.add_bool(key, value)
        elif isinstance(value, int):
            w.add_uint32(key, value)
        elif isinstance(value, float):
            w.add_float32(key, value)
        elif isinstance(value, str):
            w.add_string(key, value)
        else:
            w.add_array(key, value)
    if tokens is not None:
        w.add_token_list(tokens)
    total = 0
    for name, tname, shape in tensors:
        qtype = gguf.GGMLQuantizationType[tname]
        block, size = gguf.GGML_QUANT_SIZES[qtype]
        nbytes = _prod(shape) // block * size
        w.add_tensor_info(name, shape, np.dtype(np.float32), nbytes, raw_dtype=qtype)
        total += -(-nbytes // w.data_alignment) * w.data_alignment
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    w.close()
    end = os.path.getsize(path)
    data_offset = -(-end // w.data_alignment) * w.data_alignment
    os.truncate(path, data_offset + total)
    return data_offset
