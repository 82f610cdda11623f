"""Human-readable rendering of tool results: aligned, with units, GB and GiB side by side.

Conventions (the same in every command):
- an int is exact and printed whole with grouped digits (8,030,261,248);
- a float is an estimate or a catalog figure, printed with the significant figures it carries (the tools
  round their estimates; at most 6 are shown) and never in e-notation below 10^15 (11,800; 0.633;
  26.67 million); FLOP counts and the like from 10^15 up as 3.8e25;
- "B" means bytes only; parameter counts read "8.03 billion";
- dollars (a key with "usd") carry a $;
- a missing value is a word, never `None`: "not supported" for a tensor format a device lacks, "no price"
  for a GPU without a catalog price, "—" otherwise.
"""

from __future__ import annotations

from decimal import Decimal

_GB, _GIB = 10**9, 2**30
_WORDS = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"))


def _plain(v: float, digits: int = 6) -> str:
    """`v` to at most `digits` significant figures in positional notation with grouped thousands."""
    d = Decimal(f"{v:.{digits}g}")
    return f"{int(d):,}" if d == d.to_integral_value() else f"{d.normalize():,f}"


def approx(v: float, digits: int = 6) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1e15:
        mantissa, exp = f"{v:.{digits}g}".split("e")
        return f"{mantissa}e{int(exp)}"
    if abs(v) >= 1e6:
        size, word = next((s, w) for s, w in _WORDS if abs(v) >= s)
        return f"{_plain(v / size, digits)} {word}"
    return _plain(v, digits)


def missing(key: str) -> str:
    if "tflops" in key:
        return "not supported"
    if "usd" in key or "price" in key:
        return "no price"
    return "—"


def _num(v, key: str = "") -> str:
    if v is None:
        return missing(key)
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (int, float)) and "usd" in key.rsplit(".", 1)[-1]:
        return f"${approx(float(v))}"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return approx(v)
    return str(v)


def _binary(v: int) -> str:
    for unit, size in (("GiB", _GIB), ("MiB", 2**20), ("KiB", 2**10)):
        if v >= size:
            return f"{v / size:,.2f} {unit}"
    return f"{v} B"


def _value(key: str, v, parent: str = "") -> str:
    if isinstance(v, int) and not isinstance(v, bool):
        if key.endswith("bytes") or key == "bytes":
            return f"{v:,} B  = {v / _GB:,.3f} GB = {v / _GIB:,.3f} GiB"
        if key.startswith("bytes_per") or "_bytes_per_" in key:  # kv_/state_bytes_per_sequence too
            return f"{v:,} B  ({_binary(v)})"
        if key.endswith("params") or key == "params_used":
            return f"{v:,}  ({approx(float(v), 3)})" if v >= 10**6 else f"{v:,}"
    if isinstance(v, dict) and set(v) == {"bytes", "gb", "gib"}:
        return _value("bytes", v["bytes"])
    if isinstance(v, list) and all(not isinstance(x, (dict, list)) for x in v):
        return ", ".join(_num(x, key) for x in v)
    return _num(v, f"{parent}.{key}")


def _redundant(key: str, d: dict) -> bool:
    # total_gb / total_gib repeat total_bytes, which already prints both.
    for suffix in ("_gb", "_gib"):
        if key.endswith(suffix) and key[: -len(suffix)] + "_bytes" in d:
            return True
    return key.endswith("_billions")


def _cell(v, key: str) -> str:
    # A band block inside a table row (hardware_fit's decode_band) reads as its group and coverage; the JSON keeps
    # where it came from and any roofline cap.
    if isinstance(v, dict) and {"group", "coverage"} <= set(v):
        return f"{v['group']} {v['coverage']:.0%}" + (", capped" if "capped" in v else "")
    return _num(v, key)


def _table(rows: list[dict], indent: str) -> list[str]:
    cols = list(dict.fromkeys(k for r in rows for k in r))
    cells = [[_cell(r.get(c), c) if c in r else missing(c) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    # Numbers (and $ amounts) right-aligned so digits line up; words left-aligned.
    numeric = [all(isinstance(r.get(c), (int, float)) or r.get(c) is None or str(r.get(c, "")).startswith("$")
                   for r in rows) for c in cols]
    lines = [indent + "  ".join(c.rjust(w) if n else c.ljust(w) for c, w, n in zip(cols, widths, numeric,
                                                                                   strict=True))]
    lines += [indent + "  ".join(x.rjust(w) if n else x.ljust(w) for x, w, n in zip(row, widths, numeric,
                                                                                    strict=True)).rstrip()
              for row in cells]
    return lines


def _block(d: dict, indent: str = "", parent: str = "") -> list[str]:
    keys = [k for k in d if k not in ("assumptions", "warnings", "model") and not _redundant(k, d)]
    scalars = [k for k in keys if not isinstance(d[k], dict) and not (isinstance(d[k], list) and d[k]
                                                                       and isinstance(d[k][0], dict))]
    width = max((len(k) for k in scalars), default=0)
    lines = [f"{indent}{k.ljust(width)}  {_value(k, d[k], parent)}" for k in scalars]
    for k in keys:
        v = d[k]
        if isinstance(v, dict):
            if set(v) == {"bytes", "gb", "gib"}:
                lines.append(f"{indent}{k}: {_value(k, v)}")
            elif not v:  # a heading over nothing reads as output cut off (fit's recommendations when none fits)
                lines.append(f"{indent}{k}: none")
            else:
                lines.append(f"{indent}{k}:")
                lines += _block(v, indent + "  ", k)
        elif isinstance(v, list) and v and isinstance(v[0], dict):
            lines.append(f"{indent}{k}:")
            lines += _table(v, indent + "  ")
    return lines


def _header(model) -> list[str]:
    """What was computed and where its shape came from: the name and source, the copy the catalog values were
    read from (when not the source itself), and the model's notes - e.g. that an `org/name` was answered from
    the catalog entry, with the `org/name@main` that reads the Hub - where they are seen first, not only in
    --json or at the end of a long list of assumptions."""
    if isinstance(model, str):
        return [model]
    if not isinstance(model, dict):
        return []
    name = model.get("name") or model.get("id") or ""
    src = model.get("shape_source") or model.get("source")
    when = f", as of {model['as_of']}" if model.get("as_of") else ""
    lines = [f"{name}  ({src}{when})" if src else name]
    if model.get("shape_read_from"):
        lines.append(f"read from a copy of that source: {model['shape_read_from']}")
    lines += [f"note: {n}" for n in model.get("notes") or ()]
    return lines


def render(result: dict) -> str:
    model = result.get("model")
    lines: list[str] = _header(model)
    for w in result.get("warnings", []):
        lines.append(f"warning: {w}")
    lines += _block(result)
    shown = set(model.get("notes") or ()) if isinstance(model, dict) else set()
    assumptions = [a for a in result.get("assumptions") or () if a not in shown]  # notes are lifted into them
    if assumptions:
        lines.append("assumptions:")
        lines += [f"  - {a}" for a in assumptions]
    return "\n".join(lines)
