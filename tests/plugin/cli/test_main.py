"""The offline CLI: stable commands and JSON keys, numbers as people write them, one-line errors."""

import json
import os
import subprocess
import sys

import pytest
from modelmath.tools.registry import definitions, tools


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "modelmath.plugin.cli.main", *args], capture_output=True, text=True,
                          timeout=60)


def run_json(*args: str) -> dict:
    p = run(*args, "--json")
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_params_json_has_integer_counts():
    out = run_json("params", "llama-3.1-8b")
    assert out["total_params"] == 8_030_261_248  # hand derivation in tests/tools/model/test_params.py
    assert out["active_params"] == 8_030_261_248


def test_params_from_explicit_fields():
    # GPT-2 small by hand (tests/tools/model/test_params.py) minus the 786,432 learned position table, since
    # explicit fields default to rotary positions; with --positions learned it is the full 124,439,808.
    out = run_json("params", "--vocab-size", "50257", "--hidden-size", "768", "--layers", "12", "--heads", "12",
                   "--intermediate-size", "3072", "--ffn", "standard", "--tied", "--norm", "layernorm",
                   "--qkv-bias", "--o-bias", "--mlp-bias", "--positions", "learned",
                   "--max-position-embeddings", "1024")
    assert out["total_params"] == 124_439_808


def test_params_from_config_file(tmp_path):
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({"model_type": "mixtral"}))  # transformers MixtralConfig defaults = 8x7B
    out = run_json("params", "--config", str(cfg))
    assert (out["total_params"], out["active_params"]) == (46_702_792_704, 12_879_925_248)  # test_params.py


def test_kv_json_and_suffixes():
    out = run_json("kv", "llama-3.1-70b", "--context", "128Ki", "--batch", "2")
    assert out["bytes_per_token"] == 327_680  # 80 x 2 x 8 x 128 x 2
    assert out["total_bytes"] == 2 * 131072 * 327_680


def test_memory_human_output_shows_gb_and_gib():
    p = run("memory", "llama-3.1-8b", "--weights", "q4_k_m", "--context", "8k")
    assert p.returncode == 0
    assert "GB" in p.stdout and "GiB" in p.stdout and "assumptions:" in p.stdout


def test_models_and_tools():
    p = run("models", "qwen3")
    assert p.returncode == 0 and "qwen3-8b" in p.stdout
    p = run("tools", "--json")
    assert json.loads(p.stdout) == definitions()


def test_run_tool_ok_and_error_json():
    p = run("run-tool", "kv_cache", '{"model": "deepseek-v3", "context_tokens": 1}')
    assert p.returncode == 0 and json.loads(p.stdout)["bytes_per_token"] == 61 * 576 * 2
    p = run("run-tool", "kv_cache", '{"model": "deepseek-v3", "context_tokens": -1}')
    assert p.returncode == 2 and json.loads(p.stdout)["error"]["field"] == "context_tokens"
    p = run("run-tool", "kv_cache", "{not json")
    assert p.returncode == 2 and json.loads(p.stdout)["error"]["type"] == "invalid_json"


@pytest.mark.parametrize("args,needle", [
    (["kv", "llama-3.1-8b", "--context", "-5"], "--context"),
    (["kv", "llama-3.1-8b", "--context", "0"], "--context"),
    (["kv", "llama-3.1-8b", "--context", "lots"], "--context"),
    (["kv", "llama-3.1-8b", "--context", "10", "--kv-dtype", "fp7"], "fp7"),
    (["params", "lama-3.1-8"], "did you mean"),
    (["params", "--vocab-size", "10", "--hidden-size", "8", "--layers", "1", "--heads", "4", "--kv-heads", "3",
      "--intermediate-size", "8"], "multiple of num_kv_heads"),
    (["params", "--config", "/nonexistent/config.json"], "no such file"),
    (["params", "--config", "/dev/zero"], "is a device"),
    (["params", "--config", "/tmp"], "is a directory"),
    (["params"], "exactly one"),
    (["memory", "gpt2", "--weights", "int3"], "int3"),
    (["params", "--hidden-size", "8"], "missing required field"),
    (["speed", "llama-3.1-8b"], "--gpu"),
    (["cost", "--input-tokens", "1", "--output-tokens", "1"], "MODEL"),
])
def test_bad_input_exits_2_with_one_line(args, needle):
    p = run(*args)
    assert p.returncode == 2, p.stdout
    assert "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1, p.stderr
    assert needle in p.stderr


def test_broken_config_json(tmp_path):
    bad = tmp_path / "config.json"
    bad.write_text("{oops")
    p = run("params", "--config", str(bad))
    assert p.returncode == 2 and "not valid JSON" in p.stderr and "Traceback" not in p.stderr


def test_offline_path_does_not_import_heavy_sdks():
    code = ("import sys; from modelmath.plugin.cli.main import main\n"
            "try: main(['params', 'llama-3.1-8b', '--json'])\n"
            "except SystemExit: pass\n"
            "bad = [m for m in ('anthropic', 'mcp', 'tiktoken', 'jsonschema') if m in sys.modules]\n"
            "print('HEAVY', bad, file=sys.stderr)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "HEAVY []" in p.stderr, p.stderr


_DERIVED = [t.cli.command for t in tools() if t.cli]


@pytest.mark.parametrize("command", _DERIVED)
def test_every_derived_command_has_help_and_refuses_empty_input_cleanly(command):
    assert run(command, "--help").returncode == 0
    p = run(command)
    # With no input a command either answers (every input optional) or says what is missing in one line.
    assert "Traceback" not in p.stderr
    if p.returncode:
        assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1, p.stderr


def _status_on(day: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MODELMATH_TODAY": day}
    return subprocess.run([sys.executable, "-m", "modelmath.plugin.cli.main", "run-tool", "api_cost",
                           '{"model":"sonnet-4.5","input_tokens":1,"output_tokens":1}'],
                          capture_output=True, text=True, env=env)


def test_modelmath_today_pins_the_day_a_result_is_computed_for():
    # Anthropic's model deprecations page: Claude Sonnet 4.5 (claude-sonnet-4-5-20250929) retires 2026-11-30,
    # and a retirement date is the first day requests fail.
    assert json.loads(_status_on("2026-11-29").stdout)["status"] == "deprecated"
    assert json.loads(_status_on("2026-11-30").stdout)["status"] == "retired"
    bad = _status_on("30/11/2026")
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr == ("modelmath: error: MODELMATH_TODAY must be a real date written YYYY-MM-DD, "
                          "got '30/11/2026'\n")
