"""Evaluators for the inference categories of the validation set: each turns a record's `inputs` into one call
of a modelmath tool (the same code path as the CLI, Claude and MCP) and returns our low / mid / high for the
record's `target.quantity`, in the target's unit.

Quantities (target.unit in brackets):
  decode_tokens_per_s [tokens/s]   speed_estimate decode.tokens_per_s_per_stream at batch 1
  itl_s [s]                        speed_estimate decode.inter_token_latency_ms / 1000
  ttft_s [s]                       speed_estimate prefill.ttft_s (prompt_tokens)
  prefill_tokens_per_s [tokens/s]  speed_estimate prefill.tokens_per_s
  output_tokens_per_s [tokens/s]   speed_estimate serving: at_batch (inputs.concurrency) or saturated ("max")
  tpot_s, request_latency_s [s]    speed_estimate serving.at_batch
  kv_tokens [tokens]               speed_estimate engine_memory.kv_capacity_tokens
  kv_pool_bytes_per_gpu, runtime_overhead_bytes_per_gpu, weights_bytes_per_gpu [bytes]
                                   speed_estimate engine_memory.*
  peak_memory_bytes [bytes]        memory_estimate total_bytes (runtime overhead 0: allocator peaks exclude the
                                   CUDA context), prefill in one chunk unless the engine chunks it
Every band is the one the tool reports (tools/bands.py: mid x calibration-error quantiles of the prediction kind
and coverage group); weights and runtime-overhead bytes, which no tool bands, take the inference-memory rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from modelmath.tools import bands
from modelmath.tools.registry import run_tool

# Engines our speed tool has profiles for; the others in the data run as "generic" (uncalibrated).
TOOL_ENGINES = {"vllm", "sglang", "trt-llm", "llama.cpp", "gpt-fast", "transformers", "mlx"}
# Prefill chunk the engine uses when it reports a peak-memory figure (activations of one chunk).
PREFILL_CHUNK = {"mlx": 2048}  # mlx-lm generate_step prefill_step_size default 2048 (assumption, stated)


@dataclass(frozen=True)
class Prediction:
    low: float
    mid: float
    high: float
    note: str = ""
    group: str = ""  # coverage group the band came from (tools/bands.py), "+pooled" when it borrowed a pooled set


class EvaluationError(Exception):
    """The calculators refused the case's inputs (a bug in the case or in the tools)."""


def _model_inputs(inp: dict) -> dict:
    return {k: inp[k] for k in ("model", "architecture", "hf_config") if k in inp}


def _call(tool: str, args: dict) -> dict:
    out = run_tool(tool, args)
    if out.is_error:
        raise EvaluationError(f"{tool}: {out.result['error']['message']}")
    return out.result


def engine_for(record: dict) -> str:
    return record["engine"] if record["engine"] in TOOL_ENGINES else "generic"


# A vLLM release number in a record's engine_version as published (vLLM's releases are 0.x; "ROCm 6.2" is not one).
_VLLM_RELEASE = re.compile(r"(?<![\d.])v?(0\.\d+(?:\.\d+)?)")


def _speed_args(record: dict, **extra) -> dict:
    inp = record["inputs"]
    args = {**_model_inputs(inp), "gpu": inp["gpu"], "gpu_count": inp.get("gpu_count", 1),
            "weight_dtype": inp["weight_dtype"], "kv_dtype": inp["kv_dtype"], "engine": engine_for(record)}
    if "memory_fraction" in inp:
        args["gpu_memory_fraction"] = inp["memory_fraction"]
    if args["engine"] == "vllm":  # vLLM's start-up profile (tools/hardware/vllm_profile.py)
        for key in ("engine_version", "max_model_len"):
            if key in inp:
                args[key] = inp[key]
        stated = _VLLM_RELEASE.search(record.get("engine_version") or "")
        if "engine_version" not in args and stated:  # a release the source prints ("0.6.3.post1", "v0.8.5")
            args["engine_version"] = stated.group(1)
    args.update(extra)
    return args


def group_of(band: dict) -> str:
    """A result's `band` block as one word: its coverage group, "+pooled" when it borrowed a pooled set."""
    return band["group"] + ("+pooled" if band["from"].startswith("pooled") else "")


def _band(d: dict, k: float = 1.0, note: str = "", band: dict | None = None) -> Prediction:
    return Prediction(d["low"] * k, d["mid"] * k, d["high"] * k, note, group_of(band) if band else "")


def _inverted(d: dict, k: float = 1.0, note: str = "", band: dict | None = None) -> Prediction:
    """A time band turned into a rate band (or back): low and high swap."""
    return Prediction(k / d["high"], k / d["mid"], k / d["low"], note, group_of(band) if band else "")


