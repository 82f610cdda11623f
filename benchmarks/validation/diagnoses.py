"""Issue 12's inference diagnoses, checked against the validation set (the numbers go into RESULTS.md).

Each check reads published cases (calibration and holdout alike: nothing here is fitted) and reports what they
imply, with the calculators supplying only byte and FLOP counts:
  1. fixed cost per decode step = measured step - (weights + KV bytes) / (peak bandwidth x 0.9), 0.9 being the
     best fraction of peak any case shows (vLLM's KV-read slope on H100: 90%, B200: 95%);
  2. low-precision GEMMs: achieved fraction of the format's dense peak in TensorRT-LLM's saturated runs;
  5. MoE at batch 1: fixed cost per MoE layer beyond the same engine's dense fixed cost; B200 vs H100;
  6. TTFT: prefill-only vs prefill + one decode step against published first-token latencies.
"""

from __future__ import annotations

import statistics

from modelmath.tools.hardware import engines, gpus, speed
from modelmath.tools.model.formats import kv_format, weight_format
from modelmath.tools.model.params import parameter_count
from modelmath.tools.model.resolve import resolve_model, shaped_weight_format


def _weights(name: str, shape):
    """The format as the tools use it for this shape (GGUF file types tensor by tensor)."""
    return shaped_weight_format(weight_format(name), shape)[0]


BEST_BANDWIDTH = 0.9


def _model(inp: dict):
    m = resolve_model({k: inp[k] for k in ("model", "architecture") if k in inp})
    return m.shape, parameter_count(m.shape)


def _step(rec: dict):
    inp = rec["inputs"]
    shape, params = _model(inp)
    g = gpus.lookup(inp["gpu"])
    e = engines.lookup(rec["engine"] if rec["engine"] in engines.ids() else "generic")
    return shape, params, g, speed.decode_step(shape, params, g, _weights(inp["weight_dtype"], shape),
                                               inp["context_tokens"], 1, inp.get("gpu_count", 1),
                                               kv_format(inp["kv_dtype"]), e)


def _measured_step(rec: dict) -> float:
    t = rec["target"]
    return t["value"] if t["quantity"] == "itl_s" else 1 / t["value"]


def fixed_costs(records: list[dict]) -> list[tuple[dict, float, float]]:
    """(record, implied fixed ms, bytes-only ms at 90% of peak) for single-GPU batch-1 decode cases."""
    out = []
    for r in records:
        if r["category"] != "decode_batch1" or r.get("excluded") or r["inputs"].get("gpu_count", 1) != 1:
            continue
        shape, _, g, st = _step(r)
        stream = (st.weight_bytes_per_gpu + st.kv_bytes_per_gpu) / (g.bandwidth_bytes_per_s * BEST_BANDWIDTH)
        out.append((r, (_measured_step(r) - stream) * 1e3, stream * 1e3))
    return out


def two_point(records: list[dict]) -> list[tuple[str, str, str, float, float]]:
    """Same engine, GPU and weight format, two models whose bytes differ >= 3x: solve step = bytes / (BW x e) + c
    for the streaming efficiency e and the fixed cost c (ms). Returns (engine, small id, large id, e, c)."""
    fc = [t for t in fixed_costs(records)  # dense models on one device (no MoE, no layer split)
          if _model(t[0]["inputs"])[0].moe is None and "devices_used" not in t[0]["inputs"]]
    out = []
    for i, (a, _, sa) in enumerate(fc):
        for b, _, sb in fc[i + 1:]:
            ka = (a["engine"], a["inputs"]["gpu"], a["inputs"]["weight_dtype"])
            if ka != (b["engine"], b["inputs"]["gpu"], b["inputs"]["weight_dtype"]) or max(sa, sb) < 3 * min(sa, sb):
                continue
            (small, ss), (large, sl) = sorted(((a, sa), (b, sb)), key=lambda t: t[1])
            ts, tl = _measured_step(small) * 1e3, _measured_step(large) * 1e3
            inv_e = (tl - ts) / (sl - ss) / BEST_BANDWIDTH * 1.0  # ms per bytes-ms at 100% of peak
            e = 1 / (inv_e * BEST_BANDWIDTH) if inv_e > 0 else float("nan")
            c = ts - ss * BEST_BANDWIDTH / e if inv_e > 0 else float("nan")
            out.append((a["engine"], small["id"], large["id"], e, c))
    return out


