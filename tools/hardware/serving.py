"""Serving under continuous batching: how many tokens of KV an engine can hold, how many requests it runs at
once, and the output throughput and latencies that follow.

Steady state with `concurrency` requests of `prompt` tokens in and `output` tokens out: every step decodes one
token of each running request (mean KV length prompt + output/2) and, since a request finishes every
output/concurrency steps on average, the engine must also prefill p = concurrency x prompt / output prompt tokens
per step. Prompts arrive whole: an engine processes one in chunks of at most its step token budget
(vLLM max_num_batched_tokens, SGLang chunked_prefill_size, TensorRT-LLM max_num_tokens), u = min(prompt, budget)
tokens per step. If p >= u, every step carries ~p prompt tokens in the same GEMMs as the decode tokens. If p < u
(long prompts, few requests), only a fraction f = p / u of the steps carries a chunk of u tokens; those steps are
compute-bound and the others are pure decode steps, so the prompt work cannot hide under memory-bound decode steps:
    mean step = (1 - f) x decode step + f x (decode + u-token chunk) step.
Then
    output tokens/s = concurrency / mean step,   time per output token = mean step (it includes the stalls that
    other requests' prefills cause, as benchmark TPOT does; median ITL does not),
    request latency = output x mean step (a static batch of `concurrency` prompts gives the same total work).
The offline ("saturated") concurrency is the smaller of the engine's cap and what its KV pool holds when each
request reserves prompt + output tokens.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from ..model.formats import KVFormat, WeightFormat
from ..model.params import ParamCount
from ..model.shape import ModelShape
from . import engines as eng
from . import vllm_profile
from .engines import Band, Engine
from .fit import activation_bytes_per_gpu, kv_bytes_per_sequence_per_gpu, weight_bytes_per_gpu
from .gpus import GPU
from .speed import StepEstimate, band_info, banded, mixed_step

# What an engine's start-up profile run pushes through the model (tokens in one forward pass): vLLM's
# max_num_batched_tokens and SGLang's/TensorRT-LLM's max prefill tokens default to 8,192 (assumption, stated).
PROFILE_TOKENS = 8192


@dataclass(frozen=True)
class KVCapacity:
    weights_per_gpu: int
    activations_per_gpu: int
    runtime_overhead_per_gpu: int
    pool_per_gpu: int
    bytes_per_token_per_gpu: int
    tokens: int  # tokens of KV the pool holds (for the whole tensor-parallel group: KV shards by head)
    notes: tuple[str, ...] = ()  # how the engine's start-up profile was sized (vLLM)

    def as_dict(self) -> dict:
        return {"weights_per_gpu_bytes": self.weights_per_gpu, "activations_per_gpu_bytes": self.activations_per_gpu,
                "runtime_overhead_per_gpu_bytes": self.runtime_overhead_per_gpu,
                "kv_pool_per_gpu_bytes": self.pool_per_gpu, "kv_bytes_per_token_per_gpu": self.bytes_per_token_per_gpu,
                "kv_capacity_tokens": self.tokens}


def kv_capacity(shape: ModelShape, params: ParamCount, gpu: GPU, wfmt: WeightFormat, kvfmt: KVFormat, tp: int,
                engine: Engine, fraction: float | None = None, version: str | None = None,
                max_model_len: int | None = None) -> KVCapacity:
    """`version` and `max_model_len` shape vLLM's start-up profile (tools/hardware/vllm_profile.py); other engines
    reserve activations for PROFILE_TOKENS tokens and their profile's fixed runtime overhead."""
    weights, _ = weight_bytes_per_gpu(params, shape, wfmt, tp)
    if engine.id == "vllm":
        prof = vllm_profile.profile(shape, gpu, tp, version, max_model_len)
        acts, runtime, notes = prof.activations_per_gpu, prof.non_torch_per_gpu, prof.notes
    else:
        acts, runtime, notes = activation_bytes_per_gpu(shape, PROFILE_TOKENS, 1, tp), None, ()
    runtime = engine.runtime_overhead_bytes(tp) if runtime is None else runtime
    pool = eng.kv_pool_bytes(engine, gpu.usable_bytes, weights, acts, tp, fraction, runtime)
    # Bytes per token of a fresh sequence (every layer, sliding windows not yet full): the conservative figure.
    per_token = max(1, kv_bytes_per_sequence_per_gpu(shape, kvfmt, 1, tp))
    return KVCapacity(weights, acts, runtime, pool, per_token, pool // per_token, notes)


def max_concurrency(cap: KVCapacity, shape: ModelShape, kvfmt: KVFormat, prompt: int, output: int, tp: int,
                    engine: Engine) -> tuple[int, str]:
    """(requests the engine runs at once, what limits it: "kv_pool" or "engine_cap")."""
    per_request = kv_bytes_per_sequence_per_gpu(shape, kvfmt, prompt + output, tp)
    by_kv = cap.pool_per_gpu // per_request if per_request else engine.memory.max_concurrency
    limit = engine.memory.max_concurrency
    return (int(by_kv), "kv_pool") if by_kv < limit else (limit, "engine_cap")


@dataclass(frozen=True)
class Serving:
    concurrency: int
    limited_by: str  # "requested", "kv_pool" or "engine_cap"
    step: StepEstimate

    @property
    def output_tokens_per_s(self) -> Band:
        s = self.step.seconds
        return Band(self.concurrency / s.high, self.concurrency / s.mid, self.concurrency / s.low)

    def request_latency_s(self, output: int) -> Band:
        return self.step.seconds.scale(output)

    def as_dict(self, output: int) -> dict:
        return {"concurrency": self.concurrency, "limited_by": self.limited_by,
                "output_tokens_per_s_total": self.output_tokens_per_s.as_dict(),
                "time_per_output_token_ms": self.step.seconds.scale(1e3).as_dict(),
                "request_latency_s": self.request_latency_s(output).as_dict(), "bound": self.step.bound,
                "calibrated": self.step.factors.calibrated, "band": band_info(self.step)}


def _mean(a: Band, b: Band, f: float) -> Band:
    return Band(*((1 - f) * getattr(a, k) + f * getattr(b, k) for k in ("low", "mid", "high")))


def serve(shape: ModelShape, params: ParamCount, gpu: GPU, wfmt: WeightFormat, kvfmt: KVFormat, *, prompt: int,
          output: int, concurrency: int, limited_by: str, tp: int, engine: Engine) -> Serving:
    b = max(1, concurrency)
    per_step = b * prompt / max(output, 1)  # prompt tokens to prefill per decode step, on average
    unit = min(prompt, engine.step_token_budget or prompt)  # prompt tokens one step carries when it prefills
    kw = dict(decode_batch=b, context=prompt + math.ceil(output / 2), prefill_context=prompt, gpus=tp,
              kv_fmt=kvfmt, engine=engine)
    if per_step >= unit:
        step = mixed_step(shape, params, gpu, wfmt, prefill_tokens=per_step, **kw)
        return Serving(b, limited_by, banded(step, "serving"))
    f = per_step / unit
    dec = mixed_step(shape, params, gpu, wfmt, prefill_tokens=0, **kw)
    mix = mixed_step(shape, params, gpu, wfmt, prefill_tokens=unit, **kw)
    mean = _mean(dec.seconds, mix.seconds, f)
    # Report the bound of whichever kind of step takes more of the time.
    bound = mix.bound if f * mix.seconds.mid > (1 - f) * dec.seconds.mid else dec.bound
    # An uncalibrated step (e.g. a compute-bound chunk on a device without a measured matmul ceiling) makes the
    # mean uncalibrated too; its widened band is already in the mean.
    factors = mix.factors if not mix.factors.calibrated else dec.factors
    step = replace(dec, seconds=mean, comm_seconds=_mean(dec.comm_seconds, mix.comm_seconds, f),
                   overhead_seconds=_mean(dec.overhead_seconds, mix.overhead_seconds, f), bound=bound,
                   factors=factors, roofline=dec.roofline.mean(mix.roofline, f))
    return Serving(b, limited_by, banded(step, "serving"))

