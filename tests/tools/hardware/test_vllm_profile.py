"""vLLM's start-up memory profile by version (tools/hardware/vllm_profile.py) against vLLM's source and logs."""

import pytest
from modelmath.tools.errors import InvalidInput
from modelmath.tools.hardware import engines, gpus, serving, vllm_profile
from modelmath.tools.hardware.tools import SPEED_ESTIMATE
from modelmath.tools.model.formats import kv_format, weight_format
from modelmath.tools.model.params import parameter_count
from modelmath.tools.model.resolve import resolve_model

GiB = 2**30


def _shape(model):
    m = resolve_model({"model": model})
    return m.shape, parameter_count(m.shape)


def _pool_gib(model, gpu, version=None, tp=1):
    shape, params = _shape(model)
    cap = serving.kv_capacity(shape, params, gpus.lookup(gpu), weight_format("bf16"), kv_format("bf16"), tp,
                              engines.lookup("vllm"), version=version)
    return cap


@pytest.mark.parametrize(("model", "kv_gib"), [("llama-3.1-8b", 51.38), ("qwen3-0.6b", 64.45)])
def test_v1_pool_on_h100_matches_llm_d_logs(model, kv_gib):
    # llm-d/llm-d-benchmark config_explorer/empirical-vllm-memory-results.md: vLLM V1 on one H100, default
    # gpu_memory_utilization 0.9, "Available KV cache memory" 51.38 GiB (Llama-3.1-8B-Instruct) and 64.45 GiB
    # (Qwen3-0.6B). By hand for Llama: 0.9 x 79.22 - weights 14.96 - sampler 1024 x 128,256 x 41.2 B (5.04 GiB)
    # - non-torch 0.16 = 51.13 GiB; the log's card reports 79.18 GiB, so within 1%.
    cap = _pool_gib(model, "h100")
    assert cap.pool_per_gpu / GiB == pytest.approx(kv_gib, rel=0.01)


def test_v1_sampler_peak_scales_with_sequences_times_vocab():
    # llm-d's logs: peak activation 4.76 GiB (vocab 128,256) and 5.56 GiB (vocab 151,936) at 1024 sequences, nearly
    # independent of model size: the sampler, not the forward, sets it. Ratio of vocabularies 1.185; logs 1.168.
    llama, qwen = _pool_gib("llama-3.1-8b", "h100"), _pool_gib("qwen3-0.6b", "h100")
    assert llama.activations_per_gpu / GiB == pytest.approx(4.76, rel=0.07)
    assert qwen.activations_per_gpu / GiB == pytest.approx(5.56, rel=0.08)
    assert qwen.activations_per_gpu / llama.activations_per_gpu == pytest.approx(151_936 / 128_256, rel=1e-3)


@pytest.mark.parametrize(("gpu", "tokens", "seqs"), [("h100", 8192, 1024), ("h200", 8192, 1024),
                                                     ("a100-80gb-sxm", 2048, 256), ("l40s", 2048, 256),
                                                     ("rtx-4090", 2048, 256)])
def test_v1_batch_defaults_by_device(gpu, tokens, seqs):
    # vllm/engine/arg_utils.py get_batch_defaults (API server): >= 70 GiB and "a100" not in the device name ->
    # max_num_batched_tokens 8192, max_num_seqs 1024; otherwise 2048 and 256 (PR #17885 keeps A100 small).
    shape, _ = _shape("llama-3.1-8b")
    p = vllm_profile.profile(shape, gpus.lookup(gpu), 1, "0.10.0")
    assert (p.v1, p.tokens, p.sequences) == (True, tokens, seqs)


@pytest.mark.parametrize(("mml", "tokens"), [(1000, 2048), (4096, 4096), (20_000, 20_000), (32_768, 32_768),
                                             (32_769, 2048), (131_072, 2048)])
def test_v0_profile_tokens_follow_max_model_len(mml, tokens):
    # vllm/config.py SchedulerConfig.__post_init__ (0.6.x): max(max_model_len, 2048) without chunked prefill, 2048
    # with it; engine/arg_utils.py _set_default_args_v0 turns chunked prefill on when max_model_len > 32768.
    shape, _ = _shape("llama-3.1-8b")
    p = vllm_profile.profile(shape, gpus.lookup("rtx-3090"), 1, "0.6.4", max_model_len=mml)
    assert (p.v1, p.tokens, p.sequences) == (False, tokens, 256)


