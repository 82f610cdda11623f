"""Human output: exact counts whole, estimates with their own precision and no e-notation beside grouped
numbers, "B" for bytes only, no `None`, missing prices said; JSON keeps estimates as floats."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from modelmath.plugin.cli.main import cli
from modelmath.plugin.cli.render import approx, render


def out(*args: str) -> str:
    res = CliRunner().invoke(cli, list(args))
    assert res.exit_code == 0, res.output
    return res.output


@pytest.mark.parametrize(("value", "text"), [
    (0.633, "0.633"),
    (12_900.0, "12,900"),  # a 3-significant-figure estimate: no exponent, no invented digits
    (26_670_000.0, "26.67 million"),
    (8.592e12, "8.592 trillion"),
    (3.799e25, "3.799e25"),  # FLOP counts: from 10^15 up
    (0.1 + 0.2, "0.3"),  # binary noise is not a significant figure
    (1e-7, "0.0000001"),
    (-2.5e6, "-2.5 million"),
])
def test_approx(value, text):
    assert approx(value) == text


# Commands with many numbers of every kind: counts, bytes, estimates, money, per-GPU tables.
SAMPLES = [
    ("params", "llama-3.1-8b"),
    ("memory", "qwen2.5-72b", "--weights", "q4_k_m", "--context", "32k", "--batch", "4"),
    ("fit", "qwen2.5-7b", "--context", "8k"),
    ("speed", "llama-3.3-70b", "--gpu", "h100", "--gpus", "2", "--weights", "fp8", "--context", "5250",
     "--prompt", "5000"),
    ("train-compute", "llama-3.1-405b", "--tokens", "15.6e12", "--gpus", "16384", "--gpu", "h100"),
    ("train-memory", "llama-3.1-8b", "--method", "qlora", "--context", "4k", "--gpu", "rtx-4090"),
    ("gpu",),
    ("gpu", "t4"),
    ("kv", "deepseek-v3", "--context", "32k", "--memory-budget-gib", "40"),
]


@pytest.mark.parametrize("args", SAMPLES, ids=[" ".join(a[:2]) for a in SAMPLES])
def test_no_exponent_none_or_billion_b(args):
    text = out(*args)
    assert "None" not in text
    # No e-notation below 10^15: an exponent, if any, is 15 or more.
    for m in re.finditer(r"\d(?:\.\d+)?e\+?(-?\d+)", text):
        assert int(m.group(1)) >= 15, f"{m.group(0)} in: {text}"
    # "B" follows a byte count only ("16,060,522,496 B"); billions are spelt out.
    for m in re.finditer(r"(\d[\d.,]*) ?B\b", text):
        assert "," in m.group(1) or m.group(1).isdigit(), f"'{m.group(0)}' reads as billions in: {text}"


def test_params_read_in_billions():
    # Llama 3.1 8B: 8,030,261,248 parameters (hand count in tests/tools/model/test_params.py) → 8.03 billion.
    assert "8,030,261,248  (8.03 billion)" in out("params", "llama-3.1-8b")


def test_unsupported_formats_and_missing_prices_are_words():
    t4 = out("gpu", "t4")  # NVIDIA T4 datasheet: no BF16, no FP8 tensor cores
    assert re.search(r"bf16\s+not supported", t4) and re.search(r"fp8\s+not supported", t4)
    # The H200 has no catalog price: its columns stay, saying so, beside a priced H100.
    fit = out("fit", "llama-3.1-8b", "--gpu", "h100,h200")
    header = next(line for line in fit.splitlines() if "usd_per_hour_all_gpus" in line)
    assert "usd_per_mtok" in header
    assert re.search(r"h200 .*no price\s+no price", fit)
    alone = json.loads(out("fit", "llama-3.1-8b", "--gpu", "h200", "--json"))["gpus"][0]
    assert alone["usd_per_hour_all_gpus"] is None and alone["usd_per_mtok"] is None


def test_estimates_are_floats_and_counts_ints_in_json():
    r = json.loads(out("train-compute", "llama-3.1-405b", "--tokens", "15.6e12", "--gpus", "16384", "--gpu",
                       "h100", "--json"))
    assert isinstance(r["params_used"], int) and isinstance(r["training_tokens"], int)
    # 6 · 405,853,388,800 · 15.6e12 = 3.7988e25 FLOPs, an estimate kept to 4 significant figures.
    assert isinstance(r["training_flops"], float) and r["training_flops"] == 3.799e25
    assert all(isinstance(r[k], float) for k in ("gpu_hours", "days", "cost_usd", "chinchilla_optimal_tokens"))
    row = json.loads(out("fit", "llama-3.1-8b", "--gpu", "h100", "--json"))["gpus"][0]
    assert isinstance(row["gpus"], int) and isinstance(row["max_seqs"], int)
    assert all(isinstance(row[k], float) for k in ("decode_tok_s", "prefill_tok_s", "ttft_s", "per_gpu_gib"))


def test_render_of_a_small_result():
    text = render({"total_bytes": 2**30, "rate_usd_per_hour": 2.5, "tflops": None, "price": None,
                   "rows": [{"gpu": "a", "usd_per_hour": 1.0}, {"gpu": "b", "usd_per_hour": None}]})
    assert "1,073,741,824 B  = 1.074 GB = 1.000 GiB" in text
    assert "$2.5" in text and "not supported" in text and "no price" in text and "None" not in text


def test_a_tiny_positive_price_is_not_shown_as_zero():
    # $0.01/hour over 1e9 tokens/s: 0.01 / (1e9 x 3,600 / 1e6 MTok) = $2.8e-9 per MTok, below the six decimals
    # shown: "<$0.000001", not "$0.00" (QA pass). Exact values stay in --json.
    from decimal import Decimal

    from modelmath.tools.pricing.quote import format_usd

    assert format_usd(Decimal("0.01") / Decimal(3_600_000)) == "<$0.000001"
    assert format_usd(Decimal(0)) == "$0.00" and format_usd(Decimal("0.0003")) == "$0.0003"
    text = out("self-host", "--gpus", "1", "--usd-per-gpu-hour", "0.01", "--tokens-per-second", "1e9")
    assert re.search(r"self_hosted_usd_per_mtok\s+<\$0\.000001", text)


def test_model_notes_show_under_the_header_not_only_in_json(tmp_path):
    # README ("Order"): an unpinned org/name that is a catalog entry's own repository is answered from the
    # catalog, "and the result says so and offers org/name@main". The note was in --json only (QA pass).
    text = out("params", "Qwen/Qwen3-8B")
    head = text.split("total_params")[0]
    assert "note: catalog entry qwen3-8b used for Qwen/Qwen3-8B" in head and "'Qwen/Qwen3-8B@main'" in head
    assert text.count("Qwen/Qwen3-8B@main") == 1  # shown once: not repeated among the assumptions
    # A catalog value read from a copy of its source says which copy (the model block's shape_read_from).
    as_json = json.loads(out("params", "qwen3-8b", "--json"))["model"]
    assert f"read from a copy of that source: {as_json['shape_read_from']}" in out("params", "qwen3-8b")
    # A user's config: the fields taken from transformers' defaults are said up front.
    cfg = tmp_path / "config.json"
    cfg.write_text('{"model_type": "llama"}')
    assert "note: not in the config, so taken from transformers' llama defaults" in \
        out("kv", "--config", str(cfg), "--context", "1k").split("kv_dtype")[0]


def test_a_window_warning_says_how_the_window_was_derived(tmp_path):
    # A Qwen-style YaRN block (model card: factor 4 over original 32,768 -> 4 x 32,768 = 131,072 tokens) on a
    # config whose max_position_embeddings stays 32,768: the budget's ceiling is 131,072 and says why.
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({"model_type": "qwen2", "vocab_size": 1000, "hidden_size": 64, "num_hidden_layers": 2,
                               "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 128,
                               "max_position_embeddings": 32768, "rope_scaling": {
                                   "rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768}}))
    text = out("kv", "--config", str(cfg), "--context", "1k", "--memory-budget-gib", "40")
    assert ("the model's window (131,072 tokens: YaRN: original_max_position_embeddings 32,768 x factor 4)"
            in text)


def test_an_empty_block_says_none_instead_of_a_bare_heading():
    # fit with nothing that fits: recommendations is {} and used to print a heading over nothing.
    text = out("fit", "llama-3.1-70b", "--context", "32k", "--gpu", "rtx-4090", "--gpus", "2")
    assert "recommendations: none" in text
    assert not re.search(r"^\s*recommendations:\s*$", text, re.M)
    assert render({"a": 1, "empty": {}}).splitlines() == ["a  1", "empty: none"]
