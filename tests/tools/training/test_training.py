"""Training memory and compute against published figures: the ZeRO paper's model-state sizes, LoRA parameter
counts by hand, Korthikanti et al.'s activation count, the QLoRA paper's 65B-on-48GB claim, Llama 3's
training FLOPs and MFU, Chinchilla's Table 3."""

import pytest
from modelmath.tools.model.params import parameter_count
from modelmath.tools.model.resolve import resolve_model, shape_from_architecture
from modelmath.tools.registry import run_tool
from modelmath.tools.training import compute, memory
from modelmath.tools.units import GiB

PSI = 7_500_000_000  # ZeRO paper Figure 1: a 7.5B-parameter model on 64 GPUs, Adam, mixed precision (K = 12)


@pytest.mark.parametrize("stage, expected_gb", [(0, 120), (1, 31.4), (2, 16.6), (3, 1.9)])
def test_zero_paper_figure_1(stage, expected_gb):
    s = memory.model_state_bytes(PSI, 0, precision="mixed_bf16", optimizer="adamw", zero_stage=stage, gpus=64)
    total_gb = (s.weights + s.gradients + s.optimizer) / 1e9
    assert total_gb == pytest.approx(expected_gb, abs=0.05)  # figure rounds to 0.1 GB


def test_optimizer_variants_per_param():
    # Bytes per trainable param without ZeRO: AdamW mixed = 2 + 2 + (4 master + 8 moments) = 16;
    # 8-bit Adam (Dettmers et al. 2022): moments 1 + 1 byte → 2 + 2 + 4 + 2 = 10; SGD with momentum: 2+2+4+4 = 12.
    for opt, per in (("adamw", 16), ("adamw_8bit", 10), ("sgd", 12)):
        s = memory.model_state_bytes(1000, 0, precision="mixed_bf16", optimizer=opt, zero_stage=0, gpus=1)
        assert s.weights + s.gradients + s.optimizer == per * 1000


def test_lora_params_by_hand():
    # LoRA (Hu et al. 2021): rank r adds r·(d_in + d_out) per adapted matrix.
    # Llama-2-7B (config: 32 layers, hidden 4096, 32 heads), r=8 on q_proj and v_proj:
    # 32 · 2 · 8 · (4096 + 4096) = 4,194,304.
    l2 = resolve_model({"model": "llama-2-7b"}).shape
    assert memory.lora_params(l2, 8, ("q_proj", "v_proj"))[0] == 4_194_304
    # Llama-3.1-8B (hidden 4096, 8 KV heads × 128, intermediate 14,336), r=16 on all seven linears per layer:
    # q 16·8192 + k 16·5120 + v 16·5120 + o 16·8192 + 3 · 16·(4096 + 14,336) = 1,310,720 per layer × 32.
    l3 = resolve_model({"model": "llama-3.1-8b"}).shape
    assert memory.lora_params(l3, 16, memory.LORA_MODULES)[0] == 41_943_040


def test_activations_reduce_to_korthikanti_for_mha():
    # Korthikanti et al. 2022 §4.1: 34·s·b·h bytes per layer (16-bit, 4h MLP, with dropout) + 5·a·s²·b for the
    # scores. FlashAttention keeps no scores (only fp32 softmax statistics: 4 B per head per token) and there
    # is no dropout (its two s·b·h masks go), so per token: 34h − 2h + 4a.
    h, a = 1024, 16
    mha = shape_from_architecture({"vocab_size": 50_000, "hidden_size": h, "layers": 4, "heads": a,
                                   "intermediate_size": 4 * h, "ffn": "standard"})
    assert memory.activation_bytes_per_token_per_layer(mha) == 32 * h + 4 * a


def test_checkpointing_keeps_layer_inputs():
    shape = resolve_model({"model": "llama-3.1-8b"}).shape
    full = memory.activation_bytes(shape, 4096, 1, False)
    ckpt = memory.activation_bytes(shape, 4096, 1, True)
    # 32 layers × 4096 tokens × 4096 hidden × 2 B of inputs + one layer recomputed.
    assert ckpt.layers == 32 * 4096 * 4096 * 2 + full.per_layer_no_checkpoint
    # Logits: 4096 tokens × 128,256 vocab × (4 B fp32 + 4 B gradient).
    assert full.logits == 4096 * 128_256 * 8


