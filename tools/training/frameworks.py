"""What a training framework implies for memory when the caller does not say: how the loss is computed,
which dtype the weights, LoRA adapters and optimizer states live in, whether checkpointed activations are
offloaded to CPU memory, and whether fused kernels keep the activation count at its minimum.

Every default here is an input the caller can override; the result's `assumptions` names the ones used.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InvalidInput

LOSSES = ("full", "chunked", "fused")

# Bytes held per (token x vocabulary entry) when backward starts, as (low, mid, high).
# full: transformers' ForCausalLMLoss and torch.nn.CrossEntropyLoss on [tokens, vocab] upcast every logit to
#   fp32; at the start of backward the fp32 log-softmax output saved for backward (4 B) and its gradient (4 B)
#   coexist = 8 B; the 16-bit logits handed back to the caller add 2 (mid 10); an implementation that also keeps
#   the fp32 upcast holds 14.
# chunked: torchtune's CEWithChunkedOutputLoss keeps at most the 16-bit logits of every chunk (2 B) plus one of
#   its 8 chunks upcast (fp32 logits + gradient of 1/8 of the tokens: 1 B) = 3 (high); the calibration cases
#   (torchtune Llama 3.2 3B optimizer-in-backward, LoRA and QLoRA rows) imply 3.09, 1.13 and 1.03: mid 1.13,
#   their median (compiled runs keep less than the eager bound). Low 0, as fused.
# fused: a fused linear + cross-entropy kernel (Liger's FusedLinearCrossEntropy, Unsloth) never materialises
#   the [tokens, vocab] logits; a chunk-sized buffer remains (high: 1 B).
LOGIT_BYTES: dict[str, tuple[float, float, float]] = {"full": (8, 10, 14), "chunked": (0, 1.13, 3),
                                                      "fused": (0, 0, 1)}


@dataclass(frozen=True)
class Framework:
    name: str
    loss: str
    precision: str  # full fine-tuning: mixed_bf16 (fp32 master + moments) or bf16 (everything 16-bit)
    adapter_bytes: int  # LoRA adapter weights: 4 = fp32, 2 = the model's 16-bit dtype
    offload_checkpoints: bool  # checkpointed layer inputs live in CPU memory
    fused_kernels: bool  # fused norm/RoPE/SwiGLU kernels keep no extra intermediates
    source: str
    # Multiplier of the counted layer activations with fused kernels / torch.compile, (low, mid, high).
    fused_factor: tuple[float, float, float] = (0.8, 1.0, 1.2)


# Unsloth's runs keep more than the fused count: its calibration cases (unsloth-l31-8b-qlora-80gb-maxctx 1.20,
# unsloth-l31-8b-qlora-24gb-maxctx 1.23) give a median 1.215, band ±20%.
UNSLOTH_FACTOR = (0.97, 1.215, 1.46)

FRAMEWORKS: dict[str, Framework] = {f.name: f for f in (
    Framework("hf", "full", "mixed_bf16", 4, False, False,
              "transformers Trainer/PEFT/TRL: ForCausalLMLoss upcasts all logits to fp32; AMP keeps fp32 master "
              "weights; PEFT >= 0.11 casts LoRA adapters to fp32 (huggingface/peft#1706)"),
    Framework("torchtune", "chunked", "bf16", 2, False, False,
              "torchtune Llama 3.x recipes: CEWithChunkedOutputLoss; dtype bf16 for weights, gradients and "
              "AdamW moments (no fp32 master); LoRA adapters built in the model dtype"),
    Framework("unsloth", "fused", "mixed_bf16", 4, True, True,
              "Unsloth: fused cross-entropy; use_gradient_checkpointing='unsloth' offloads checkpointed "
              "activations to system RAM; Triton RMSNorm/RoPE/SwiGLU kernels; adapters via PEFT (fp32)",
              UNSLOTH_FACTOR),
)}
DEFAULT_FRAMEWORK = "hf"

# Eager PyTorch keeps intermediates our per-layer count leaves out (fp32 norm upcasts, RoPE copies, the SiLU
# output), so without fused kernels or torch.compile the layer activations run higher: (low, mid, high)
# multipliers of the counted activations. Mid from the calibration case tt-l32-3b-flags-packed (torchtune, eager,
# no checkpointing: 1.42), band ±20%; see benchmarks/validation/calibrate_training.py. With torch.compile or fused
# kernels the count itself is the mid (the compile case is a holdout: nothing was fitted to it), band ±20%.
EAGER_ACTIVATION_FACTOR = (1.14, 1.42, 1.70)


def framework(name: str | None) -> Framework:
    key = (name or DEFAULT_FRAMEWORK).strip().lower()
    if key not in FRAMEWORKS:
        raise InvalidInput(f"unknown framework {name!r}", field="framework", allowed=list(FRAMEWORKS))
    return FRAMEWORKS[key]
