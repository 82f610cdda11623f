"""The README is a promise: every example command in its ```sh blocks runs offline and exits 0 (the ones that
need an API key, the network or another program are listed below with the reason), the outputs it quotes are
what the commands print, and its accuracy tables are the numbers in benchmarks/validation/RESULTS.md."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()
BIN = Path(sys.executable).parent  # the environment under test: `modelmath` is its console script


def _sh_blocks(text: str) -> list[str]:
    return re.findall(r"^ *```sh\n(.*?)^ *```", text, flags=re.S | re.M)


def example_commands() -> list[str]:
    """Every command of every ```sh block: continuation lines joined, comments and prompts' `#` dropped."""
    cmds = []
    for block in _sh_blocks(README):
        for line in re.sub(r"\\\n\s*", "", block).splitlines():
            line = re.sub(r"\s{2,}#.*$", "", line).strip()  # the README's comments follow two or more spaces
            if line and not line.startswith("#"):
                cmds.append(line)
    return cmds


# Not run here, each with why. Everything else in a ```sh block must run offline and exit 0.
NEEDS = {
    "python3 -m venv .venv": "the set-up itself: .ci/run runs it from a clean clone",
    ".venv/bin/pip install": "the set-up itself: .ci/run runs it from a clean clone",
    "python3 -m venv ~/.local": "installs into the user's home (tests/plugin/test_install_docs.py checks the steps)",
    "mkdir -p ~/.local/bin": "links into the user's home (tests/plugin/test_install_docs.py checks the steps)",
    "modelmath ask": "needs ANTHROPIC_API_KEY and the Anthropic API (cassettes replay it: tests/plugin/assistant)",
    "modelmath chat": "needs ANTHROPIC_API_KEY and the Anthropic API (cassettes replay it: tests/plugin/assistant)",
    "modelmath logs": "lists exchanges logged by ask/chat, which need ANTHROPIC_API_KEY",
    "modelmath memory Qwen/": "reads the Hugging Face Hub (network; tests/plugin/hub runs it on a stand-in Hub)",
    "modelmath fit deepseek-ai/": "reads the Hugging Face Hub (network; tests/plugin/hub runs it on a stand-in Hub)",
    "modelmath memory unsloth/": "reads the Hugging Face Hub (network; tests/plugin/hub runs it on a stand-in Hub)",
    "claude ": "needs Claude Code's `claude` command",
    ".venv/bin/ruff": "development tooling (CI's lint step)",
    ".venv/bin/python benchmarks/": "a benchmark: timings and tens of thousands of runs, by hand",
    "curl ": "run below, against the `modelmath web` example it talks to",
    "modelmath web": "a server: started and queried below",
    "modelmath mcp --transport": "a server: started below",
}

# What the README says a command prints (its comments and prose), checked on the output.
SAYS = {
    "modelmath cost sonnet-5.5 --input-tokens 1500 --output-tokens 300 --requests-per-day 10000":
        [r"usd_per_request\s+\$0\.006\n", r"usd_per_day\s+\$60\.00\n", r"usd_per_month\s+\$1,800\.00\n"],
    "modelmath train-compute llama-3.1-405b": [r"training_flops\s+3\.799e25\n"],  # "≈ 3.8e25 FLOPs"
    "modelmath memory qwen2.5-72b --weights q4_k_m": [r"weights_bytes\s+47,409,725,440 B  = 47\.410 GB"],  # 47.41 GB
    "modelmath kv deepseek-v3 --context 32k --memory-budget-gib 40": [r"max_context_tokens_at_batch\s+\d",
                                                                      r"max_sequences_at_context\s+\d"],
    "modelmath params ./my-finetune": [r"\(local directory \S*/my-finetune: config\.json \+ 1 safetensors"],
}


