"""Measure real VRAM and tokens/s of random-weight models on this machine's GPU, for comparison with
modelmath's predictions (benchmarks/compare_predictions.py).

Models are built from the catalog's config.json fields with `transformers` (random bf16 weights, SDPA
attention, nothing downloaded), so anyone with a GPU can rerun this:

    pip install torch transformers && pip install -e .
    python benchmarks/gpu_measure.py                       # Llama-3.1-8B and Qwen2.5-7B shapes
    python benchmarks/gpu_measure.py --models llama-3.1-8b --contexts 1024,8192 --batches 1,16 --compile

Per (model, context, batch): weights resident after load, peak allocated/reserved memory, prefill time of
`context` tokens per sequence, and the mean decode step over `--steps` tokens. Results go to
benchmarks/results/<date>-<device>.json with the date, device, driver and library versions.

The default engine is plain transformers (eager Python loop, DynamicCache): launch-bound at small batch,
so its decode rate is a floor, not what vLLM/TensorRT-LLM reach. `--compile` uses a static cache with
torch.compile (the gpt-fast recipe), which is what the calibrated estimates target.
"""

from __future__ import annotations

import argparse
import datetime as dt
import inspect
import json
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

DEFAULT_MODELS = ("llama-3.1-8b", "qwen2.5-7b")


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x]


def build(model_id: str, torch, transformers):
    from modelmath.tools.model.catalog import lookup

    entry = lookup(model_id)
    if entry.config is None:
        raise SystemExit(f"{model_id} has no config.json fields in the catalog")
    cfg = transformers.AutoConfig.for_model(**entry.config)
    cfg.attn_implementation = "sdpa"
    torch.manual_seed(0)
    with torch.device("cuda"):
        model = transformers.AutoModelForCausalLM.from_config(cfg, torch_dtype=torch.bfloat16)
    return model.eval(), cfg


def _timed(torch, fn, *args, **kwargs):
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    torch.cuda.synchronize()
    return out, time.perf_counter() - t0


def _keep_last_logits(model) -> dict:
    """Only the last position's logits: newer transformers call it logits_to_keep, older num_logits_to_keep."""
    params = inspect.signature(model.forward).parameters
    for name in ("logits_to_keep", "num_logits_to_keep"):
        if name in params:
            return {name: 1}
    return {}


def measure_one(model, cfg, torch, transformers, context: int, batch: int, steps: int, compiled: bool) -> dict:
    ids = torch.randint(0, cfg.vocab_size, (batch, context), device="cuda")
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    kwargs = {"use_cache": True, **_keep_last_logits(model)}
    if compiled:
        cache = transformers.StaticCache(config=cfg, max_batch_size=batch, max_cache_len=context + steps,
                                         device="cuda", dtype=torch.bfloat16)
        kwargs["past_key_values"] = cache
    with torch.inference_mode():
        out, prefill_s = _timed(torch, model, ids, **kwargs)
        past = out.past_key_values
        tok = out.logits[:, -1:].argmax(-1)
        step = model
        if compiled:
            step = torch.compile(model, mode="reduce-overhead", fullgraph=True)
        times = []
        for i in range(steps + 3):  # 3 warm-up steps (compilation, allocator growth) are not timed
            pos = torch.full((batch, 1), context + i, device="cuda")
            out, t = _timed(torch, step, tok, past_key_values=past, position_ids=pos, use_cache=True,
                            cache_position=pos[0])
            past, tok = out.past_key_values, out.logits[:, -1:].argmax(-1)
            if i >= 3:
                times.append(t)
    step_s = sum(times) / len(times)
    return {"context": context, "batch": batch, "decode_steps": steps,
            "mean_kv_tokens_at_decode": context + 3 + steps // 2,
            "peak_allocated_bytes": torch.cuda.max_memory_allocated(),
            "peak_reserved_bytes": torch.cuda.max_memory_reserved(),
            "prefill_s": prefill_s, "prefill_tokens_per_s": batch * context / prefill_s,
            "decode_step_s": step_s, "decode_tokens_per_s": batch / step_s}


def device_info(torch) -> dict:
    props = torch.cuda.get_device_properties(0)
    info = {"name": torch.cuda.get_device_name(0), "total_memory_bytes": props.total_memory}
    try:
        smi = subprocess.run(["nvidia-smi", "--query-gpu=driver_version,power.limit", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=20).stdout.strip()
        info["nvidia_smi"] = smi
    except (OSError, subprocess.SubprocessError):
        pass
    return info


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default=",".join(DEFAULT_MODELS))
    ap.add_argument("--contexts", default="512,4096,16384", help="prompt tokens per sequence")
    ap.add_argument("--batches", default="1,8,32")
    ap.add_argument("--steps", type=int, default=32, help="decode steps timed per run")
    ap.add_argument("--compile", action="store_true", help="static cache + torch.compile (gpt-fast style)")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)

    import torch
    import transformers

    if not torch.cuda.is_available():
        print("no CUDA/ROCm device: nothing measured", file=sys.stderr)
        return 1
    dev = device_info(torch)
    runs = []
    for model_id in args.models.split(","):
        model, cfg = build(model_id, torch, transformers)
        weights = torch.cuda.memory_allocated()
        for context in _ints(args.contexts):
            for batch in _ints(args.batches):
                row = {"model": model_id, "dtype": "bf16", "weights_resident_bytes": weights}
                try:
                    row |= measure_one(model, cfg, torch, transformers, context, batch, args.steps, args.compile)
                except torch.cuda.OutOfMemoryError:
                    row |= {"context": context, "batch": batch, "oom": True}
                print(json.dumps(row), file=sys.stderr)
                runs.append(row)
        del model
        torch.cuda.empty_cache()
    now = dt.datetime.now(dt.timezone.utc)
    slug = re.sub(r"[^a-z0-9]+", "-", dev["name"].lower()).strip("-")
    out = args.out or Path(__file__).parent / "results" / f"{now:%Y-%m-%d}-{slug}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    doc = {"schema_version": 1, "date": now.isoformat(timespec="seconds"), "device": dev,
           "engine": "transformers + torch.compile, static cache" if args.compile else "transformers eager",
           "software": {"python": platform.python_version(), "torch": torch.__version__,
                        "transformers": transformers.__version__, "cuda": torch.version.cuda,
                        "hip": getattr(torch.version, "hip", None)},
           "runs": runs}
    out.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
