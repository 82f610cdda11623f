"""What the stand-in checks in a request, as the real API does (required fields, tool_use/tool_result pairing,
cache breakpoints, non-empty content, effort and tool_choice values, no cache_control on thinking), and how it
accounts for the prompt cache in `usage`."""

from __future__ import annotations

import hashlib
import json
import math

EFFORT_LEVELS = ("low", "medium", "high", "xhigh", "max")
THINKING_TYPES = ("thinking", "redacted_thinking")
MIN_CACHEABLE_TOKENS = 1024  # Sonnet-class minimum; shorter prefixes are not cached
# Tokens after the last cache breakpoint that are never cached (the turn's closing markup): a real
# request whose only breakpoint is on its last block still reports input_tokens 3
# (pydantic/pydantic-ai tests/models/cassettes/test_anthropic/test_anthropic_cache_messages_real_api.yaml).
UNCACHED_TAIL_TOKENS = 3


# -- request checks the real API makes ---------------------------------------------------------------

def check_request(body: dict) -> str | None:
    """The invalid_request_error message the API would give, or None."""
    for key in ("model", "max_tokens", "messages"):
        if key not in body:
            return f"{key}: Field required"
    msgs = body["messages"]
    if not msgs:
        return "messages: at least one message is required"
    if msgs[0]["role"] != "user":
        return 'messages: first message must use the "user" role'
    names = [t.get("name") for t in body.get("tools", [])]
    if len(names) != len(set(names)):
        return "tools: Tool names must be unique."
    for i, t in enumerate(body.get("tools", [])):
        if t.get("input_schema", {}).get("type") != "object":
            return f"tools.{i}.custom.input_schema.type: Input should be 'object'"
    effort = (body.get("output_config") or {}).get("effort")
    if effort is not None and effort not in EFFORT_LEVELS:
        return "output_config.effort: Input should be 'low', 'medium', 'high', 'xhigh' or 'max'"
    if body.get("tool_choice", {"type": "auto"}).get("type") not in ("auto", "any", "tool", "none"):
        return "tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'"
    for i, m in enumerate(msgs):
        for j, b in enumerate(m["content"] if isinstance(m["content"], list) else []):
            if b.get("type") in THINKING_TYPES and "cache_control" in b:
                # Anthropic's prompt-caching page: "Thinking blocks cannot be cached directly with cache_control".
                return f"messages.{i}.content.{j}: cache_control cannot be set on {b['type']} blocks"
    marks = _count_breakpoints(body)
    if marks > 4:
        return f"A maximum of 4 blocks with cache_control may be provided. Found {marks}."
    for i, m in enumerate(msgs):
        content = m["content"] if isinstance(m["content"], list) else []
        if not m["content"] and not (i == len(msgs) - 1 and m["role"] == "assistant"):
            return (f"messages.{i}: all messages must have non-empty content except for the optional final "
                    "assistant message")
        if any(b.get("type") == "text" and not b.get("text") for b in content):
            return "messages: text content blocks must be non-empty"
        uses = [b["id"] for b in content if b.get("type") == "tool_use"]
        if m["role"] == "assistant" and uses and i + 1 < len(msgs):
            nxt = msgs[i + 1]["content"] if isinstance(msgs[i + 1]["content"], list) else []
            answered = {b.get("tool_use_id") for b in nxt if b.get("type") == "tool_result"}
            missing = [u for u in uses if u not in answered]
            if msgs[i + 1]["role"] != "user" or missing:
                return (f"messages.{i}: `tool_use` ids were found without `tool_result` blocks immediately after: "
                        f"{', '.join(missing or uses)}. Each `tool_use` block must have a corresponding "
                        "`tool_result` block in the next message.")
        if m["role"] == "user":
            prev = msgs[i - 1]["content"] if i and isinstance(msgs[i - 1]["content"], list) else []
            known = {b["id"] for b in prev if b.get("type") == "tool_use"} if i and msgs[i - 1]["role"] == "assistant" \
                else set()
            for j, b in enumerate(content):
                if b.get("type") != "tool_result":
                    continue
                if b.get("tool_use_id") not in known:
                    return (f"messages.{i}.content.{j}: unexpected `tool_use_id` found in `tool_result` blocks: "
                            f"{b.get('tool_use_id')}. Each `tool_result` block must have a corresponding "
                            "`tool_use` block in the previous message.")
                c = b.get("content")
                if b.get("is_error") and isinstance(c, list) and any(x.get("type") != "text" for x in c):
                    return f"messages.{i}.content.{j}: tool_result with is_error may only contain text content"
    return None


def _count_breakpoints(body: dict) -> int:
    n = sum(1 for t in body.get("tools", []) if "cache_control" in t)
    sys_ = body.get("system")
    if isinstance(sys_, list):
        n += sum(1 for b in sys_ if "cache_control" in b)
    for m in body["messages"]:
        if isinstance(m["content"], list):
            n += sum(1 for b in m["content"] if "cache_control" in b)
    return n


# -- usage: a prompt-cache model ---------------------------------------------------------------------

def _tokens(obj) -> int:
    return math.ceil(len(json.dumps(obj, separators=(",", ":"))) / 4)


def _strip(obj: dict) -> dict:
    return {k: v for k, v in obj.items() if k != "cache_control"}


class PromptCache:
    """Caches the prompt prefix at each cache_control breakpoint (tools → system → messages), like the
    API: a later request reads the longest cached prefix and writes up to its last breakpoint."""

    def __init__(self) -> None:
        self.keys: set[str] = set()

    def usage(self, body: dict) -> dict:
        units: list[tuple[object, bool]] = [(_strip(t), "cache_control" in t) for t in body.get("tools", [])]
        sys_ = body.get("system")
        if isinstance(sys_, list):
            units += [(_strip(b), "cache_control" in b) for b in sys_]
        elif sys_:
            units.append((sys_, False))
        for m in body["messages"]:
            content = m["content"] if isinstance(m["content"], list) else [{"type": "text", "text": m["content"]}]
            units += [({"role": m["role"], **_strip(b)}, "cache_control" in b) for b in content]
        total, read, last_mark, marks = 0, 0, 0, []
        digest = hashlib.sha256()
        for unit, marked in units:
            total += _tokens(unit)
            digest.update(json.dumps(unit, sort_keys=True).encode())
            if marked:
                key = digest.hexdigest()
                marks.append(key)
                last_mark = total
                if key in self.keys:
                    read = total
        write = last_mark - read if last_mark >= MIN_CACHEABLE_TOKENS and last_mark > read else 0
        if last_mark >= MIN_CACHEABLE_TOKENS:
            self.keys.update(marks)
        return {"input_tokens": total - read - write + UNCACHED_TAIL_TOKENS, "cache_creation_input_tokens": write,
                "cache_read_input_tokens": read,
                "cache_creation": {"ephemeral_5m_input_tokens": write, "ephemeral_1h_input_tokens": 0}}
