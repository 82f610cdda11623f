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

The round-trip table reads cassettes/*.yaml: HTTP requests (incl. retried errors), finished model calls, tool_use
blocks, the most tool_use blocks in one turn (parallel calls), tokens and cost per scenario.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The budget for the cached prefix (tools + developer system prompt, counted as below). Why this size: the
# prefix is written to the prompt cache once per conversation (5-minute TTL) and read on every further call. At
# Sonnet 5.5 list prices (cache write $2.50, cache read $0.10 per MTok) a cold question of three model calls
# (two tool rounds, then the answer) pays P x (2.50 + 2 x 0.10) / 10^6 for it, a warm call P x 0.10 / 10^6.
# Rule: the prefix may cost a cold question no more than the answer it buys, taken as ~1,250 output and
# thinking tokens at $10/MTok = $0.0125 (medium effort; an assumption, no live run measured yet) -> P <= 4,630;
# less the tool-use system prompt the API adds on Sonnet 5.5 (286 tokens, not counted here) -> 4,300. A warm
# call then pays <= $0.00043 for it. A new input or tool that would pass the budget must make room elsewhere
# (say it once; detail that matters only after a call belongs in the result's assumptions).
GOAL_TOKENS = 4_300


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


def _replies(body: str) -> list[dict]:
    """Each finished model reply in a recorded response body (JSON or SSE): model, usage, tool_use count."""
    if body.lstrip().startswith("{"):
        data = json.loads(body)
        if data.get("type") != "message":
            return []
        return [{"model": data["model"], "usage": data["usage"],
                 "tools": sum(1 for b in data.get("content", []) if b.get("type") == "tool_use")}]
    events = [json.loads(line[6:]) for line in body.splitlines() if line.startswith("data: ")]
    start = next((e["message"] for e in events if e.get("type") == "message_start"), None)
    final = next((e for e in events if e.get("type") == "message_delta"), None)
    if start is None or final is None:  # a stream cut by an error event: no finished reply
        return []
    tools = sum(1 for e in events
                if e.get("type") == "content_block_start" and e["content_block"]["type"] == "tool_use")
    return [{"model": start["model"], "usage": {**start["usage"], **final["usage"]}, "tools": tools}]


def round_trips() -> None:
    """Per recorded scenario: HTTP requests (retried errors included), finished model calls, tool calls, the most in
    one turn, tokens, and the cost at the price catalog's rates for the recorded model. Stand-in recordings: the
    token counts are the stand-in's (characters / 4), so the costs show the shape, not Claude's real bill."""
    import yaml
    from modelmath.tools.pricing.prices import usage_cost_usd

    paths = sorted((ROOT / "cassettes").glob("*.yaml"))
    keys = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens", "output_tokens")
    print(f"{'scenario':<28}{'HTTP':>5}{'calls':>6}{'tools':>6}{'par':>4}{'input':>8}{'c.write':>8}{'c.read':>8}"
          f"{'output':>8}{'cost $':>10}")
    for p in paths:
        inters = yaml.safe_load(p.read_text(encoding="utf-8"))["interactions"]
        replies = [r for i in inters if i["response"]["status"]["code"] == 200
                   for r in _replies(i["response"]["body"]["string"])]
        totals = {k: sum(r["usage"].get(k) or 0 for r in replies) for k in keys}
        cost = sum(float(usage_cost_usd(r["model"], r["usage"])) for r in replies)
        print(f"{p.stem:<28}{len(inters):>5}{len(replies):>6}{sum(r['tools'] for r in replies):>6}"
              f"{max((r['tools'] for r in replies), default=0):>4}" + "".join(f"{totals[k]:>8,}" for k in keys) +
              f"{cost:>10.4f}")


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
