"""Scenario scripts for the stand-in server. Each is a generator: it receives the client's request,
yields a reply, and receives the next request. Final answers quote numbers read from the tool_result
blocks the client actually sent (never numbers written here), so a cassette shows the real data flow.

Only the core tools (parameter_count, kv_cache, memory_estimate, model_lookup) are called, so the
cassettes do not depend on tools added later.
"""

from __future__ import annotations

import re

from .server import Reply, Request, ScenarioError, Script

SCENARIOS = {}


def scenario(fn):
    SCENARIOS[fn.__name__] = fn
    return fn


def _expect(req: Request, *words: str) -> None:
    text = req.last_user_text().lower()
    missing = [w for w in words if w.lower() not in text]
    if missing:
        raise ScenarioError(f"question lacks {missing}: {text[:120]!r}")


def _gib(r: dict) -> str:
    return f"{r['total_bytes']:,} bytes = {r['total_gb']} GB = {r['total_gib']} GiB"


@scenario
def one_tool(s: Script, req: Request):
    _expect(req, "parameters", "llama 3.1 8b")
    use = s.tool_use("parameter_count", {"model": "llama-3.1-8b"})
    req = yield s.reply(s.text("I'll count them exactly."), use)
    r = req.result(use).json()
    shape = r["shape"]
    yield s.reply(s.text(
        f"**Llama 3.1 8B has {r['total_params']:,} parameters** ({r['total_params_billions']} B).\n\n"
        f"Formula: embeddings + LM head ({'tied' if shape['tied_embeddings'] else 'untied'}) + "
        f"{shape['layers']} × (attention + MLP + norms) + final norm.\n\n"
        f"Assumptions: {r['assumptions'][0]}; {r['assumptions'][1]}."))


@scenario
def parallel_tools(s: Script, req: Request):
    _expect(req, "kv cache", "128k", "fp8")
    kv = s.tool_use("kv_cache", {"model": "llama-3.1-70b", "context_tokens": 131072})
    mem = s.tool_use("memory_estimate", {"model": "llama-3.1-70b", "weight_dtype": "fp8",
                                         "context_tokens": 131072})
    req = yield s.reply(s.text("Computing both at once."), kv, mem)
    k, m = req.result(kv).json(), req.result(mem).json()
    yield s.reply(s.text(
        f"- KV cache at 131,072 tokens (bf16): {_gib(k)}; that is {k['bytes_per_token']:,} bytes per token.\n"
        f"- Total serving memory with fp8 weights: {_gib(m)} (weights {m['weights_bytes']:,} bytes).\n\n"
        "KV bytes per token = 2 (K and V) × layers × KV heads × head_dim × bytes per value."))


@scenario
def several_rounds(s: Script, req: Request):
    _expect(req, "gpt-oss-20b", "4 users")
    look = s.tool_use("model_lookup", {"model": "gpt-oss-20b"})
    req = yield s.reply(s.text("First the model's shape."), look)
    model_id = req.result(look).json()["model"]["id"]
    kv = s.tool_use("kv_cache", {"model": model_id, "context_tokens": 32768, "batch_size": 4})
    req = yield s.reply(s.text("Now its KV cache for 4 sequences of 32k tokens."), kv)
    k = req.result(kv).json()
    mem = s.tool_use("memory_estimate", {"model": model_id, "weight_dtype": "mxfp4", "context_tokens": 32768,
                                         "batch_size": 4})
    req = yield s.reply(s.text("And the whole memory budget."), mem)
    m = req.result(mem).json()
    yield s.reply(s.text(
        f"Serving {model_id} to 4 users at 32,768 tokens each needs about {m['total_gib']} GiB "
        f"({m['total_gb']} GB) in total, of which the KV cache is {_gib(k)}.\n\n"
        f"Assumptions: {m['assumptions'][0]}."))


