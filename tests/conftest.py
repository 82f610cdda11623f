"""Shared test wiring. The assistant's stand-in API server and cassette fixtures live in tests/standin/;
tests/ goes on sys.path so tests can import them as `standin`."""

import sys
from pathlib import Path

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
