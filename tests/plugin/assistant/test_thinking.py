"""Requests that fit current Claude models and a hardened loop (plugin/assistant/agent.py, options.py): max_tokens
with room for thinking, output_config.effort where supported, thinking blocks returned unchanged (also between
tool calls), a reply cut off while thinking, identical repeated calls, retries shown as they happen, and a
mid-stream overload retried once. Cassettes are recorded from the stand-in server (cassettes/README.md); the
stand-in rejects a request whose thinking blocks differ from what it sent, as the API does."""

from __future__ import annotations

import json

import pytest
from modelmath.plugin.assistant.agent import Assistant, AssistantError, _with_cache_breakpoint
from modelmath.plugin.assistant.options import resolve
from standin.fixtures import LIVE, REPLAY_KEY, mentions, scenario

MODEL = "claude-sonnet-5-5"
# Llama 3.1 70B KV cache in fp8 (80 layers, 8 KV heads, head_dim 128, 1 byte): 2*80*8*128*1 = 163,840 bytes per
# token; 8 sequences of 32,768 tokens → 163,840 * 262,144 = 42,949,672,960 bytes = 40 GiB.
LLAMA_31_70B_KV_FP8_32K_X8 = 42_949_672_960
# Llama 3.1 8B: 8,030,261,248 parameters (hand derivation in test_agent.py; HF model page 8.03B).
LLAMA_31_8B_PARAMS = 8_030_261_248
# Qwen3 8B: 8,190,735,360 parameters (hand derivation in test_cli.py; HF model page 8.19B).
QWEN3_8B_PARAMS = 8_190_735_360


def assistant(api, **kw) -> Assistant:
    client_kw = {k: kw.pop(k) for k in ("max_retries",) if k in kw}
    kw.setdefault("sleep", lambda _s: None)
    return Assistant(api.client(**client_kw), model=kw.pop("model", MODEL), **kw)


# -- request options (no network) -------------------------------------------------------------------

@pytest.mark.parametrize(("model", "effort", "max_tokens", "sent_effort", "sent_max"), [
    # Sonnet 5.5 takes all five levels; our default is medium, with 16,000 tokens of room (thinking included).
    ("claude-sonnet-5-5", None, None, "medium", 16_000),
    # xhigh / max: Anthropic's effort page suggests starting max_tokens at 64k.
    ("claude-sonnet-5-5", "xhigh", None, "xhigh", 64_000),
    ("claude-opus-5-5", "max", None, "max", 64_000),
    # Haiku 4.5 does not support effort ("Default effort: Not supported"): nothing is sent.
    ("claude-haiku-4-5", None, None, None, 16_000),
    # Never above the model's max output in the price catalog: Claude Haiku 3 has 4,096 (models overview).
    ("claude-3-haiku-20240307", None, None, None, 4_096),
    # A model no catalog knows: only what was asked for is sent.
    ("claude-sonnet-9-9", None, None, None, 16_000),
    ("claude-sonnet-9-9", "low", None, "low", 16_000),
    ("claude-sonnet-5-5", "high", 32_000, "high", 32_000),
])
def test_request_options(model, effort, max_tokens, sent_effort, sent_max):
    a = Assistant(client=None, model=model, effort=effort, max_tokens=max_tokens)
    req = a.request()
    assert req["max_tokens"] == sent_max
    assert req.get("output_config") == ({"effort": sent_effort} if sent_effort else None)


def test_effort_a_model_cannot_take_is_a_configuration_error():
    # Opus 4.5 is in the effort page's supportedModels but in neither the xhigh nor the max list.
    with pytest.raises(AssistantError, match=r"--effort xhigh is not available on Claude Opus 4.5 \(allowed: low, "
                                             r"medium, high\)") as err:
        resolve("claude-opus-4-5", effort="xhigh")
    assert err.value.exit_code == 2
    with pytest.raises(AssistantError, match=r"above Claude Haiku 4.5's max output of 64,000 tokens"):
        resolve("claude-haiku-4-5", max_tokens=100_000)
    opts = resolve("claude-haiku-4-5", effort="low")
    assert opts.effort is None and "does not support effort" in opts.notices[0]