@scenario
def invalid_input(s: Script, req: Request):
    _expect(req, "mistral", "fp4")
    bad = s.tool_use("kv_cache", {"model": "mistral-7b-v0.3", "context_tokens": 32768, "kv_dtype": "fp4"})
    req = yield s.reply(bad)
    res = req.result(bad)
    if not res.is_error:
        raise ScenarioError("expected is_error for kv_dtype fp4")
    field = re.search(r"field: (\w+)", res.text)
    allowed = re.search(r"allowed: ([\w, ]+)", res.text)
    if not field or not allowed:
        raise ScenarioError(f"error result does not name the field and allowed values: {res.text}")
    choices = [a.strip() for a in allowed.group(1).split(",")]
    fixed = "fp8" if "fp8" in choices else choices[0]
    good = s.tool_use("kv_cache", {"model": "mistral-7b-v0.3", "context_tokens": 32768, field.group(1): fixed})
    req = yield s.reply(s.text(f"fp4 is not a supported KV-cache dtype; the closest allowed one is {fixed}."), good)
    k = req.result(good).json()
    yield s.reply(s.text(f"With an {k['kv_dtype']} KV cache, 32,768 tokens of Mistral 7B v0.3 take {_gib(k)} "
                         f"({k['bytes_per_token']:,} bytes per token). fp4 is not a KV dtype the tool supports."))


@scenario
def unknown_tool(s: Script, req: Request):
    _expect(req, "capability")
    bogus = s.tool_use("capability_score", {"model": "llama-3.1-70b"})
    req = yield s.reply(bogus)
    res = req.result(bogus)
    if not res.is_error or "unknown tool" not in res.text:
        raise ScenarioError(f"expected an unknown-tool error, got {res.text[:200]}")
    big = s.tool_use("parameter_count", {"model": "llama-3.1-70b"})
    small = s.tool_use("parameter_count", {"model": "llama-3.1-8b"})
    req = yield s.reply(s.text("There is no capability tool; sizes can be computed instead."), big, small)
    b, m = req.result(big).json(), req.result(small).json()
    yield s.reply(s.text(
        "A \"capability %\" cannot be computed: capability is not a quantity with a formula, and benchmark "
        "scores depend on the benchmark. What can be computed: Llama 3.1 70B has "
        f"{b['total_params']:,} parameters and Llama 3.1 8B has {m['total_params']:,}, a ratio of "
        f"{b['total_params'] / m['total_params']:.2f}×."))


@scenario
def overloaded_then_success(s: Script, req: Request):
    _expect(req, "qwen2.5-7b")
    sent = len(req.messages)
    req = yield s.error(529, "overloaded_error", "Overloaded", retry=True)
    if len(req.messages) != sent:
        raise ScenarioError("the retry should resend the same conversation")
    use = s.tool_use("parameter_count", {"model": "qwen2.5-7b"})
    req = yield s.reply(use)
    r = req.result(use).json()
    yield s.reply(s.text(f"Qwen2.5 7B has {r['total_params']:,} parameters ({r['total_params_billions']} B)."))


@scenario
def rate_limited(s: Script, req: Request):
    yield s.error(429, "rate_limit_error", "This request would exceed the rate limit for your organization of "
                  "50 requests per minute. Please retry later.", retry=True, retry_after="30")


@scenario
def unauthorized(s: Script, req: Request):
    yield s.error(401, "authentication_error", "invalid x-api-key", retry=False)


@scenario
def unknown_model(s: Script, req: Request):
    yield s.error(404, "not_found_error", f"model: {req.body['model']}", retry=False)


@scenario
def max_turns(s: Script, req: Request):
    # Keeps asking for one more figure; when the client's last request turns tools off (tool_choice none) it
    # answers from the results it has.
    context, figures = 1024, []
    while req.tool_choice != "none":
        use = s.tool_use("kv_cache", {"model": "llama-3.2-1b", "context_tokens": context})
        req = yield s.reply(use)
        figures.append((context, req.result(use).json()["total_bytes"]))
        context *= 2
    yield s.reply(s.text("From the results so far (one more context was still to compute): " + "; ".join(
        f"{c:,} tokens: {b:,} bytes" for c, b in figures) + "."))


