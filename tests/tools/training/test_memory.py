"""Training memory against published figures and hand derivations: the ZeRO paper's model-state sizes, LoRA
parameter counts, Korthikanti et al.'s activation count, the QLoRA paper's 65B-on-48GB claim, and the peak
moment, logits, offload, dequantisation and runtime terms derived by hand in each test."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from modelmath.tools.model.params import parameter_count
from modelmath.tools.model.resolve import resolve_model, shape_from_architecture
from modelmath.tools.registry import run_tool
from modelmath.tools.training import frameworks, memory
from modelmath.tools.units import GiB

PSI = 7_500_000_000  # ZeRO paper Figure 1: a 7.5B-parameter model on 64 GPUs, Adam, mixed precision (K = 12)

# Llama 3.2 3B by hand from its config (hidden 3072, 28 layers, 24 heads, 8 KV heads × 128, intermediate 8192,
# vocab 128,256, tied): embeddings 128,256 × 3072 = 394,002,432; per layer q 3072² + k, v 3072 × 1024 each +
# o 3072² + MLP 3 × 3072 × 8192 + 2 norms × 3072 = 100,669,440; × 28 + embeddings + final norm 3072.
LLAMA32_3B = 28 * 100_669_440 + 394_002_432 + 3072
LLAMA31_8B_EMBED = 128_256 * 4096  # transformers meta-device count: model.embed_tokens 525,336,576


@pytest.mark.parametrize("stage, expected_gb", [(0, 120), (1, 31.4), (2, 16.6), (3, 1.9)])
def test_zero_paper_figure_1(stage, expected_gb):
    s = memory.model_state_bytes(PSI, 0, precision="mixed_bf16", optimizer="adamw", zero_stage=stage, gpus=64)
    total_gb = (s.weights + s.gradients + s.optimizer) / 1e9
    assert total_gb == pytest.approx(expected_gb, abs=0.05)  # figure rounds to 0.1 GB


@pytest.mark.parametrize("precision, opt, per", [
    # Mixed precision: 2 + 2 + (4 master + 8 moments) = 16; SGD momentum → 12. Pure bf16 (torchtune dtype=bf16):
    # 2 + 2 + 2 × 2 moments = 8; fp32: 4 + 4 + 8 = 16. 8-bit Adam (Dettmers et al. 2022): moments 1 + 1 byte
    # (→ 10 and 6) plus one fp32 absmax per moment per block of 256 (bitsandbytes blockwise state, torchao
    # OptimState8bit): 1,024 parameters = 4 blocks x 2 moments x 4 B = 32 B on top.
    ("mixed_bf16", "adamw", 16 * 1024), ("mixed_bf16", "adamw_8bit", 10 * 1024 + 32),
    ("mixed_bf16", "sgd", 12 * 1024), ("bf16", "adamw", 8 * 1024), ("bf16", "adamw_8bit", 6 * 1024 + 32),
    ("fp32", "adamw", 16 * 1024)])
def test_bytes_per_trainable_param(precision, opt, per):
    s = memory.model_state_bytes(1024, 0, precision=precision, optimizer=opt, zero_stage=0, gpus=1)
    assert s.weights + s.gradients + s.optimizer == per


def test_adapters_step_in_their_own_dtype():
    # PEFT fp32 adapters: 4 + 4 + 8 = 16 B/param whatever the base precision; torchtune bf16 adapters 2 + 2 + 4.
    kw = {"precision": "bf16", "optimizer": "adamw", "zero_stage": 0, "gpus": 1}
    fp32 = memory.model_state_bytes(1000, 5, adapter_bytes=4, **kw)
    bf16 = memory.model_state_bytes(1000, 5, adapter_bytes=2, **kw)
    assert fp32.weights + fp32.gradients + fp32.optimizer == 16_000 + 5
    assert bf16.weights + bf16.gradients + bf16.optimizer == 8_000 + 5


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


def test_lora_counts_no_gate_on_a_standard_mlp():
    # Nemotron-H-56B (catalog config: hidden 8192, 64 heads, 8 KV heads x 128, intermediate 32,768, relu² MLP with
    # up and down only; hybrid_override_pattern: 10 attention '*', 54 MLP '-', 54 Mamba 'M'), r=16, default targets:
    # attention q 16·(8192+8192) + k 16·(8192+1024) + v the same + o 16·(8192+8192) = 819,200 x 10 layers
    # + MLP up 16·(8192+32,768) + down the same = 1,310,720 x 54 layers = 78,970,880. Counting a gate_proj
    # the model does not have added 54 x 655,360 = 35,389,440.
    nh = resolve_model({"model": "nemotron-h-56b"}).shape
    count, warns = memory.lora_params(nh, 16, memory.LORA_MODULES)
    assert count == 10 * 819_200 + 54 * 1_310_720 == 78_970_880
    assert any("gate_proj" in w and "no gate" in w for w in warns)
    # GPT-2 small (12 layers, hidden 768, MLP 3072, standard): 4·16·1536 + 2·16·(768+3072) = 221,184 per layer.
    g2 = resolve_model({"model": "gpt2"}).shape
    assert memory.lora_params(g2, 16, memory.LORA_MODULES)[0] == 12 * 221_184


def test_the_does_not_fit_advice_leaves_out_what_the_run_already_does():
    # A LoRA run with checkpointing that does not fit is not told to try LoRA or checkpointing.
    out = run_tool("training_memory", {"model": "llama-3.1-70b", "method": "lora", "gpu": "rtx-4090",
                                       "gradient_checkpointing": True}).result
    advice = [w for w in out["warnings"] if w.startswith("does not fit")]
    assert advice and "QLoRA" in advice[0]
    assert "checkpointing" not in advice[0] and "LoRA or" not in advice[0] and ", LoRA" not in advice[0]
    full = run_tool("training_memory", {"model": "llama-3.1-70b", "gpu": "rtx-4090"}).result
    assert any("gradient checkpointing" in w and "LoRA" in w for w in full["warnings"])


def test_activations_reduce_to_korthikanti_for_mha():
    # Korthikanti et al. 2022 §4.1: 34·s·b·h bytes per layer (16-bit, 4h MLP, with dropout) + 5·a·s²·b for the
    # scores. FlashAttention keeps no scores (only fp32 softmax statistics: 4 B per head per token) and there
    # is no dropout (its two s·b·h masks go), so per token: 34h − 2h + 4a.
    h, a = 1024, 16
    mha = shape_from_architecture({"vocab_size": 50_000, "hidden_size": h, "layers": 4, "heads": a,
                                   "intermediate_size": 4 * h, "ffn": "standard"})
    assert memory.activation_bytes_per_token_per_layer(mha) == 32 * h + 4 * a


def test_checkpointing_and_offload_keep_layer_inputs():
    shape = resolve_model({"model": "llama-3.1-8b"}).shape
    full = memory.activation_bytes(shape, 4096, 1, False)
    ckpt = memory.activation_bytes(shape, 4096, 1, True)
    off = memory.activation_bytes(shape, 4096, 1, True, offload=True)
    # 32 layers × 4096 tokens × 4096 hidden × 2 B of inputs + one layer recomputed.
    assert ckpt.layers == 32 * 4096 * 4096 * 2 + full.per_layer_no_checkpoint
    # Offloaded: two inputs on the GPU (one in use, one in flight) + the recomputed layer.
    assert off.layers == 2 * 4096 * 4096 * 2 + full.per_layer_no_checkpoint
    assert full.layers == 32 * full.per_layer_no_checkpoint


def _run(**inp):
    out = run_tool("training_memory", inp)
    assert not out.is_error, out.result
    return out.result


@pytest.mark.parametrize("loss, per_entry", [("full", 10), ("chunked", 1.13), ("fused", 0)])
def test_logits_by_loss(loss, per_entry):
    # 2 × 2048 tokens × 128,256 vocab × bytes per entry: full = fp32 log-probs 4 + fp32 gradient 4 + 16-bit
    # logits 2; chunked (torchtune) = 1.13, the median its calibration cases imply (derived bound: 16-bit logits 2
    # + one of 8 chunks upcast, 8/8 = 3); fused = none per token.
    r = _run(model="llama-3.1-8b", method="lora", context_tokens=2048, batch_size=2, loss=loss)
    assert r["per_gpu"]["logits"]["bytes"] == int(2 * 2048 * 128_256 * per_entry)
    band = _run(model="llama-3.1-8b", method="lora", context_tokens=2048, batch_size=2, loss="chunked")["band_gib"]
    assert band["allocated"]["low"] < band["allocated"]["mid"] < band["allocated"]["high"]


def test_full_finetune_peak_is_the_optimizer_step_with_checkpointing():
    # Llama 3.2 3B, pure bf16 AdamW (torchtune): weights 2 + gradients 2 + moments 4 = 8 B per parameter exist
    # together at the optimizer step, once the checkpointed activations are freed.
    kw = {"model": "llama-3.2-3b", "framework": "torchtune", "method": "full", "optimizer": "adamw",
          "context_tokens": 4096, "batch_size": 2}
    r = _run(**kw, gradient_checkpointing=True)
    assert r["peak"]["phase"] == "optimizer_step"
    assert r["peak_allocated_bytes"] == LLAMA32_3B * 8
    # Without checkpointing the saved activations dominate: the peak moves to the start of backward.
    r = _run(**kw, gradient_checkpointing=False)
    assert r["peak"]["phase"] == "backward_start"
    assert r["peak_allocated_bytes"] == r["peak"]["backward_start"]["bytes"] > LLAMA32_3B * 8


def test_optimizer_in_backward_keeps_one_gradient():
    # Fused into backward, each gradient is freed after its step: the largest alive is the 16-bit embedding
    # gradient, 128,256 × 4096 × 2 B.
    r = _run(model="llama-3.1-8b", framework="torchtune", method="full", optimizer_in_backward=True)
    assert r["per_gpu"]["gradients"]["bytes"] == LLAMA31_8B_EMBED * 2


def test_gradient_accumulation_holds_gradients_at_backward_start():
    a = _run(model="llama-3.1-8b", method="lora", gradient_accumulation_steps=1)
    b = _run(model="llama-3.1-8b", method="lora", gradient_accumulation_steps=4)
    grads = a["per_gpu"]["gradients"]["bytes"]
    assert b["peak"]["backward_start"]["bytes"] - a["peak"]["backward_start"]["bytes"] == grads


def test_qlora_dequant_buffer():
    # The widest NF4 Linear of Llama 3.1 8B is gate/up: 4096 × 14,336, dequantised to 16-bit, two at a time.
    r = _run(model="llama-3.1-8b", method="qlora")
    assert r["per_gpu"]["qlora_dequant_buffer"]["bytes"] == 2 * 4096 * 14_336 * 2


def test_runtime_terms():
    one = _run(model="llama-3.1-8b", method="qlora")
    # CUDA context mid 0.5 GiB (PyTorch #86509 measured 0.27 GiB lazy, 0.62 GiB eager); reserve 3% of allocated.
    assert one["per_gpu"]["cuda_context"]["bytes"] == GiB // 2
    assert one["per_gpu"]["allocator_reserve"]["bytes"] == int(one["peak_allocated_bytes"] * 0.03)
    assert one["total_bytes"] == one["peak_reserved_bytes"] + GiB // 2
    two = _run(model="llama-3.1-8b", method="qlora", zero_stage=3, gpu_count=2)
    assert two["per_gpu"]["nccl_buffers"]["bytes"] == int(1.79 * GiB)
    flat = _run(model="llama-3.1-8b", method="qlora", overhead_gib=2)
    assert flat["total_bytes"] == flat["peak_allocated_bytes"] + 2 * GiB


def test_framework_defaults():
    hf = _run(model="llama-3.1-8b", method="lora")
    assert (hf["framework"], hf["loss"], hf["precision"], hf["lora"]["adapter_dtype"]) == (
        "hf", "full", "mixed_bf16", "fp32")
    tt = _run(model="llama-3.1-8b", method="lora", framework="torchtune")
    assert (tt["loss"], tt["precision"], tt["lora"]["adapter_dtype"]) == ("chunked", "bf16", "bf16")
    un = _run(model="llama-3.1-8b", method="qlora", framework="unsloth")
    assert (un["loss"], un["gradient_checkpointing"], un["activation_offload"]) == ("fused", True, True)
    assert any("defaults used" in a for a in un["assumptions"])
    # An explicit input beats the framework default.
    assert _run(model="llama-3.1-8b", method="lora", framework="torchtune", loss="full")["loss"] == "full"


def test_bad_combinations():
    for inp, field in (({"activation_offload": True, "gradient_checkpointing": False}, "activation_offload"),
                       ({"optimizer_in_backward": True, "gradient_accumulation_steps": 2}, "optimizer_in_backward"),
                       ({"framework": "deepspeedish"}, "framework"),
                       ({"zero_stage": 2}, "zero_stage"), ({"lora_targets": ["wq"]}, "lora_targets")):
        out = run_tool("training_memory", {"model": "llama-3.1-8b", "method": "lora", **inp})
        assert out.is_error and out.result["error"]["field"].startswith(field)


# LLaMA-65B: LLaMA paper (arXiv 2302.13971) Table 2: dim 8192, 64 heads, 80 layers; HF config: intermediate
# 22,016, vocab 32,000.
LLAMA_65B = {"vocab_size": 32_000, "hidden_size": 8192, "layers": 80, "heads": 64, "intermediate_size": 22_016}


def test_qlora_65b_fits_48gb_full_finetune_does_not():
    # QLoRA paper (arXiv 2305.14314) abstract: finetuning a 65B model drops from >780 GB of GPU memory to
    # <48 GB. Setup there: NF4 base, LoRA on all linear layers (r=64), gradient checkpointing, paged optimizer.
    shape = shape_from_architecture(LLAMA_65B)
    params = parameter_count(shape)
    hf = frameworks.FRAMEWORKS["hf"]
    kw = {"optimizer": "adamw", "precision": "mixed_bf16", "zero_stage": 0, "gpus": 1, "seq": 512, "micro_batch": 1,
          "checkpointing": True, "offload": False, "loss": "full"}
    q, _ = memory.training_memory(shape, params, memory.TrainSetup(method="qlora", lora_rank=64, **kw), hf)
    assert q.total < 48 * GiB
    assert q.states.weights > params.total * 4 / 8  # at least the 4-bit codes
    full, _ = memory.training_memory(shape, params, memory.TrainSetup(method="full", **kw), hf)
    assert full.total > 780e9


def test_tool_fits():
    out = _run(model="llama-3.1-8b", method="qlora", gpu="rtx-4090", context_tokens=2048)
    assert out["fits"] and out["gradient_checkpointing"]
    assert out["lora"]["frozen_base_format"] == "nf4"
    full = _run(model="llama-3.1-8b", gpu="h100")
    assert not full["fits"] and full["warnings"]  # 8B × 16 B = 128 GB of states alone


@settings(max_examples=25, deadline=None)
@given(seq=st.integers(64, 65_536), batch=st.integers(1, 8), method=st.sampled_from(["full", "lora", "qlora"]),
       fw=st.sampled_from(sorted(frameworks.FRAMEWORKS)), ckpt=st.booleans())
def test_band_ordered_and_monotonic_in_tokens(seq, batch, method, fw, ckpt):
    base = {"model": "llama-3.2-1b", "method": method, "framework": fw, "gradient_checkpointing": ckpt,
            "activation_offload": False, "batch_size": batch}
    a = _run(**base, context_tokens=seq)
    b = _run(**base, context_tokens=seq * 2)
    for level in ("allocated", "reserved", "total"):
        band = a["band_gib"][level]
        assert band["low"] <= band["mid"] <= band["high"]
    assert a["peak_allocated_bytes"] <= a["peak_reserved_bytes"] <= a["total_bytes"]
    assert b["total_bytes"] >= a["total_bytes"]  # more tokens never need less memory


def test_foreach_adamw_intermediates_widen_the_optimizer_step_high_end():
    # torch.optim.AdamW's default foreach path holds sqrt(v) + eps for every stepped parameter at once (a tensor
    # list in the stepped dtype); fused/bitsandbytes/torchao kernels hold none. Llama 3.2 3B full fine-tune, bf16
    # (torchtune: moments in bf16), checkpointed, short sequence so the optimizer step is the peak: the high end
    # adds LLAMA32_3B x 2 bytes; mixed precision (fp32 master, fp32 moments) adds x 4; 8-bit Adam adds nothing.
    shape = resolve_model({"model": "llama-3.2-3b"}).shape
    params = parameter_count(shape)
    kw = {"method": "full", "zero_stage": 0, "gpus": 1, "seq": 256, "micro_batch": 1, "checkpointing": True,
          "offload": False, "loss": "chunked"}
    tt, hf = frameworks.FRAMEWORKS["torchtune"], frameworks.FRAMEWORKS["hf"]
    cases = ((tt, "bf16", "adamw", 2 * LLAMA32_3B), (hf, "mixed_bf16", "adamw", 4 * LLAMA32_3B),
             (tt, "bf16", "adamw_8bit", 0))
    for fw, precision, opt, extra in cases:
        m, _ = memory.training_memory(shape, params, memory.TrainSetup(optimizer=opt, precision=precision, **kw), fw)
        assert m.peak_phase == "optimizer_step"
        assert m.allocated_band.mid == m.optimizer_step
        assert m.allocated_band.high - m.allocated_band.mid == extra, (precision, opt)

@pytest.mark.parametrize("method", ["full", "lora", "qlora"])
def test_training_memory_band_never_below_the_resident_weights(method):
    # The weights sit on every GPU from load to the last step, so no measured peak can be below them, whatever the
    # calibration quantile says (optimizer states are not a floor: paged optimizers can evict them to CPU memory).
    from modelmath.tools.model.catalog import entries

    for e in entries():
        if e.speculative or e.id.startswith(("deepseek", "kimi", "qwen3-coder", "llama-4-maverick")):
            continue  # the largest MoE models: same code path, skipped to keep the test fast
        out = run_tool("training_memory", {"model": e.id, "method": method}).result
        if "error" in out:  # e.g. LoRA targets a model type without those projections
            continue
        floor_gib = out["per_gpu"]["weights"]["bytes"] / GiB
        for level, band in out["band_gib"].items():
            assert band["low"] >= round(floor_gib, 3) - 0.001, (e.id, level)
