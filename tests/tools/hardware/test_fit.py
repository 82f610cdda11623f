"""Hardware fit: tensor-parallel sharding of weights and KV (replication past kv_heads), minimum counts,
max sequences, recommendations, and the hardware_fit tool's handling of bad or impossible requests."""

import json
import subprocess
import sys

import pytest
from modelmath.tools.hardware import fit, gpus, limits
from modelmath.tools.model.formats import kv_format, weight_format
from modelmath.tools.model.params import parameter_count
from modelmath.tools.model.resolve import resolve_model, shape_from_architecture
from modelmath.tools.registry import run_tool
from modelmath.tools.units import GiB

BF16, KV16 = weight_format("bf16"), kv_format("bf16")

# A toy shape small enough to count by hand: h=64, 2 layers, 4 heads of 16, 2 KV heads, gated MLP 128,
# vocab 1000, untied. Per layer: q 64·64 + k 64·32 + v 64·32 + o 64·64 = 12,288; MLP 3·64·128 = 24,576;
# two RMSNorms 128 → 36,992. Total = 2·36,992 + embeddings 64,000 + LM head 64,000 + final norm 64 = 202,048.
TOY = {"vocab_size": 1000, "hidden_size": 64, "layers": 2, "heads": 4, "kv_heads": 2, "head_dim": 16,
       "intermediate_size": 128}


def toy():
    shape = shape_from_architecture(TOY)
    return shape, parameter_count(shape)


def test_toy_weights_shard_and_replicate_kv_projections():
    shape, params = toy()
    assert params.total == 202_048
    assert fit.weight_bytes_per_gpu(params, shape, BF16, 2) == (202_048, 0)  # 404,096 B / 2
    # tp=4 > 2 KV heads: each GPU keeps one KV head's k_proj and v_proj whole (2·64·16 per layer) instead of
    # half a head's: extra = 2 layers · 2·64·16 · (1 − 2/4) params · 2 B = 4,096 B.
    assert fit.weight_bytes_per_gpu(params, shape, BF16, 4) == (101_024 + 4_096, 4_096)


def test_kv_shards_up_to_kv_heads_then_replicates():
    m = resolve_model({"model": "llama-3.1-70b"})
    # Llama-3.1-70B config.json: 80 layers, 8 KV heads, head_dim 128 → K+V = 80·2·8·128·2 B = 327,680 B/token.
    assert fit.kv_bytes_per_sequence_per_gpu(m.shape, KV16, 1, 1) == 327_680
    assert fit.kv_bytes_per_sequence_per_gpu(m.shape, KV16, 1, 8) == 40_960  # one KV head per GPU
    assert fit.kv_heads_per_gpu(m.shape, 16) == (1, True)  # 16 GPUs, 8 heads: each head on two GPUs
    assert fit.kv_bytes_per_sequence_per_gpu(m.shape, KV16, 1, 16) == 40_960


def test_mla_latent_is_replicated():
    m = resolve_model({"model": "deepseek-v3"})
    # DeepSeek-V3 config: 61 layers × (kv_lora_rank 512 + rope 64) × 2 B = 70,272 B/token on every GPU.
    assert fit.kv_bytes_per_sequence_per_gpu(m.shape, KV16, 1, 8) == 70_272


def test_tp_degrees_divide_heads():
    shape, _ = toy()
    assert fit.tp_degrees(shape, 8) == [1, 2, 4]  # 4 heads: 8 does not divide


def test_70b_on_4090s_needs_eight():
    # 141.1 GB of bf16 weights: at tp=4 that is 35.3 GB per card, more than a 24 GB card; at tp=8 17.6 GB
    # + 32k·40,960 B of KV (1.3 GB) + activations and overhead stays under ~23.6 GiB.
    m = resolve_model({"model": "llama-3.1-70b"})
    p = fit.min_placement(m.shape, parameter_count(m.shape), gpus.lookup("rtx-4090"), BF16, KV16, context=32_000,
                          batch=1)
    assert p.tp == 8 and p.fits


def test_moe_fits_by_total_params():
    # Mistral AI, Mixtral of experts: 46.7B total (12.9B active). bf16 = 93.4 GB > one H100's 79.22 GiB (85 GB).
    m = resolve_model({"model": "mixtral-8x7b"})
    params = parameter_count(m.shape)
    h100 = gpus.lookup("h100")
    assert not fit.place(m.shape, params, h100, BF16, KV16, context=4096, batch=1, tp=1).fits
    assert fit.min_placement(m.shape, params, h100, BF16, KV16, context=4096, batch=1).tp == 2


