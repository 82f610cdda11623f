"""Hostile inputs for the process-level fuzz harness: command lines, files, standard input, JSON-RPC lines.

Cases are generated from a seeded `random.Random`, so a failing case is reproduced by its seed and index.
Most command lines start from a valid call of the command and then spoil one to three of its options (or
add junk), which reaches deeper than pure noise; the rest are noise. Option names come from the click
commands themselves, so a new option is fuzzed without touching this file.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass, field
from pathlib import Path

# A valid call of each command (positional arguments and options), the base that cases spoil.
VALID: dict[str, list[str]] = {
    "params": ["llama-3.1-8b"], "kv": ["llama-3.1-70b", "--context", "8k"],
    "memory": ["qwen2.5-7b", "--weights", "q4_k_m", "--context", "4k"], "fit": ["llama-3.1-8b", "--gpu", "h100"],
    "speed": ["llama-3.1-8b", "--gpu", "a100"], "train-memory": ["llama-3.1-8b", "--method", "lora"],
    "train-compute": ["llama-3.1-8b", "--gpus", "8"], "gpu": ["t4"], "models": ["qwen"], "tools": [],
    "cost": ["haiku-4.5", "--input-tokens", "1500", "--output-tokens", "300"],
    "self-host": ["--gpus", "8", "--usd-per-gpu-hour", "2.5", "--tokens-per-second", "20000"],
    "tokens": ["--words", "1500"], "prices": ["haiku"], "run-tool": ["kv_cache", '{"model":"gpt2","context_tokens":8}'],
    "ask": ["how big is llama 3.1 8b?"], "chat": [], "mcp": [],
}
# Options never generated: one that would start a long-running HTTP server. `web` is such a server whatever
# its options (its HTTP input is tested by tests/plugin/web).
SKIP_OPTIONS = {"mcp": {"--transport", "--host", "--port"}}
SKIP_COMMANDS = {"web"}

NUMBERS = ["nan", "NaN", "inf", "-inf", "Infinity", "1e309", "1e999999999", "-1", "0", "-0", "0.5", "1e-300",
           "1e30", "1e29", "9" * 5000, "9" * 31, "128k", "32Ki", "1_000", "1__0", "0x10", "1e", "", " ", "١٢٣",
           "1.5e9", "2", "3", "7", "65536", "4294967297", "1k5", "+5", "--", "1,000"]
WORDS = ["llama-3.1-8b", "gpt2", "deepseek-v3", "h100", "t4", "tpu-v5e", "zzzzzzzz", "", " ", "a" * 100_000,
         "../../etc/passwd", "\u202e\u0000x", "Llama 3.1 8B Instruct", "meta-llama/Llama-3.1-70B-Instruct",
         "fp8", "bf16", "q4_k_m", "int3", "all-linear", "q_proj,k_proj", "current", "5m", "1h", "-", "--json",
         "💥", "None", "null", "[]", "{}", "'; DROP TABLE", "%s%s%n", "\n\n", "h100,a100,t4", ",,,"]
JUNK = ["--", "-", "--json", "--help", "-h", "--nope", "--no-tied", "--untied", "--version", "-x", "--=", "=",
        "--gpu=", "--context=8k=8k"]


@dataclass
class Files:
    """Hostile files in a scratch directory (made once per run)."""

    root: Path
    paths: dict[str, str] = field(default_factory=dict)

    @classmethod
    def make(cls, root: Path) -> Files:
        f = cls(root)
        root.mkdir(parents=True, exist_ok=True)

        def write(name: str, data: bytes | str) -> None:
            p = root / name
            p.write_bytes(data if isinstance(data, bytes) else data.encode())
            f.paths[name] = str(p)

        write("config.json", json.dumps({"model_type": "llama", "hidden_size": 2048, "num_hidden_layers": 4,
                                         "num_attention_heads": 16, "intermediate_size": 5632}))
        write("empty.json", "")
        write("deep.json", "[" * 100_000 + "]" * 100_000)
        write("deep_obj.json", '{"a":' * 5000 + "1" + "}" * 5000)
        write("bigint.json", '{"model_type": "llama", "hidden_size": ' + "9" * 5000 + "}")
        write("nan.json", '{"model_type": "llama", "hidden_size": NaN}')
        write("float.json", '{"model_type": "llama", "hidden_size": 1e400}')
        write("list.json", "[1, 2, 3]")
        write("binary.bin", bytes(range(256)) * 64)
        write("big.json", "{" + '"k": 1,' * 300_000 + '"z": 2}')  # over every JSON cap
        write("types.json", json.dumps({"model_type": "llama", "hidden_size": "4096", "num_hidden_layers": [32]}))
        write("prices_bad.json", json.dumps({"schema_version": 1, "models": [{"id": "x", "prices_usd_per_mtok":
                                                                             {"input": "cheap"}}]}))
        write("prices_nan.json", '{"schema_version": 1, "models": [{"id": "claude-haiku-4-5", "source": "s", '
                                 '"as_of": "2026-01-01", "prices_usd_per_mtok": {"input": NaN}}]}')
        write("text.txt", "The quick brown fox. " * 200)
        write("utf16.txt", "hello".encode("utf-16"))
        fifo = root / "fifo"
        if not fifo.exists():
            os.mkfifo(fifo)
        f.paths["fifo"] = str(fifo)
        (root / "dir").mkdir(exist_ok=True)
        f.paths["dir"] = str(root / "dir")
        link = root / "zero_link"
        if not link.exists():
            link.symlink_to("/dev/zero")
        f.paths |= {"zero_link": str(link), "dev_zero": "/dev/zero", "dev_null": "/dev/null",
                    "missing": str(root / "missing.json"), "stdin": "-", "dev_urandom": "/dev/urandom"}
        return f


@dataclass(frozen=True)
class Case:
    argv: tuple[str, ...]
    stdin: str | None = None  # a path to read standard input from (None: /dev/null)
    env: tuple[tuple[str, str], ...] = ()

    def describe(self) -> str:
        args = " ".join(a if len(a) < 60 else a[:40] + f"...({len(a):,} chars)" for a in self.argv)
        return f"modelmath {args}" + (f" < {self.stdin}" if self.stdin else "") + (
            f" [env {dict(self.env)}]" if self.env else "")


def _value(rng: random.Random, option, files: Files) -> str:
    import click

    t = option.type
    if isinstance(t, click.Path) or option.name in ("file_", "hf_config", "prices_file") or "file" in option.name:
        return rng.choice(list(files.paths.values()))
    if rng.random() < 0.15:
        return rng.choice(WORDS + NUMBERS)
    if getattr(t, "name", "") in ("count", "number", "integer", "float", "integer range", "float range"):
        return rng.choice(NUMBERS)
    if isinstance(t, click.Choice) and rng.random() < 0.5:
        return rng.choice([*t.choices, "FP8", "nope", ""])
    return rng.choice(WORDS)


def _options(command) -> list:
    import click

    skip = SKIP_OPTIONS.get(command.name, set())
    return [p for p in command.params if isinstance(p, click.Option) and not set(p.opts) & skip]


def cli_case(rng: random.Random, commands: dict, files: Files) -> Case:
    name = rng.choice(sorted(set(commands) - SKIP_COMMANDS))
    command = commands[name]
    argv = [name, *VALID.get(name, [])]
    opts = _options(command)
    for _ in range(rng.randint(1, 3)):
        roll = rng.random()
        if roll < 0.7 and opts:
            opt = rng.choice(opts)
            flag = rng.choice(opt.opts + opt.secondary_opts)
            argv += [flag] if opt.is_flag else [flag, _value(rng, opt, files)]
        elif roll < 0.85:
            argv.insert(rng.randint(1, len(argv)), rng.choice(WORDS + NUMBERS))
        else:
            argv.append(rng.choice(JUNK))
    if rng.random() < 0.3:
        argv.append("--json")
    stdin = rng.choice([None, None, files.paths["dev_zero"], files.paths["binary.bin"], files.paths["text.txt"],
                        files.paths["deep.json"]])
    env = (("MODELMATH_PRICES", rng.choice(list(files.paths.values()))),) if rng.random() < 0.05 else ()
    return Case(tuple(argv), stdin, env)


def run_tool_case(rng: random.Random, tools: list) -> Case:
    tool = rng.choice(tools)
    return Case(("run-tool", tool.name, json.dumps(tool_input(rng, tool), allow_nan=True)
                 if rng.random() < 0.9 else rng.choice(JSON_JUNK)))


JSON_JUNK = ["[" * 5000, '{"a":' + "9" * 5000 + "}", "NaN", '{"model": NaN}', "", "{", "null", '"x"', "[]",
             '{"model":"gpt2","context_tokens":' + "[" * 300 + "]" * 300 + "}", '{"\\ud800": 1}', "\x00",
             '{"model": "gpt2"}' * 2, '{"__proto__": {}}', '{"model":"' + "a" * 200_000 + '"}']


def tool_input(rng: random.Random, tool) -> dict:
    """A plausible input for `tool` with one to three fields spoiled."""
    props = tool.schema_for_validation.get("properties", {})
    inp: dict = {}
    if "model" in props and tool.name not in ("api_cost",):
        inp["model"] = rng.choice(["llama-3.1-8b", "gpt2", "deepseek-v3", "gemma-2-9b", "gpt-oss-120b"])
    for key in tool.schema_for_validation.get("required", []):
        inp.setdefault(key, _json_value(rng, props.get(key, {}), sane=True))
    for _ in range(rng.randint(1, 3)):
        key = rng.choice([*props, "not_a_field"]) if props else "x"
        inp[key] = _json_value(rng, props.get(key, {}), sane=rng.random() < 0.3)
    return inp


def _json_value(rng: random.Random, schema: dict, sane: bool) -> object:
    t = schema.get("type")
    if sane:
        if "enum" in schema:
            return rng.choice(schema["enum"])
        if t in ("integer", "number"):
            return rng.choice([1, 2, 8, 4096, 131072, 10**9])
        if t == "boolean":
            return rng.random() < 0.5
        if t == "array":
            return [rng.choice(["h100", "a100", "t4", "q_proj"])]
        return rng.choice(["llama-3.1-8b", "h100", "claude-haiku-4-5", "x"])
    return rng.choice([-1, 0, 1.5, 1e30, 10**29, 10**31, -(10**40), float("nan"), float("inf"), True, None, "",
                       "8k", [], {}, [[[[]]]], {"a": {"b": {}}}, "a" * 200_000, 2**63, 0.1, -0.0,
                       {"model_type": "llama"}, {"vocab_size": 10, "hidden_size": 8, "layers": 1, "heads": 2,
                                                 "intermediate_size": 8, "dense_layers": 9}])


def mcp_lines(rng: random.Random, tools: list, n: int) -> tuple[list[bytes], set]:
    """n JSON-RPC lines after the handshake, and the ids that must each be answered exactly once (the
    hostile lines without a readable id are answered with id null and counted separately)."""
    lines: list[bytes] = []
    ids: set = set()
    for i in range(n):
        rid = f"r{i}"
        roll = rng.random()
        if roll < 0.55:
            tool = rng.choice(tools)
            msg = {"jsonrpc": "2.0", "id": rid, "method": "tools/call",
                   "params": {"name": tool.name, "arguments": tool_input(rng, tool)}}
            lines.append(json.dumps(msg, allow_nan=True).encode())
            ids.add(rid)
        elif roll < 0.9:
            line, has_id = _hostile_rpc(rng, rid)
            lines.append(line)
            if has_id:
                ids.add(rid)
        else:
            lines.append(json.dumps({"jsonrpc": "2.0", "id": rid, "method": rng.choice(
                ["tools/list", "ping", "resources/list", "prompts/get", "nope", "initialize"])}).encode())
            ids.add(rid)
    return lines, ids


def _hostile_rpc(rng: random.Random, rid: str) -> tuple[bytes, bool]:
    """A line that breaks JSON, JSON-RPC or the SDK's parsing; whether it carries a readable id."""
    head = f'{{"jsonrpc":"2.0","id":"{rid}","method":"tools/call","params":{{"name":"kv_cache","arguments":'
    choices = [
        (head + '{"context_tokens":' + "9" * rng.randint(31, 6000) + "}}}", True),
        (head + '{"x":' + "[" * rng.randint(65, 3000) + "]" * rng.randint(0, 3000) + "}}}", True),
        (head + '{"x":NaN}}}', True),
        (head + "[1,2]}}", True),
        (head + '"str"}}', True),
        (head[:rng.randint(head.index('"method"'), len(head))], True),  # cut short after the id
        (f'{{"jsonrpc":"2.0","id":"{rid}","method":"tools/call","params":{{"name":{rng.randint(0, 9)}}}}}', True),
        (f'{{"jsonrpc":"2.0","id":"{rid}","method":"tools/call"}}', True),
        (f'{{"jsonrpc":"1.0","id":"{rid}","method":"tools/list"}}', True),
        (f'{{"jsonrpc":"2.0","id":"{rid}","method":{rng.randint(0, 9)}}}', True),
        (f'[{{"jsonrpc":"2.0","id":"{rid}","method":"tools/list"}}]', False),
        ('{"jsonrpc":"2.0","id":{"a":1},"method":"tools/list"}', False),
        ('{"jsonrpc":"2.0","id":1.5,"method":"tools/list"}', False),
        ("", False),
        ("   ", False),
        ('{"jsonrpc":"2.0","method":"notifications/whatever"}', False),
        (f'{{"jsonrpc":"2.0","id":"{rid}","method":"tools/list","params":"x"}}', True),
    ]
    line, has_id = rng.choice(choices)
    if isinstance(line, str):
        line = line.encode()
    if rng.random() < 0.05:
        line = line[:10] + b"\xff\xfe" + line[10:]
    return line, has_id and line.strip() != b""
