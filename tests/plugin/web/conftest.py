"""Fixtures for the web app's tests: the app under Starlette's TestClient, the stand-in Messages API for the
chat, and `modelmath web` as a real server process on a free port."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # web_scenarios, webhelpers

from webhelpers import TEST_KEY, Served, start_server, stop_server  # noqa: E402


@pytest.fixture(scope="module")
def web_standin():
    """The stand-in Messages API (tests/standin/) playing this directory's scripts; `play(name)` per test."""
    from standin.server import StandIn
    from web_scenarios import SCENARIOS

    with StandIn(SCENARIOS) as server:
        yield server


@pytest.fixture
def standin_env(web_standin, monkeypatch):
    """Environment for an in-process app whose assistant talks to the stand-in."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", TEST_KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", web_standin.url)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    monkeypatch.delenv("MODELMATH_MODEL", raising=False)
    return web_standin


@pytest.fixture(scope="module")
def served_with_standin(tmp_path_factory, web_standin) -> Iterator[Served]:
    served = start_server(tmp_path_factory.mktemp("web"), env={"ANTHROPIC_API_KEY": TEST_KEY,
                                                              "ANTHROPIC_BASE_URL": web_standin.url})
    yield served
    stop_server(served)