def test_max_sequences_by_hand():
    # Llama-3.1-8B on one H100, bf16, 8,192-token sequences:
    # KV per sequence = 8,192 · (32 layers · 2 · 8 heads · 128 · 2 B) = 1 GiB exactly.
    # free = 79.22 GiB − weights 16,060,522,496 B (14.958 GiB) − overhead 1 GiB − activations of one
    # 8,192-token chunk: 8,192 · (2·4096 + 3·14,336) · 2 B = 0.781 GiB (+0.5 MB logits) = 62.48 GiB → 62.
    # The logits grow with the batch (62 · 128,256 · 4 B = 30 MiB), still inside the 0.48 GiB left: 62 fit,
    # 63 do not.
    m = resolve_model({"model": "llama-3.1-8b"})
    params, h100 = parameter_count(m.shape), gpus.lookup("h100")
    p = fit.place(m.shape, params, h100, BF16, KV16, context=8192, batch=1, tp=1)
    assert p.kv_per_sequence == GiB
    assert limits.max_batch(m.shape, params, h100, BF16, KV16, context=8192, tp=1) == 62


def test_recommend_ranks():
    a = fit.Option("a", 1, 1.0, 50.0, 50.0)
    b = fit.Option("b", 2, 4.0, 120.0, 120.0)
    c = fit.Option("c", 1, None, 200.0, 200.0)  # no price: can be fastest, never cheapest
    r = fit.recommend([a, b, c])
    assert r["cheapest_per_hour"] is a and r["fastest"] is c
    # $/Mtok = $/h / (tok/s · 3600) · 1e6: a = 5.56, b = 9.26.
    assert r["best_usd_per_mtok"] is a and round(a.usd_per_mtok, 2) == 5.56


def test_tool_unknown_gpu_suggests():
    out = run_tool("hardware_fit", {"model": "llama-3.1-8b", "gpus": ["h1000"]})
    assert out.is_error and out.result["error"]["type"] == "unknown_name"
    assert "h100-sxm" in out.result["error"]["allowed"]


def test_tool_zero_gpus_refused():
    out = run_tool("hardware_fit", {"model": "llama-3.1-8b", "gpus": ["h100"], "gpu_count": 0})
    assert out.is_error and out.result["error"]["field"] == "gpu_count"


def test_tool_context_beyond_window_warns_and_computes():
    # Llama-3.1-8B config: max_position_embeddings 131,072.
    out = run_tool("hardware_fit", {"model": "llama-3.1-8b", "gpus": ["h200"], "context_tokens": 200_000})
    assert not out.is_error
    assert any("131,072" in w for w in out.result["warnings"])
    assert out.result["gpus"][0]["gpus"] >= 1


def test_tool_says_when_precision_is_missing():
    out = run_tool("hardware_fit", {"model": "llama-3.1-8b", "gpus": ["a100"], "weight_dtype": "fp8"})
    assert any("no FP8" in w and "a100-80gb-sxm" in w for w in out.result["warnings"])


def test_tool_impossible_fit_says_what_would():
    # 405B at bf16 (811 GB) cannot fit on at most eight 24 GB cards; nor can any 4-bit format on one.
    out = run_tool("hardware_fit", {"model": "llama-3.1-405b", "gpus": ["rtx-4090"], "context_tokens": 4096})
    row = out.result["gpus"][0]
    assert "gpus" not in row and row["fits_one_at"] == "none" and "needs more than 8" in row["note"]
    assert any("no requested GPU fits" in w for w in out.result["warnings"])
    # Llama-3.1-8B does not fit a 15 GiB T4 at bf16 (16.06 GB of weights). The T4 has no FP8 tensor cores
    # (NVIDIA T4 datasheet: FP16 and INT8/INT4 only), so the suggestion is int8, which does fit: 6.98B linear
    # weights at 1 B + 1.05B embedding/LM-head params kept at 2 B = 9.08 GB, + 0.54 GB of KV at 4,096 tokens.
    t4 = run_tool("hardware_fit", {"model": "llama-3.1-8b", "gpus": ["t4"], "context_tokens": 4096,
                                   "gpu_count": 1}).result
    assert t4["gpus"][0]["fits_one_at"] == "int8" and "note" in t4["gpus"][0]


def test_cli_fit_answers():
    p = subprocess.run([sys.executable, "-m", "modelmath.plugin.cli.main", "fit", "llama-3.1-70b", "--context", "32k",
                        "--gpu", "rtx-4090", "--json"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    row = json.loads(p.stdout)["gpus"][0]
    assert row["gpu"] == "rtx-4090" and row["gpus"] == 8


@pytest.mark.parametrize("args", [["--gpu", "nonsense-gpu"], ["--gpu", "h100", "--gpu-count", "0"]])
def test_cli_bad_input_exits_2(args):
    p = subprocess.run([sys.executable, "-m", "modelmath.plugin.cli.main", "fit", "llama-3.1-8b", *args],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "Traceback" not in p.stderr and p.stderr.count("\n") == 1
