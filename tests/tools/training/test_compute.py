"""Training compute against published figures and hand derivations: Llama 3's 3.8e25 FLOPs and MFU table,
Chinchilla's Table 3, the PaLM / torchtitan attention term, LoRA and checkpointing FLOPs, FP8 semantics."""

import pytest
from modelmath.tools.model.params import parameter_count
from modelmath.tools.model.resolve import resolve_model
from modelmath.tools.registry import run_tool
from modelmath.tools.training import compute

# Llama 3.1 8B (transformers meta-device count): 8,030,261,248 parameters, input embedding 128,256 × 4096 =
# 525,336,576 (untied): 7,504,924,672 take part in matmuls. 32 layers, 32 query heads × 128.
L8_MATMUL = 8_030_261_248 - 525_336_576


def _fpt(model, seq, method="full", ckpt=False):
    shape = resolve_model({"model": model}).shape
    return compute.flops_per_token(shape, parameter_count(shape), seq, method, ckpt)


def _run(**inp):
    out = run_tool("training_compute", inp)
    assert not out.is_error, out.result
    return out.result


def test_llama3_405b_training_flops():
    # Llama 3 paper (arXiv 2407.21783) §1: 405B parameters on 15.6T tokens, 3.8 × 10^25 FLOPs.
    out = _run(model="llama-3.1-405b", training_tokens=15.6e12)
    assert 3.75e25 <= out["training_flops"] <= 3.85e25


def test_attention_term_palm_convention():
    # PaLM (arXiv 2204.02311) App. B and torchtitan's get_num_flop_per_token: 12 · L · H · Q · T per token.
    f = _fpt("llama-3.1-8b", 8192)
    assert f.attention == 12 * 32 * 32 * 128 * 8192
    # A causal kernel computes each query against the keys before it: T/2 on average.
    assert f.attention_hardware == 12 * 32 * 32 * 128 * 8192 / 2
    assert f.dense == 6 * L8_MATMUL


def test_attention_sliding_window():
    # Mistral 7B v0.1: every layer slides over 4096 keys (config sliding_window 4096); at T = 8192 the counted
    # matrix is 4096 wide, and causally the average query sees (4096·4097/2 + 4096·4096) / 8192 ≈ 3072 keys.
    f = _fpt("mistral-7b-v0.1", 8192)
    assert f.attention == 12 * 32 * 32 * 128 * 4096
    assert f.attention_hardware == pytest.approx(6 * 32 * 32 * 256 * 3072, rel=1e-3)


def test_attention_mla():
    # DeepSeek-V3 (config): 61 layers, 128 heads, qk head 128 nope + 64 rope = 192, v head 128: per token
    # 6 · T · H · (192 + 128) per layer at T = 4096.
    assert _fpt("deepseek-v3", 4096).attention == 6 * 4096 * 128 * (192 + 128) * 61


def test_lora_and_checkpointing_flops():
    # LoRA: no weight gradients for frozen weights → 2N forward + 2N input gradients = 4N.
    assert _fpt("llama-3.1-8b", 4096, "lora").dense == 4 * L8_MATMUL
    # Checkpointing re-runs the forward: 2N + a third of the (causal) attention.
    f = _fpt("llama-3.1-8b", 4096, "full", True)
    assert f.dense_recompute == 2 * L8_MATMUL
    assert f.attention_recompute == pytest.approx(12 * 32 * 32 * 128 * 4096 / 2 / 3)


def test_tokens_per_second_fp8_only_on_linears():
    # Hand: 6e9 dense FLOPs at 0.5 × 1000 TFLOP/s × 2 = 6 µs, 1e9 attention FLOPs at 0.5 × 1000 = 2 µs;
    # 1 / 8 µs = 125,000 tokens/s.
    f = compute.FlopsPerToken(dense=6e9, attention=2e9, attention_hardware=1e9, dense_recompute=0,
                              attention_recompute=0)
    assert compute.tokens_per_second(f, 1000, 0.5, 2.0) == pytest.approx(125_000)


@pytest.mark.parametrize("tflops, mfu_pct", [(430, 43), (400, 41), (380, 38)])
def test_llama3_mfu_on_h100(tflops, mfu_pct):
    # Llama 3 paper Table 4: 430 / 400 / 380 TFLOP/s per GPU = 43% / 41% / 38% BF16 MFU on H100 (paper's
    # rounding; 400/989 is 40.4%).
    out = _run(model="llama-3.1-405b", training_tokens=15.6e12, gpu="h100", achieved_tflops_per_gpu=tflops)
    assert out["mfu"] * 100 == pytest.approx(mfu_pct, abs=1)


