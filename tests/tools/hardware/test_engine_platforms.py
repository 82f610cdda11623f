"""An engine runs where its own documentation says it does, and nowhere else.

QA (tryout 3, R4) found `speed llama-3.1-8b --gpu m2-ultra` answering with vLLM, which does not run on an Apple
GPU, and an engine asked for off its platform answering a what-if. Now a device without an engine asked for gets
one that runs there (llama.cpp on Apple silicon, mlx named as the alternative), and an engine asked for where it
does not run is refused, naming the field and the engines that do run there.

Where each engine runs, from its own docs (the expected values below):
- TensorRT-LLM: NVIDIA GPUs only (TensorRT-LLM docs, 'Supported Hardware').
- vLLM: NVIDIA CUDA, AMD ROCm, Google TPU, Intel Gaudi, AWS Neuron; on a Mac the CPU only (docs.vllm.ai
  'Installation' lists the platforms; 'CPU': on macOS the CPU is the only supported device, Metal only via the
  community vllm-metal plugin).
- SGLang: NVIDIA GPUs, AMD GPUs, TPU (SGLang-JAX backend), Ascend, CPU, Intel XPU (docs.sglang.io 'Hardware
  Platforms'): no Apple GPU, no Gaudi, no Neuron.
- llama.cpp: CUDA, HIP, Metal, SYCL (Intel Arc/Max GPUs), Vulkan, CANN (README 'Supported backends'): no TPU,
  Gaudi or Neuron backend.
- MLX: Apple silicon and NVIDIA via its CUDA backend (MLX docs, 'Build and Install').
- gpt-fast: NVIDIA and AMD (pytorch-labs/gpt-fast README).
- transformers (PyTorch) and generic: every device in the catalog.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from modelmath.plugin.cli.main import cli
from modelmath.tools.registry import run_tool

APPLE = ("apple-m2-ultra", "apple-m3-max", "apple-m4-max")

RUNS = [  # (engine, device, runs there?)
    ("trt-llm", "h100", True), ("trt-llm", "mi300x", False), ("trt-llm", "tpu-v5e", False),
    ("trt-llm", "apple-m4-max", False), ("trt-llm", "gaudi3", False),
    ("vllm", "h100", True), ("vllm", "mi300x", True), ("vllm", "tpu-v5e", True), ("vllm", "gaudi3", True),
    ("vllm", "trainium2", True), ("vllm", "inferentia2", True), ("vllm", "apple-m2-ultra", False),
    ("sglang", "h100", True), ("sglang", "mi300x", True), ("sglang", "tpu-v6e", True),
    ("sglang", "apple-m3-max", False), ("sglang", "gaudi3", False), ("sglang", "trainium2", False),
    ("llama.cpp", "h100", True), ("llama.cpp", "mi300x", True), ("llama.cpp", "apple-m4-max", True),
    ("llama.cpp", "tpu-v5e", False), ("llama.cpp", "gaudi3", False), ("llama.cpp", "inferentia2", False),
    ("mlx", "apple-m4-max", True), ("mlx", "h100", True), ("mlx", "mi300x", False),
    ("gpt-fast", "mi300x", True), ("gpt-fast", "gaudi3", False), ("gpt-fast", "apple-m4-max", False),
    ("transformers", "tpu-v5e", True), ("transformers", "apple-m2-ultra", True), ("generic", "gaudi3", True),
]


def _speed(**inp):
    return run_tool("speed_estimate", {"model": "llama-3.1-8b", **inp})


@pytest.mark.parametrize(("engine", "gpu", "runs"), RUNS, ids=[f"{e}-{g}" for e, g, _ in RUNS])
def test_an_engine_is_refused_where_it_does_not_run(engine, gpu, runs):
    out = _speed(gpu=gpu, engine=engine)
    assert out.is_error == (not runs), out.result
    if runs:
        assert out.result["engine"]["id"] == engine
        assert not any("what-if" in w for w in out.result.get("warnings", []))
    else:
        err = out.result["error"]
        assert err["field"] == "engine" and engine not in err["allowed"]
        assert "transformers" in err["allowed"] and "does not run on" in err["message"]


@pytest.mark.parametrize("gpu", APPLE)
def test_apple_defaults_to_llama_cpp_and_names_mlx(gpu):
    out = _speed(gpu=gpu)
    assert not out.is_error, out.result
    assert out.result["engine"]["id"] == "llama.cpp"
    (said,) = [a for a in out.result["assumptions"] if "the default on Apple silicon" in a]
    assert "mlx also runs there" in said and "vllm" in said
    refused = _speed(gpu=gpu, engine="vllm")
    assert refused.is_error and set(refused.result["error"]["allowed"]) == {"llama.cpp", "mlx", "transformers",
                                                                          "generic"}


@pytest.mark.parametrize("gpu", ["h100", "mi300x", "tpu-v5e", "gaudi3", "trainium2", "inferentia2"])
def test_elsewhere_the_default_stays_vllm(gpu):
    # vLLM runs on each of these (docs above), so the catalog default applies.
    out = _speed(gpu=gpu)
    assert not out.is_error and out.result["engine"]["id"] == "vllm", out.result


def test_default_engine_memory_on_apple_is_llama_cpps():
    # Llama 3.1 8B (config: hidden 4096, 32 heads of 128, 8 KV heads, 32 layers, MLP 14,336 gated, vocab 128,256;
    # 8,030,261,248 parameters) at bf16, 8,192 tokens, one sequence, llama.cpp on one M2 Ultra:
    #   weights 8,030,261,248 x 2                                        = 16,060,522,496
    #   KV 32 layers x 8 heads x 128 x 2 (K, V) x 2 B = 131,072 B/token x 8,192 = 1,073,741,824
    #   compute buffer: one n_ubatch = 512-token chunk (llama.cpp default): per token 2 x 4096 + max(attention
    #     32x128x2 + 2x8x128 = 10,240, MLP 3 x 14,336 = 43,008) = 51,200 values x 2 B x 512 = 52,428,800,
    #     + fp32 logits of the last position 128,256 x 4 = 513,024                             =     52,941,824
    #   runtime 1 GiB                                                     =  1,073,741,824
    #   total                                                             = 18,260,947,968
    # (vLLM's 8,192-token prefill chunk would have given 839,373,824 B of activations instead.)
    out = _speed(gpu="apple-m2-ultra")
    assert out.result["memory_per_gpu_bytes"] == 18_260_947_968


def test_cli_refuses_vllm_on_an_m2_ultra_in_one_line():
    res = CliRunner().invoke(cli, ["speed", "llama-3.1-8b", "--gpu", "m2-ultra", "--engine", "vllm"])
    assert res.exit_code == 2
    (line,) = res.output.strip().splitlines()
    assert "vllm does not run on Apple M2 Ultra" in line and "llama.cpp" in line and "mlx" in line


def test_fit_refuses_an_engine_on_named_devices_it_does_not_run_on():
    out = run_tool("hardware_fit", {"model": "llama-3.1-8b", "engine": "trt-llm",
                                    "gpus": ["h100", "mi300x", "tpu-v5e", "apple-m4-max"]})
    err = out.result["error"]
    assert out.is_error and err["field"] == "engine"
    assert "mi300x, tpu-v5e, apple-m4-max" in err["message"] and "h100" not in err["message"].split(":")[0]
    # Engines that run on all four: only the PyTorch path and the generic profile (docs above).
    assert err["allowed"] == ["transformers", "generic"]


def test_fit_over_the_catalog_keeps_only_devices_the_engine_runs_on():
    out = run_tool("hardware_fit", {"model": "llama-3.1-8b", "engine": "trt-llm"})
    assert not out.is_error, out.result
    from modelmath.tools.hardware import gpus
    vendors = {gpus.lookup(r["gpu"]).vendor for r in out.result["gpus"]}
    assert vendors == {"nvidia"}
    (said,) = [a for a in out.result["assumptions"] if "left out" in a]
    assert "mi300x" in said and "apple-m4-max" in said and "tpu-v5e" in said


def test_fit_without_an_engine_gives_apple_rows_llama_cpp():
    out = run_tool("hardware_fit", {"model": "llama-3.1-8b", "gpus": ["h100", "apple-m4-max"]}).result
    rows = {r["gpu"]: r for r in out["gpus"]}
    assert out["engine"] == "vllm" and "engine" not in rows["h100-sxm"]
    assert rows["apple-m4-max"]["engine"] == "llama.cpp"
    assert any("the default on Apple silicon" in a and "mlx" in a for a in out["assumptions"])
    only_apple = run_tool("hardware_fit", {"model": "llama-3.1-8b", "gpus": ["apple-m4-max"]}).result
    assert only_apple["engine"] == "llama.cpp" and "engine" not in only_apple["gpus"][0]


def test_the_library_default_follows_the_device_too():
    # speed.decode_step(..., engine=None), as the README's library example calls it: llama.cpp on an M4 Max,
    # vLLM on an H100 (the same defaults as the tools).
    from modelmath.tools.hardware import gpus
    from modelmath.tools.hardware.speed import decode_step
    from modelmath.tools.model.formats import weight_format
    from modelmath.tools.model.params import parameter_count
    from modelmath.tools.model.resolve import resolve_model
    shape = resolve_model({"model": "llama-3.1-8b"}).shape
    params, bf16 = parameter_count(shape), weight_format("bf16")
    assert decode_step(shape, params, gpus.lookup("apple-m4-max"), bf16, 4096, 1).factors.engine == "llama.cpp"
    assert decode_step(shape, params, gpus.lookup("h100"), bf16, 4096, 1).factors.engine == "vllm"
