"""How vLLM sizes its KV pool at start-up, by version: the memory its profile run reserves besides the weights.

    pool per GPU = gpu_memory_utilization x total - weights - peak activation of the profile run - non-torch memory

The profile run (V0 vllm/worker/model_runner.py `profile_run`, V1 vllm/v1/worker/gpu_model_runner.py `profile_run`)
pushes max_num_batched_tokens dummy tokens, split into max_num_seqs sequences, through one forward pass, then runs
the sampler on the last token of every sequence with top-k/top-p switched on (V0: SamplingParams(top_p=0.99,
top_k=vocab-1); V1: `_dummy_sampler_run`). The forward's activations are freed before the sampler runs, so the peak
is the larger of the two:
- forward: the widest transient of one layer over the profile tokens (tools/model/memory.activation_peak);
- sampler: max_num_seqs x vocab entries held at several precisions at once: fp32 logits, the sort's fp32 values and
  int64 indices, the softmax and cumulative sum of the sorted probabilities, the scattered-back logits, the final
  probabilities and the exponential noise of the random sample. SAMPLER_BYTES below is that peak per entry.

Defaults that set the profile (max_model_len defaults to the model's context window):
- V0 max_num_batched_tokens (vllm/config.py SchedulerConfig.__post_init__, 0.6.x): max(max_model_len, 2048)
  without chunked prefill, 2048 with it; V0 turns chunked prefill on when max_model_len > 32768
  (engine/arg_utils.py `_set_default_args_v0`); max_num_seqs 256.
- V1 (the default engine from v0.8.0; engine/arg_utils.py `get_batch_defaults`, API server): 8192 tokens and 1024
  sequences on a GPU with >= 70 GiB that is not an A100, else 2048 tokens and 256 sequences.

Non-torch memory is what vLLM counts outside torch's allocations; how it is measured changed three times:
- V0 up to 0.6.4, and V1 before 0.9.2: device memory in use after the profile (minus torch's allocations, from
  0.6.4), so the CUDA context counts: the lazy-loading context, 287,047,680 B (PyTorch PR #86509; the figure
  tools/training/memory.py uses), plus the workspaces a baseline-era log shows (0.16 GiB below) = 0.43 GiB.
- V0 0.6.5-0.6.6 (PR #10511 until PR #11809): the increase over a baseline taken after the CUDA context, measured
  against torch's allocated bytes, so partly used cached blocks count too. PR #10511's own log (H100,
  Llama-3-8B): 1.79 GiB at TP1, 3.58 GiB at TP2 (the engine profile's runtime_overhead_gib / tp_overhead_gib).
- V0 from 0.7.0 (PR #11809 measures against torch's reserved bytes) and V1 from 0.9.2 (PR #19312 reuses V0's
  memory_profiling): the increase over that baseline only. PR #12126's log (H100, 0.7 development): 0.16 GiB at
  TP1; llm-d's H100 logs (llm-d/llm-d-benchmark config_explorer/empirical-vllm-memory-results.md): 0.13 GiB at
  TP1, 0.55 GiB at TP2, so +0.42 GiB once tp > 1.
With tensor parallelism the eras before 0.7.0 add PR #10511's TP2 increment (1.79 GiB: NCCL and custom all-reduce
buffers of that time).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import InvalidInput
from ..model.shape import ModelShape
from ..units import GiB
from .fit import activation_bytes_per_gpu
from .gpus import GPU

# Peak bytes per (sequence x vocab entry) of the sampler's profile run: vLLM PR #10511's H100 log (a calibration
# case, prior_use) has a 1.26 GiB activation peak for Llama-3-8B with V0's 256 sequences x 128,256 vocab entries,
# where the forward over its 8,192 tokens needs only ~0.8 GiB: 1.26 x 2^30 / (256 x 128,256) = 41.2 B. llm-d's V1
# logs on H100 (1024 sequences; not in our validation set) give 38.5-38.9 B for three vocabularies (Llama-3.1-8B
# 4.76 GiB, Qwen3-0.6B 5.56 GiB, gpt-oss-20b 7.38 GiB): the same term, within 7%.
SAMPLER_BYTES = 1.26 * GiB / (256 * 128_256)

V1_FROM = (0, 8, 0)  # VLLM_USE_V1 on by default (v0.8.0 release notes)
ALLOCATED_BASELINE_V0 = ((0, 6, 5), (0, 7, 0))  # PR #10511 (merged 2024-12-16) until PR #11809 (in 0.7.0)
BASELINE_V0_FROM = (0, 7, 0)  # PR #11809 (January 2025), first released in v0.7.0
BASELINE_V1_FROM = (0, 9, 2)  # PR #19312 (opened 2025-06-07): first release 0.9.2, assumed from the dates
LATEST = "latest"

CUDA_CONTEXT = 287_047_680  # PyTorch PR #86509, lazy module loading
TP_BEFORE_0_7 = int(1.79 * GiB)  # PR #10511 log: 3.58 GiB at TP2 - 1.79 GiB at TP1
BASELINE_NON_TORCH = (int(0.16 * GiB), int(0.42 * GiB))  # (TP1, added once tp > 1): PR #12126 log; llm-d TP2 - TP1
ALLOCATED_NON_TORCH = (int(1.79 * GiB), TP_BEFORE_0_7)  # PR #10511 log
IN_USE_NON_TORCH = (CUDA_CONTEXT + BASELINE_NON_TORCH[0], TP_BEFORE_0_7)


@dataclass(frozen=True)
class Profile:
    version: str  # as given, or "latest"
    v1: bool
    tokens: int  # max_num_batched_tokens of the profile run
    sequences: int  # max_num_seqs sampled at once
    activations_per_gpu: int  # max(forward, sampler)
    non_torch_per_gpu: int
    notes: tuple[str, ...]


def parse_version(text: str | None) -> tuple[int, int, int] | None:
    """'0.6.4', 'v0.8.5.post1', '0.7' -> (0, 6, 4) ...; None or 'latest' -> None (the newest behaviour)."""
    if text is None or text.strip().lower() == LATEST:
        return None
    m = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.(\d+))?(?:[.+-].*)?", text.strip())
    if not m:
        raise InvalidInput(f"engine_version {text!r} is not a version number", field="engine_version",
                           allowed="a vLLM release such as 0.6.4 or 0.8.5, or 'latest'")
    return int(m[1]), int(m[2]), int(m[3] or 0)


def _large_gpu(gpu: GPU) -> bool:
    # get_batch_defaults: device_memory >= 70 GiB and "a100" not in the device name
    return gpu.usable_bytes >= 70 * GiB and "a100" not in gpu.id


def profile(shape: ModelShape, gpu: GPU, tp: int, version: str | None = None,
            max_model_len: int | None = None) -> Profile:
    v = parse_version(version)
    v1 = v is None or v >= V1_FROM
    mml = max_model_len or shape.context_limit or 8192
    notes = []
    if v1:
        big = _large_gpu(gpu)
        tokens, seqs = (8192, 1024) if big else (2048, 256)
        notes.append(f"vLLM V1 profile: {tokens:,} tokens, {seqs:,} sequences sampled (API-server defaults for "
                     f"{'a >= 70 GiB GPU other than A100' if big else 'this GPU'})")
    else:
        chunked = mml > 32768
        tokens, seqs = (2048 if chunked else max(mml, 2048)), 256
        notes.append(f"vLLM V0 profile: {tokens:,} tokens ("
                     + ("chunked prefill, on by default above 32,768 max_model_len" if chunked
                        else f"max(max_model_len {mml:,}, 2048) without chunked prefill") + "), 256 sequences")
    forward = activation_bytes_per_gpu(shape, tokens, 1, tp)
    sampler = int(SAMPLER_BYTES * seqs * shape.vocab_size)
    if v is None or v >= (BASELINE_V1_FROM if v1 else BASELINE_V0_FROM):
        (one, extra), how = BASELINE_NON_TORCH, ("increase over a baseline taken after the CUDA context (vLLM V0 >= "
                                                 "0.7, V1 >= 0.9.2)")
    elif not v1 and ALLOCATED_BASELINE_V0[0] <= v < ALLOCATED_BASELINE_V0[1]:
        (one, extra), how = ALLOCATED_NON_TORCH, ("increase over the baseline against torch's allocated bytes (vLLM "
                                                  "0.6.5-0.6.6)")
    else:
        (one, extra), how = IN_USE_NON_TORCH, "device memory in use, CUDA context included (V0 <= 0.6.4, V1 < 0.9.2)"
    non_torch = one + (extra if tp > 1 else 0)
    notes.append(f"non-torch memory {non_torch / GiB:.2f} GiB per GPU: {how}")
    return Profile(version or LATEST, v1, tokens, seqs, max(forward, sampler), non_torch, tuple(notes))
