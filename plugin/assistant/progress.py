"""What the user sees on stderr while an answer is being made: one line per tool call as it starts (name and
key inputs), retries as they happen, and, on a terminal only, an elapsed-time indicator while Claude thinks.
`--quiet` turns all of it off; errors and notices are printed by the command, not here.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Callable

_CLEAR = "\r\x1b[2K"  # carriage return + erase the line: the indicator never leaves text behind


def key_inputs(tool_input: object, limit: int = 110) -> str:
    """`model=llama-3.1-70b context_tokens=131072`: scalar inputs as given, objects summarised."""
    if not isinstance(tool_input, dict):
        return json.dumps(tool_input)[:limit]
    parts = []
    for k, v in tool_input.items():
        if isinstance(v, dict):
            inner = v.get("model_type") or v.get("name")
            v = f"{{{inner}}}" if inner else "{…}"
        elif isinstance(v, list):
            v = ",".join(map(str, v)) if all(not isinstance(x, (dict, list)) for x in v) else "[…]"
        elif isinstance(v, str) and len(v) > 40:
            v = f"“{v[:30]}…” ({len(v):,} chars)"
        parts.append(f"{k}={v}")
    line = " ".join(parts)
    return line if len(line) <= limit else line[: limit - 1] + "…"


class Progress:
    """Progress lines on `err` (stderr). `before_line` is called before each line so an answer streaming to
    the same terminal can finish its current line first."""

    def __init__(self, err=None, *, quiet: bool = False, tty: bool | None = None,
                 before_line: Callable[[], None] | None = None, clock: Callable[[], float] = time.monotonic):
        self.err = err or sys.stderr
        self.quiet = quiet
        if tty is None:
            tty = self.err.isatty() and os.environ.get("TERM") != "dumb"
        self.tty = tty
        self.before_line = before_line
        self.clock = clock
        self._lock = threading.Lock()
        self._label: str | None = None
        self._since = 0.0
        self._shown = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lines ---------------------------------------------------------------------------------------

    def line(self, text: str) -> None:
        if self.quiet:
            return
        with self._lock:
            self._erase()
            if self.before_line:
                self.before_line()
            self.err.write(text + "\n")
            self.err.flush()

    def tool_started(self, name: str, tool_input: object) -> None:
        self.line(f"→ {name} {key_inputs(tool_input)}".rstrip())

    def retrying(self, message: str) -> None:
        self.line(f"… {message}")

    # -- the elapsed-time indicator (terminal only) --------------------------------------------------

    def waiting(self, label: str | None) -> None:
        """Show `label… N s` until waiting(None); a new label keeps the clock running."""
        if self.quiet or not self.tty:
            return
        with self._lock:
            if label is None:
                self._label = None
                self._erase()
                return
            if self._label is None:
                self._since = self.clock()
            self._label = label
            self._draw()
        if self._thread is None:
            self._thread = threading.Thread(target=self._tick, daemon=True)
            self._thread.start()

    def close(self) -> None:
        self.waiting(None)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        self._stop.clear()

    def _tick(self) -> None:
        while not self._stop.wait(1.0):
            with self._lock:
                if self._label is not None:
                    self._draw()

    def _draw(self) -> None:
        if self.before_line and not self._shown:
            self.before_line()
        self.err.write(f"{_CLEAR}{self._label}… {self.clock() - self._since:.0f} s")
        self.err.flush()
        self._shown = True

    def _erase(self) -> None:
        if self._shown:
            self.err.write(_CLEAR)
            self.err.flush()
            self._shown = False