@scenario
def streaming(s: Script, req: Request):
    _expect(req, "gpt-2")
    gpt2 = {"vocab_size": 50257, "hidden_size": 768, "layers": 12, "heads": 12, "intermediate_size": 3072,
            "ffn": "standard", "tied_embeddings": True, "qkv_bias": True, "o_bias": True, "mlp_bias": True,
            "norm": "layernorm", "positions": "learned", "max_position_embeddings": 1024}
    params = s.tool_use("parameter_count", {"architecture": gpt2})
    kv = s.tool_use("kv_cache", {"architecture": gpt2, "context_tokens": 1024})
    req = yield s.reply(s.text("Let me compute both from the architecture."), params, kv)
    p, k = req.result(params).json(), req.result(kv).json()
    yield s.reply(s.text(
        f"GPT-2 small has **{p['total_params']:,} parameters** (tied embeddings counted once).\n\n"
        f"A full 1,024-token context holds {_gib(k)} of KV cache in bf16 "
        f"({k['bytes_per_token']:,} bytes per token)."))


@scenario
def pause_turn(s: Script, req: Request):
    _expect(req, "llama 3.2 1b")
    part = "Llama 3.2 1B"
    req = yield s.reply(s.text(part), stop_reason="pause_turn")
    last = req.messages[-1]
    if last["role"] != "assistant" or last["content"][0].get("text") != part:
        raise ScenarioError("after pause_turn the paused assistant turn must be sent back as-is")
    use = s.tool_use("parameter_count", {"model": "llama-3.2-1b"})
    req = yield s.reply(s.text(" — counting now."), use)
    r = req.result(use).json()
    yield s.reply(s.text(f"It has {r['total_params']:,} parameters (tied embeddings counted once)."))


@scenario
def refusal(s: Script, req: Request):
    # As recorded from the real API: no content at all, 0 output tokens, and stop_details naming a
    # category with a one-paragraph explanation (simonw/llm-anthropic test_refusal_raises.yaml, 2026).
    yield s.reply(stop_reason="refusal", stop_details={
        "type": "refusal", "category": "reasoning_extraction",
        "explanation": "This request was blocked because it appears to ask for the model's internal reasoning "
                       "verbatim, which Anthropic's terms do not allow."})


@scenario
def overloaded_mid_stream(s: Script, req: Request):
    # The API starts answering (HTTP 200, text streaming), then sends `event: error` overloaded_error and
    # closes the stream; the SDK raises it with status 200 and does not retry it.
    _expect(req, "llama 3.1 8b")
    use = s.tool_use("parameter_count", {"model": "llama-3.1-8b"})
    req = yield s.reply(s.text("I'll count them exactly."), use)
    req.result(use).json()
    reply = s.reply(s.text("Llama 3.1 8B has"), s.text(" more text that never arrives"))
    reply.stream_error = ("overloaded_error", "Overloaded")
    yield reply


@scenario
def max_tokens(s: Script, req: Request):
    yield s.reply(s.text("A long explanation that runs past the token limit and is cut"), stop_reason="max_tokens")


@scenario
def context_exceeded(s: Script, req: Request):
    yield s.reply(s.text("The document"), stop_reason="model_context_window_exceeded")


@scenario
def slow(s: Script, req: Request):
    yield Reply(delay_s=3.0, blocks=[Script.text("late")], stop_reason="end_turn")


# -- CLI scenarios -----------------------------------------------------------------------------------

@scenario
def cli_ask_stream(s: Script, req: Request):
    _expect(req, "llama-3.1-8b", "128k")
    kv = s.tool_use("kv_cache", {"model": "llama-3.1-8b", "context_tokens": 131072})
    req = yield s.reply(s.text("Computing the KV cache."), kv)
    k = req.result(kv).json()
    yield s.reply(s.text(f"## KV cache\n\n**{k['total_gib']} GiB** ({k['total_gb']} GB, {k['total_bytes']:,} "
                         f"bytes) for one 131,072-token sequence in bf16.\n\n- bytes per token: "
                         f"`{k['bytes_per_token']:,}`"))


@scenario
def cli_ask_json(s: Script, req: Request):
    _expect(req, "qwen3-8b")
    p = s.tool_use("parameter_count", {"model": "qwen3-8b"})
    kv = s.tool_use("kv_cache", {"model": "qwen3-8b", "context_tokens": 32768})
    req = yield s.reply(p, kv)
    a, b = req.result(p).json(), req.result(kv).json()
    yield s.reply(s.text(f"Qwen3 8B: {a['total_params']:,} parameters; KV cache at 32,768 tokens: {_gib(b)}."))


