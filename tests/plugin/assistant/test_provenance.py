"""Provenance computed by the client (plugin/assistant/provenance.py, output.py) and terminal progress
(progress.py). The reproduce commands are run in a real shell: each must print the tool's result byte for byte."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from modelmath.plugin.assistant.answer import Answer, ToolCall
from modelmath.plugin.assistant.output import AnswerWriter, footer
from modelmath.plugin.assistant.progress import Progress, key_inputs
from modelmath.plugin.assistant.provenance import reproduce_command, shorten, sources
from modelmath.tools import jsonsafe
from modelmath.tools.hardware.gpus import lookup as gpu_lookup
from modelmath.tools.model.catalog import lookup as model_lookup
from modelmath.tools.pricing.prices import lookup_price
from modelmath.tools.registry import run_tool

CASES = [
    ("kv_cache", {"model": "llama-3.1-70b", "context_tokens": 131072, "batch_size": 8}),
    # Quotes, a dollar sign, a backslash and non-ASCII text: the quoting must survive a POSIX shell.
    ("count_tokens", {"text": "it's \"quoted\", $HOME, back\\slash, naïve 東京"}),
    ("api_cost", {"model": "haiku-4.5", "input_tokens": 1500, "output_tokens": 300, "requests_per_day": 10000,
                  "compare": ["sonnet-5.5"]}),
    ("kv_cache", {"model": "mistral-7b-v0.3", "context_tokens": 32768, "kv_dtype": "fp4"}),  # an error result
]


@pytest.mark.parametrize(("name", "inp"), CASES)
def test_reproduce_command_prints_the_identical_result(name, inp):
    outcome = run_tool(name, inp)
    command = reproduce_command(name, inp, environ={})
    bindir = str(Path(sys.executable).parent)  # the installed `modelmath` script beside this interpreter
    env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", ""), "LC_ALL": "C.UTF-8"}
    env.pop("MODELMATH_PRICES", None)
    done = subprocess.run(["bash", "-c", command], capture_output=True, env=env)
    assert done.stdout == (jsonsafe.dumps(outcome.result, indent=2) + "\n").encode()
    assert done.returncode == (2 if outcome.is_error else 0)


def test_a_price_file_in_effect_is_part_of_the_command():
    cmd = reproduce_command("api_cost", {"model": "haiku-4.5"}, environ={"MODELMATH_PRICES": "/tmp/my prices.json"})
    # tests/conftest.py pins today to 2026-11-30; api_cost's result depends on the day, so the command pins it.
    assert cmd.startswith("MODELMATH_PRICES='/tmp/my prices.json' MODELMATH_TODAY=2026-11-30 "
                          "modelmath run-tool api_cost ")
    long = reproduce_command("count_tokens", {"text": "x" * 5000}, environ={})
    assert len(shorten(long)) < 400 and "characters; the full command is in --json" in shorten(long)


def test_only_a_result_that_depends_on_the_day_pins_it():
    assert reproduce_command("kv_cache", {"model": "llama-3.1-8b"}, environ={}).startswith("modelmath run-tool")
    assert reproduce_command("self_hosting_cost", {"gpu_count": 1}, environ={}).startswith(
        "MODELMATH_TODAY=2026-11-30 modelmath run-tool self_hosting_cost ")
    assert reproduce_command("no_such_tool", {}, environ={}).startswith("modelmath run-tool no_such_tool ")


def test_sources_are_the_catalog_entries_the_results_name_with_the_catalogs_dates():
    results = [run_tool("hardware_fit", {"model": "llama-3.1-8b", "gpus": ["h100", "rtx-4090"]}).result,
               run_tool("api_cost", {"model": "haiku-4.5", "input_tokens": 1, "output_tokens": 1,
                                     "compare": ["sonnet-5.5"]}).result,
               run_tool("self_hosting_cost", {"gpu_count": 1, "usd_per_gpu_hour": 2, "tokens_per_second": 100,
                                              "claude_model": "opus-5.5"}).result]
    got = {(s["kind"], s["id"]): s for s in sources(results)}
    llama, h100, haiku = model_lookup("llama-3.1-8b"), gpu_lookup("h100"), lookup_price("haiku-4.5")
    assert got["model", "llama-3.1-8b"] == {"kind": "model", "id": "llama-3.1-8b", "name": llama.name,
                                            "source": llama.source, "as_of": llama.as_of}
    assert got["gpu", h100.id]["source"] == h100.source and ("gpu", gpu_lookup("rtx-4090").id) in got
    assert got["price", haiku.id]["as_of"] == haiku.as_of and ("price", "claude-sonnet-5-5") in got
    assert ("price", "claude-opus-5-5") in got  # named by self_hosting_cost without an id
    assert len(got) == 6
    assert sources([run_tool("count_tokens", {"text": "hi"}).result]) == []


def test_footer_lists_commands_of_calls_that_ran_and_says_when_none_did():
    inp = {"model": "llama-3.1-8b"}
    ok = ToolCall("t1", "parameter_count", inp, run_tool("parameter_count", inp).result, False,
                  command=reproduce_command("parameter_count", inp, environ={}))
    bad = ToolCall("t2", "parameter_count", {"model": "claude-opus-5"}, {"error": {}}, True, command="x")
    text = footer(Answer("a", "m", [ok, bad], [], "end_turn"))
    assert text.splitlines()[2] == "  modelmath run-tool parameter_count '{\"model\":\"llama-3.1-8b\"}'"
    assert "claude-opus-5" not in text and "Llama 3.1 8B (model catalog, as of" in text
    assert "no calculator result was used" in footer(Answer("a", "m", [bad], [], "end_turn"))


def test_progress_lines_and_the_thinking_timer_on_a_terminal_only():
    assert key_inputs({"model": "llama-3.1-70b", "context_tokens": 131072, "gpus": ["h100", "a100"],
                       "hf_config": {"model_type": "llama"}}) == \
        "model=llama-3.1-70b context_tokens=131072 gpus=h100,a100 hf_config={llama}"
    err, now = io.StringIO(), [100.0]
    p = Progress(err, tty=True, clock=lambda: now[0])
    p.waiting("thinking")
    now[0] = 103.4
    p.waiting("thinking")  # the same wait: the clock keeps running
    p.tool_started("kv_cache", {"model": "x"})
    p.retrying("overloaded (529), retry 1 of 3: retrying in 0.5 s")
    p.close()
    assert err.getvalue() == ("\r\x1b[2Kthinking… 0 s\r\x1b[2Kthinking… 3 s\r\x1b[2K→ kv_cache model=x\n"
                              "… overloaded (529), retry 1 of 3: retrying in 0.5 s\n")
    piped = io.StringIO()
    p = Progress(piped, tty=False)
    p.waiting("thinking")
    p.tool_started("kv_cache", {"model": "x"})
    p.close()
    assert piped.getvalue() == "→ kv_cache model=x\n"  # no timer when stderr is not a terminal
    quiet = io.StringIO()
    p = Progress(quiet, tty=True, quiet=True)
    p.waiting("thinking")
    p.tool_started("kv_cache", {})
    p.retrying("x")
    p.close()
    assert quiet.getvalue() == ""


def test_a_progress_line_starts_on_a_fresh_line_after_partial_answer_text():
    out, err = io.StringIO(), io.StringIO()
    w = AnswerWriter(out, styled=False)
    p = Progress(err, tty=False, before_line=w.end_line)
    w.write("Computing both.")
    p.tool_started("kv_cache", {"model": "x"})
    assert out.getvalue() == "Computing both.\n" and w.at_line_start
