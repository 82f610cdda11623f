"""What a checkpoint stores, from its tensor headers: bytes per dtype, the weight format, and the parts that are
not the decoder. Pure: plugin/hub reads the bytes (safetensors headers, GGUF headers) and hands them here.

Conventions (stated in results):
- Weights = the bytes the checkpoint stores for the decoder: every tensor's data_offsets span (safetensors)
  or its GGUF block bytes, quantisation scales, zero points and group indices included. Parameter counts
  still come from the config (scales are not parameters).
- Tensors beyond the decoder are reported apart and not counted: multi-token-prediction (MTP) layers, vision
  towers and projectors, audio encoders, and buffers such as llama.cpp's rope_freqs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from .. import jsonsafe
from ..errors import UnsupportedConfig
from ..units import GB, GiB
from .formats import StoredWeights, WeightFormat, weight_format

# Bits per element of every safetensors dtype (safetensors/src/tensor.rs, `Dtype::bitsize`).
SAFETENSORS_DTYPE_BITS = {
    "BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8, "I16": 16, "U16": 16, "F16": 16,
    "BF16": 16, "I32": 32, "U32": 32, "F32": 32, "F64": 64, "I64": 64, "U64": 64, "F4": 4, "F6_E2M3": 6,
    "F6_E3M2": 6,
}
# Real headers are tens to hundreds of kB (a DeepSeek-V3 shard ~130 kB); the safetensors library allows
# 100 MB. Ours is lower because we read headers over the network.
MAX_HEADER_BYTES = 16 * 2**20
MAX_INDEX_BYTES = 64 * 2**20  # model.safetensors.index.json: a weight_map of ~100k tensors is ~10 MB
MAX_SHARDS = 2000


@dataclass(frozen=True)
class TensorRecord:
    name: str
    dtype: str  # safetensors dtype ("BF16") or GGML type ("Q4_K")
    shape: tuple[int, ...]
    nbytes: int  # bytes stored
    file: str = ""

    @property
    def elements(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n


def _corrupt(file: str, why: str) -> UnsupportedConfig:
    return UnsupportedConfig(f"safetensors header of {file or 'the file'} is not valid: {why}", field="model")


def safetensors_header_length(first8: bytes, file: str = "") -> int:
    """The length of the JSON header, from the file's first 8 bytes (little-endian u64)."""
    if len(first8) != 8:
        raise _corrupt(file, f"file shorter than 8 bytes ({len(first8)})")
    n = int.from_bytes(first8, "little")
    if n < 2:
        raise _corrupt(file, f"header length {n}")
    if n > MAX_HEADER_BYTES:
        raise UnsupportedConfig(f"safetensors header of {file or 'the file'} is {n:,} bytes; at most "
                                f"{MAX_HEADER_BYTES:,} are read", field="model")
    return n


