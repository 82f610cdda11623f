"""Standard input for `modelmath mcp`: bounded lines, each checked by guard.py before the SDK sees it.

The SDK's stdio_server takes any async iterable of lines as stdin; this one reads fd 0 (moved to a private
descriptor, with fd 0 pointed at the null device so nothing else in the process can consume protocol
bytes), stops each line at guard.MAX_LINE_BYTES (the rest of an oversized line is skipped, never held), and
yields only lines that are JSON-RPC messages. Everything else is answered on the spot through the server's
own write stream, so replies and errors leave in one ordered stream of whole lines.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import BinaryIO

import anyio
import anyio.to_thread

from .guard import MAX_LINE_BYTES, check_line


def read_line(stream: BinaryIO) -> bytes | None:
    """One line of at most MAX_LINE_BYTES + 1 bytes (a longer one is consumed to its end and returned cut,
    so the guard sees it is too long); None at end of input."""
    line = stream.readline(MAX_LINE_BYTES + 1)
    if not line:
        return None
    if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
        while True:
            rest = stream.readline(1 << 20)
            if not rest or rest.endswith(b"\n"):
                break
    return line


class GuardedStdin:
    def __init__(self, stream: BinaryIO):
        self._stream = stream
        self._write = None
        self._ready = anyio.Event()

    @classmethod
    @contextmanager
    def claim(cls) -> Iterator[GuardedStdin]:
        private = os.dup(0)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        try:
            with os.fdopen(private, "rb", closefd=False) as stream:
                yield cls(stream)
        finally:
            os.dup2(private, 0)
            os.close(private)

    def answer_through(self, write_stream) -> None:
        """Where to send the errors for lines that never reach the SDK (its write stream)."""
        self._write = write_stream
        self._ready.set()

    def __aiter__(self) -> AsyncIterator[str]:
        return self._lines()

    async def _lines(self) -> AsyncIterator[str]:
        import mcp_types as types
        from mcp.shared.message import SessionMessage

        await self._ready.wait()
        while True:
            raw = await anyio.to_thread.run_sync(read_line, self._stream, abandon_on_cancel=True)
            if raw is None:
                return
            verdict = check_line(raw)
            if verdict is None:
                continue
            if verdict.reply is not None:
                await self._write.send(SessionMessage(types.JSONRPCError.model_validate(verdict.reply)))
                continue
            yield raw.decode("utf-8")