@scenario
def cli_support(s: Script, req: Request):
    if "customer-support" not in req.system_text():
        raise ScenarioError("expected the support-audience prompt in the system prompt")
    use = s.tool_use("memory_estimate", {"model": "llama-3.1-8b", "context_tokens": 8192})
    req = yield s.reply(use)
    m = req.result(use).json()
    yield s.reply(s.text(f"Running Llama 3.1 8B for one conversation of about 8,000 tokens needs about "
                         f"{m['total_gb']} GB of graphics-card memory ({m['total_gib']} GiB)."))


@scenario
def cli_factcheck(s: Script, req: Request):
    _expect(req, "<document", "check every number")
    if "numeric claim" not in req.system_text():
        raise ScenarioError("expected the fact-check prompt in the system prompt")
    doc = req.last_user_text()
    claim_params = re.search(r"([\d.]+) billion parameters", doc)
    claim_kv = re.search(r"takes ([\d.]+) GB", doc)
    if not claim_params or not claim_kv:
        raise ScenarioError("the document should hold a parameter claim and a KV-cache GB claim")
    p = s.tool_use("parameter_count", {"model": "llama-3.1-8b"})
    kv = s.tool_use("kv_cache", {"model": "llama-3.1-8b", "context_tokens": 131072})
    req = yield s.reply(s.text("Recomputing each claim."), p, kv)
    a, b = req.result(p).json(), req.result(kv).json()
    said_b, said_gb = float(claim_params.group(1)), float(claim_kv.group(1))
    ok_p = abs(said_b * 1e9 - a["total_params"]) / a["total_params"] < 0.01
    ok_kv = abs(said_gb - b["total_gb"]) / b["total_gb"] < 0.01
    mark = {True: "✅ correct", False: "❌ wrong"}
    why = "" if ok_kv else (" — the GB figure is the GiB value (GB/GiB mix-up)"
                            if abs(said_gb - b["total_gib"]) < 0.01 else "")
    yield s.reply(s.text(
        f"1. \"{said_b} billion parameters\": {mark[ok_p]}: {a['total_params']:,} ({a['total_params_billions']} B).\n"
        f"2. \"{said_gb} GB\" KV cache at 128k: {mark[ok_kv]}: {_gib(b)}{why}."))


@scenario
def chat_session(s: Script, req: Request):
    _expect(req, "llama-3.1-8b", "32k")
    kv = s.tool_use("kv_cache", {"model": "llama-3.1-8b", "context_tokens": 32768})
    req = yield s.reply(kv)
    k = req.result(kv).json()
    req = yield s.reply(s.text(f"One 32k sequence: {_gib(k)}."))
    _expect(req, "8 sequences")
    if len(req.messages) != 5:
        raise ScenarioError(f"the second question should carry the first exchange (5 messages), got "
                            f"{len(req.messages)}")
    kv8 = s.tool_use("kv_cache", {"model": "llama-3.1-8b", "context_tokens": 32768, "batch_size": 8})
    req = yield s.reply(kv8)
    k8 = req.result(kv8).json()
    req = yield s.reply(s.text(f"Eight sequences: {_gib(k8)}."))
    if len(req.messages) != 1:
        raise ScenarioError(f"after /reset the history should be empty, got {len(req.messages)} messages")
    yield s.reply(s.text("Fresh start: ask me anything about model sizes."))


# The CLI tests replay their own cassettes of the same scripts.
SCENARIOS["cli_unauthorized"] = unauthorized
SCENARIOS["cli_max_turns"] = max_turns


# -- thinking, loop hardening ------------------------------------------------------------------------

