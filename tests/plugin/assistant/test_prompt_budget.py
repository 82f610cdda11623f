"""The cached prefix (tool definitions + developer system prompt) stays within the budget that
benchmarks/prompt_size.py sets and justifies (cache-write and cache-read cost at Sonnet 5.5)."""

import importlib.util
import json
import math
from pathlib import Path

from modelmath.plugin.assistant.agent import system_blocks, tool_definitions

ROOT = Path(__file__).resolve().parents[3]


def _goal() -> int:
    spec = importlib.util.spec_from_file_location("prompt_size", ROOT / "benchmarks" / "prompt_size.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.GOAL_TOKENS


def _tokens(text: str) -> int:
    return math.ceil(len(text) / 4)  # the benchmark's offline rule when tiktoken's encoding is not cached


def test_prefix_within_its_budget():
    tools = _tokens(json.dumps(tool_definitions(), separators=(",", ":")))
    system = _tokens(system_blocks("developer")[0]["text"])
    assert tools + system <= _goal(), f"prefix {tools + system:,} tokens (tools {tools:,}, system {system:,})"


def test_every_tool_says_what_it_is_for_in_few_words():
    # Say it once: a description that grows past ~300 characters is carrying detail the result should state.
    for t in tool_definitions():
        assert len(t["description"]) <= 300, (t["name"], len(t["description"]))
