"""`chat` reads piped input one bounded line at a time: `chat < /dev/zero` stops at once with one line."""

from __future__ import annotations

import io

import pytest
from modelmath.plugin.assistant.agent import MAX_DOCUMENT_BYTES
from modelmath.plugin.assistant.cli import AssistantFailure, next_question


def test_lines_then_end_of_input():
    stream = io.BytesIO(b"how big is gpt2?\n/quit\n")
    assert next_question(stream) == "how big is gpt2?\n"
    assert next_question(stream) == "/quit\n"
    with pytest.raises(EOFError):
        next_question(stream)


def test_a_line_without_end_is_refused_after_the_cap():
    with open("/dev/zero", "rb") as zero, pytest.raises(AssistantFailure) as exc:
        next_question(zero)
    assert exc.value.exit_code == 2 and f"{MAX_DOCUMENT_BYTES:,} bytes" in exc.value.message