@scenario
def interleaved_thinking(s: Script, req: Request):
    # Adaptive thinking as current models do it: a thinking block (display "omitted": empty text, a signature)
    # before each tool call and before the answer, a redacted_thinking block once; the client must send every
    # one back unchanged (the server checks) and show the user nothing of them.
    _expect(req, "llama-3.1-70b", "8 users", "32k")
    look = s.tool_use("model_lookup", {"model": "llama-3.1-70b"})
    reply = s.reply(s.thinking(), look)
    reply.hidden_thinking_tokens = 180
    req = yield reply
    model_id = req.result(look).json()["model"]["id"]
    kv = s.tool_use("kv_cache", {"model": model_id, "context_tokens": 32768, "batch_size": 8, "kv_dtype": "fp8"})
    reply = s.reply(s.thinking(), s.redacted(), kv)
    reply.hidden_thinking_tokens = 240
    req = yield reply
    k = req.result(kv).json()
    mem = s.tool_use("memory_estimate", {"model": model_id, "weight_dtype": "fp8", "kv_dtype": "fp8",
                                         "context_tokens": 32768, "batch_size": 8})
    reply = s.reply(s.thinking("The KV cache is known; now the total with fp8 weights."), mem)
    req = yield reply
    m = req.result(mem).json()
    reply = s.reply(s.thinking(), s.text(
        f"Serving {model_id} with fp8 weights to 8 users at 32,768 tokens each needs about **{m['total_gib']} GiB** "
        f"({m['total_gb']} GB): weights {m['weights_bytes']:,} bytes, KV cache {_gib(k)} "
        f"({k['bytes_per_token']:,} bytes per token in fp8)."))
    reply.hidden_thinking_tokens = 300
    yield reply


@scenario
def max_tokens_thinking(s: Script, req: Request):
    # The whole max_tokens budget spent thinking: one thinking block, no text, stop_reason max_tokens, and the
    # billed output equal to max_tokens (thinking counts toward it).
    reply = s.reply(s.thinking(), stop_reason="max_tokens")
    reply.output_tokens = req.body["max_tokens"]
    yield reply


@scenario
def overloaded_mid_stream_retry(s: Script, req: Request):
    # The API fails mid-stream (event: error overloaded_error) after a thinking block and before any text:
    # the client retries the same request once and gets the answer.
    _expect(req, "llama 3.1 8b")
    use = s.tool_use("parameter_count", {"model": "llama-3.1-8b"})
    req = yield s.reply(s.thinking(), use)
    r = req.result(use).json()
    sent = req.body["messages"]
    failed = s.reply(s.thinking(), s.text("never arrives"))
    failed.stream_error = ("overloaded_error", "Overloaded")
    req = yield failed
    if req.body["messages"] != sent:
        raise ScenarioError("the retry after a mid-stream error should resend the same conversation")
    yield s.reply(s.thinking(), s.text(f"Llama 3.1 8B has {r['total_params']:,} parameters."))


@scenario
def duplicate_call(s: Script, req: Request):
    # A model that repeats an identical call: the client answers the repeat with an error pointing at the
    # first result instead of running it again.
    _expect(req, "qwen3-8b")
    first = s.tool_use("parameter_count", {"model": "qwen3-8b"})
    req = yield s.reply(first)
    r = req.result(first).json()
    again = s.tool_use("parameter_count", {"model": "qwen3-8b"})
    req = yield s.reply(s.text("Let me double-check."), again)
    res = req.result(again)
    if not res.is_error or first["id"] not in res.text:
        raise ScenarioError(f"expected a duplicate-call error naming {first['id']}, got {res.text[:200]}")
    yield s.reply(s.text(f"Qwen3 8B has {r['total_params']:,} parameters (the earlier result stands)."))


@scenario
def cli_continue(s: Script, req: Request):
    # `ask`, then `ask --continue`: the second request carries the first exchange, read back from the log.
    _expect(req, "llama-3.1-8b", "32k")
    kv = s.tool_use("kv_cache", {"model": "llama-3.1-8b", "context_tokens": 32768})
    req = yield s.reply(s.thinking(), kv)
    k = req.result(kv).json()
    req = yield s.reply(s.thinking(), s.text(f"One 32k sequence: {_gib(k)}."))
    _expect(req, "8 sequences")
    if len(req.messages) != 5:
        raise ScenarioError(f"the continued question should carry the first exchange (5 messages), got "
                            f"{len(req.messages)}")
    kv8 = s.tool_use("kv_cache", {"model": "llama-3.1-8b", "context_tokens": 32768, "batch_size": 8})
    req = yield s.reply(kv8)
    k8 = req.result(kv8).json()
    yield s.reply(s.text(f"Eight sequences: {_gib(k8)}."))


# `modelmath eval --live` against the stand-in (tests/evals/test_evals.py).
from .eval_scenarios import EVAL_SCENARIOS  # noqa: E402

SCENARIOS["eval_run"] = EVAL_SCENARIOS["eval_good"]
