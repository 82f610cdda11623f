"""Standard input for `modelmath mcp`: bounded lines, each checked by guard.py before the SDK sees it.

The SDK's stdio_server takes any async iterable of lines as stdin; this one reads fd 0 (moved to a private
descriptor, with fd 0 pointed at the null device so nothing else in the process can consume protocol
bytes), stops each line at guard.MAX_LINE_BYTES (the rest of an oversized line is skipped, never held), and
yields only lines that are JSON-RPC messages. Everything else is answered on the spot through the server's
own write stream, so replies and errors leave in one ordered stream of whole lines.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import BinaryIO

import anyio
import anyio.to_thread

from .guard import MAX_LINE_BYTES, PARSE_ERROR, check_line, error, salvage_id

log = logging.getLogger("modelmath.mcp")

# How much of an oversized line is skipped looking for its end. A line with no end in sight (`mcp < /dev/zero`)
# leaves nothing to resynchronise on: after this much the session ends instead of reading forever.
MAX_SKIP_BYTES = 64 * 2**20


class EndlessLine(Exception):
    """An oversized line whose end did not come within MAX_SKIP_BYTES."""

    def __init__(self, head: bytes):
        self.head = head


def read_line(stream: BinaryIO) -> bytes | None:
    """One line of at most MAX_LINE_BYTES + 1 bytes (a longer one is consumed to its end and returned cut,
    so the guard sees it is too long); None at end of input."""
    line = stream.readline(MAX_LINE_BYTES + 1)
    if not line:
        return None
    if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
        skipped = 0
        while True:
            rest = stream.readline(1 << 20)
            if not rest or rest.endswith(b"\n"):
                break
            skipped += len(rest)
            if skipped > MAX_SKIP_BYTES:
                raise EndlessLine(line[:256 * 1024])
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
            try:
                raw = await anyio.to_thread.run_sync(read_line, self._stream, abandon_on_cancel=True)
            except EndlessLine as exc:
                rid = salvage_id(exc.head.decode("utf-8", "replace"))
                await self._write.send(SessionMessage(types.JSONRPCError.model_validate(error(
                    rid, PARSE_ERROR, f"a line over {(MAX_LINE_BYTES + MAX_SKIP_BYTES) // 2**20} MiB with no end: "
                    "the session is closed"))))
                log.error("standard input sent a line over %d MiB with no end; closing the session",
                          (MAX_LINE_BYTES + MAX_SKIP_BYTES) // 2**20)
                return
            if raw is None:
                return
            verdict = check_line(raw)
            if verdict is None:
                continue
            if verdict.reply is not None:
                await self._write.send(SessionMessage(types.JSONRPCError.model_validate(verdict.reply)))
                continue
            yield raw.decode("utf-8")
