"""How the stand-in writes replies on the wire, in the real API's byte-level shapes (from public
recordings: simonw/llm-anthropic tests/cassettes/test_anthropic/{test_tools,test_refusal_raises}.yaml,
pydantic/pydantic-ai tests/models/cassettes/test_anthropic/*_stream*.yaml, 2025-2026)."""

from __future__ import annotations

import json
import random


def compact(data: dict) -> str:
    return json.dumps(data, separators=(",", ":"))


def _event(name: str, data: dict, pad: int = 0) -> str:
    # The API pads most data lines with spaces before the closing brace (still valid JSON): clients
    # must parse JSON, not match bytes.
    body = compact(data)
    return f"event: {name}\ndata: {body[:-1]}{' ' * pad}}}\n\n"


# The API's ping is written with a space after the colon, unlike every other event.
_PING = 'event: ping\ndata: {"type": "ping"}\n\n'


def _pieces(rng: random.Random, s: str, lo: int, hi: int) -> list[str]:
    out, i = [], 0
    while i < len(s):
        n = rng.randint(lo, hi)
        out.append(s[i:i + n])
        i += n
    return out


def sse_body(rng: random.Random, msg: dict, *, stream_error: tuple[str, str] | None = None,
             error_after_blocks: int = 1, request_id: str = "") -> str:
    """A message as the API streams it; with stream_error, `event: error` replaces the rest of the stream
    after `error_after_blocks` content blocks."""

    def event(name: str, data: dict) -> str:
        return _event(name, data, rng.randint(0, 15))

    usage = msg["usage"]
    start = {**msg, "content": [], "stop_reason": None, "stop_details": None,
             "usage": {**usage, "output_tokens": 1 if msg["content"] else 0}}
    out = [event("message_start", {"type": "message_start", "message": start})]
    for i, block in enumerate(msg["content"]):
        if stream_error and i == error_after_blocks:
            return "".join(out) + stream_error_event(rng, stream_error, request_id)
        if block["type"] == "text":
            out.append(event("content_block_start", {"type": "content_block_start", "index": i,
                                                     "content_block": {"type": "text", "text": ""}}))
            deltas = [{"type": "text_delta", "text": p} for p in _pieces(rng, block["text"], 3, 24)]
        elif block["type"] == "thinking":
            # Opens empty, thinking_delta pieces (none when display is "omitted", the default on current
            # models), then one signature_delta just before content_block_stop (Anthropic's thinking page,
            # "Streaming thinking" event trace).
            out.append(event("content_block_start", {"type": "content_block_start", "index": i,
                                                     "content_block": {"type": "thinking", "thinking": "",
                                                                       "signature": ""}}))
            deltas = [{"type": "thinking_delta", "thinking": p} for p in _pieces(rng, block["thinking"], 20, 80)]
            deltas.append({"type": "signature_delta", "signature": block["signature"]})
        elif block["type"] == "redacted_thinking":
            # Arrives whole in content_block_start (its data is opaque), then content_block_stop.
            out.append(event("content_block_start", {"type": "content_block_start", "index": i,
                                                     "content_block": block}))
            deltas = []
        else:
            out.append(event("content_block_start", {"type": "content_block_start", "index": i,
                                                     "content_block": {**block, "input": {}}}))
            raw = compact(block["input"])
            # Input comes as a first empty fragment, then pieces split anywhere; an empty input ({})
            # is that empty fragment alone (simonw/llm-anthropic test_tools.yaml).
            pieces = _pieces(rng, raw, 1, 17) if block["input"] else []
            deltas = [{"type": "input_json_delta", "partial_json": p} for p in ["", *pieces]]
        if i == 0:
            out.append(_PING)
        out += [event("content_block_delta", {"type": "content_block_delta", "index": i, "delta": d})
                for d in deltas]
        out.append(event("content_block_stop", {"type": "content_block_stop", "index": i}))
    if stream_error:
        return "".join(out) + stream_error_event(rng, stream_error, request_id)
    # A message with no content (a refusal) goes straight to message_delta, with no ping
    # (simonw/llm-anthropic test_refusal_raises.yaml).
    final = {k: usage[k] for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")}
    out.append(event("message_delta", {"type": "message_delta",
                                       "delta": {"stop_reason": msg["stop_reason"], "stop_sequence": None,
                                                 "stop_details": msg["stop_details"]},
                                       "usage": {**final, "output_tokens": usage["output_tokens"]}}))
    out.append(event("message_stop", {"type": "message_stop"}))
    return "".join(out)


def error_body(type_: str, message: str, request_id: str | None = None) -> dict:
    # `details` (null, or {"error_code": ...} for a few causes) leads the error object in 2026 bodies
    # (anthropics/claude-code issue #69703 quotes a 429 rate_limit_error body).
    body = {"type": "error", "error": {"details": None, "type": type_, "message": message}}
    return {**body, "request_id": request_id} if request_id else body


def stream_error_event(rng: random.Random, error: tuple[str, str], request_id: str) -> str:
    """The API failing mid-answer: one `event: error` with the usual error body, then the connection
    closes (anthropics/anthropic-sdk-go issue #200 quotes one: overloaded_error, "Overloaded")."""
    return _event("error", error_body(*error, request_id), rng.randint(0, 15))