def _skip_reason(cmd: str) -> str | None:
    return next((why for prefix, why in NEEDS.items() if cmd.startswith(prefix)), None)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A working directory holding what the examples name: prompt.txt, path/to/config.json, ./my-finetune
    (config.json + safetensors) and ~/models/llama-3.1-8b-q4_k_m.gguf, under a private HOME."""
    from standin_hub import models
    from standin_hub.checkpoints import write_gguf, write_safetensors

    root = tmp_path_factory.mktemp("readme")
    home = root / "home"
    (home / "models").mkdir(parents=True)
    (root / "prompt.txt").write_text("How much memory does Llama 3.1 8B need at 32k context?\n")
    (root / "path" / "to").mkdir(parents=True)
    (root / "path" / "to" / "config.json").write_text(json.dumps(models.LLAMA_8B))
    tiny = {**models.LLAMA_8B, "vocab_size": 1000, "hidden_size": 64, "intermediate_size": 128,
            "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2}
    (root / "my-finetune").mkdir()
    (root / "my-finetune" / "config.json").write_text(json.dumps(tiny))
    write_safetensors(str(root / "my-finetune" / "model.safetensors"), models.tensors(tiny, "bf16"))
    write_gguf(str(home / "models" / "llama-3.1-8b-q4_k_m.gguf"), "llama", models.LLAMA_GGUF_KV,
               models.q4_k_m_gguf_tensors(), [f"t{i}" for i in range(128256)])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "MODELMATH_", "HF_"))}
    env.update(HOME=str(home), PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", HF_HUB_OFFLINE="1",
               MODELMATH_NO_LOG="1", BROWSER="true")
    return root, env


def _run(cmd: str, workdir) -> subprocess.CompletedProcess:
    root, env = workdir
    return subprocess.run(["bash", "-c", cmd], cwd=root, env=env, capture_output=True, text=True, timeout=120)


_RUNNABLE = [c for c in example_commands() if _skip_reason(c) is None]


def test_the_examples_are_found_and_every_skip_is_a_listed_one():
    cmds = example_commands()
    assert len(cmds) > 50 and len(_RUNNABLE) > 30
    assert all(any(c.startswith(p) for c in cmds) for p in NEEDS), "a NEEDS entry matches no README command"
    assert all(any(c.startswith(p) for c in _RUNNABLE) for p in SAYS)


@pytest.mark.parametrize("cmd", _RUNNABLE)
def test_readme_example_runs(cmd, workdir):
    p = _run(cmd, workdir)
    assert p.returncode == 0, f"{cmd}\n{p.stderr}"
    assert "Traceback" not in p.stderr
    for prefix, quoted in SAYS.items():
        if cmd.startswith(prefix):
            assert all(re.search(q, p.stdout) for q in quoted), (cmd, quoted, p.stdout[:2000])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(cmd: str, workdir, port: int) -> subprocess.Popen:
    root, env = workdir
    proc = subprocess.Popen(["bash", "-c", f"exec {cmd}"], cwd=root, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            assert proc.poll() is None, f"{cmd} exited: {proc.stderr.read()}"
            assert time.monotonic() < deadline, f"{cmd} did not listen within 60 s"
            time.sleep(0.1)


def _stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


def _one(prefix: str) -> str:
    (cmd,) = [c for c in example_commands() if c.startswith(prefix)]
    return cmd


def test_readme_web_example_serves_and_its_curl_gets_the_quote(workdir):
    # The README's port (8001) may be taken on a shared machine: the same commands on a free one.
    port = _free_port()
    web = _one("modelmath web").replace("--open", f"--open --port {port}")
    curl = _one("curl ").replace(":8001/", f":{port}/")
    proc = _serve(web, workdir, port)
    try:
        p = _run(curl, workdir)
    finally:
        _stop(proc)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["usd_per_request"] == 0.006  # 1,500 x $2 + 300 x $10 per MTok = $0.006


def test_readme_mcp_http_example_serves(workdir):
    port = _free_port()
    cmd = _one("modelmath mcp --transport").replace("--port 8000", f"--port {port}")
    proc = _serve(cmd, workdir, port)
    _stop(proc)


# -- the accuracy tables --------------------------------------------------------------------------------

RESULTS = (REPO / "benchmarks" / "validation" / "RESULTS.md").read_text()
_CATEGORY = {"decode at batch 1": "decode_batch1", "serving throughput": "serving_throughput",
             "time to first token": "ttft_prefill", "inference memory": "inference_memory",
             "KV capacity": "kv_capacity", "training memory": "training_memory",
             "training throughput": "training_throughput", "training compute": "training_compute"}


def _results_table(heading: str) -> dict[str, list[str]]:
    """Rows of the RESULTS.md table under `heading`: category -> [n, median, within, inside]."""
    section = RESULTS.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in section.splitlines()
            if line.startswith("|") and not line.startswith("|---")]
    return {r[0]: r[1:5] for r in rows[1:]}


def _readme_rows(first_column: str) -> dict[str, list[str]]:
    table = README.split(f"| {first_column} |", 1)[1].split("\n\n", 1)[0]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in table.splitlines()[2:]]
    return {r[0]: r[1:] for r in rows}


def test_readme_accuracy_by_batch_is_results_md():
    readme = _readme_rows("holdout batch (RESULTS.md)")
    batches = [h for h in re.findall(r"^## (Holdout, batch \d+ \(.*?\))$", RESULTS, flags=re.M)]
    assert len(batches) == len(readme) - 1, "a batch in RESULTS.md is missing from the README (or one too many)"
    for heading in batches:
        k = re.search(r"batch (\d+)", heading).group(1)
        (label,) = [label for label in readme if label.startswith(f"batch {k}:")]
        assert readme[label] == _results_table(heading)["all"], heading
    assert readme["all batches"] == _results_table("Holdout, all batches")["all"]


def test_readme_accuracy_by_category_is_results_md():
    readme = _readme_rows("category, all holdout batches")
    results = _results_table("Holdout, all batches")
    assert set(readme) == set(_CATEGORY) and set(_CATEGORY.values()) | {"all"} == set(results)
    for label, key in _CATEGORY.items():
        assert readme[label] == results[key], label
    met = [label for label, key in _CATEGORY.items()
           if re.search(rf"^\| {key} \|.*\| yes \|$", RESULTS.split("## Holdout, all batches", 1)[1].split("\n## ")[0],
                        flags=re.M)]
    assert f"met over all holdout batches by {met[0]} alone" in " ".join(README.split()) and len(met) == 1
