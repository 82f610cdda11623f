"""Number parsing ("128k", "1.5e9") and byte-unit helpers. Bytes are integers everywhere internally."""

from __future__ import annotations

import math
import re

from .errors import InvalidInput

MAX_DIGITS = 30  # as tools/jsonsafe.py: no count we take needs more
GB = 10**9
GiB = 2**30
MiB = 2**20
KiB = 2**10

# Decimal suffixes: "128k" context means 128,000 tokens in every vendor's docs except where they say
# 131072; we accept "128Ki" for the binary meaning so users can say exactly what they mean.
_SUFFIX = {
    "": 1,
    "k": 10**3,
    "m": 10**6,
    "b": 10**9,
    "g": 10**9,
    "t": 10**12,
    "ki": 2**10,
    "mi": 2**20,
    "gi": 2**30,
}
_NUMBER = re.compile(r"^\s*([+-]?(?:\d+(?:_\d+)*(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)\s*([a-z]{0,2})\s*$", re.I)


def parse_count(text: str | int | float, *, field: str = "value") -> int:
    """Parse '128k', '1M', '8_192', '1.5e9', '32Ki' to an exact integer; refuse fractions of a unit."""
    if isinstance(text, bool):
        raise InvalidInput(f"{field} must be a number, got {text!r}", field=field)
    if isinstance(text, int):
        return text
    if isinstance(text, float):
        if not math.isfinite(text) or text != int(text):
            raise InvalidInput(f"{field} must be a whole number, got {text!r}", field=field)
        return int(text)
    m = _NUMBER.match(str(text))
    if not m or m.group(2).lower() not in _SUFFIX:
        raise InvalidInput(
            f"{field}: cannot read {text!r} as a number (examples: 8192, 8_192, 128k, 1M, 1.5e9, 32Ki)",
            field=field,
        )
    digits = m.group(1).replace("_", "")
    mult = _SUFFIX[m.group(2).lower()]
    # Decimal arithmetic via integer scaling keeps "1.5e9" exact instead of float-rounded.
    from decimal import Decimal

    value = Decimal(digits)
    if value and value.adjusted() + len(str(mult)) > MAX_DIGITS:  # before int(): 1e999999999 would never end
        raise InvalidInput(f"{field}: {text!r} is out of range (at most {MAX_DIGITS} digits)", field=field)
    value *= mult
    if value != value.to_integral_value():
        raise InvalidInput(f"{field} must be a whole number, got {text!r}", field=field)
    return int(value)


def gb(n_bytes: int | float) -> float:
    return n_bytes / GB


def gib(n_bytes: int | float) -> float:
    return n_bytes / GiB


def sizes(n_bytes: int) -> dict:
    """The three ways we print a size, so no output ever leaves the GB/GiB question open."""
    return {"bytes": int(n_bytes), "gb": round(n_bytes / GB, 3), "gib": round(n_bytes / GiB, 3)}
