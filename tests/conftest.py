"""Shared test wiring. The assistant's stand-in API server and cassette fixtures live in tests/standin/;
tests/ goes on sys.path so tests can import them as `standin`."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from standin.fixtures import (  # noqa: E402,F401 - fixtures and hooks are found by name
    api,
    default_cassette_name,
    pytest_configure,
    pytest_recording_configure,
    standin_server,
    vcr_cassette_dir,
    vcr_config,
)


@pytest.fixture(autouse=True)
def _pinned_today():
    """Results that depend on today's date (a Claude model's status, dated prices) are computed for
    2026-11-30, the day the price tests were written; tests of the clock replace it themselves."""
    from datetime import date

    from modelmath.tools.pricing import lifecycle

    lifecycle.set_today(lambda: date(2026, 11, 30))
    yield
    lifecycle.set_today(None)


@pytest.fixture(autouse=True)
def _private_log_database(tmp_path_factory, monkeypatch):
    """`ask`/`chat` log every exchange: tests write to a throwaway database, never the user's."""
    monkeypatch.setenv("MODELMATH_LOGS_DB", str(tmp_path_factory.mktemp("logs") / "logs.db"))
    monkeypatch.delenv("MODELMATH_NO_LOG", raising=False)
