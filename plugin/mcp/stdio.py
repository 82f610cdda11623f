"""Standard input for `modelmath mcp`: bounded lines, each checked by guard.py before the SDK sees it.

The SDK's stdio_server takes any async iterable of lines as stdin; this one reads fd 0 (moved to a private
descriptor, with fd 0 pointed at the null device so nothing else in the process can consume protocol
bytes), stops each line at guard.MAX_LINE_BYTES (the rest of an oversized line is skipped, never held), and
yields only lines that are JSON-RPC messages. Everything else is answered on the spot through the server's
own write stream, so replies and errors leave in one ordered stream of whole lines.

At end of input the SDK stops serving and cancels the calls still running, so a client that writes its
requests and closes stdin (`printf … | modelmath mcp`) would get no answer to them. So the end of input is
passed on only once every request already passed on has been answered (or after DRAIN_S).
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
# At end of input, how long the requests still running get to finish (a Hub read is at most a few 10 s requests).
DRAIN_S = 120.0


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


def _key(rid: object) -> tuple[str, str]:
    """A request id as a set member: 7 and "7" are different ids."""
    rid = getattr(rid, "root", rid)  # the SDK may wrap it
    return (type(rid).__name__, str(rid))


def _request_key(raw: bytes) -> tuple[str, str] | None:
    """The id of a request (a message with a method and an id); None for anything else."""
    from modelmath.tools import jsonsafe
    from modelmath.tools.errors import InvalidInput

    try:
        msg = jsonsafe.loads(raw, what="message")  # already checked by guard.check_line: this does not fail
    except InvalidInput:
        return None
    if isinstance(msg, dict) and "method" in msg and msg.get("id") is not None:
        return _key(msg["id"])
    return None


class AnswerTracker:
    """The SDK's write stream, noting each answer so GuardedStdin knows which requests are still running."""

    def __init__(self, inner, owner: GuardedStdin):
        self._inner, self._owner = inner, owner

    async def send(self, item, /) -> None:
        await self._inner.send(item)
        rid = getattr(getattr(item, "message", None), "id", None)
        if rid is not None:
            self._owner.answered(_key(rid))

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self):
        await self._inner.__aenter__()
        return self

    async def __aexit__(self, *exc):
        return await self._inner.__aexit__(*exc)


class GuardedStdin:
    def __init__(self, stream: BinaryIO):
        self._stream = stream
        self._write = None
        self._ready = anyio.Event()
        self._pending: set[tuple[str, str]] = set()
        self._changed = anyio.Event()

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

    def answer_through(self, write_stream) -> AnswerTracker:
        """Where to send the errors for lines that never reach the SDK (its write stream). Returns the stream
        to hand the server instead, so answers are seen."""
        self._write = AnswerTracker(write_stream, self)
        self._ready.set()
        return self._write

    def answered(self, key: tuple[str, str]) -> None:
        self._pending.discard(key)
        self._changed.set()

    async def _drain(self) -> None:
        with anyio.move_on_after(DRAIN_S):
            while self._pending:
                self._changed = anyio.Event()
                await self._changed.wait()
        if self._pending:
            log.error("end of input: %d request(s) still unanswered after %.0f s", len(self._pending), DRAIN_S)

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
                await self._drain()
                return
            verdict = check_line(raw)
            if verdict is None:
                continue
            if verdict.reply is not None:
                await self._write.send(SessionMessage(types.JSONRPCError.model_validate(verdict.reply)))
                continue
            key = _request_key(raw)
            if key is not None:
                self._pending.add(key)
            yield raw.decode("utf-8")