# LLaMA-65B: LLaMA paper (arXiv 2302.13971) Table 2: dim 8192, 64 heads, 80 layers; HF config: intermediate
# 22,016, vocab 32,000.
LLAMA_65B = {"vocab_size": 32_000, "hidden_size": 8192, "layers": 80, "heads": 64, "intermediate_size": 22_016}


def test_qlora_65b_fits_48gb_full_finetune_does_not():
    # QLoRA paper (arXiv 2305.14314) abstract: finetuning a 65B model drops from >780 GB of GPU memory to
    # <48 GB. Setup there: NF4 base, LoRA on all linear layers (r=64), gradient checkpointing, paged optimizer.
    shape = shape_from_architecture(LLAMA_65B)
    params = parameter_count(shape)
    q, _ = memory.training_memory(shape, params, method="qlora", optimizer="adamw", precision="mixed_bf16",
                                    zero_stage=0, gpus=1, seq=512, micro_batch=1, checkpointing=True,
                                    lora_rank=64)
    assert q.total < 48 * GiB
    assert q.states.weights > params.total * 4 / 8  # at least the 4-bit codes
    full, _ = memory.training_memory(shape, params, method="full", optimizer="adamw", precision="mixed_bf16",
                                       zero_stage=0, gpus=1, seq=512, micro_batch=1, checkpointing=True)
    assert full.total > 780e9


def test_llama3_405b_training_flops():
    # Llama 3 paper (arXiv 2407.21783) §1: 405B parameters on 15.6T tokens, 3.8 × 10^25 FLOPs.
    out = run_tool("training_compute", {"model": "llama-3.1-405b", "training_tokens": 15.6e12}).result
    assert 3.75e25 <= out["training_flops"] <= 3.85e25


@pytest.mark.parametrize("tflops, mfu_pct", [(430, 43), (400, 41), (380, 38)])
def test_llama3_mfu_on_h100(tflops, mfu_pct):
    # Llama 3 paper Table 4: 430 / 400 / 380 TFLOP/s per GPU = 43% / 41% / 38% BF16 MFU on H100 (paper's
    # rounding; 400/989 is 40.4%).
    out = run_tool("training_compute", {"model": "llama-3.1-405b", "training_tokens": 15.6e12, "gpu": "h100",
                                        "achieved_tflops_per_gpu": tflops}).result
    assert out["mfu"] * 100 == pytest.approx(mfu_pct, abs=1)


@pytest.mark.parametrize("n, tokens", compute.CHINCHILLA_TABLE3)
def test_chinchilla_table3_points(n, tokens):
    assert compute.chinchilla_tokens(n) == pytest.approx(tokens, rel=1e-9)


def test_chinchilla_is_about_20_tokens_per_param():
    for n in (3e9, 30e9, 300e9):
        assert 20 <= compute.chinchilla_tokens(n) / n <= 22.5


def test_days_and_cost():
    # 6 · N · D / (989e12 · 0.5) / 3600 GPU-hours; on 1,000 GPUs: / 1000 / 24 days; cost at $2/GPU-hour.
    out = run_tool("training_compute", {"model": "llama-3.1-8b", "training_tokens": 1e12, "mfu": 0.5,
                                        "gpu": "h100", "gpu_count": 1000, "usd_per_gpu_hour": 2.0}).result
    hours = 6 * 8_030_261_248 * 1e12 / (989e12 * 0.5) / 3600
    assert out["gpu_hours"] == pytest.approx(hours, rel=1e-3)
    assert out["days"] == pytest.approx(hours / 1000 / 24, rel=1e-3)
    assert out["cost_usd"] == pytest.approx(hours * 2, rel=1e-3)


def test_training_memory_tool():
    out = run_tool("training_memory", {"model": "llama-3.1-8b", "method": "qlora", "gpu": "rtx-4090",
                                       "context_tokens": 2048})
    assert not out.is_error and out.result["fits"] and out.result["gradient_checkpointing"]
    assert out.result["lora"]["frozen_base_format"] == "nf4"
    full = run_tool("training_memory", {"model": "llama-3.1-8b", "gpu": "h100"}).result
    assert not full["fits"] and full["warnings"]  # 8B × 16 B = 128 GB of states alone
    bad = run_tool("training_memory", {"model": "llama-3.1-8b", "zero_stage": 2})
    assert bad.is_error and bad.result["error"]["field"] == "zero_stage"
    assert run_tool("training_memory", {"model": "llama-3.1-8b", "lora_targets": ["wq"]}).is_error
