"""A published config.json with `Infinity` in it is read, not refused.

transformers' Mamba-2 family config classes (Mamba2, NemotronH, Bamba, FalconH1, GraniteMoeHybrid) default
time_step_limit to (0.0, float("inf")) and save_pretrained writes `[0.0, Infinity]`; nvidia/Nemotron-H-56B-Base-8K's
config.json holds exactly that (verbatim copy: ai-dynamo/aiconfigurator @0b077da5,
aic-core/src/aiconfigurator_core/model_configs/nvidia--Nemotron-H-56B-Base-8K_config.json). Before, `--config`,
a local checkpoint directory and a Hub repository of such a model all stopped at "Infinity is not a JSON number".
"""

import json
import subprocess
import sys

from modelmath.tools.model.catalog import lookup


def _config_text() -> str:
    cfg = dict(lookup("nemotron-h-56b").config)  # the catalog's copy of that config, time_step_limit left out
    cfg["time_step_limit"] = [0.0, float("inf")]
    return json.dumps(cfg)  # Python's json writes Infinity, as save_pretrained does


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "modelmath.plugin.cli.main", *args], capture_output=True, text=True,
                          timeout=60)


def test_config_file_with_infinity(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(_config_text())
    assert "Infinity" in path.read_text()
    p = _cli("params", "--config", str(path), "--json")
    assert p.returncode == 0, p.stderr
    # transformers 5.24.0 on the meta device: 56,324,350,464 (tests/tools/model/data/transformers_counts.json,
    # slug nemotron-h-56b).
    assert json.loads(p.stdout)["total_params"] == 56_324_350_464
    p = _cli("kv", "--config", str(path), "--context", "100", "--json")
    assert p.returncode == 0, p.stderr
    kv = json.loads(p.stdout)
    # By hand from the config: 10 attention layers x 8 KV heads x 128 head_dim x 2 (K, V) x 2 bytes = 40,960 B/token.
    assert kv["bytes_per_token"] == 40_960
    # 54 Mamba-2 layers x (conv (256*64 + 2*8*256) channels x 4 taps x 2 B = 163,840
    #                      + SSM 256 heads x 64 x 256 state x 4 B (float32) = 16,777,216) = 914,817,024 B per sequence.
    assert kv["state_bytes_per_sequence"] == 54 * (20_480 * 4 * 2 + 256 * 64 * 256 * 4) == 914_817_024


def test_local_directory_with_infinity_and_nan_elsewhere_refused(tmp_path):
    d = tmp_path / "nemotron-h"
    d.mkdir()
    (d / "config.json").write_text(_config_text())
    p = _cli("params", str(d), "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["total_params"] == 56_324_350_464
    # Non-finite anywhere a reader might use it is still refused, naming the field.
    (d / "config.json").write_text(_config_text().replace('"time_step_rank": 512', '"time_step_rank": NaN'))
    p = _cli("params", str(d))
    assert p.returncode == 2 and "NaN at time_step_rank" in p.stderr and len(p.stderr.strip().splitlines()) == 1
