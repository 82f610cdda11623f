"""Every JSON we print is strict (RFC 8259 has no NaN or Infinity), and no numeric input can carry one in."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from modelmath.plugin.cli.build import Number, echo_json
from modelmath.plugin.cli.main import cli
from modelmath.plugin.cli.vocabulary import flag_for
from modelmath.tools import jsonsafe
from modelmath.tools.registry import tools

REPO = Path(__file__).resolve().parents[2]


def _json_dumps_calls(path: Path) -> list[int]:
    tree = ast.parse(path.read_text())
    return [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            and n.func.attr in ("dumps", "dump") and isinstance(n.func.value, ast.Name) and n.func.value.id == "json"]


# json.dumps writes NaN and Infinity unless told not to; jsonsafe.dumps always refuses them. Everything that
# prints or sends JSON uses jsonsafe; these calls make no JSON document for a reader, and say why.
NOT_OUTPUT = {
    "plugin/hub/cache.py": "the Hub cache's own files, of values already parsed strictly",
    "plugin/assistant/agent.py": "a key to spot a repeated tool call, never printed",
    "plugin/assistant/progress.py": "a cut display of the model's tool input on stderr, as it was sent",
    "plugin/assistant/provenance.py": "the reproduce command quotes the model's input verbatim, so it reproduces a "
                                      "refusal too",
    "plugin/assistant/logs.py": "columns of the local SQLite log",
    "plugin/assistant/evalcmd.py": "eval transcript files written as recorded",
}


def test_nothing_prints_json_but_through_jsonsafe():
    found = {str(p.relative_to(REPO)): lines for d in ("plugin", "tools") for p in (REPO / d).rglob("*.py")
             if p.name != "jsonsafe.py" and (lines := _json_dumps_calls(p))}
    unexplained = {p: lines for p, lines in found.items() if p not in NOT_OUTPUT}
    assert not unexplained, f"use jsonsafe.dumps: {unexplained}"


def test_a_nan_result_raises_instead_of_printing(capsys):
    with pytest.raises(ValueError):
        echo_json({"usd_per_hour": float("nan")})
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError):
        jsonsafe.dumps([float("inf")])


def _number_options() -> list[tuple[str, str]]:
    """(command, flag) for every numeric option of every command derived from the registry."""
    out = []
    for t in tools():
        if t.cli is None:
            continue
        props = t.schema_for_validation["properties"]
        for name, schema in props.items():
            if schema.get("type") == "number":
                out.append((t.cli.command, flag_for(name)))
    return out


NUMBER_OPTIONS = _number_options()


def test_the_derived_commands_have_numeric_options():
    # fit, train-compute, kv, memory, self-host and cost all take some; the table below is not empty.
    assert len(NUMBER_OPTIONS) >= 8


@pytest.mark.parametrize("bad", ["nan", "NaN", "inf", "-inf", "Infinity", "1e309", "1e31"])
@pytest.mark.parametrize(("command", "flag"), NUMBER_OPTIONS)
def test_no_numeric_option_takes_nan_or_infinity(command, flag, bad):
    res = CliRunner().invoke(cli, [command, f"--{flag}", bad, "--json"])
    assert res.exit_code == 2, res.output
    assert "must be a finite number" in res.output or "out of range" in res.output, res.output


def test_number_type_messages():
    t = Number(0, 1, min_open=True)
    assert t.convert("0.5", None, None) == 0.5
    for bad, says in (("nan", "finite"), ("0", "above 0 and at most 1"), ("2", "above 0 and at most 1"),
                      ("x", "not a number")):
        with pytest.raises(click.BadParameter, match=says):
            t.convert(bad, None, None)


def test_words_and_pages_refuse_nan_too():
    for flag in ("--words", "--pages"):
        res = CliRunner().invoke(cli, ["tokens", flag, "nan"])
        assert res.exit_code == 2 and "finite" in res.output


def test_run_tool_output_is_strict_json():
    res = CliRunner().invoke(cli, ["run-tool", "kv_cache", '{"model": "gpt2", "context_tokens": NaN}'])
    assert res.exit_code == 2
    json.loads(res.output, parse_constant=lambda c: pytest.fail(f"non-strict JSON constant {c}"))


def test_an_overflowing_result_is_an_error_not_infinity():
    # 6 x 124,439,808 (GPT-2) x 1e30 tokens = 7.5e38 FLOPs at an MFU of 1e-300 of 989 TFLOP/s: ~2e323 s, past
    # the largest float (1.8e308). The result would hold inf; it comes back as an error instead.
    res = CliRunner().invoke(cli, ["train-compute", "gpt2", "--tokens", "1e30", "--mfu", "1e-300", "--json"])
    assert res.exit_code == 2 and "cannot compute" in res.output and "Infinity" not in res.output
