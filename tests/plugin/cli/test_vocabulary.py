"""One command-line vocabulary (plugin/cli/vocabulary.py): a flag names one input in every command, an input
has one flag everywhere, old spellings still work for a release, errors speak flags, the README lists it."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from modelmath.plugin.cli.main import cli
from modelmath.plugin.cli.vocabulary import FLAGS, OLD_FLAGS, speak_flags
from modelmath.tools.registry import cli_commands

REPO = Path(__file__).resolve().parents[3]


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def _commands() -> dict[str, click.Command]:
    ctx = click.Context(cli)
    return {name: cli.get_command(ctx, name) for name in cli_commands()}


def _visible_flags(cmd: click.Command) -> dict[str, str]:
    """flag → input name (flattened architecture fields as architecture.<field>)."""
    out = {}
    for p in cmd.params:
        if not isinstance(p, click.Option) or p.hidden or p.name in ("as_json", "prices_file"):
            continue
        name = p.name.replace("arch__", "architecture.")
        for opt in [*p.opts, *p.secondary_opts]:
            out[opt] = name
    return out


# One concept under two input names: a GPU name, one (speed, training) or several (fit).
SAME_CONCEPT = {"gpus": "gpu"}


def test_a_flag_means_one_input_and_an_input_has_one_flag():
    by_flag, by_input = defaultdict(set), defaultdict(set)
    for cmd in _commands().values():
        for flag, name in _visible_flags(cmd).items():
            name = SAME_CONCEPT.get(name, name)
            by_flag[flag].add(name)
            if not flag.startswith("--no-") and flag != "--untied":
                by_input[name].add(flag)
    assert {f: n for f, n in by_flag.items() if len(n) > 1} == {}
    assert {n: f for n, f in by_input.items() if len(f) > 1} == {}


def test_the_words_the_issue_asked_for():
    cmds = _commands()
    for command in ("fit", "speed", "train-memory", "train-compute", "self-host"):
        assert _visible_flags(cmds[command]).get("--gpus") == "gpu_count", command
    for command in ("kv", "memory", "fit", "speed", "train-memory"):
        flags = _visible_flags(cmds[command])
        assert flags.get("--context") == "context_tokens" and flags.get("--batch") == "batch_size", command
    for command in ("fit", "train-compute", "self-host"):
        assert _visible_flags(cmds[command]).get("--usd-per-gpu-hour") == "usd_per_gpu_hour", command
    for command in ("memory", "fit", "speed"):
        assert _visible_flags(cmds[command]).get("--weights") == "weight_dtype", command


@pytest.mark.parametrize(("args", "old", "new"), [
    (["fit", "llama-3.1-8b", "--gpu", "h100", "--gpu-count", "2"], "--gpu-count", "--gpus"),
    (["train-memory", "llama-3.1-8b", "--seq", "2k"], "--seq", "--context"),
    (["train-memory", "llama-3.1-8b", "--micro-batch", "2"], "--micro-batch", "--batch"),
    (["self-host", "--gpus", "8", "--gpu-usd-per-hour", "2.5", "--tokens-per-second", "20000"],
     "--gpu-usd-per-hour", "--usd-per-gpu-hour"),
    (["cost", "haiku-4.5", "--input-tokens", "1000", "--output-tokens", "10", "--batch"], "--batch", "--batch-api"),
])
def test_old_spellings_work_with_a_note_and_are_hidden(args, old, new):
    res = invoke(*args)
    assert res.exit_code == 0, res.output
    assert f"{old} is now {new}" in res.output
    help_text = invoke(args[0], "--help").output
    assert new in help_text and not re.search(rf"{re.escape(old)}\b(?!-)", help_text.replace(new, ""))
    twice = invoke(*args, *([new, "1"] if new not in ("--batch-api",) else [new]))
    assert twice.exit_code == 2 and "old spelling" in twice.output


def test_old_spelling_means_the_same():
    # 8 GPUs x $2.50 over 20,000 tokens/s against Sonnet 5.5's blended $4/MTok: break-even 3.6e9 tokens/month
    # (hand derivation in tests/tools/pricing/test_cost.py), whichever spelling gives the price.
    import json

    new = invoke("self-host", "--gpus", "8", "--usd-per-gpu-hour", "2.5", "--tokens-per-second", "20000", "--json")
    assert json.loads(new.output)["break_even_tokens_per_month"] == 3_600_000_000


def test_every_old_spelling_names_a_vocabulary_input():
    inputs = {n for cmd in _commands().values() for n in _visible_flags(cmd).values()}
    assert set(OLD_FLAGS.values()) <= inputs


def test_errors_speak_flags():
    assert speak_flags("give gpu_count > 1 with zero_stage", {"gpu_count": "gpus", "zero_stage": "zero-stage"}) == \
        "give --gpus > 1 with --zero-stage"
    assert speak_flags("architecture.dense_layers must be < 4", {"architecture.dense_layers": "dense-layers"}) == \
        "--dense-layers must be < 4"
    res = invoke("train-memory", "llama-3.1-8b", "--zero-stage", "2")
    assert res.exit_code == 2 and "--gpus" in res.output and "gpu_count" not in res.output


def test_readme_lists_the_vocabulary_once():
    readme = (REPO / "README.md").read_text()
    section = readme.split("### Command-line vocabulary", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    assert readme.count("### Command-line vocabulary") == 1
    for name, flag in FLAGS.items():
        first = "--" + flag.split("/")[0]
        assert first in section and name.split(".")[-1] in section, (name, flag)
    for old in OLD_FLAGS:
        assert f"--{old}" in section, old


def test_results_name_commands_not_tools_on_the_terminal():
    # Llama-3.1-70B needs ~146 GB at bf16; a T4 has 15.8 GB: the speed result says where to look next.
    res = invoke("speed", "llama-3.1-70b", "--gpu", "t4")
    assert res.exit_code == 0 and "`modelmath fit` finds a count" in res.output and "hardware_fit" not in res.output
    assert "`hardware_fit`" in invoke("speed", "llama-3.1-70b", "--gpu", "t4", "--json").output  # the tool's words