def test_cache_breakpoint_never_lands_on_a_thinking_block():
    # Anthropic's prompt-caching page: "Thinking blocks cannot be cached directly with cache_control".
    msgs = [{"role": "user", "content": [{"type": "text", "text": "q"}]},
            {"role": "assistant", "content": [{"type": "text", "text": "partial"},
                                              {"type": "thinking", "thinking": "", "signature": "Er1"},
                                              {"type": "redacted_thinking", "data": "Em1"}]}]
    out = _with_cache_breakpoint(msgs)[-1]["content"]
    assert "cache_control" in out[0] and all("cache_control" not in b for b in out[1:])


# -- thinking (cassettes) ----------------------------------------------------------------------------

@scenario("interleaved_thinking", standin_only=True)
def test_thinking_between_tool_calls_goes_back_unchanged(api):
    chunks: list[str] = []
    waits: list[str | None] = []
    a = assistant(api, stream=True, on_text=chunks.append, on_wait=waits.append)
    answer = a.ask("How much memory to serve llama-3.1-70b in fp8 to 8 users at 32k context each?")
    assert answer.complete and [c.name for c in answer.tool_calls] == ["model_lookup", "kv_cache", "memory_estimate"]
    assert "".join(chunks) == answer.text and "Er" not in answer.text  # no thinking reaches the user
    assert "thinking" in waits and waits[-1] is None  # the wait indicator said so, and was cleared
    turns = [m["content"] for m in a.messages if m["role"] == "assistant"]
    assert [[b["type"] for b in t] for t in turns] == [
        ["thinking", "tool_use"], ["thinking", "redacted_thinking", "tool_use"], ["thinking", "tool_use"],
        ["thinking", "text"]]
    first = turns[0][0]
    assert set(first) == {"type", "thinking", "signature"} and first["thinking"] == "" and len(first["signature"]) > 100
    assert set(turns[1][1]) == {"type", "data"}
    assert turns[2][0]["thinking"].startswith("The KV cache is known")  # summarized text is kept as sent
    kv = answer.tool_calls[1].result
    assert kv["total_bytes"] == LLAMA_31_70B_KV_FP8_32K_X8 and mentions(answer.text, LLAMA_31_70B_KV_FP8_32K_X8)
    assert answer.calls[0].output_tokens > 180  # billed thinking the client never saw


@scenario("max_tokens_thinking", standin_only=True)
def test_reply_cut_off_while_thinking_says_so_and_what_to_change(api):
    a = assistant(api, stream=True)
    answer = a.ask("Plan a full deployment of deepseek-v3 across every GPU in the catalog.")
    assert not answer.complete and answer.stop_reason == "max_tokens" and answer.text == ""
    assert "while Claude was still thinking" in answer.notice
    assert "raise --max-tokens (this model allows up to 128,000)" in answer.notice  # Sonnet 5.5: 128K max output
    assert "lower --effort (now medium)" in answer.notice
    assert answer.calls[0].output_tokens == 16_000 == a.max_tokens  # the whole budget went to thinking
    assert [m["role"] for m in a.messages] == ["user"]  # the cut thinking block is not kept


@scenario("overloaded_mid_stream_retry", standin_only=True)
def test_mid_stream_overload_before_any_text_is_retried_once(api, vcr):
    retries: list[str] = []
    delays: list[float] = []
    a = assistant(api, stream=True, on_retry=retries.append, sleep=delays.append)
    answer = a.ask("How many parameters does Llama 3.1 8B have?")
    assert answer.complete and mentions(answer.text, LLAMA_31_8B_PARAMS)
    assert len(vcr) == 3 and len(answer.calls) == 2  # the failed stream is not a finished call
    assert len(retries) == 1 and retries[0].startswith("overloaded mid-answer: retrying in ")
    assert 1.5 <= delays[0] <= 2.0  # 2 s with up to 25% jitter


@scenario("duplicate_call", standin_only=True)
def test_identical_repeated_call_points_at_the_earlier_result(api):
    started: list[str] = []
    a = assistant(api, stream=False, on_tool_start=lambda name, _inp: started.append(name))
    answer = a.ask("How many parameters does qwen3-8b have?")
    first, again = answer.tool_calls
    assert not first.is_error and first.result["total_params"] == QWEN3_8B_PARAMS
    assert again.is_error and again.duplicate_of == first.id and again.command is None
    assert again.result["error"]["type"] == "duplicate_call" and first.id in again.result["error"]["message"]
    assert started == ["parameter_count"]  # the repeat was not run
    assert answer.complete and mentions(answer.text, QWEN3_8B_PARAMS)


