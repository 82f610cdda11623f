"""Local checkpoints: a directory (config.json + *.safetensors) or a .gguf file. Only headers are read: the
8-byte length and JSON header of each safetensors file, the GGUF metadata and tensor table."""

from __future__ import annotations

import os
import re
import stat
from contextlib import contextmanager

from modelmath.tools.errors import ModelUnavailable
from modelmath.tools.model.checkpoint import (
    MAX_INDEX_BYTES,
    Checkpoint,
    TensorRecord,
    parse_safetensors_header,
    parse_safetensors_index,
    safetensors_header_length,
)
from modelmath.tools.model.gguf import GGUFHeader, GGUFParser
from modelmath.tools.model.hf_config import MAX_CONFIG_BYTES, NONFINITE_KEYS
from modelmath.tools.model.reference import ModelRef

from .. import files
from ..files import FileRefused

INDEX = "model.safetensors.index.json"
_SPLIT = re.compile(r"^(?P<stem>.*)-(?P<no>\d{5})-of-(?P<count>\d{5})\.gguf$", re.I)


def split_parts(filename: str) -> list[str]:
    """All parts of a split GGUF (llama.cpp gguf-split names: NAME-00001-of-00003.gguf), or just the file."""
    m = _SPLIT.match(filename)
    if not m:
        return [filename]
    n = int(m.group("count"))
    return [f"{m.group('stem')}-{i:05d}-of-{n:05d}.gguf" for i in range(1, n + 1)]


def gguf_choices(names: list[str]) -> list[str]:
    """The .gguf files a user can pick (one name per split set: its first part)."""
    out = []
    for f in sorted(names):
        m = _SPLIT.match(f.rsplit("/", 1)[-1])
        if f.lower().endswith(".gguf") and (m is None or int(m.group("no")) == 1):
            out.append(f)
    return out


def read_if_exists(ref: ModelRef) -> Checkpoint | None:
    if ref.kind == "url" or ref.pinned:
        return None  # org/name@rev, org/name:file.gguf and URLs always mean the Hub
    if not os.path.exists(os.path.expanduser(ref.text)):
        return None
    return read_path(ref.text)


def read_path(text: str) -> Checkpoint:
    path = os.path.expanduser(text)
    if not os.path.exists(path):
        raise ModelUnavailable(f"{text}: no such file or directory (and not a catalog name)", reason="not_found")
    if os.path.isdir(path):
        return _read_dir(text, path)
    if path.lower().endswith(".gguf"):
        return read_gguf(text, os.path.dirname(path), os.path.basename(path))
    raise ModelUnavailable(f"{text} is neither a directory holding config.json and *.safetensors nor a .gguf file",
                           reason="no_weights")


@contextmanager
def _open_regular(path: str):
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise ModelUnavailable(f"cannot read {path}: {exc.strerror or exc}", reason="not_found") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise ModelUnavailable(f"{path} is not a regular file", reason="not_found")
        yield f


def _safetensors(path: str, name: str) -> tuple[TensorRecord, ...]:
    with _open_regular(path) as f:
        size = os.fstat(f.fileno()).st_size
        n = safetensors_header_length(f.read(8), name)
        data = f.read(n)
    if len(data) != n:
        raise ModelUnavailable(f"{path} is truncated: header of {n:,} bytes, file of {size:,}", reason="no_weights")
    return parse_safetensors_header(data, name, size)


def _gguf_header(path: str, name: str) -> GGUFHeader:
    parser = GGUFParser(name)
    with _open_regular(path) as f:
        while not parser.done:
            chunk = f.read(parser.need - parser.received)  # never past the header's least possible end
            if not chunk:
                raise ModelUnavailable(f"{path} ends inside its GGUF header ({parser.received:,} bytes)",
                                       reason="no_weights")
            parser.feed(chunk)
    return parser.header()


def read_gguf(label: str, folder: str, filename: str) -> Checkpoint:
    parts = split_parts(filename)
    headers = [_gguf_header(os.path.join(folder, p), p) for p in parts]
    meta = dict(headers[0].metadata)
    where = os.path.abspath(os.path.join(folder, filename))
    return Checkpoint(label=label, source=f"local GGUF {where}" + (f" ({len(parts)} parts)" if len(parts) > 1 else ""),
                      container="gguf", files=tuple(parts), gguf_metadata=meta,
                      tensors=tuple(t for h in headers for t in h.tensors))


def safetensors_files(names: list[str], read_index) -> tuple[str, ...]:
    """Which safetensors files hold the model: the index's shards, else model.safetensors, else the
    model-*.safetensors shards (adapters and consolidated.* duplicates are not the transformers checkpoint)."""
    if INDEX in names:
        return parse_safetensors_index(read_index(INDEX))
    if "model.safetensors" in names:
        return ("model.safetensors",)
    top = [n for n in names if "/" not in n and n.endswith(".safetensors")]
    shards = sorted(n for n in top if n.startswith("model-"))
    return tuple(shards or [n for n in sorted(top) if not n.startswith(("adapter_", "consolidated"))])


def _read_dir(text: str, path: str) -> Checkpoint:
    names = sorted(os.listdir(path))
    where = os.path.abspath(path)
    if "config.json" not in names:
        ggufs = gguf_choices(names)
        if len(ggufs) == 1:
            return read_gguf(text, path, ggufs[0])
        if ggufs:
            raise ModelUnavailable(f"{text} holds {len(ggufs)} GGUF files; give one of them: "
                                   + ", ".join(os.path.join(text, g) for g in ggufs[:8]), reason="no_weights",
                                   allowed=[os.path.join(text, g) for g in ggufs])
        raise ModelUnavailable(f"{text} has no config.json and no .gguf file to read", reason="no_weights")
    def read(name: str, cap: int) -> object:
        try:
            if name == "config.json":
                return files.read_json_object(os.path.join(path, name), cap, what=name,
                                              nonfinite_as_null=NONFINITE_KEYS)
            return files.read_bytes(os.path.join(path, name), cap, what=name)
        except FileRefused as exc:
            raise ModelUnavailable(exc.message, reason="no_weights") from None

    config = read("config.json", MAX_CONFIG_BYTES)
    read_index = lambda name: read(name, MAX_INDEX_BYTES)  # noqa: E731
    shards = safetensors_files(names, read_index)
    missing = [s for s in shards if not os.path.isfile(os.path.join(path, s))]
    if missing:
        raise ModelUnavailable(f"{text}: shard {missing[0]} named by {INDEX} is missing", reason="no_weights")
    if not shards:
        return Checkpoint(label=text, source=f"local directory {where}: config.json (no safetensors)", container=None,
                          config=config)
    tensors = tuple(t for s in shards for t in _safetensors(os.path.join(path, s), s))
    return Checkpoint(label=text, source=f"local directory {where}: config.json + {len(shards)} safetensors "
                      "header(s)", container="safetensors", files=shards, config=config, tensors=tensors)
