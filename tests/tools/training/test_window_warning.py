"""Training past the model's context window is context extension: the result says so (the QA pass got no
word for `train-memory llama-3.1-8b --seq 1M`), and computes it anyway. Llama 3.1 8B's window is 131,072 tokens
(config max_position_embeddings; its llama3 rope scaling stays inside it, tools/model/window.py)."""

from __future__ import annotations

import pytest
from modelmath.tools.registry import run_tool


@pytest.mark.parametrize("tool", ["training_memory", "training_compute"])
@pytest.mark.parametrize(("seq", "warned"), [(131_072, False), (131_073, True), (1_000_000, True)])
def test_a_sequence_past_the_window_is_said(tool, seq, warned):
    out = run_tool(tool, {"model": "llama-3.1-8b", "context_tokens": seq})
    assert not out.is_error, out.result
    said = [w for w in out.result.get("warnings", []) if "context extension" in w]
    assert bool(said) == warned
    if warned:
        assert f"{seq:,} exceeds the model's context window of 131,072 tokens" in said[0]