def _memory_rule(x: float) -> Prediction:
    r = bands.rule("inference_memory", "calibrated")
    return Prediction(*r.apply(x), "", group_of(r.describe("")))


def _uncal(section: dict) -> str:
    return "" if section.get("calibrated", True) else "uncalibrated"


def _decode(record: dict) -> Prediction:
    inp, q = record["inputs"], record["target"]["quantity"]
    res = _call("speed_estimate", _speed_args(record, context_tokens=inp["context_tokens"], batch_size=1))
    dec = res["decode"]
    itl = dec["inter_token_latency_ms"]
    if q == "itl_s":
        return _band(itl, 1e-3, _uncal(dec), dec["band"])
    if q == "decode_tokens_per_s":
        return _inverted(itl, 1e3, _uncal(dec), dec["band"])
    raise EvaluationError(f"quantity {q} is not a decode quantity")


def _prefill(record: dict) -> Prediction:
    inp, q = record["inputs"], record["target"]["quantity"]
    res = _call("speed_estimate", _speed_args(record, context_tokens=inp["prompt_tokens"],
                                              prompt_tokens=inp["prompt_tokens"]))
    pre = res["prefill"]
    if q == "ttft_s":
        return _band(pre["ttft_s"], 1.0, _uncal(pre), pre["band"])
    if q == "prefill_tokens_per_s":
        return _band(pre["tokens_per_s"], 1.0, _uncal(pre), pre["band"])
    raise EvaluationError(f"quantity {q} is not a prefill quantity")


def _serving(record: dict) -> Prediction:
    inp, q = record["inputs"], record["target"]["quantity"]
    extra = {"prompt_tokens": inp["prompt_tokens"], "output_tokens": inp["output_tokens"],
             "context_tokens": inp["prompt_tokens"] + inp["output_tokens"]}
    concurrency = inp.get("concurrency", "max")
    if concurrency != "max":
        extra["batch_size"] = concurrency
    res = _call("speed_estimate", _speed_args(record, **extra))
    s = res["serving"]["saturated" if concurrency == "max" else "at_batch"]
    note = " ".join(x for x in (_uncal(s), f"concurrency {s['concurrency']} ({s['limited_by']})") if x)
    if q == "output_tokens_per_s":
        return _band(s["output_tokens_per_s_total"], 1.0, note, s["band"])
    if q == "tpot_s":
        return _band(s["time_per_output_token_ms"], 1e-3, note, s["band"])
    if q == "request_latency_s":
        return _band(s["request_latency_s"], 1.0, note, s["band"])
    raise EvaluationError(f"quantity {q} is not a serving quantity")


_ENGINE_MEMORY = {"kv_tokens": "kv_capacity_tokens", "kv_pool_bytes_per_gpu": "kv_pool_per_gpu_bytes",
                  "runtime_overhead_bytes_per_gpu": "runtime_overhead_per_gpu_bytes",
                  "weights_bytes_per_gpu": "weights_per_gpu_bytes"}


def _memory(record: dict) -> Prediction:
    inp, q = record["inputs"], record["target"]["quantity"]
    if q in _ENGINE_MEMORY:
        res = _call("speed_estimate", _speed_args(record, context_tokens=inp.get("context_tokens", 1)))
        mem = res["engine_memory"]
        key = _ENGINE_MEMORY[q]
        if key in mem["band"]:  # KV pool and capacity: the tool's own band
            return _band(mem["band"][key], 1.0, "", mem["band"])
        return _memory_rule(mem[key])
    if q == "peak_memory_bytes":
        args = {**_model_inputs(inp), "weight_dtype": inp["weight_dtype"], "kv_dtype": inp["kv_dtype"],
                "context_tokens": inp["context_tokens"], "batch_size": inp.get("batch_size", 1), "overhead_gib": 0,
                "prefill_chunk_tokens": PREFILL_CHUNK.get(record["engine"], inp["context_tokens"])}
        res = _call("memory_estimate", args)
        return _band(res["total_band"], 1.0, "", res["band"])
    raise EvaluationError(f"quantity {q} is not a memory quantity")


def evaluate(record: dict) -> Prediction:
    q = record["target"]["quantity"]
    if q in ("decode_tokens_per_s", "itl_s"):
        return _decode(record)
    if q in ("ttft_s", "prefill_tokens_per_s"):
        return _prefill(record)
    if q in ("output_tokens_per_s", "tpot_s", "request_latency_s"):
        return _serving(record)
    return _memory(record)


# Category -> evaluator; run.py merges this with training_eval.EVALUATORS when that module exists.
EVALUATORS = {c: evaluate for c in ("decode_batch1", "serving_throughput", "ttft_prefill", "inference_memory",
                                    "kv_capacity")}
