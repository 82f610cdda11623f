"""GGUF headers: metadata key/values and the tensor table, parsed from bytes handed in piece by piece.

Format: GGUF specification, ggml/docs/gguf.md (llama.cpp repository): magic "GGUF", version (2 or 3),
tensor count, metadata count, the metadata key/values, the tensor infos (name, dims, ggml type, offset),
padding to `general.alignment` (default 32), then the tensor data - which we never read.

The parser is resumable and tells how many bytes it needs at least (`need`): a lower bound of where the
header ends, computed from what it has read (every remaining string is at least its 8-byte length, every
remaining tensor info at least 24 bytes). A reader that never asks past `need` never reads tensor data.
We do not use the `gguf` package's GGUFReader here: it memory-maps a whole file (so it cannot read a byte
range fetched over HTTP) and walks every tokenizer array element in Python objects - 9 s for a Llama-3-sized
vocabulary on our CI machine, against ~0.3 s here.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from ..errors import UnsupportedConfig
from .checkpoint import TensorRecord

# ggml types stored in GGUF files: id → (name, elements per block, bytes per block). Block layouts from
# ggml/src/ggml-common.h (block_q4_0 … block_iq4_xs, block_tq1_0, block_mxfp4), sizes of plain types from
# ggml/src/ggml.c type_traits. tests/tools/model/test_gguf.py checks this table against gguf-py's
# GGML_QUANT_SIZES.
GGML_TYPES: dict[int, tuple[str, int, int]] = {
    0: ("F32", 1, 4), 1: ("F16", 1, 2), 2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20), 6: ("Q5_0", 32, 22),
    7: ("Q5_1", 32, 24), 8: ("Q8_0", 32, 34), 10: ("Q2_K", 256, 84), 11: ("Q3_K", 256, 110),
    12: ("Q4_K", 256, 144), 13: ("Q5_K", 256, 176), 14: ("Q6_K", 256, 210), 16: ("IQ2_XXS", 256, 66),
    17: ("IQ2_XS", 256, 74), 18: ("IQ3_XXS", 256, 98), 19: ("IQ1_S", 256, 50), 20: ("IQ4_NL", 32, 18),
    21: ("IQ3_S", 256, 110), 22: ("IQ2_S", 256, 82), 23: ("IQ4_XS", 256, 136), 24: ("I8", 1, 1),
    25: ("I16", 1, 2), 26: ("I32", 1, 4), 27: ("I64", 1, 8), 28: ("F64", 1, 8), 29: ("IQ1_M", 256, 56),
    30: ("BF16", 1, 2), 34: ("TQ1_0", 256, 54), 35: ("TQ2_0", 256, 66), 39: ("MXFP4", 32, 17),
    40: ("NVFP4", 64, 36),
}
# general.file_type values (llama.cpp include/llama.h, enum llama_ftype).
FILE_TYPES: dict[int, str] = {
    0: "ALL_F32", 1: "MOSTLY_F16", 2: "MOSTLY_Q4_0", 3: "MOSTLY_Q4_1", 7: "MOSTLY_Q8_0", 8: "MOSTLY_Q5_0",
    9: "MOSTLY_Q5_1", 10: "MOSTLY_Q2_K", 11: "MOSTLY_Q3_K_S", 12: "MOSTLY_Q3_K_M", 13: "MOSTLY_Q3_K_L",
    14: "MOSTLY_Q4_K_S", 15: "MOSTLY_Q4_K_M", 16: "MOSTLY_Q5_K_S", 17: "MOSTLY_Q5_K_M", 18: "MOSTLY_Q6_K",
    19: "MOSTLY_IQ2_XXS", 20: "MOSTLY_IQ2_XS", 21: "MOSTLY_Q2_K_S", 22: "MOSTLY_IQ3_XS", 23: "MOSTLY_IQ3_XXS",
    24: "MOSTLY_IQ1_S", 25: "MOSTLY_IQ4_NL", 26: "MOSTLY_IQ3_S", 27: "MOSTLY_IQ3_M", 28: "MOSTLY_IQ2_S",
    29: "MOSTLY_IQ2_M", 30: "MOSTLY_IQ4_XS", 31: "MOSTLY_IQ1_M", 32: "MOSTLY_BF16", 36: "MOSTLY_TQ1_0",
    37: "MOSTLY_TQ2_0", 38: "MOSTLY_MXFP4_MOE",
}

MAGIC = b"GGUF"
MAX_GGUF_HEADER_BYTES = 64 * 2**20  # a 262k-token vocabulary with merges is ~10 MB
_MAX_COUNT = 10**7  # metadata entries, tensors
_MAX_DIMS = 8
_KEEP_ARRAY = 4096  # numeric arrays up to this length are kept (per-layer values); longer ones only counted
_KEEP_STRINGS = 64  # string arrays are vocabularies and merges: counted, not kept
_KEEP_STRING = 4096

# Metadata value types (gguf.md, gguf_metadata_value_type): id → struct format ('' = string / array).
_VT = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 8: "", 9: "", 10: "<Q", 11: "<q",
       12: "<d"}
_VT_NAMES = {0: "UINT8", 1: "INT8", 2: "UINT16", 3: "INT16", 4: "UINT32", 5: "INT32", 6: "FLOAT32", 7: "BOOL",
             8: "STRING", 9: "ARRAY", 10: "UINT64", 11: "INT64", 12: "FLOAT64"}
_U64 = struct.Struct("<Q")
_KV_MIN = 8 + 4 + 1  # key length, value type, smallest value
_TI_MIN = 8 + 4 + 4 + 8  # name length, n_dims, type, offset


def _bad(why: str) -> UnsupportedConfig:
    return UnsupportedConfig(f"not a readable GGUF header: {why}", field="model")


class _Short(Exception):
    """Not enough bytes yet; `end` is the absolute offset the current item needs at least."""

    def __init__(self, end: int):
        self.end = end


@dataclass(frozen=True)
class GGUFHeader:
    version: int
    metadata: dict  # long arrays appear as {"array_of": TYPE, "count": N}
    tensors: tuple[TensorRecord, ...]
    data_offset: int  # where tensor data starts (the header's end, aligned)


class GGUFParser:
    """Feed bytes from offset 0 on; `done` once the tensor table is read; `need` is the least total length
    the header has (ask for at most that many bytes and you stay inside it)."""

    def __init__(self, file: str = "", max_header_bytes: int = MAX_GGUF_HEADER_BYTES):
        self.file = file
        self.max_header_bytes = max_header_bytes
        self.buf = bytearray()
        self.pos = 0
        self.version = 0
        self.kv_left = self.tensors_left = -1
        self.metadata: dict = {}
        self.infos: list[tuple[str, tuple[int, ...], int, int]] = []
        self.array: list | None = None  # [key, elem type, count, index, kept values or None]
        self.done = False
        self._item_end = 24

    @property
    def received(self) -> int:
        return len(self.buf)

    @property
    def need(self) -> int:
        if self.done:
            return self.data_offset
        rest = 0
        if self.kv_left >= 0:
            rest = max(self.kv_left - 1, 0) * _KV_MIN + max(self.tensors_left, 0) * _TI_MIN
            if self.array is not None:
                rest += (self.array[2] - self.array[3] - 1) * self._elem_min(self.array[1])
            elif self.kv_left == 0:  # in the tensor table: the current info is the item
                rest = max(self.tensors_left - 1, 0) * _TI_MIN
        return max(self._item_end + rest, len(self.buf) + 1)

    def feed(self, data: bytes) -> None:
        if self.done:
            return
        self.buf += data
        if len(self.buf) > self.max_header_bytes:
            raise UnsupportedConfig(f"GGUF header of {self.file or 'the file'} is larger than "
                                    f"{self.max_header_bytes:,} bytes; refused", field="model")
        try:
            self._advance()
        except _Short as s:
            self._item_end = s.end
        except UnsupportedConfig as exc:  # a ValueError too, but already worded: not wrapped a second time
            raise UnsupportedConfig(f"{self.file}: {exc.message}" if self.file else exc.message,
                                    field="model") from None
        except (struct.error, UnicodeDecodeError, ValueError) as exc:
            err = _bad(str(exc))
            raise UnsupportedConfig(f"{self.file}: {err.message}" if self.file else err.message,
                                    field="model") from None

    # -- reading primitives (raise _Short past the end of what we have) --
    def _take(self, at: int, n: int) -> int:
        if at + n > len(self.buf):
            raise _Short(at + n)
        return at + n

    def _u(self, at: int, fmt: str):
        end = self._take(at, struct.calcsize(fmt))
        return struct.unpack_from(fmt, self.buf, at)[0], end

    def _str(self, at: int, keep: bool = True) -> tuple[str | None, int]:
        n, at = self._u(at, "<Q")
        if n > self.max_header_bytes:
            raise _bad(f"a string of {n:,} bytes at offset {at - 8}")
        end = self._take(at, n)
        if not keep:
            return None, end
        raw = bytes(self.buf[at:end]) if n <= _KEEP_STRING else b""
        return (raw.decode("utf-8", "replace") if n <= _KEEP_STRING else f"<{n} bytes>"), end

    @staticmethod
    def _elem_min(t: int) -> int:
        return 8 if t == 8 else struct.calcsize(_VT[t]) if _VT.get(t) else 12

    def _value(self, at: int, t: int):
        if t not in _VT:
            raise _bad(f"unknown metadata value type {t}")
        if t == 8:
            return self._str(at)
        if t == 9:
            raise _bad("nested arrays are not supported")
        return self._u(at, _VT[t])

    # -- the state machine --
    def _advance(self) -> None:
        if self.kv_left < 0:
            end = self._take(0, 24)
            if bytes(self.buf[:4]) != MAGIC:
                raise _bad("no GGUF magic at the start of the file")
            self.version, t, k = struct.unpack_from("<IQQ", self.buf, 4)
            if self.version not in (2, 3):
                raise _bad(f"GGUF version {self.version} (2 and 3 are read)")
            if t > _MAX_COUNT or k > _MAX_COUNT:
                raise _bad(f"{t:,} tensors / {k:,} metadata entries")
            self.pos, self.tensors_left, self.kv_left = end, t, k
        while self.kv_left > 0:
            self._item_end = self.pos + _KV_MIN
            if self.array is not None:
                self._array_elements()
                continue
            key, at = self._str(self.pos)
            t, at = self._u(at, "<I")
            if t == 9:
                et, at = self._u(at, "<I")
                n, at = self._u(at, "<Q")
                if et not in _VT or et == 9 or n > _MAX_COUNT * 10:
                    raise _bad(f"array {key!r} of type {et} x {n}")
                keep = n <= (_KEEP_STRINGS if et == 8 else _KEEP_ARRAY)
                self.array = [key, et, n, 0, [] if keep else None]
                self.pos = at
                continue
            value, at = self._value(at, t)
            self.metadata[key] = value
            self.pos, self.kv_left = at, self.kv_left - 1
        while self.tensors_left > 0:
            self._item_end = self.pos + _TI_MIN
            name, at = self._str(self.pos)
            nd, at = self._u(at, "<I")
            if nd > _MAX_DIMS:
                raise _bad(f"tensor {name!r} has {nd} dimensions")
            end = self._take(at, 8 * nd + 12)
            dims = struct.unpack_from(f"<{nd}Q", self.buf, at)
            ttype, offset = struct.unpack_from("<IQ", self.buf, at + 8 * nd)
            self.infos.append((name, dims, ttype, offset))
            self.pos, self.tensors_left = end, self.tensors_left - 1
        align = self.metadata.get("general.alignment", 32)
        if not isinstance(align, int) or align <= 0 or align & (align - 1):
            raise _bad(f"general.alignment {align!r}")
        self.data_offset = -(-self.pos // align) * align
        self.done = True

    def _array_elements(self) -> None:
        key, et, n, i, kept = self.array
        at = self.pos
        try:
            if et == 8 and kept is None:  # a tokenizer's strings: walk the lengths, keep nothing (hot loop)
                buf, end, q = self.buf, len(self.buf), _U64.unpack_from
                while i < n:
                    if at + 8 > end:
                        raise _Short(at + 8)
                    stop = at + 8 + q(buf, at)[0]
                    if stop > end:
                        raise _Short(stop)
                    at, i = stop, i + 1
            elif et == 8:
                while i < n:
                    s, at = self._str(at)
                    kept.append(s)
                    i += 1
            else:
                size = struct.calcsize(_VT[et])
                room = (len(self.buf) - at) // size
                take = min(n - i, room)
                if kept is not None and take:
                    kept.extend(x[0] for x in struct.iter_unpack(_VT[et], bytes(self.buf[at:at + take * size])))
                at, i = at + take * size, i + take
                if i < n:
                    raise _Short(at + size)
        finally:
            self.array[3], self.pos = i, at
        self.metadata[key] = kept if kept is not None else {"array_of": _VT_NAMES[et], "count": n}
        self.array = None
        self.kv_left -= 1

    def header(self) -> GGUFHeader:
        if not self.done:
            raise _bad("header incomplete")
        tensors = []
        for name, dims, ttype, _off in self.infos:
            if ttype not in GGML_TYPES:
                raise UnsupportedConfig(f"GGUF tensor {name!r} has ggml type {ttype}, which we cannot size",
                                        field="model")
            tname, block, size = GGML_TYPES[ttype]
            n = 1
            for d in dims:
                n *= d
            if dims and dims[0] % block:
                raise _bad(f"tensor {name!r}: row of {dims[0]} not a multiple of the {tname} block ({block})")
            tensors.append(TensorRecord(name, tname, tuple(reversed(dims)), n // block * size, self.file))
        return GGUFHeader(self.version, dict(self.metadata), tuple(tensors), self.data_offset)
