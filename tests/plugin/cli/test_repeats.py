"""An option given twice with different values is refused, not silently resolved to the last one."""

from __future__ import annotations

import subprocess
import sys

import pytest


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "modelmath.plugin.cli.main", *args], capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize(("args", "line"), [
    (["speed", "llama-3.1-8b", "--gpu", "h100", "--engine", "llama.cpp", "--engine", "vllm"],
     "--engine given twice (--engine 'llama.cpp', then --engine 'vllm'): give it once"),
    (["cost", "sonnet-5.5", "--input-tokens", "5", "--input-tokens=6"],
     "--input-tokens given twice (--input-tokens '5', then --input-tokens '6'): give it once"),
    (["tokens", "--model", "haiku-4.5", "--model", "sonnet-5.5", "hi"],
     "--model given twice (--model 'haiku-4.5', then --model 'sonnet-5.5'): give it once"),
])
def test_a_single_valued_option_given_twice_differently_is_refused(args, line):
    p = run(*args)
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.startswith(f"modelmath: error: {line}") and p.stderr.count("\n") == 1


def test_the_same_value_twice_and_options_that_collect_values_still_work():
    # --kv-dtype fp8 twice says one thing; --gpu on fit collects a list of devices.
    assert run("kv", "llama-3.1-8b", "--context", "8k", "--kv-dtype", "fp8", "--kv-dtype=fp8").returncode == 0
    assert run("fit", "llama-3.1-8b", "--gpu", "h100", "--gpu", "a100-80gb", "--json").returncode == 0
    # A value that looks like an option is the value, not a second option: `--context --context` is one bad value.
    bad = run("kv", "llama-3.1-8b", "--context", "--context")
    assert bad.returncode == 2 and "given twice" not in bad.stderr
