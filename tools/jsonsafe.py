"""JSON in and out with limits: every JSON we parse (config files, price files, tool input from the CLI, MCP,
HTTP and the model) passes these checks, and every JSON we print is strict.

Limits, each with a message that says what was wrong and what is allowed:
- nesting depth (a real config.json is 3-5 levels deep; a 10,000-deep array would overflow Python's stack);
- integer digits (Python refuses to convert ints over 4,300 digits with a ValueError, and no count we take
  needs more than a few dozen);
- string length;
- NaN and ±Infinity, which are not JSON (RFC 8259 §6) though Python's json module reads and writes them;
- the magnitude of non-integers (|x| <= 10^30, the same ceiling as the integer digits): a 1e300 in a GiB
  field overflows to infinity once converted to bytes.

`check` walks an already-parsed value (the Messages API SDK and the MCP SDK parse for us) without recursion.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from .errors import InvalidInput

MAX_DEPTH = 64
MAX_INT_DIGITS = 30  # 10^30 is far beyond any token count, byte size or price we could be asked about
MAX_ABS_NUMBER = 1e30
MAX_STRING_CHARS = 100_000


@dataclass(frozen=True)
class Limits:
    max_depth: int = MAX_DEPTH
    max_int_digits: int = MAX_INT_DIGITS
    max_string_chars: int = MAX_STRING_CHARS
    max_abs_number: float = MAX_ABS_NUMBER


DEFAULT_LIMITS = Limits()


class NotJSON(InvalidInput):
    """The text is not JSON at all (syntax, encoding), as opposed to JSON beyond our limits: a JSON-RPC
    server answers the first with a parse error and the second with an error for the request."""


def _refuse(what: str, message: str) -> InvalidInput:
    return InvalidInput(f"{what}: {message}", field=None)


def _constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


@dataclass(frozen=True)
class _Constant:
    """NaN / Infinity / -Infinity as read, until _null_nonfinite decides whether its key may hold one."""
    name: str


def _null_nonfinite(value: object, keys: frozenset[str], what: str) -> object:
    """Replace NaN/±Infinity with null under the named keys (at any depth, in lists below them too); refuse
    them anywhere else. Iterative: json.loads already bounded the depth by the recursion limit."""
    if isinstance(value, _Constant):
        raise _refuse(what, f"{value.name} is not a JSON number; NaN and Infinity are not allowed")
    stack: list[tuple[object, str | None, str]] = [(value, None, "")]
    while stack:
        node, owner, path = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for k, sub in list(items):
            sub_owner = k if isinstance(node, dict) else owner
            sub_path = f"{path}.{k}" if path else str(k)
            if isinstance(sub, _Constant):
                if sub_owner not in keys:
                    raise _refuse(what, f"{sub.name} at {sub_path} is not a JSON number; NaN and Infinity are not "
                                        f"allowed (only under {', '.join(sorted(keys))}, which is not read)")
                node[k] = None
            elif isinstance(sub, dict | list):
                stack.append((sub, sub_owner, sub_path))
    return value


def _parse_int(text: str, limits: Limits, what: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > limits.max_int_digits:
        raise _refuse(what, f"an integer has {digits:,} digits; at most {limits.max_int_digits} are accepted")
    return int(text)


def _parse_float(text: str, what: str, decimal: bool):
    if decimal:  # prices: exact decimal arithmetic, so no binary float ever touches them
        from decimal import Decimal

        value = Decimal(text)
        if abs(value.adjusted()) > 100:
            raise _refuse(what, f"the number {text[:40]} is out of range")
        return value
    value = float(text)
    if not math.isfinite(value):  # e.g. 1e999 overflows to inf
        raise _refuse(what, f"the number {text[:40]} is too large to represent (not finite)")
    return value


def loads(text: str | bytes, *, what: str = "JSON input", limits: Limits = DEFAULT_LIMITS,
          decimal: bool = False, nonfinite_as_null: frozenset[str] = frozenset()) -> object:
    """Parse JSON text under the limits (`decimal=True`: non-integers as Decimal). Raises InvalidInput with
    one clear line; never anything else.

    `nonfinite_as_null`: keys whose NaN/±Infinity (Python's json writes them; transformers' save_pretrained
    does for some config fields) are read as null instead of refusing the whole text. Only for keys nothing
    reads: the value is gone, not approximated."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NotJSON(f"{what}: not UTF-8 text (byte {exc.start})") from exc
    try:
        value = json.loads(text, parse_constant=_Constant if nonfinite_as_null else _constant,
                           parse_int=lambda s: _parse_int(s, limits, what),
                           parse_float=lambda s: _parse_float(s, what, decimal))
        if nonfinite_as_null:
            value = _null_nonfinite(value, nonfinite_as_null, what)
    except InvalidInput:
        raise
    except RecursionError as exc:
        raise _refuse(what, f"nested too deeply (at most {limits.max_depth} levels)") from exc
    except json.JSONDecodeError as exc:
        raise NotJSON(f"{what}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    except ValueError as exc:  # NaN / Infinity from parse_constant
        raise _refuse(what, f"{exc}; NaN and Infinity are not allowed") from exc
    check(value, what=what, limits=limits)
    return value


def check(value: object, *, what: str = "input", limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse values JSON cannot carry or we will not compute with: too deep, huge ints, long strings, NaN."""
    stack: list[tuple[object, int, str]] = [(value, 1, "")]
    while stack:
        v, depth, path = stack.pop()
        where = f" at {path if len(path) <= 80 else path[:77] + '...'}" if path else ""
        if isinstance(v, dict | list):
            if depth > limits.max_depth:
                raise _refuse(what, f"nested too deeply{where} (at most {limits.max_depth} levels)")
            items = v.items() if isinstance(v, dict) else enumerate(v)
            for k, sub in items:
                if isinstance(k, str) and len(k) > limits.max_string_chars:
                    raise _refuse(what, f"a key is {len(k):,} characters long (at most {limits.max_string_chars:,})")
                stack.append((sub, depth + 1, f"{path}.{k}" if path else str(k)))
        elif isinstance(v, bool) or v is None:
            continue
        elif isinstance(v, int):
            # Count digits without str(): that conversion itself fails past 4,300 digits.
            if v.bit_length() > limits.max_int_digits * 3.33:  # log2(10) ≈ 3.32
                raise _refuse(what, f"an integer{where} is too large (at most {limits.max_int_digits} digits)")
        elif isinstance(v, float):
            if not math.isfinite(v):
                raise InvalidInput(f"{path or what} must be a finite number, got {v}; NaN and Infinity are not "
                                   "allowed", field=path or None)
            if abs(v) > limits.max_abs_number:
                raise InvalidInput(f"{path or what} is out of range: {v:g} (at most 10^30 in magnitude)",
                                   field=path or None)
        elif isinstance(v, str) and len(v) > limits.max_string_chars:
            raise _refuse(what, f"a string{where} is {len(v):,} characters long (at most "
                          f"{limits.max_string_chars:,})")


def dumps(value: object, **kwargs) -> str:
    """Strict JSON text: NaN or Infinity anywhere is a bug in the producer and raises ValueError rather than
    printing something no JSON parser accepts."""
    return json.dumps(value, allow_nan=False, **kwargs)
