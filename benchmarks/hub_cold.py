"""Cold time to answer `modelmath memory <Hub id> --json` against the stand-in Hub, first and cached.

    python benchmarks/hub_cold.py [--runs 5] [--skip-deepseek]

Each run is a new process (what a user waits for). Cases per repository:
- first: empty HF_HOME, so config.json, the index and every header are fetched;
- cached: same HF_HOME, online: one /api/models request checks the commit, headers come from the cache;
- offline: HF_HUB_OFFLINE=1, nothing is requested.
The catalog name `llama-3.1-8b` is the baseline. The stand-in is on localhost: a real Hub adds one round trip
per request (the request counts are printed), so the first answer scales with shards x 2 (safetensors) or
with the GGUF header's rounds; cached answers make one request, offline ones none.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from checkpoint_bytes import publish  # noqa: E402
from standin_hub import layouts, models  # noqa: E402
from standin_hub.server import StandinHub  # noqa: E402


def timed(args: list[str], env: dict) -> float:
    exe = Path(sys.executable).with_name("modelmath")
    cli = [str(exe)] if exe.exists() else [sys.executable, "-m", "modelmath.plugin.cli.main"]
    t = time.perf_counter()
    p = subprocess.run([*cli, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if p.returncode:
        raise SystemExit(f"{' '.join(args)} failed: {p.stderr.strip()}")
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--skip-deepseek", action="store_true")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="hub-cold-"))
    hub = StandinHub().start()
    m = models
    fp8 = publish(hub, root, "acme/Llama-3.1-8B-FP8", m.config(m.LLAMA_8B, "fp8_block"),
                  m.tensors(m.LLAMA_8B, "fp8_block"), shards=3)
    repos = [("Llama-3.1-8B FP8, 3 shards", fp8),
             ("Llama-3.1-8B GGUF Q4_K_M, 128k vocab", publish(hub, root, "acme/Llama-3.1-8B-GGUF", None, gguf=(
                 "Llama-3.1-8B-Q4_K_M.gguf", "llama", m.LLAMA_GGUF_KV, m.q4_k_m_gguf_tensors(),
                 [f"t{i}" for i in range(128256)])))]
    if not args.skip_deepseek:
        repos.append(("DeepSeek-V3 FP8, 163 shards", publish(hub, root, "acme/DeepSeek-V3", layouts.DEEPSEEK_V3,
                                                             layouts.deepseek_v3_fp8(), shards=163)))
    base = {**os.environ, "HF_ENDPOINT": hub.url, "HF_HUB_DISABLE_TELEMETRY": "1"}
    for k in ("HF_HUB_OFFLINE", "HF_TOKEN"):
        base.pop(k, None)
    catalog = [timed(["memory", "llama-3.1-8b", "--json"], base) for _ in range(args.runs)]
    print(f"{'catalog name llama-3.1-8b':40s} {statistics.median(catalog) * 1000:8.0f} ms  (0 requests)")
    for label, ref in repos:
        first, cached, offline = [], [], []
        for i in range(args.runs):
            home = root / f"home-{i}"
            env = {**base, "HF_HOME": str(home)}
            hub.clear()
            first.append(timed(["memory", ref, "--json"], env))
            n_first = len(hub.requests)
            hub.clear()
            cached.append(timed(["memory", ref, "--json"], env))
            n_cached = len(hub.requests)
            hub.clear()
            offline.append(timed(["memory", ref, "--json"], {**env, "HF_HUB_OFFLINE": "1"}))
            n_offline = len(hub.requests)
            shutil.rmtree(home, ignore_errors=True)
        for name, xs, n in (("first", first, n_first), ("cached", cached, n_cached), ("offline", offline, n_offline)):
            print(f"{label + ', ' + name:40s} {statistics.median(xs) * 1000:8.0f} ms  ({n} requests)")
    hub.stop()
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