# -- retries (inline mock transport) -----------------------------------------------------------------

def mock_client(*replies, max_retries=2):
    import anthropic
    import httpx2

    sent: list[dict] = []

    def handle(request):
        sent.append(json.loads(request.content))
        return replies[len(sent) - 1]()

    client = anthropic.Anthropic(api_key=REPLAY_KEY, base_url="http://mock.invalid", max_retries=max_retries,
                                 http_client=httpx2.Client(transport=httpx2.MockTransport(handle)))
    return client, sent


def _ok():
    import httpx2

    body = {"model": MODEL, "id": "msg_01Mock", "type": "message", "role": "assistant",
            "content": [{"type": "text", "text": "Done."}], "stop_reason": "end_turn", "stop_sequence": None,
            "stop_details": None, "usage": {"input_tokens": 3, "cache_creation_input_tokens": 0,
                                            "cache_read_input_tokens": 0, "output_tokens": 2}}
    return httpx2.Response(200, json=body)


def _error(status: int, type_: str, **headers):
    import httpx2

    body = {"type": "error", "error": {"details": None, "type": type_, "message": type_}, "request_id": "req_1"}
    return lambda: httpx2.Response(status, json=body, headers=headers)


@pytest.mark.skipif(LIVE, reason="a mock transport")
def test_retries_are_shown_with_their_wait_and_obey_retry_after():
    client, sent = mock_client(_error(529, "overloaded_error"), _error(429, "rate_limit_error", **{"retry-after": "7"}),
                               _ok)
    shown: list[str] = []
    waited: list[float] = []
    a = Assistant(client, model=MODEL, stream=False, on_retry=shown.append, sleep=waited.append)
    assert a.ask("q").complete and len(sent) == 3
    assert shown[0].startswith("overloaded (529), retry 1 of 2: retrying in ")
    assert 0.375 <= waited[0] <= 0.5  # the SDK's first backoff: 0.5 s less up to 25% jitter
    assert shown[1] == "rate limited (429), retry 2 of 2: retrying in 7.0 s" and waited[1] == 7.0


@pytest.mark.skipif(LIVE, reason="a mock transport")
def test_what_is_not_retried():
    for reply in (_error(400, "invalid_request_error"), _error(529, "overloaded_error", **{"x-should-retry": "false"})):
        client, sent = mock_client(reply, _ok)
        with pytest.raises(AssistantError):
            Assistant(client, model=MODEL, stream=False, sleep=lambda _s: None).ask("q")
        assert len(sent) == 1
    client, sent = mock_client(_error(529, "overloaded_error"), _error(529, "overloaded_error"), _ok, max_retries=1)
    with pytest.raises(AssistantError, match=r"overloaded \(529\) after 1 retries"):
        Assistant(client, model=MODEL, stream=False, sleep=lambda _s: None).ask("q")
    assert len(sent) == 2


@pytest.mark.skipif(LIVE, reason="uses the local stand-in server")
def test_standin_rejects_thinking_that_was_modified_or_dropped(standin_server):
    # The cassettes prove thinking went back unchanged only because the stand-in checks it as the API does.
    import anthropic

    standin_server.play("interleaved_thinking")
    client = anthropic.Anthropic(api_key=REPLAY_KEY, base_url=standin_server.url, max_retries=0)
    question = [{"role": "user", "content": "How much memory to serve llama-3.1-70b in fp8 to 8 users at 32k?"}]
    kw = {"model": MODEL, "max_tokens": 1000, "messages": question}
    first = client.messages.create(**kw)
    thinking, use = (b.model_dump(exclude_none=True) for b in first.content)
    result = {"type": "tool_result", "tool_use_id": use["id"], "content": "{}"}
    use = {k: use[k] for k in ("type", "id", "name", "input")}
    for sent in ([{**thinking, "thinking": "edited"}, use], [use]):
        with pytest.raises(anthropic.BadRequestError, match="cannot be modified"):
            client.messages.create(**{**kw, "messages": [*question, {"role": "assistant", "content": sent},
                                                         {"role": "user", "content": [result]}]})
