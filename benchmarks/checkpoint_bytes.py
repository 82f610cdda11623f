"""Exact stored bytes read from checkpoint headers vs the format-name estimate, on quantised layouts.

    python benchmarks/checkpoint_bytes.py [--skip-deepseek]

Builds sparse checkpoints (true headers, no weight data) for Llama-3.1-8B as FP8 block-scaled, GPTQ int4,
AWQ int4 and GGUF Q4_K_M, Qwen2.5-7B GGUF Q4_K_M, DeepSeek-V3 FP8 (163 shards, MTP layer) and gpt-oss-20b
MXFP4, serves them from the stand-in Hub (tests/standin_hub) through HF_ENDPOINT, and prints for each: the
parameters (from the config), the bytes the checkpoint stores for the decoder, what `weight_dtype=<its
format>` estimates from bits/weight, and the tensors not counted; "bf16 default" is what the answer was before
checkpoints were read (no weight_dtype: bf16). The large layouts are reconstructions from the published
configs and quantiser rules (tests/standin_hub/layouts.py), not copies of the real headers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from standin_hub import layouts, models  # noqa: E402
from standin_hub.checkpoints import write_gguf, write_safetensors, write_sharded  # noqa: E402
from standin_hub.server import StandinHub  # noqa: E402


def publish(hub: StandinHub, root: Path, repo: str, config: dict | None, tensors=None, shards: int = 1,
            gguf: tuple | None = None) -> str:
    d = root / repo.replace("/", "__")
    d.mkdir(parents=True)
    if gguf is not None:
        name, arch, kv, t, tokens = gguf
        write_gguf(str(d / name), arch, kv, t, tokens)
        repo += f":{name}"
    else:
        (d / "config.json").write_text(json.dumps(config))
        if shards == 1:
            write_safetensors(str(d / "model.safetensors"), tensors)
        else:
            write_sharded(str(d), tensors, shards)
    hub.add_repo(repo.split(":")[0], {p.name: str(p) for p in d.iterdir()})
    return repo


def cases(skip_deepseek: bool):
    m = models
    yield "Llama-3.1-8B FP8 block 128x128", "acme/Llama-3.1-8B-FP8", dict(
        config=m.config(m.LLAMA_8B, "fp8_block"), tensors=m.tensors(m.LLAMA_8B, "fp8_block"), shards=2)
    yield "Llama-3.1-8B GPTQ int4 g128", "acme/Llama-3.1-8B-GPTQ", dict(
        config=m.config(m.LLAMA_8B, "gptq"), tensors=m.tensors(m.LLAMA_8B, "gptq"), shards=2)
    yield "Llama-3.1-8B AWQ int4 g128", "acme/Llama-3.1-8B-AWQ", dict(
        config=m.config(m.LLAMA_8B, "awq"), tensors=m.tensors(m.LLAMA_8B, "awq"), shards=2)
    yield "Llama-3.1-8B GGUF Q4_K_M", "acme/Llama-3.1-8B-GGUF", dict(config=None, gguf=(
        "Llama-3.1-8B-Q4_K_M.gguf", "llama", m.LLAMA_GGUF_KV, m.q4_k_m_gguf_tensors(),
        [f"t{i}" for i in range(128256)]))
    # Qwen2.5-7B (Qwen/Qwen2.5-7B config.json: hidden 3584, 28 layers, 28 heads, 4 KV heads, intermediate 18944,
    # vocab 152064, untied) in the same Q4_K_M mix, plus its q/k/v biases (F32 in GGUF): the 4.90 bits/weight
    # the format name assumes were measured on Llama-3-8B.
    qwen = m.q4_k_m_gguf_tensors(n_layers=28, vocab=152064, hidden=3584, inter=18944, kv_dim=512)
    qwen += [(f"blk.{i}.attn_{x}.bias", "F32", (3584 if x == "q" else 512,)) for i in range(28) for x in "qkv"]
    qwen_kv = {"qwen2.block_count": 28, "qwen2.context_length": 32768, "qwen2.embedding_length": 3584,
               "qwen2.feed_forward_length": 18944, "qwen2.attention.head_count": 28,
               "qwen2.attention.head_count_kv": 4, "general.file_type": 15}
    yield "Qwen2.5-7B GGUF Q4_K_M", "acme/Qwen2.5-7B-GGUF", dict(config=None, gguf=(
        "Qwen2.5-7B-Q4_K_M.gguf", "qwen2", qwen_kv, [x for x in qwen if x[0] != "rope_freqs.weight"],
        [f"t{i}" for i in range(151643)]))
    yield "gpt-oss-20b MXFP4 experts", "acme/gpt-oss-20b", dict(
        config=layouts.GPT_OSS_20B, tensors=layouts.gpt_oss_20b_mxfp4(), shards=3)
    if not skip_deepseek:
        yield "DeepSeek-V3 FP8 block 128x128 (+MTP)", "acme/DeepSeek-V3", dict(
            config=layouts.DEEPSEEK_V3, tensors=layouts.deepseek_v3_fp8(), shards=163)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-deepseek", action="store_true", help="skip the 91k-tensor DeepSeek-V3 layout")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="ckpt-bytes-"))
    hub = StandinHub().start()
    os.environ.update(HF_ENDPOINT=hub.url, HF_HOME=str(root / "hf-home"), HF_HUB_DISABLE_TELEMETRY="1")
    from modelmath.plugin.hub import install
    from modelmath.tools.registry import run_tool

    install()
    print(f"{'case':38s} {'params':>16s} {'bf16 default':>17s} {'stored (exact)':>17s} {'format':>7s} "
          f"{'format estimate':>17s} {'est-exact':>8s}  not counted; requests, header bytes read, time")
    for label, repo, spec in cases(args.skip_deepseek):
        ref = publish(hub, root, repo, **spec)
        hub.clear()
        t = time.perf_counter()
        out = run_tool("memory_estimate", {"model": ref})
        dt = time.perf_counter() - t
        r = out.result
        if out.is_error:
            print(f"{label:38s} error: {r['error']['message']}")
            continue
        cp = r["checkpoint"]
        est = cp.get("format_estimate_bytes")
        extra = "; ".join(f"{x['part']} {x['bytes'] / 1e9:.2f} GB" for x in cp.get("not_counted", [])) or "-"
        served = sum(q.body_bytes for q in hub.requests if q.path.startswith("/cdn/"))
        print(f"{label:38s} {r['total_params']:16,d} {r['total_params'] * 2:17,d} {cp['weights_bytes']:17,d} "
              f"{cp['format']:>7s} "
              f"{est if est is not None else 0:17,d} {cp.get('format_estimate_error_pct', 0):+7.2f}%  {extra}; "
              f"{len(hub.requests)} requests, {served:,} header bytes, {dt:.2f} s")
    hub.stop()
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
