"""How big is the prefix every assistant request carries (tool definitions + system prompt), and how many
round trips does each recorded scenario take?

    python benchmarks/prompt_size.py           # offline estimate
    python benchmarks/prompt_size.py --exact   # Claude's own count (count_tokens endpoint, ANTHROPIC_API_KEY)

Offline, tokens are counted with tiktoken's o200k_base when that encoding is already in tiktoken's cache
(modelmath never downloads it), else as ceil(characters / 4) (OpenAI's rule of thumb for English; JSON
schemas tokenise less well than prose, so treat it as rough). Neither is Claude's tokenizer, which is not
public; the tools are counted as the JSON we send, while the API renders them into its own prompt and
adds a tool-use system prompt of its own (~300-350 tokens, Anthropic's tool-use pricing docs). --exact
asks the API, which includes all of that.

The round-trip table reads cassettes/*.yaml: HTTP requests (incl. retried errors), model calls (200
responses), tool_use blocks, and the most tool_use blocks in one turn (parallel calls).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL_TOKENS = 2_500


def counter():
    from modelmath.tools.pricing.tokens import count_text, default_encoding

    enc, why = default_encoding()
    method = (f"tiktoken {enc.name} (offline cache)" if enc is not None
              else f"ceil(characters / 4) (tiktoken o200k_base unavailable: {why})")
    return (lambda text: count_text(text, enc).tokens), method


def prefix_report() -> int:
    from modelmath.plugin.assistant.agent import AUDIENCES, system_blocks, tool_definitions

    count, method = counter()
    tools = tool_definitions()
    rows = [(f"system prompt ({a})", count(system_blocks(a)[0]["text"])) for a in AUDIENCES]
    rows.append(("system prompt (developer + fact-check)", count(system_blocks("developer", document=True)[0]["text"])))
    compact = {"separators": (",", ":")}  # the API parses and re-renders the JSON: whitespace is not sent on
    tool_tokens = count(json.dumps(tools, **compact))
    print(f"Prefix sent with every request (cached after the first). Counting: {method}\n")
    for name, n in rows:
        print(f"  {name:<44}{n:>7,}")
    print(f"  {'tool definitions (' + str(len(tools)) + ' tools, as JSON)':<44}{tool_tokens:>7,}")
    for t in tools:
        print(f"      {t['name']:<40}{count(json.dumps(t, **compact)):>7,}")
    total = rows[0][1] + tool_tokens
    verdict = "within" if total <= GOAL_TOKENS else f"OVER by {total - GOAL_TOKENS:,}"
    print(f"  {'total, developer audience':<44}{total:>7,}   goal <= {GOAL_TOKENS:,}: {verdict}\n")
    return total


def exact_report(model: str | None) -> None:
    from modelmath.plugin.assistant.agent import make_client, resolve_model_id, system_blocks, tool_definitions

    client = make_client()
    model = resolve_model_id(model)
    msgs = [{"role": "user", "content": "How many parameters does llama-3.1-8b have?"}]
    bare = client.messages.count_tokens(model=model, messages=msgs).input_tokens
    full = client.messages.count_tokens(model=model, messages=msgs, system=system_blocks(),
                                        tools=tool_definitions()).input_tokens
    print(f"Claude's count ({model}): prefix = {full - bare:,} tokens (tools + system + tool-use overhead)\n")


def _tool_uses(body: str) -> list[int]:
    """tool_use blocks per model reply in a recorded response body (JSON or SSE)."""
    if body.lstrip().startswith("{"):
        data = json.loads(body)
        return [sum(1 for b in data.get("content", []) if b.get("type") == "tool_use")] if data.get("type") == \
            "message" else []
    return [len(re.findall(r'"content_block":\{"type":"tool_use"', body))]


def round_trips() -> None:
    import yaml

    paths = sorted((ROOT / "cassettes").glob("*.yaml"))
    print(f"{'scenario':<26}{'HTTP requests':>14}{'model calls':>13}{'tool calls':>12}{'max parallel':>14}")
    for p in paths:
        inters = yaml.safe_load(p.read_text(encoding="utf-8"))["interactions"]
        ok = [i for i in inters if i["response"]["status"]["code"] == 200]
        uses = [n for i in ok for n in _tool_uses(i["response"]["body"]["string"])]
        print(f"{p.stem:<26}{len(inters):>14}{len(ok):>13}{sum(uses):>12}{max(uses, default=0):>14}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--exact", action="store_true", help="also ask the API's count_tokens (needs a key)")
    ap.add_argument("--model", help="model for --exact (default: as `modelmath ask`)")
    args = ap.parse_args()
    prefix_report()
    if args.exact:
        exact_report(args.model)
    round_trips()


if __name__ == "__main__":
    sys.exit(main())
