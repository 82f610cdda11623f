"""pytest wiring for the assistant's cassette tests.

Three modes, chosen by MODELMATH_RECORD:
- unset (CI, development): replay cassettes/*.yaml with record mode "none"; no server, no network.
- `standin`: start the stand-in server and record from it (`python tests/standin/record.py`).
- `live`: talk to the real API with ANTHROPIC_API_KEY; stand-in-only scenarios are skipped, and the
  tests assert behaviour, not exact text.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

MODE = os.environ.get("MODELMATH_RECORD", "replay")
LIVE = MODE == "live"
CASSETTE_DIR = Path(__file__).resolve().parents[2] / "cassettes"
STANDIN_URL = "http://anthropic-standin.invalid"  # what cassettes recorded from the stand-in show as host
REPLAY_KEY = "sk-ant-replay-not-a-real-key"

# Request headers that carry credentials or describe this machine; response headers that identify a
# request, an organisation or a moment. None of them belongs in a committed cassette.
DROP_REQUEST_HEADERS = {"authorization", "x-api-key", "user-agent", "cookie", "host", "anthropic-organization-id"}
DROP_REQUEST_PREFIXES = ("x-stainless-",)
# `traceresponse` (a per-request W3C trace id) appears on 2026 responses (simonw/llm-anthropic
# tests/cassettes/test_anthropic/test_refusal_raises.yaml).
DROP_RESPONSE_HEADERS = {"request-id", "anthropic-organization-id", "anthropic-workspace-id", "cf-ray",
                         "set-cookie", "date", "server-timing", "server", "via", "x-envoy-upstream-service-time",
                         "cf-cache-status", "strict-transport-security", "x-robots-tag", "traceresponse"}
DROP_RESPONSE_PREFIXES = ("anthropic-ratelimit-",)


def scenario(name: str, *, standin_only: bool = False):
    """Mark a test as replaying cassettes/<name>.yaml, recorded from stand-in scenario <name>."""
    def deco(fn):
        fn = pytest.mark.scenario(name)(pytest.mark.vcr(fn))
        if standin_only:
            fn = pytest.mark.skipif(LIVE, reason="the real API cannot be made to do this on demand")(fn)
        return fn
    return deco


def scrub_request(request):
    for name in list(request.headers):
        if name.lower() in DROP_REQUEST_HEADERS or name.lower().startswith(DROP_REQUEST_PREFIXES):
            del request.headers[name]
    if MODE == "standin":  # the stand-in's ephemeral 127.0.0.1 port → a stable host that says what it is
        request.uri = STANDIN_URL + "/" + request.uri.split("/", 3)[3]
    return request


def scrub_response(response):
    headers = response["headers"]
    for name in list(headers):
        if name.lower() in DROP_RESPONSE_HEADERS or name.lower().startswith(DROP_RESPONSE_PREFIXES):
            del headers[name]
    return response


def _shape(request):
    """What must be equal for a recorded request to stand for a new one: the conversation's structure
    (roles, block types, tool ids, error flags) and streaming. Not the tool list or prompt wording, which
    change as tools are added; not the model."""
    try:
        body = json.loads(request.body)
    except (TypeError, ValueError):
        return request.body
    shape = []
    for m in body.get("messages", []):
        content = m["content"] if isinstance(m["content"], list) else [{"type": "text"}]
        shape.append((m["role"], [(b.get("type"), b.get("id") or b.get("tool_use_id"), bool(b.get("is_error")))
                                  for b in content]))
    return bool(body.get("stream")), shape


def match_conversation(r1, r2) -> None:
    s1, s2 = _shape(r1), _shape(r2)
    assert s1 == s2, f"conversation differs from the recording: {s1} != {s2}"


def pytest_recording_configure(config, vcr) -> None:
    vcr.register_matcher("conversation", match_conversation)


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "scenario(name): stand-in scenario and cassette name")


@pytest.fixture
def vcr_config():
    return {"before_record_request": scrub_request, "before_record_response": scrub_response,
            "decode_compressed_response": True, "match_on": ["method", "path", "conversation"]}


@pytest.fixture(scope="module")
def vcr_cassette_dir():
    return str(CASSETTE_DIR)


@pytest.fixture
def default_cassette_name(request):
    marker = request.node.get_closest_marker("scenario")
    return marker.args[0] if marker else request.node.name


@pytest.fixture(scope="session")
def standin_server():
    from .scenarios import SCENARIOS
    from .server import StandIn

    with StandIn(SCENARIOS) as server:
        yield server


@dataclass(frozen=True)
class Api:
    """Where the assistant under test sends its requests, for the current mode."""

    base_url: str | None
    api_key: str
    live: bool

    def client(self, **kw):
        from modelmath.plugin.assistant.agent import make_client

        return make_client(api_key=self.api_key, base_url=self.base_url, **kw)

    def env(self) -> dict[str, str]:
        env = {"ANTHROPIC_API_KEY": self.api_key}
        if self.base_url:
            env["ANTHROPIC_BASE_URL"] = self.base_url
        return env


@pytest.fixture
def api(request) -> Api:
    marker = request.node.get_closest_marker("scenario")
    name = marker.args[0] if marker else None
    if LIVE:
        key = os.environ.get("ANTHROPIC_API_KEY")
        if not key:
            pytest.skip("MODELMATH_RECORD=live needs ANTHROPIC_API_KEY")
        return Api(os.environ.get("ANTHROPIC_BASE_URL") or None, key, True)
    if MODE == "standin":
        server = request.getfixturevalue("standin_server")
        server.play(name)
        return Api(server.url, REPLAY_KEY, False)
    if name and not (CASSETTE_DIR / f"{name}.yaml").exists():
        pytest.fail(f"cassettes/{name}.yaml is missing: record it with `python tests/standin/record.py`")
    return Api(STANDIN_URL, REPLAY_KEY, False)


def mentions(text: str, value: float | int) -> bool:
    """Whether a number appears in text in one of the ways people write it (8,030,261,248 / 8030261248 /
    8.03 / 40.0 / 40). Live answers round as they like; the stand-in quotes exact figures."""
    plain = re.sub(r"(?<=\d)[,\u202f\u00a0 _](?=\d{3})", "", text)
    forms = {str(value), f"{value:,}"}
    if isinstance(value, float):
        forms |= {f"{value:.2f}", f"{value:.1f}", f"{value:g}"}
    else:
        forms |= {f"{value / 1e9:.2f}", f"{value / 1e9:.1f}"} if value >= 1e9 else set()
    return any(f.replace(",", "") in plain for f in forms)