@pytest.mark.parametrize("n, tokens", compute.CHINCHILLA_TABLE3)
def test_chinchilla_table3_points(n, tokens):
    assert compute.chinchilla_tokens(n) == pytest.approx(tokens, rel=1e-9)


def test_chinchilla_is_about_20_tokens_per_param():
    for n in (3e9, 30e9, 300e9):
        assert 20 <= compute.chinchilla_tokens(n) / n <= 22.5


def test_days_and_cost():
    # Model FLOPs per token at the default 4096 context: 6 × 7,504,924,672 + 12 × 32 × 32 × 128 × 4096. At MFU 0.5
    # of 989 TFLOP/s: tokens/s = 0.5 × 989e12 / that; 1e12 tokens → GPU-hours; on 1,000 GPUs → days; × $2.
    per_token = 6 * L8_MATMUL + 12 * 32 * 32 * 128 * 4096
    hours = 1e12 / (0.5 * 989e12 / per_token) / 3600
    out = _run(model="llama-3.1-8b", training_tokens=1e12, mfu=0.5, gpu="h100", gpu_count=1000, usd_per_gpu_hour=2.0)
    assert out["gpu_hours"] == pytest.approx(hours, rel=1e-3)
    assert out["days"] == pytest.approx(hours / 1000 / 24, rel=1e-3)
    assert out["cost_usd"] == pytest.approx(hours * 2, rel=1e-3)
    assert out["total_flops"] == pytest.approx(per_token * 1e12, rel=1e-3)
    assert out["attention_flops"] == pytest.approx(12 * 32 * 32 * 128 * 4096 * 1e12, rel=1e-3)


def test_fp8_semantics():
    base = {"model": "llama-3.1-70b", "training_tokens": 1e12, "gpu": "h100", "context_tokens": 8192}
    bf16, fp8 = _run(**base), _run(**base, precision="fp8")
    # FP8 never doubles throughput: the generic speed-up (1.616, calibrated) applies to the Linear layers only.
    ratio = fp8["tokens_per_second_per_gpu"]["mid"] / bf16["tokens_per_second_per_gpu"]["mid"]
    assert 1 < ratio < 1.616
    # MFU stays against the BF16 peak; against the FP8 peak (1979) it is half as large.
    assert fp8["mfu_vs_fp8_peak"] == pytest.approx(fp8["mfu"] * 989 / 1979, abs=1e-4)
    # A given MFU describes the run: no speed-up on top.
    assert _run(**base, mfu=0.4, precision="fp8")["gpu_hours"] == _run(**base, mfu=0.4)["gpu_hours"]


def test_efficiency_by_framework():
    base = {"model": "llama-3.1-8b", "gpu": "h100", "training_tokens": 1e12}
    generic = _run(**base)
    assert any("an unnamed framework" in a and "calibrated on" in a for a in generic["assumptions"])
    hf = _run(**base, framework="hf")  # no calibration cases for it: the generic default, said so
    assert any("uncalibrated for hf" in a for a in hf["assumptions"])
    megatron = _run(**base, framework="megatron")
    assert any("calibrated on" in a for a in megatron["assumptions"])
    # BF16, no recompute: HFU = tokens/s × hardware FLOPs per token / peak = the framework's calibrated mid.
    hfu = megatron["tokens_per_second_per_gpu"]["mid"] * megatron["flops_per_token"]["hardware"] / 989e12
    assert hfu == pytest.approx(0.441, rel=2e-3)
    band = megatron["gpu_hours_band"]
    assert band["low"] <= band["mid"] <= band["high"]


def test_moe_efficiency_factor():
    # MoE: the generic HFU (0.404) is scaled by the MoE factor (0.636), both from calibration cases.
    out = _run(model="deepseek-v3", gpu="h100", training_tokens=1e12)
    hfu = out["tokens_per_second_per_gpu"]["mid"] * out["flops_per_token"]["hardware"] / 989e12
    assert hfu == pytest.approx(0.404 * 0.636, rel=2e-3)
    assert any("MoE" in a for a in out["assumptions"])


def test_published_gpu_hours_scope_is_stated():
    out = _run(model="llama-3.1-405b", training_tokens=15.6e12)
    assert "pre-training" in out["gpu_hours_cover"] and "2,664K" in out["gpu_hours_cover"]


