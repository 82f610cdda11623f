"""A Hub repository whose config.json holds `Infinity` (transformers' Mamba-2 time_step_limit default; see
tests/plugin/cli/test_config_nonfinite.py for the published config that has it) is read, not refused."""

import json

from modelmath.tools.model.catalog import lookup
from modelmath.tools.registry import run_tool


def test_hub_config_with_infinity(hub, publish):
    cfg = dict(lookup("nemotron-h-56b").config)
    cfg["time_step_limit"] = [0.0, float("inf")]
    d = publish.folder("acme/Nemotron-H-56B")
    (d / "config.json").write_text(json.dumps(cfg))
    assert "Infinity" in (d / "config.json").read_text()
    publish.publish("acme/Nemotron-H-56B", d)
    out = run_tool("parameter_count", {"model": "acme/Nemotron-H-56B"})
    assert not out.is_error, out.result
    # transformers 5.24.0, meta device (tests/tools/model/data/transformers_counts.json, slug nemotron-h-56b)
    assert out.result["total_params"] == 56_324_350_464
