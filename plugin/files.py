"""Reading the files and streams users hand us, with a byte cap enforced while reading.

A size check on `stat()` is not enough: /dev/zero, a FIFO or a pipe on stdin report size 0 and then never
end. So a path must name a regular file (devices, FIFOs, sockets and directories are refused before they
are opened: opening a FIFO for reading blocks until a writer appears), and every read stops one byte past
the cap.
"""

from __future__ import annotations

import os
import stat
import sys
from typing import BinaryIO

from modelmath.tools import jsonsafe
from modelmath.tools.errors import InvalidInput

MiB = 2**20


class FileRefused(InvalidInput):
    """A path that is not a readable regular file, or content over the cap."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _too_big(what: str, name: str, max_bytes: int) -> FileRefused:
    return FileRefused(f"{what} {name} is too large: at most {_human(max_bytes)} is read; refused")


def _human(n: int) -> str:
    return f"{n // MiB:,} MiB" if n >= MiB and n % MiB == 0 else f"{n:,} bytes"


def read_capped(stream: BinaryIO, max_bytes: int, *, what: str, name: str) -> bytes:
    """Read at most max_bytes from an open binary stream; more than that is refused, not truncated."""
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = stream.read(min(1 << 16, max_bytes + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > max_bytes:
            raise _too_big(what, name, max_bytes)


def read_bytes(path: str, max_bytes: int, *, what: str = "file") -> bytes:
    """The whole content of a regular file of at most max_bytes. '-' reads standard input (same cap)."""
    if path == "-":
        return read_capped(sys.stdin.buffer, max_bytes, what=what, name="on standard input")
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise FileRefused(f"{what} {path}: no such file") from None
    except OSError as exc:
        raise FileRefused(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        # A pipe (`--config <(curl …)`, /dev/stdin) is what '-' is for: it reads standard input under the same cap.
        hint = ", or - to read standard input" if not stat.S_ISDIR(st.st_mode) else ""
        raise FileRefused(f"{what} {path} is {_kind(st.st_mode)}; give a regular file{hint}")
    if st.st_size > max_bytes:
        raise _too_big(what, path, max_bytes)
    try:
        # O_NONBLOCK: if the path was swapped for a FIFO after the check, open() still returns at once.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise FileRefused(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise FileRefused(f"{what} {path} is not a regular file; give a regular file")
        try:
            return read_capped(f, max_bytes, what=what, name=path)
        except OSError as exc:
            raise FileRefused(f"cannot read {what} {path}: {exc.strerror or exc}") from None


def read_text(path: str, max_bytes: int, *, what: str = "file") -> str:
    data = read_bytes(path, max_bytes, what=what)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        where = "standard input" if path == "-" else path
        raise FileRefused(f"{what} {where} is not UTF-8 text (invalid byte at offset {exc.start})") from None


def read_json_object(path: str, max_bytes: int, *, what: str = "JSON file",
                     nonfinite_as_null: frozenset[str] = frozenset()) -> dict:
    """A JSON object from a file, under the byte cap and the JSON limits (depth, digits, NaN; see
    jsonsafe.loads for `nonfinite_as_null`)."""
    text = read_text(path, max_bytes, what=what)
    value = jsonsafe.loads(text, what=f"{what} {path}", nonfinite_as_null=nonfinite_as_null)
    if not isinstance(value, dict):
        raise FileRefused(f"{what} {path} must hold a JSON object, not {type(value).__name__}")
    return value