def test_pipeline_bubble_by_hand():
    # Narayanan et al. 2021 (arXiv 2104.04473) §2.2: with p stages and m microbatches a 1F1B step idles (p - 1)
    # microbatch slots out of m + p - 1; v model chunks per rank (interleaved) shrink the bubble v-fold.
    from modelmath.tools.training.compute import pipeline_bubble

    assert pipeline_bubble(1, 1) == 0
    assert pipeline_bubble(8, 8) == pytest.approx(7 / 15)      # torchtitan default: one microbatch per stage
    assert pipeline_bubble(4, 8) == pytest.approx(3 / 11)
    assert pipeline_bubble(8, 16, 2) == pytest.approx(7 / 39)  # interleaved, 2 chunks per rank
    assert pipeline_bubble(8, 64, 5) == pytest.approx(7 / 327)
    base = {"model": "llama-3.1-70b", "gpu": "h100", "training_tokens": 1e12, "framework": "megatron"}
    flat = _run(**base)["tokens_per_second_per_gpu"]["mid"]
    piped = _run(**base, pipeline_parallel=4, microbatches=8)
    assert piped["pipeline"] == {"stages": 4, "microbatches": 8, "virtual_stages": 1, "bubble_fraction": 0.2727}
    assert piped["tokens_per_second_per_gpu"]["mid"] == pytest.approx(flat * 8 / 11, rel=1e-3)
    # A measured MFU already includes the run's bubble: nothing is taken off.
    assert (_run(**base, mfu=0.4, pipeline_parallel=4)["gpu_hours"] == _run(**base, mfu=0.4)["gpu_hours"])


def test_mfu_band_is_capped_at_one_maxtext_on_tpu_v5e():
    # Validation batch 4: MaxText on TPU v5e had an MFU band reaching 1.94 (the uncalibrated group's x2.89 on
    # throughput). Physics: Llama-3.1-8B at 4,096 tokens does 6 x 7,504,924,672 = 45,029,548,032 dense plus
    # 6 x 4,096 keys x 32 layers x 32 heads x (128 + 128) = 6,442,450,944 attention model FLOPs per token (the
    # hardware does less: causal kernels skip half the scores); TPU v5e: 197 dense BF16 TFLOP/s (Cloud TPU docs).
    # MFU <= 1 caps tokens/s at 197e12 / 51,471,998,976 = 3,827.3 per chip.
    model_flops = 6 * L8_MATMUL + 6 * 4096 * 32 * 32 * 256
    assert model_flops == 51_471_998_976
    out = _run(model="llama-3.1-8b", gpu="tpu-v5e", framework="maxtext", context_tokens=4096)
    assert out["mfu_band"]["high"] == 1.0 and out["mfu_band"]["mid"] < 1.0
    assert out["tokens_per_second_per_gpu"]["high"] == pytest.approx(197e12 / model_flops, rel=2e-3)
    assert "capped at the roofline" in out["band"]["throughput"]["capped"]
    # GPU-hours cannot fall below the tokens at that rate either.
    tokens = out["training_tokens"]
    assert out["gpu_hours_band"]["low"] >= tokens / (197e12 / model_flops) / 3600 * (1 - 2e-3)


def test_fp8_ceiling_runs_linear_layers_at_the_fp8_peak():
    # FP8 recipes run the Linear layers at the FP8 peak, attention in BF16. H100 SXM: 989 BF16, 1,979 FP8 dense
    # TFLOP/s. Llama-3.1-8B at 8,192 tokens, no checkpointing: hardware FLOPs per token = 6 x 7,504,924,672
    # (45,029,548,032) dense + 6 x 8,192/2 causal keys x 32 x 32 x 256 (6,442,450,944) attention; model FLOPs count
    # 8,192 keys (12,884,901,888). The ceiling is the slower of the two counts:
    # 1 / max(45.03e9/1979e12 + 6.44e9/989e12, 45.03e9/1979e12 + 12.88e9/989e12) = 27,947 tokens/s.
    shape = resolve_model({"model": "llama-3.1-8b"}).shape
    fpt = compute.flops_per_token(shape, parameter_count(shape), 8192)
    assert fpt.hardware_attention == 6 * 4096 * 32 * 32 * 256 and fpt.attention == 6 * 8192 * 32 * 32 * 256
    expect = 1 / (6 * L8_MATMUL / 1979e12 + 6 * 8192 * 32 * 32 * 256 / 989e12)
    assert compute.tokens_per_second_ceiling(fpt, 989, 1979) == pytest.approx(expect, rel=1e-12)
    assert expect == pytest.approx(27_947, rel=1e-4)