def _gemm_fraction(rec: dict) -> float | None:
    """Achieved fraction of the compute format's dense peak in a saturated run, counting only GEMM FLOPs
    (decode + the prompt share per output token): a lower bound on GEMM efficiency (attention and overheads
    also take time)."""
    inp = rec["inputs"]
    shape, params = _model(inp)
    g = gpus.lookup(inp["gpu"])
    plan = speed.compute_plan(g, _weights(inp["weight_dtype"], shape))
    per_out = 2 * speed.matmul_params(params, shape) * (1 + inp["prompt_tokens"] / inp["output_tokens"])
    return rec["target"]["value"] * per_out / (plan.tflops * 1e12 * inp.get("gpu_count", 1))


def render(records: list[dict]) -> list[str]:
    by_id = {r["id"]: r for r in records}
    out = ["## Issue 12's diagnoses against the data", "",
           "Computed by diagnoses.py from the published cases (both roles); nothing here is fitted.", ""]
    fc = fixed_costs(records)
    out += ["**1. Serving engines pay a fixed cost per decode step.** Implied fixed ms per step = measured step - "
            "bytes read / (peak bandwidth x 0.9), single-GPU batch-1 cases:", "",
            "| engine | platform | n | median fixed ms | range |", "|---|---|---|---|---|"]
    groups: dict[tuple, list[float]] = {}
    for r, ms, _ in fc:
        groups.setdefault((r["engine"], engines.platform(gpus.lookup(r["inputs"]["gpu"]))), []).append(ms)
    for (e, plat), v in sorted(groups.items()):
        out.append(f"| {e} | {plat} | {len(v)} | {statistics.median(v):.2f} | {min(v):.2f} to {max(v):.2f} |")
    out += ["", "Where one engine ran two model sizes on the same GPU and format, the two points separate streaming "
            "efficiency e from the fixed cost c (step = bytes / (peak x e) + c):", "",
            "| engine | smaller model case | larger model case | e (fraction of peak) | c (ms per step) |",
            "|---|---|---|---|---|"]
    for e, small, large, eff, c in two_point(records):
        out.append(f"| {e} | {small} | {large} | {eff:.2f} | {c:.2f} |")
    out += ["", "Confirmed for serving engines: vLLM on H100/B200 spends 1.5-1.8 ms per step beyond its bytes even "
            "at 90% of peak bandwidth (its KV reads reach 90-95%), 23-45% of a Llama-3.1-8B step. The single-point "
            "figures above mix that cost with each engine's streaming efficiency; the two-point fits split them: "
            "llama.cpp pays 2.5-5.3 ms per token and streams weights at 0.62 of peak on A100 HBM against 0.87-0.94 "
            "on GDDR and Apple memory; gpt-fast's int8 path pays ~1.9 ms. The fitted per-engine constants are in "
            "tools/data/engines.json.", ""]
    trt = [r for r in records if r["engine"] == "trt-llm" and r["category"] == "serving_throughput"
           and r["inputs"].get("concurrency") == "max" and not r.get("excluded")]
    out += ["**2. Low-precision compute is not the BF16 ceiling times the datasheet ratio.** GEMM FLOPs achieved "
            "in TensorRT-LLM's saturated runs, as a fraction of the format's dense peak (a lower bound):", "",
            "| case | format | GPU | achieved fraction |", "|---|---|---|---|"]
    for r in sorted(trt, key=lambda r: (r["inputs"]["weight_dtype"], r["id"])):
        out.append(f"| {r['id']} | {r['inputs']['weight_dtype']} | {r['inputs']['gpu']} | "
                   f"{_gemm_fraction(r):.0%} |")
    trt_gemm = engines.lookup("trt-llm").raw["gemm_efficiency"]["mid"]
    out += ["", "Confirmed: dense FP8 models on Hopper turn 14-53% of the FP8 peak into GEMM work at saturation "
            f"(attention, KV reads and overheads take the rest; the fit puts TensorRT-LLM's GEMMs at {trt_gemm:.2f} "
            "x the measured FP8 matmul ceiling of 0.709). Dense NVFP4 on B200 reaches only 15-25% of the FP4 peak, "
            "about 2.5x an H200's FP8 rate, not the datasheet's 4.5x; MoE models far less. We over-predict the "
            "dense B200 NVFP4 cases (table above): with no FP4 matmul measurement the FP4 ceiling is assumed equal "
            "to FP8's, and no calibration case was a dense FP4 model.", ""]
    pairs = [("vllm-gptoss20b-h100-itl-intercept", "vllm-llama31-8b-h100-bf16-itl-intercept"),
             ("vllm-gptoss20b-b200-bf16kv-itl-intercept", "vllm-llama31-8b-b200-bf16-itl-intercept")]
    out += ["**5. MoE at batch 1 pays per MoE layer; B200 exposes fixed costs.** vLLM, intercepts of the ITL "
            "fit (empty context):", "", "| MoE case | ms | bytes-only ms | dense case | ms | bytes-only ms | "
            "extra fixed ms per MoE layer |", "|---|---|---|---|---|---|---|"]
    fixed = {r["id"]: (ms, stream) for r, ms, stream in fc}
    for moe, dense in pairs:
        if moe in fixed and dense in fixed:
            layers = _model(by_id[moe]["inputs"])[0].moe_layer_count
            extra = (fixed[moe][0] - fixed[dense][0]) / layers * 1e3
            out.append(f"| {moe} | {_measured_step(by_id[moe]) * 1e3:.2f} | {fixed[moe][1]:.2f} | {dense} | "
                       f"{_measured_step(by_id[dense]) * 1e3:.2f} | {fixed[dense][1]:.2f} | {extra:.0f} us |")
    out += ["", "Confirmed: gpt-oss-20b reads a quarter of Llama-3.1-8B's bytes per token yet decodes only 1.25x "
            "(B200) to 1.6x (H100) faster: 35-57 us per MoE layer per step beyond the dense model's fixed cost "
            "(the fit's 40 us stayed at its prior). gpt-fast's compiled Mixtral runs 26-54% slower than our "
            "estimate at 1-4 GPUs (holdout batch 2): its MoE dispatch is not free either. On B200 the dense fixed "
            "cost (1.76 ms) exceeds H100's (1.46 ms) and is 45% of Llama-3.1-8B's step.", ""]
    nim = by_id.get("nim-llama33-70b-h100x2-fp8-500-2000-c1-ttft")
    if nim:
        inp = nim["inputs"]
        shape, params = _model(inp)
        g, w, e = gpus.lookup(inp["gpu"]), _weights(inp["weight_dtype"], shape), engines.lookup("trt-llm")
        pre = speed.prefill(shape, params, g, w, inp["prompt_tokens"], inp["gpu_count"], e).seconds.mid
        dec = speed.decode_step(shape, params, g, w, inp["prompt_tokens"], 1, inp["gpu_count"],
                                kv_format(inp["kv_dtype"]), e).seconds.mid
        meas = nim["target"]["value"]
        out += ["**6. TTFT is published as the prefill alone.** NVIDIA NIM, Llama-3.3-70B FP8 on 2 x H100, 500-token "
                f"prompt: published {meas * 1e3:.2f} ms; prefill only {pre * 1e3:.1f} ms ({pre / meas - 1:+.0%}); "
                f"prefill + one decode step (the old definition) {(pre + dec) * 1e3:.1f} ms "
                f"({(pre + dec) / meas - 1:+.0%}). Confirmed: speed_estimate now reports the prefill pass (plus the "
                "engine's step cost) as TTFT and says so.", ""]
    return out