def parse_safetensors_header(data: bytes, file: str = "", file_size: int | None = None) -> tuple[TensorRecord, ...]:
    """Tensor records from a header's JSON bytes. Stored bytes are the data_offsets span, checked against
    shape x dtype where the dtype is known, and against the file size when given."""
    header = jsonsafe.loads(data, what=f"safetensors header of {file or 'the file'}")
    if not isinstance(header, dict):
        raise _corrupt(file, "not a JSON object")
    out, end_max = [], 0
    for name, t in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(t, dict) or not isinstance(t.get("dtype"), str):
            raise _corrupt(file, f"tensor {name!r} has no dtype")
        shape, offs = t.get("shape"), t.get("data_offsets")
        if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0
                                                  for d in shape):
            raise _corrupt(file, f"tensor {name!r} has an invalid shape {shape!r}")
        if not (isinstance(offs, list) and len(offs) == 2 and all(isinstance(o, int) and not isinstance(o, bool)
                                                                   for o in offs) and 0 <= offs[0] <= offs[1]):
            raise _corrupt(file, f"tensor {name!r} has invalid data_offsets {offs!r}")
        rec = TensorRecord(name, t["dtype"], tuple(shape), offs[1] - offs[0], file)
        bits = SAFETENSORS_DTYPE_BITS.get(rec.dtype)
        if bits is not None and rec.nbytes != -(-rec.elements * bits // 8):
            raise _corrupt(file, f"tensor {name!r}: {rec.nbytes:,} bytes for shape {list(shape)} of {rec.dtype}")
        end_max = max(end_max, offs[1])
        out.append(rec)
    if file_size is not None and 8 + len(data) + end_max > file_size:
        raise _corrupt(file, f"tensors end at byte {8 + len(data) + end_max:,} but the file has {file_size:,}")
    return tuple(out)


def parse_safetensors_index(data: bytes, what: str = "model.safetensors.index.json") -> tuple[str, ...]:
    """The shard files named by an index's weight_map, in order, each once."""
    index = jsonsafe.loads(data, what=what)
    wm = index.get("weight_map") if isinstance(index, dict) else None
    if not isinstance(wm, dict) or not wm:
        raise UnsupportedConfig(f"{what} has no weight_map", field="model")
    files = list(dict.fromkeys(wm.values()))
    for f in files:
        if not isinstance(f, str) or not f.endswith(".safetensors") or f.startswith("/") or ".." in f.split("/"):
            raise UnsupportedConfig(f"{what} names an invalid shard {f!r}", field="model")
    if len(files) > MAX_SHARDS:
        raise UnsupportedConfig(f"{what} names {len(files):,} shards; at most {MAX_SHARDS:,} are read", field="model")
    return tuple(files)


@dataclass(frozen=True)
class Checkpoint:
    """What plugin/hub read for one model reference: config and tensor headers, and where they came from."""

    label: str  # the name results show, e.g. "Qwen/Qwen3-8B-FP8" or "./my-finetune"
    source: str  # e.g. "Hugging Face Hub, revision main (commit 1a2b3c4): config.json + 2 safetensors headers"
    container: str | None  # "safetensors", "gguf", or None when only a config.json was found
    files: tuple[str, ...] = ()
    config: dict | None = None  # config.json (safetensors checkpoints)
    gguf_metadata: dict | None = None
    tensors: tuple[TensorRecord, ...] = ()
    notes: tuple[str, ...] = ()  # e.g. "Hub unreachable: answered from the cache"


# -- which part of the model a tensor belongs to ------------------------------------------------------------

_QUANT_META = {"weight_scale", "weight_scale_inv", "input_scale", "output_scale", "scales", "qzeros", "g_idx",
               "weight_zero_point", "weight_g_idx", "weight_shape", "weight_global_scale", "input_global_scale",
               "absmax", "quant_map", "nested_absmax", "nested_quant_map", "SCB", "k_scale", "v_scale", "q_scale",
               "prob_scale"}
_EMBED = re.compile(r"(^|\.)(embed_tokens|wte|wpe|word_embeddings|embed_in|tok_embeddings|token_embd|position_embd)"
                    r"\.")
_LAYER = re.compile(r"(?:^|\.)(?:layers|h|blocks|blk|layer)\.(\d+)\.")
# One search per tensor (DeepSeek-V3 has 91k): a name segment that marks a part beyond the decoder.
_EXTRA = re.compile(r"(?:^|\.)(?:(?P<vision>vision[^.]*|visual|multi_modal_projector|mm_projector|embed_vision|"
                    r"image_newline|vpm|resampler|patch_merger)|(?P<audio>audio[^.]*|embed_audio|speech_encoder|"
                    r"sound_encoder|whisper_encoder)|(?P<mtp>mtp|mtp_[^.]*|nextn[^.]*))(?:\.|$)")
_BUFFERS = {"rope_freqs.weight", "rope_factors_long.weight", "rope_factors_short.weight"}

# Whether serving engines load each extra part (what the result tells the user).
EXTRA_LOADED = {
    "mtp": "not loaded for plain decoding; loaded only when MTP speculative decoding is turned on "
           "(e.g. vLLM --speculative-config with method mtp)",
    "vision": "loaded when the model is served as multimodal (transformers *ForConditionalGeneration, vLLM "
              "by default); not needed for text-only use",
    "audio": "loaded when the model is served with audio input; not needed for text-only use",
    "buffer": "not a parameter: a precomputed table (e.g. llama.cpp rope_freqs), kilobytes",
}


def component_of(name: str, num_layers: int) -> str:
    """'decoder', 'mtp', 'vision', 'audio' or 'buffer'."""
    m = _EXTRA.search(name)
    if m:  # vision before audio before MTP, whichever segment comes first
        return "vision" if m.group("vision") else "audio" if m.group("audio") else "mtp"
    if name in _BUFFERS or name.endswith(("rotary_emb.inv_freq", ".attn.bias", ".attn.masked_bias")):
        return "buffer"  # old GPT-2 / Llama exports saved the causal mask and rotary table
    m = _LAYER.search(name)
    if m and int(m.group(1)) >= num_layers:  # DeepSeek-V3 / GLM-4.5: the MTP layer follows the last decoder layer
        return "mtp"
    return "decoder"


def is_quant_metadata(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return last in _QUANT_META or last.endswith("_scales") or ".quant_state." in name


def part_of(name: str) -> str:
    """'embeddings', 'lm_head', 'routed_experts' or 'other' (for a decoder tensor)."""
    segs = name.split(".")
    if _EMBED.search(name):
        return "embeddings"
    if "lm_head" in segs or name in ("embed_out.weight", "output.weight"):
        return "lm_head"
    if ".experts." in name or any(s.endswith("_exps") for s in segs):
        return "routed_experts"
    return "other"


# -- the summary -------------------------------------------------------------------------------------------

# Dtypes whose element count is the parameter count (no packing): the check against the config applies.
_LOGICAL = {"F16", "BF16", "F32", "F64", "F8_E4M3", "F8_E5M2", "I8"}


@dataclass(frozen=True)
class DtypeBytes:
    dtype: str
    tensors: int
    bytes: int


@dataclass(frozen=True)
class ExtraPart:
    kind: str  # mtp | vision | audio | buffer
    tensors: int
    bytes: int


@dataclass(frozen=True)
class CheckpointSummary:
    container: str  # "safetensors" or "gguf"
    files: tuple[str, ...]
    stored: StoredWeights  # the decoder
    decoder_tensors: int
    decoder_elements: int | None  # None: packed dtypes, elements are not parameters
    quant_metadata_bytes: int  # scales, zero points, group indices (inside stored.total)
    by_dtype: tuple[DtypeBytes, ...]  # the decoder, largest first
    extras: tuple[ExtraPart, ...]
    format: str  # e.g. "fp8", "gptq", "q4_k_m", "bf16"
    format_detail: str  # what it is and where that was read
    weight_only: bool  # dequantised in the kernel, 16-bit math

    @property
    def total_bytes(self) -> int:
        return self.stored.total + sum(x.bytes for x in self.extras)

    def weight_format(self, params_total: int) -> WeightFormat:
        """The checkpoint as a WeightFormat: exact bytes; bits/weight is their average over the parameters."""
        bits = Fraction(self.stored.total * 8, params_total) if params_total else Fraction(0)
        return WeightFormat(self.format, bits, f"checkpoint headers: {self.decoder_tensors:,} decoder tensors in "
                            f"{len(self.files)} file(s), exact stored bytes", self.format_detail,
                            stored=self.stored, weight_only=self.weight_only)

    def to_dict(self) -> dict:
        out = {"container": self.container, "files": len(self.files), "format": self.format,
               "format_detail": self.format_detail, "weights_bytes": self.stored.total,
               "weights_by_dtype": [{"dtype": d.dtype, "tensors": d.tensors, "bytes": d.bytes}
                                    for d in self.by_dtype],
               "quant_metadata_bytes": self.quant_metadata_bytes,
               "embeddings_bytes": self.stored.embeddings, "lm_head_bytes": self.stored.lm_head}
        if self.stored.routed_experts:
            out["routed_experts_bytes"] = self.stored.routed_experts
        if self.extras:
            out["not_counted"] = [{"part": x.kind, "tensors": x.tensors, "bytes": x.bytes,
                                   "loaded": EXTRA_LOADED[x.kind]} for x in self.extras]
        return out


def summarize(container: str, files: tuple[str, ...], tensors: tuple[TensorRecord, ...], num_layers: int,
              fmt: Callable[[dict[str, int]], tuple[str, str, bool]]) -> CheckpointSummary:
    """Group stored bytes by part and dtype. `fmt` maps the decoder's bytes per dtype to (format, detail,
    weight_only) (tools/model/quant.py)."""
    parts = {"embeddings": 0, "lm_head": 0, "routed_experts": 0, "other": 0}
    dtypes: dict[str, list[int]] = {}
    extras: dict[str, list[int]] = {}
    meta = n_dec = 0
    elements: int | None = 0
    for t in tensors:
        comp = component_of(t.name, num_layers)
        if comp != "decoder":
            e = extras.setdefault(comp, [0, 0])
            e[0] += 1
            e[1] += t.nbytes
            continue
        n_dec += 1
        parts[part_of(t.name)] += t.nbytes
        d = dtypes.setdefault(t.dtype, [0, 0])
        d[0] += 1
        d[1] += t.nbytes
        if is_quant_metadata(t.name):
            meta += t.nbytes
        elif elements is not None:
            elements = elements + t.elements if container == "gguf" or t.dtype in _LOGICAL else None
    stored = StoredWeights(total=sum(parts.values()), embeddings=parts["embeddings"], lm_head=parts["lm_head"],
                           routed_experts=parts["routed_experts"])
    by_dtype = tuple(sorted((DtypeBytes(k, v[0], v[1]) for k, v in dtypes.items()), key=lambda d: -d.bytes))
    order = ("mtp", "vision", "audio", "buffer")
    return CheckpointSummary(container, files, stored, n_dec, elements, meta, by_dtype,
                             tuple(ExtraPart(k, *extras[k]) for k in order if k in extras),
                             *fmt({d.dtype: d.bytes for d in by_dtype}))


def _size(n: int) -> str:
    return f"{n:,} B = {n / GB:,.3f} GB = {n / GiB:,.3f} GiB"


def weights_for(checkpoint: CheckpointSummary | None, inp: dict,
                params_total: int) -> tuple[WeightFormat, list[str], list[str]]:
    """The weight format memory/fit/speed use, with (assumptions, warnings) to add to the result. Without
    weight_dtype a checkpoint's exact stored bytes are used; with it (or without a checkpoint) the format's
    estimate, as before."""
    cp = checkpoint
    if cp is None or "weight_dtype" in inp:
        fmt = weight_format(inp.get("weight_dtype", "bf16"))
        if cp is None:
            return fmt, [], []
        return fmt, [f"weight_dtype {fmt.name} given: weights estimated from that format's bits/weight; the "
                     f"checkpoint itself stores {_size(cp.stored.total)} as {cp.format} (leave weight_dtype out "
                     "to use those exact bytes)"], []
    a = [f"weights: exact bytes stored by the checkpoint ({cp.container} headers, {cp.decoder_tensors:,} decoder "
         f"tensors): {_size(cp.stored.total)}, " + ", ".join(f"{d.dtype} {d.bytes:,}" for d in cp.by_dtype)
         + (f"; of which quantisation scales/zeros {cp.quant_metadata_bytes:,} B" if cp.quant_metadata_bytes else ""),
         f"weight format inferred from the checkpoint: {cp.format} ({cp.format_detail}); give weight_dtype for "
         "another format's estimate"]
    if cp.extras:
        a.append("not counted: " + "; ".join(f"{x.kind} ({x.tensors} tensors, {x.bytes:,} B): {EXTRA_LOADED[x.kind]}"
                                             for x in cp.extras))
    if cp.container == "gguf" and cp.stored.embeddings and cp.stored.lm_head:  # tied: the GPU holds a copy as output
        a.append(f"llama.cpp keeps the input embedding table (token_embd, {cp.stored.embeddings:,} B) in CPU memory "
                 "even with every layer offloaded (src/llama-model.cpp: the input layer stays on the CPU), so GPU "
                 "memory needs that much less")
    warnings = []
    if cp.decoder_elements is not None and cp.decoder_elements != params_total:
        warnings.append(f"the checkpoint's decoder tensors hold {cp.decoder_elements:,} elements but the config "
                        f"gives {params_total:,} parameters: the config may not describe these weights exactly")
    return cp.weight_format(params_total), a, warnings


def checkpoint_report(cp: CheckpointSummary, params, estimate: Callable[[WeightFormat], WeightFormat] | None = None
                      ) -> dict:
    """The `checkpoint` block of memory/fit/speed/params results: stored bytes, and beside them what the
    format-name estimate would have said (the difference is what reading the headers buys). `estimate` refines
    a format for the model's shape (GGUF file types tensor by tensor: resolve.shaped_weight_format)."""
    from .formats import WEIGHT_ALIASES, WEIGHT_FORMATS
    from .memory import weight_bytes

    out = cp.to_dict()
    key = WEIGHT_ALIASES.get(cp.format, cp.format)
    if key in WEIGHT_FORMATS:
        fmt = WEIGHT_FORMATS[key] if estimate is None else estimate(WEIGHT_FORMATS[key])
        est = weight_bytes(params, fmt)[0]
        out["format_estimate_bytes"] = est
        out["format_estimate_error_pct"] = round((est - cp.stored.total) / cp.stored.total * 100, 2) \
            if cp.stored.total else None
    return out
