"""The install instructions work for someone who has only the repository: modelmath is on no package index,
so nothing may tell them to `pip install modelmath`; the README installs from the checkout and puts the
command on PATH (the plugin's MCP server starts `modelmath` by name); the plugin steps name the marketplace
and plugin this repository declares. (Checked by hand with Claude Code 2.1.197: `claude plugin marketplace
add <checkout>`, `claude plugin install modelmath@modelmath`, `claude mcp list` → Connected.)"""

from __future__ import annotations

import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCS = [REPO / "README.md", REPO / "plugin" / ".claude-plugin" / "plugin.json", REPO / ".claude-plugin" /
        "marketplace.json", REPO / "plugin" / "skills" / "modelmath" / "SKILL.md"]


def block_after(marker: str) -> str:
    text = (REPO / "README.md").read_text()
    return text.split(f"<!-- {marker} -->\n```sh\n", 1)[1].split("```", 1)[0]


def test_nothing_says_pip_install_modelmath_from_an_index():
    for doc in DOCS:
        assert not re.search(r"pip install (-\S+ )*modelmath\b", doc.read_text()), doc


def test_readme_installs_from_the_checkout_onto_path():
    steps = block_after("ci:path-install")
    assert "pip install -q ." in steps and "ln -sf" in steps and "~/.local/bin/modelmath" in steps
    mcp = json.loads((REPO / "plugin" / ".mcp.json").read_text())
    assert mcp["modelmath"]["command"] == "modelmath"  # started by name: hence the PATH step


def test_readme_plugin_steps_match_the_marketplace():
    market = json.loads((REPO / ".claude-plugin" / "marketplace.json").read_text())
    (plugin,) = market["plugins"]
    readme = (REPO / "README.md").read_text()
    assert f"claude plugin install {plugin['name']}@{market['name']}" in readme
    assert "claude plugin marketplace add" in readme and "claude mcp list" in readme


def test_the_skill_never_writes_billions_as_b():
    # Results use "B" for bytes only (issue 9); the skill's example of a rounded count must not teach "8.03 B".
    text = (REPO / "plugin" / "skills" / "modelmath" / "SKILL.md").read_text()
    assert not re.search(r"\d\.\d+ B\b", text)
