"""Local checkpoints: a directory with config.json + safetensors, a .gguf file (split or not). Expected byte
totals are the hand derivations in test_remote.py (same Llama-3.1-8B layouts)."""

from __future__ import annotations

import json

import pytest
from modelmath.tools.registry import run_tool
from standin_hub import models
from standin_hub.checkpoints import write_gguf, write_safetensors, write_sharded
from standin_hub.expected import AWQ_TOTAL, FP8_TOTAL, PARAMS


@pytest.fixture
def reader():
    from modelmath.plugin.hub import install

    install()


def _folder(tmp_path, fmt: str, shards: int = 2):
    d = tmp_path / f"llama-{fmt}"
    d.mkdir()
    (d / "config.json").write_text(json.dumps(models.config(models.LLAMA_8B, fmt)))
    write_sharded(str(d), models.tensors(models.LLAMA_8B, fmt), shards)
    return d


def test_directory(reader, tmp_path):
    d = _folder(tmp_path, "fp8_block")
    out = run_tool("memory_estimate", {"model": str(d)}).result
    assert out["weights_bytes"] == FP8_TOTAL and out["total_params"] == PARAMS
    assert out["checkpoint"]["format"] == "fp8" and "local directory" in out["model"]["shape_source"]


def test_single_file_directory_and_relative_bare_name(reader, tmp_path, monkeypatch):
    d = tmp_path / "my-finetune"
    d.mkdir()
    (d / "config.json").write_text(json.dumps(models.config(models.LLAMA_8B, "awq")))
    write_safetensors(str(d / "model.safetensors"), models.tensors(models.LLAMA_8B, "awq"))
    (d / "adapter_model.safetensors").write_bytes(b"not read")  # not the transformers checkpoint
    monkeypatch.chdir(tmp_path)
    # A bare name that is no catalog entry but an existing directory: catalog → local path → Hub.
    out = run_tool("memory_estimate", {"model": "my-finetune"}).result
    assert out["weights_bytes"] == AWQ_TOTAL and out["model"]["name"] == "my-finetune"


def _gguf_parts(folder, parts: int) -> list[int]:
    """A 2-layer Llama GGUF split in `parts` files (llama.cpp gguf-split naming and split.* keys)."""
    kv = {"llama.block_count": 2, "llama.context_length": 4096, "llama.embedding_length": 256,
          "llama.feed_forward_length": 512, "llama.attention.head_count": 4, "llama.attention.head_count_kv": 2,
          "general.file_type": 7}
    t = [("token_embd.weight", "Q8_0", (1000, 256)), ("output_norm.weight", "F32", (256,))]
    for i in range(2):
        b = f"blk.{i}."
        t += [(b + "attn_q.weight", "Q8_0", (256, 256)), (b + "attn_k.weight", "Q8_0", (128, 256)),
              (b + "attn_v.weight", "Q8_0", (128, 256)), (b + "attn_output.weight", "Q8_0", (256, 256)),
              (b + "ffn_gate.weight", "Q8_0", (512, 256)), (b + "ffn_up.weight", "Q8_0", (512, 256)),
              (b + "ffn_down.weight", "Q8_0", (256, 512)), (b + "attn_norm.weight", "F32", (256,)),
              (b + "ffn_norm.weight", "F32", (256,))]
    per = -(-len(t) // parts)
    names = [f"tiny-Q8_0-{k + 1:05d}-of-{parts:05d}.gguf" if parts > 1 else "tiny-Q8_0.gguf" for k in range(parts)]
    return [write_gguf(str(folder / n), "llama", {**kv, "split.no": k, "split.count": parts} if parts > 1 else kv,
                       t[k * per:(k + 1) * per], ["a", "b"] if k == 0 else None) for k, n in enumerate(names)]


# Q8_0: 34 bytes per 32 weights (ggml-common.h block_q8_0); tied (no output.weight).
# Elements: embedding 1000x256 = 256,000; per layer 256x256 x2 + 128x256 x2 + 512x256 x3 = 589,824.
# Norms F32: (2 x 2 + 1) x 256 x 4 B = 5,120.
TINY_Q8 = (256_000 + 2 * 589_824) // 32 * 34 + 5_120  # = 1,530,816 B
TINY_PARAMS = 256_000 + 2 * 589_824 + 5 * 256  # = 1,436,928


@pytest.mark.parametrize("parts", [1, 3])
def test_gguf_file(reader, tmp_path, parts):
    _gguf_parts(tmp_path, parts)
    name = "tiny-Q8_0-00001-of-00003.gguf" if parts > 1 else "tiny-Q8_0.gguf"
    out = run_tool("memory_estimate", {"model": str(tmp_path / name)}).result
    assert out["weights_bytes"] == TINY_Q8 and out["total_params"] == TINY_PARAMS
    assert out["checkpoint"]["format"] == "q8_0" and out["checkpoint"]["files"] == parts
    # A folder holding one GGUF (split or not) is that GGUF.
    assert run_tool("parameter_count", {"model": str(tmp_path)}).result["total_params"] == TINY_PARAMS


def test_errors_name_the_path(reader, tmp_path):
    err = run_tool("parameter_count", {"model": str(tmp_path / "nope")}).result["error"]
    assert err["reason"] == "not_found" and "no such file or directory" in err["message"]
    (tmp_path / "empty").mkdir()
    err = run_tool("parameter_count", {"model": str(tmp_path / "empty")}).result["error"]
    assert err["reason"] == "no_weights" and "no config.json and no .gguf" in err["message"]
    two = tmp_path / "two"
    two.mkdir()
    _gguf_parts(two, 1)
    (two / "tiny-Q8_0.gguf").rename(two / "a.gguf")
    _gguf_parts(two, 1)
    err = run_tool("parameter_count", {"model": str(two)}).result["error"]
    assert err["reason"] == "no_weights" and "holds 2 GGUF files" in err["message"]
    (tmp_path / "notes.txt").write_text("hi")
    err = run_tool("parameter_count", {"model": str(tmp_path / "notes.txt")}).result["error"]
    assert "neither a directory" in err["message"]


def test_local_header_reads_stop_at_the_header(reader, tmp_path, monkeypatch):
    """The local reader asks the OS for no byte past a header (counted by wrapping os.fdopen's reads)."""
    import os

    d = _folder(tmp_path, "bf16", shards=2)
    reads: dict[str, int] = {}
    real_fdopen = os.fdopen

    class Spy:
        def __init__(self, f, name):
            self.f, self.name = f, name

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def fileno(self):
            return self.f.fileno()

        def read(self, n=-1):
            data = self.f.read(n)
            reads[self.name] = max(reads.get(self.name, 0), self.f.tell())
            return data

    def fdopen(fd, *a, **kw):
        return Spy(real_fdopen(fd, *a, **kw), os.readlink(f"/proc/self/fd/{fd}"))

    from modelmath.plugin.hub import local

    monkeypatch.setattr(local.os, "fdopen", fdopen)
    run_tool("parameter_count", {"model": str(d)})
    for name, furthest in reads.items():
        if name.endswith(".safetensors"):
            with open(name, "rb") as f:
                header_end = 8 + int.from_bytes(f.read(8), "little")
            assert furthest == header_end, name