def test_v0_default_max_model_len_is_the_context_window():
    shape, _ = _shape("llama-2-7b")  # max_position_embeddings 4096 (Llama 2 config.json)
    assert vllm_profile.profile(shape, gpus.lookup("a100-80gb-sxm"), 1, "0.2.5").tokens == 4096


# CUDA context 287,047,680 B (PyTorch PR #86509) = 0.267 GiB; + 0.16 GiB of workspaces (PR #12126 log) = 0.427 GiB.
@pytest.mark.parametrize(("version", "tp", "gib"), [
    ("0.2.5", 1, 0.427), ("0.6.4", 2, 0.427 + 1.79),  # V0 <= 0.6.4: memory in use, context included; + PR #10511's
    # TP2 increment (3.58 - 1.79)
    ("0.6.5", 1, 1.79), ("0.6.6", 2, 3.58),  # PR #10511 until PR #11809: PR #10511's H100 log, 1.79 TP1 / 3.58 TP2
    ("0.7.0", 1, 0.16), ("0.7.2", 2, 0.58),  # V0 from 0.7.0: PR #12126's 0.16 GiB; + llm-d's 0.55 - 0.13 at TP2
    ("0.8.5", 1, 0.427), ("0.9.1", 4, 0.427 + 1.79),  # V1 before PR #19312 counts memory in use, as V0 0.6.4 did
    ("0.9.2", 1, 0.16), (None, 8, 0.58)])  # V1 from 0.9.2 (and the default, latest)
def test_non_torch_memory_by_version(version, tp, gib):
    shape, _ = _shape("llama-3.1-8b")
    p = vllm_profile.profile(shape, gpus.lookup("h100"), tp, version)
    assert p.non_torch_per_gpu / GiB == pytest.approx(gib, abs=0.005)


def test_profile_peak_is_the_larger_of_forward_and_sampler():
    # V0 at 29,000 tokens: the forward (Llama-3.1-8B, 4096 + 4096 + 3 x 14336 = 51,200 bf16 values per token =
    # 2.77 GiB) outgrows the sampler (256 x 128,256 x 41.2 B = 1.26 GiB); at 2,048 tokens the sampler is larger.
    shape, _ = _shape("llama-3.1-8b")
    g = gpus.lookup("rtx-3090")
    long = vllm_profile.profile(shape, g, 1, "0.6.4", max_model_len=29_000)
    short = vllm_profile.profile(shape, g, 1, "0.6.4", max_model_len=2048)
    assert long.activations_per_gpu / GiB == pytest.approx(29_000 * 51_200 * 2 / GiB, rel=0.01)
    assert short.activations_per_gpu / GiB == pytest.approx(1.26, abs=0.005)


@pytest.mark.parametrize(("text", "parsed"), [("0.6.4", (0, 6, 4)), ("v0.8.5.post1", (0, 8, 5)), ("0.7", (0, 7, 0)),
                                              ("0.10.1+cu128", (0, 10, 1)), ("latest", None), (None, None)])
def test_parse_version(text, parsed):
    assert vllm_profile.parse_version(text) == parsed


def test_bad_version_is_a_structured_error():
    with pytest.raises(InvalidInput) as e:
        vllm_profile.parse_version("nightly")
    assert e.value.field == "engine_version"


def test_speed_estimate_reports_the_profile():
    res = SPEED_ESTIMATE.func({"model": "llama-3.1-8b", "gpu": "rtx-3090", "engine_version": "0.6.4",
                               "max_model_len": 20_000})
    mem = res["engine_memory"]
    assert any("20,000 tokens" in n for n in mem["profile"])
    assert mem["runtime_overhead_per_gpu_bytes"] == 287_047_680 + int(0.16 * GiB)
    other = SPEED_ESTIMATE.func({"model": "llama-3.1-8b", "gpu": "rtx-3090", "engine": "sglang"})
    assert "profile" not in other["engine_memory"]


@pytest.mark.parametrize("key", ["engine_version", "max_model_len"])
def test_vllm_profile_inputs_with_another_engine_are_refused(key):
    with pytest.raises(InvalidInput) as e:
        SPEED_ESTIMATE.func({"model": "llama-3.1-8b", "gpu": "rtx-3090", "engine": "sglang",
                             key: "0.6.4" if key == "engine_version" else 20_000})
    assert e.value.field == key
