"""JSON Schema pieces shared by the tool declarations: model inputs, dtypes, counts.

Each tool has two schemas: the one sent to Claude / MCP clients (short: shared parts are spelled out once
and pointed to elsewhere) and the one every call is validated against (always complete).
"""

from __future__ import annotations

from .model.formats import KV_FORMATS, WEIGHT_FORMATS
from .model.resolve import model_properties
from .units import GiB

COUNT = {"type": "integer", "minimum": 1}
# One default context for the inference tools (memory_estimate, hardware_fit, speed_estimate): a question
# without a context gets the same answer from each. Training's sequence length (default 4096) is another input.
DEFAULT_CONTEXT_TOKENS = 8192
DEFAULT_CONTEXT_NOTE = (f"context_tokens not given: {DEFAULT_CONTEXT_TOKENS:,} assumed (the default of memory, fit "
                        "and speed)")
CONTEXT = {"type": "integer", "minimum": 1, "description": "Tokens per sequence (prompt + output)."}


def defaults_note(inp: dict, checkpoint: bool) -> list[str]:
    """The weight, KV and batch defaults an inference tool applied, said once (a read checkpoint's own weight
    format is stated where it is inferred, so not here)."""
    used = {"weight_dtype": "bf16" if not checkpoint else None, "kv_dtype": "bf16", "batch_size": "1"}
    given = [f"{k} {v}" for k, v in used.items() if v is not None and k not in inp]
    return [f"not given, so the defaults: {', '.join(given)}"] if given else []

BATCH = {"type": "integer", "minimum": 1, "description": "Concurrent sequences (default 1)."}
KV_DTYPE = {"enum": list(KV_FORMATS), "description": "KV cache dtype (default bf16)."}
WEIGHT_DTYPE = {"enum": sorted(WEIGHT_FORMATS),
                "description": "Weight format (default: a read checkpoint's own, else bf16)."}

# Sent in place of the full enums by every tool but the one that lists them (memory_estimate).
_BRIEF = {
    id(KV_DTYPE): {"type": "string", "description": "As in memory_estimate."},
    id(WEIGHT_DTYPE): {"type": "string", "description": "As in memory_estimate."},
}

# Per-GPU runtime overhead (CUDA context, workspaces, allocator slack): an input of memory_estimate, and a
# validated-but-unadvertised one of the fit, speed and training tools. Each tool's default differs, so each
# says its own (the CLI's --help; the hidden ones are never sent to Claude).
OVERHEAD_GIB = {"type": "number", "minimum": 0, "description": "Runtime overhead per GPU (default 1)."}
_TP_BUFFERS = "+ 1.79 GiB of all-reduce buffers with tensor parallelism"
FIT_OVERHEAD = {"overhead_gib": {**OVERHEAD_GIB, "description": (
    f"Runtime overhead per GPU, in GiB (default 1 {_TP_BUFFERS}).")}}
SPEED_OVERHEAD = {"overhead_gib": {**OVERHEAD_GIB, "description": (
    f"Runtime overhead per GPU in the fits check, in GiB (default 1 {_TP_BUFFERS}); the engine's KV pool keeps "
    "the engine's own measured overhead.")}}
TRAINING_OVERHEAD = {"overhead_gib": {**OVERHEAD_GIB, "description": (
    "Replaces the default allowance per GPU beyond the tensors, in GiB: CUDA context 0.27-1.31 GiB + allocator "
    "slack 0-12% of allocated + NCCL buffers 1-2.5 GiB with more than one GPU.")}}


def overhead_bytes(inp: dict) -> int | None:
    """overhead_gib as bytes, or None when not given (each tool then applies its stated default)."""
    return int(inp["overhead_gib"] * GiB) if "overhead_gib" in inp else None


def sent_schema(props: dict, required: tuple[str, ...] = (), *, documented: bool = False,
                spell_out_dtypes: bool = False) -> dict:
    """The schema Claude and MCP clients see for a model-taking tool."""
    if not spell_out_dtypes:
        props = {k: _BRIEF.get(id(v), v) for k, v in props.items()}
    s = {"type": "object", "properties": {**model_properties(False, documented), **props},
         "additionalProperties": False}
    if required:
        s["required"] = list(required)
    return s


def validation_schema(props: dict, required: tuple[str, ...] = ()) -> dict:
    """The complete schema every call of a model-taking tool is validated against."""
    s = {"type": "object", "properties": {**model_properties(True), **props}, "additionalProperties": False}
    if required:
        s["required"] = list(required)
    return s
