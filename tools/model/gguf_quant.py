"""A GGUF file type's bytes for a model, tensor by tensor, as llama.cpp's quantizer lays it out.

A GGUF "q4_k_m" is not 4.9 bits on every weight: llama-quantize (src/llama-quant.cpp, ggml-org/llama.cpp at
commit 007dbbf3) picks a ggml type per tensor from its role, its layer and its row length:

- the base type of the file type (llama_ftype_get_default_type: Q4_K_M → Q4_K, Q5_K_M → Q5_K, …);
- output.weight (and token_embd.weight when tied, since it is the output) → Q6_K, or Q8_0 when its row length is
  not a multiple of the base type's block, or for Falcon (llama_tensor_get_type_impl);
- attn_v (and attn_qkv, attn_kv_b) in Q4_K_M / Q5_K_M → Q6_K on the layers `use_more_bits` picks (the first and
  last eighth, and every third layer between: i < n/8 || i >= 7n/8 || (i - n/8) % 3 == 2, i counting attn_v
  tensors); Q4_K_S → Q5_K on the first four; IQ4_XS with ≥ 4 query heads per KV head → Q5_K;
  LLM_TYPE_70B models (80-layer Llama / Qwen2) lift Q3_K/Q4_K attn_v to Q5_K; 8-expert models (Mixtral) keep
  attn_v and attn_k in Q8_0;
- ffn_down in Q4_K_M / Q5_K_M → Q6_K on the `use_more_bits` layers (Falcon: its own table); Q4_K_S and IQ4_XS
  (without an importance matrix) → Q5_K on the first eighth; attn_output of 8-expert models in Q4_K_M/IQ4_XS → Q5_K;
- then tensor_type_fallback: a row length (ne[0], the input width of the matrix) that is not a multiple of the
  type's block size (256 for K- and IQ types) takes Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0, IQ4_XS → IQ4_NL,
  and F16 if even that block (32) does not divide it. Qwen2.5-72B's ffn_down rows are 29,568 = 115.5 x 256
  wide, so its ffn_down tensors are Q5_0 / Q8_0, not Q4_K / Q6_K;
- tensors the quantizer skips keep the converter's type: 1-D tensors, norms and the MoE router
  (ffn_gate_inp) are F32 (convert_hf_to_gguf.py: "1D tensors and norms" and FFN_GATE_INP stay float32).

Block sizes are ggml-common.h's (tools/model/gguf.py GGML_TYPES). Tensor names and which projections llama.cpp
fuses follow convert_hf_to_gguf.py: Phi-3, GPT-2, GPT-NeoX, Falcon, BLOOM and StarCoder store one attn_qkv;
DeepSeek's MLA is modelled with attn_kv_b (older conversions; newer ones split it into attn_k_b/attn_v_b, which
the quantizer treats as ordinary tensors). No importance matrix is assumed (it changes only IQ/Q4_0/Q5_0 mixes).
Parameters whose tensor layout is not modelled here (state-space mixers, Gemma 3n's AltUp/LAuReL, V3.2's
indexer) are counted at the base type, and the result says how many.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import UnsupportedConfig
from .formats import StoredWeights
from .gguf import GGML_TYPES
from .params import ParamCount
from .shape import ATTENTION_KINDS, ModelShape

LLAMA_QUANT = "llama.cpp src/llama-quant.cpp (ggml-org/llama.cpp @007dbbf3)"
_BLOCKS = {name: (block, size) for name, block, size in GGML_TYPES.values()}

# weight_dtype names that are llama.cpp file types → (ftype, base ggml type, "pure": no per-tensor mix).
# q4_k / q5_k are the catalog's "all tensors Q4_K/Q5_K" formats: llama-quantize --pure.
FILE_TYPES = {
    "q8_0": ("Q8_0", "Q8_0", False), "q4_0": ("Q4_0", "Q4_0", False), "q6_k": ("Q6_K", "Q6_K", False),
    "q4_k_m": ("Q4_K_M", "Q4_K", False), "q5_k_m": ("Q5_K_M", "Q5_K", False), "iq4_xs": ("IQ4_XS", "IQ4_XS", False),
    "q4_k_s": ("Q4_K_S", "Q4_K", False), "q5_k_s": ("Q5_K_S", "Q5_K", False),
    "q4_k": ("Q4_K", "Q4_K", True), "q5_k": ("Q5_K", "Q5_K", True),
}
# tensor_type_fallback: the type a block-incompatible row falls back to.
_FALLBACK = {"Q4_K": "Q5_0", "Q5_K": "Q5_1", "Q6_K": "Q8_0", "IQ4_XS": "IQ4_NL", "Q3_K": "Q4_0", "Q2_K": "Q4_0"}
# model_types whose GGUF conversion stores q, k and v as one attn_qkv tensor.
_FUSED_QKV = {"phi3", "gpt2", "gpt_neox", "falcon", "bloom", "gpt_bigcode"}


@dataclass(frozen=True)
class Tensor:
    name: str
    ne0: int  # row length: the matrix's input width (ggml's ne[0])
    rows: int  # all other dimensions multiplied (experts included)
    part: str = "other"  # embeddings | lm_head | routed_experts | other (StoredWeights' parts)
    keep_f32: bool = False  # not quantized: 1-D tensors, norms, the MoE router

    @property
    def elements(self) -> int:
        return self.ne0 * self.rows


def _attention(shape: ModelShape, i: int, own_kv: bool) -> list[Tensor]:
    h, nh, blk = shape.hidden_size, shape.num_heads, f"blk.{i}."
    out: list[Tensor] = []
    if shape.mla is not None:
        m = shape.mla
        qk = m.qk_nope_head_dim + m.qk_rope_head_dim
        if m.q_lora_rank:
            out += [Tensor(blk + "attn_q_a.weight", h, m.q_lora_rank),
                    Tensor(blk + "attn_q_b.weight", m.q_lora_rank, nh * qk)]
        else:
            out.append(Tensor(blk + "attn_q.weight", h, nh * qk))
        out += [Tensor(blk + "attn_kv_a_mqa.weight", h, m.kv_lora_rank + m.qk_rope_head_dim),
                Tensor(blk + "attn_kv_b.weight", m.kv_lora_rank, nh * (m.qk_nope_head_dim + m.v_head_dim)),
                Tensor(blk + "attn_output.weight", nh * m.v_head_dim, h)]
        bias = (nh * qk + m.kv_lora_rank + m.qk_rope_head_dim) * shape.qkv_bias + h * shape.o_bias
    else:
        d = shape.head_dim
        q = nh * d * (2 if shape.attn_output_gate else 1)
        kv = shape.num_kv_heads * d if own_kv else 0
        if shape.model_type in _FUSED_QKV:
            out.append(Tensor(blk + "attn_qkv.weight", h, q + 2 * kv))
        else:
            out.append(Tensor(blk + "attn_q.weight", h, q))
            if kv:
                out += [Tensor(blk + "attn_k.weight", h, kv), Tensor(blk + "attn_v.weight", h, kv)]
        out.append(Tensor(blk + "attn_output.weight", nh * d, h))
        bias = (q + 2 * kv) * shape.qkv_bias + h * shape.o_bias + (nh if shape.attention_sinks else 0)
    if bias:
        out.append(Tensor(blk + "attn_bias", bias, 1, keep_f32=True))
    return out


def _mlp(shape: ModelShape, blk: str, inter: int, suffix: str = "", rows_mult: int = 1, part: str = "other") -> list[
        Tensor]:
    h = shape.hidden_size
    out = [Tensor(f"{blk}ffn_up{suffix}.weight", h, inter * rows_mult, part),
           Tensor(f"{blk}ffn_down{suffix}.weight", inter, h * rows_mult, part)]
    if shape.ffn == "gated":
        out.insert(0, Tensor(f"{blk}ffn_gate{suffix}.weight", h, inter * rows_mult, part))
    if shape.mlp_bias:
        bias = (inter * (2 if shape.ffn == "gated" else 1) + h) * rows_mult
        out.append(Tensor(f"{blk}ffn_bias{suffix}", bias, 1, part, keep_f32=True))
    return out


def tensors(shape: ModelShape) -> list[Tensor]:
    """The decoder's tensors as a GGUF conversion names and shapes them, sorted by layer as llama.cpp's loader
    sorts them (weight_name_comparer: un-numbered tensors first, then blk.0, blk.1, …)."""
    h, v = shape.hidden_size, shape.vocab_size
    out = [Tensor("token_embd.weight", h, v, "embeddings")]
    p = shape.per_layer_inputs
    if p is not None:
        out.append(Tensor("per_layer_token_embd.weight", shape.num_layers * p.width, p.vocab_size, "embeddings"))
    if shape.positions == "learned":
        out.append(Tensor("position_embd.weight", h, shape.max_position_embeddings + shape.position_offset,
                          "embeddings", keep_f32=True))
    if not shape.tied_embeddings:
        out.append(Tensor("output.weight", h, v, "lm_head"))
    if shape.lm_head_bias:
        out.append(Tensor("output.bias", v, 1, "lm_head", keep_f32=True))
    moe, first_shared = shape.moe, shape.num_layers - shape.kv_shared_layers
    dense = set(moe.dense_layers) if moe is not None else set()
    for i, kind in enumerate(shape.kinds):
        blk = f"blk.{i}."
        if kind in ATTENTION_KINDS:
            out += _attention(shape, i, own_kv=i < first_shared)
        if i in shape.no_ffn_layers:
            continue
        if moe is None or i in dense:
            out += _mlp(shape, blk, shape.intermediate_size)
            continue
        out.append(Tensor(blk + "ffn_gate_inp.weight", h, moe.num_experts, keep_f32=True))  # the router
        extra = moe.num_experts * (moe.router_bias + moe.router_score_bias)
        out += _mlp(shape, blk, moe.expert_intermediate_size, "_exps", moe.num_experts, "routed_experts")
        if moe.shared_intermediate_size:
            out += _mlp(shape, blk, moe.shared_intermediate_size, "_shexp")
            extra += h * moe.shared_expert_gate
        if extra:
            out.append(Tensor(blk + "ffn_router_extra", extra, 1, keep_f32=True))
    return out


def _use_more_bits(i: int, n: int) -> bool:
    return i < n // 8 or i >= 7 * n // 8 or (i - n // 8) % 3 == 2


def _is_70b_type(shape: ModelShape) -> bool:
    # llama-model.cpp sets LLM_TYPE_70B for 80-layer llama (with GQA; MHA is 65B) and qwen2 models; Mistral and
    # Mixtral convert to the llama architecture.
    if shape.num_layers != 80:
        return False
    if shape.model_type == "qwen2":
        return True
    return shape.model_type in ("llama", "mistral", "mixtral") and shape.num_heads != shape.num_kv_heads


@dataclass
class _State:
    ftype: str
    n_attn_v: int
    n_layers: int
    n_expert: int
    gqa: int
    is_70b: bool
    falcon: bool
    i_attn_v: int = 0
    i_ffn_down: int = 0


def _mix_type(t: Tensor, base: str, st: _State, tied: bool) -> str:
    """llama_tensor_get_type_impl for the file types in FILE_TYPES (before the shape fallback)."""
    f, name = st.ftype, t.name
    if name == "output.weight" or (tied and name == "token_embd.weight"):
        if t.ne0 % _BLOCKS[base][0] or st.falcon:
            return "Q8_0"
        return "Q6_K" if base != "Q8_0" else base
    if name.endswith(("attn_v.weight", "attn_qkv.weight", "attn_kv_b.weight")):
        new = base
        if f == "IQ4_XS" and st.gqa >= 4:
            new = "Q5_K"
        elif f in ("Q4_K_M", "Q5_K_M") and _use_more_bits(st.i_attn_v, st.n_attn_v):
            new = "Q6_K"
        elif f == "Q4_K_S" and st.i_attn_v < 4:
            new = "Q5_K"
        if st.is_70b and new in ("Q3_K", "Q4_K"):
            new = "Q5_K"
        if st.n_expert == 8:
            new = "Q8_0"
        st.i_attn_v += 1
        return new
    if name.endswith("attn_k.weight"):
        return "Q8_0" if st.n_expert == 8 else base
    if "ffn_down" in name:
        i = int(name.split(".")[1]) if st.n_expert > 1 else st.i_ffn_down
        st.i_ffn_down += 1
        n = st.n_layers
        if f == "Q4_K_M":
            if st.falcon:
                return "Q6_K" if i < n // 16 else "Q5_K" if _use_more_bits(i, n) else "Q4_K"
            return "Q6_K" if _use_more_bits(i, n) else base
        if f == "IQ4_XS" and i < n // 8:
            return "Q5_K"
        if f == "Q5_K_M" and _use_more_bits(i, n):
            return "Q6_K"
        if f == "Q4_K_S" and not st.falcon and i < n // 8:
            return "Q5_K"
        return base
    if name.endswith("attn_output.weight") and not st.falcon and st.n_expert == 8 and f in ("Q4_K_M", "IQ4_XS"):
        return "Q5_K"
    return base


def _fallback(ggml_type: str, ne0: int, weight_dtype: str) -> str:
    if ne0 % _BLOCKS[ggml_type][0] == 0:
        return ggml_type
    if ggml_type not in _FALLBACK:
        raise UnsupportedConfig(f"{weight_dtype}: a tensor row of {ne0} elements is not a multiple of "
                                f"{ggml_type}'s block of {_BLOCKS[ggml_type][0]}, and llama-quantize has no fallback "
                                "for it (it refuses this file type for this model)", field="weight_dtype")
    fb = _FALLBACK[ggml_type]
    return fb if ne0 % _BLOCKS[fb][0] == 0 else "F16"


def _nbytes(ggml_type: str, t: Tensor) -> int:
    block, size = _BLOCKS[ggml_type]
    return t.rows * (t.ne0 // block) * size  # ggml_row_size x rows


@dataclass(frozen=True)
class GGUFEstimate:
    weight_dtype: str
    stored: StoredWeights
    by_type: dict[str, tuple[int, int]]  # ggml type → (tensors, bytes)
    fallbacks: tuple[str, ...]  # one line per group of tensors that fell back
    unmodelled_params: int
    notes: tuple[str, ...] = field(default_factory=tuple)


def estimate(shape: ModelShape, params: ParamCount, weight_dtype: str) -> GGUFEstimate:
    """Bytes of the decoder in `weight_dtype` (a FILE_TYPES name), tensor by tensor."""
    ftype, base, pure = FILE_TYPES[weight_dtype]
    ts = tensors(shape)
    norms = Tensor("norms", params.norms, 1, keep_f32=True) if params.norms else None
    st = _State(ftype, n_attn_v=sum(t.name.endswith(("attn_v.weight", "attn_qkv.weight", "attn_kv_b.weight"))
                                    for t in ts),
                n_layers=shape.num_layers, n_expert=shape.moe.num_experts if shape.moe else 0,
                gqa=shape.num_heads // shape.num_kv_heads, is_70b=_is_70b_type(shape),
                falcon=shape.model_type == "falcon")
    parts = {"embeddings": 0, "lm_head": 0, "routed_experts": 0, "other": 0}
    by_type: dict[str, list[int]] = {}
    falls: dict[tuple[str, str, int], int] = {}

    def add(ggml_type: str, t: Tensor, nbytes: int) -> None:
        parts[t.part] += nbytes
        entry = by_type.setdefault(ggml_type, [0, 0])
        entry[0] += 1
        entry[1] += nbytes

    for t in ts + ([norms] if norms else []):
        if t.keep_f32:
            add("F32", t, 4 * t.elements)
            continue
        chosen = base if pure else _mix_type(t, base, st, shape.tied_embeddings)
        final = _fallback(chosen, t.ne0, weight_dtype)
        if final != chosen:
            key = (chosen, final, t.ne0)
            falls[key] = falls.get(key, 0) + 1
        add(final, t, _nbytes(final, t))
    modelled = sum(t.elements for t in ts) + params.norms
    rest = params.total - modelled
    if rest < 0:
        raise AssertionError(f"GGUF tensor list has {modelled - params.total} more elements than the parameters")
    if rest:  # layouts not modelled: at the base type's bits per weight
        block, size = _BLOCKS[base]
        add(base, Tensor("unmodelled", rest, 1), -(-rest * size // block))
    fallbacks = tuple(f"{n} tensor(s) with rows of {ne0:,} (not a multiple of {_BLOCKS[a][0]}): {a} → {b}"
                      for (a, b, ne0), n in sorted(falls.items(), key=lambda kv: (-kv[1], kv[0])))
    stored = StoredWeights(total=sum(parts.values()), embeddings=parts["embeddings"], lm_head=parts["lm_head"],
                           routed_experts=parts["routed_experts"])
    return GGUFEstimate(weight_dtype, stored, {k: (v[0], v[1]) for k, v in sorted(by_type.items())}, fallbacks, rest)


def describe(est: GGUFEstimate) -> list[str]:
    """Assumption lines for a result."""
    ftype = FILE_TYPES[est.weight_dtype][0]
    mix = ", ".join(f"{k} {b:,} B" + (" (norms, biases, routers)" if k == "F32" else f" in {n} tensor(s)")
                    for k, (n, b) in est.by_type.items())
    lines = [f"weights: {est.weight_dtype} laid out tensor by tensor as llama.cpp's quantizer does ({LLAMA_QUANT}): "
             f"{est.stored.total:,} B ({mix}); no importance matrix"
             + (" (pure: every quantized tensor in the base type)" if FILE_TYPES[est.weight_dtype][2] else
                f" ({ftype} mix: output Q6_K, attn_v/ffn_down upgraded on the use_more_bits layers)")]
    if est.fallbacks:
        lines.append("row lengths not divisible by the block size fall back as llama.cpp does: "
                     + "; ".join(est.fallbacks))
    if est.unmodelled_params:
        lines.append(f"{est.unmodelled_params:,} params in tensors whose GGUF layout is not modelled (state-space "
                     "mixers, per-layer extras) counted at the base type")
    return lines
