"""An engine asked for on a device it does not run on gives figures anyway (a what-if with its constants), and
says so: the QA pass found `--engine trt-llm --gpu mi300x`, `--engine vllm --gpu apple-m4-max` and `--engine mlx`
off Apple answered with only "uncalibrated". Where each engine runs, from its own docs: TensorRT-LLM NVIDIA only
('Supported Hardware'); MLX Apple silicon and NVIDIA through its CUDA backend ('Build and Install'); gpt-fast
NVIDIA and AMD (its README); vLLM on a Mac only on the CPU (docs, 'CPU')."""

from __future__ import annotations

import pytest
from modelmath.tools.registry import run_tool


def _warnings(engine: str, gpu: str) -> list[str]:
    out = run_tool("speed_estimate", {"model": "llama-3.1-8b", "gpu": gpu, "engine": engine})
    assert not out.is_error, out.result
    return out.result.get("warnings", [])


@pytest.mark.parametrize(("engine", "gpu", "elsewhere"), [
    ("trt-llm", "mi300x", True), ("trt-llm", "h100", False), ("trt-llm", "tpu-v5e", True),
    ("vllm", "apple-m4-max", True), ("vllm", "tpu-v5e", False), ("vllm", "mi300x", False),
    ("mlx", "apple-m4-max", False), ("mlx", "h100", False), ("mlx", "mi300x", True),
    ("gpt-fast", "mi300x", False), ("gpt-fast", "gaudi3", True),
    ("llama.cpp", "apple-m4-max", False), ("sglang", "h100", False),
])
def test_speed_says_when_the_engine_does_not_run_there(engine, gpu, elsewhere):
    said = [w for w in _warnings(engine, gpu) if "what-if" in w]
    assert bool(said) == elsewhere, said


def test_fit_names_the_devices_whose_rows_are_what_ifs():
    out = run_tool("hardware_fit", {"model": "llama-3.1-8b", "engine": "trt-llm",
                                    "gpus": ["h100", "mi300x", "tpu-v5e", "apple-m4-max"]})
    (said,) = [w for w in out.result["warnings"] if "what-if" in w]
    assert said.startswith("TensorRT-LLM runs on NVIDIA GPUs only")
    assert "mi300x, tpu-v5e, apple-m4-max" in said and "h100" not in said
