"""HTML form controls generated from a tool's JSON Schema.

Each control's `name` is the schema's field name; `data-path` (dotted for nested objects) and `data-type` tell
the page's script how to turn the form back into the tool's JSON input (static/app.js `formInput`):
integer/number → text boxes that accept "10,000" or "128k", enum → select, boolean → checkbox, array →
comma-separated list, object with properties → fieldset, object without (a config.json) → JSON text area.
Nothing is validated here: the server validates exactly as for MCP and names the field that was wrong.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from types import MappingProxyType

from . import labels

DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
LONG_TEXT_CHARS = 10_000  # string inputs allowed to be longer than this get a text area


def h(value: object) -> str:
    return escape(str(value), quote=True)


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    group: str = ""


@dataclass(frozen=True)
class FormContext:
    """What a generated form needs beyond the schema: the tool, suggested values for free-text fields
    (catalog names, as a datalist), fixed choices that replace a text box (a select), and initial values."""

    tool: str
    suggestions: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # path → datalist id
    choices: Mapping[str, Sequence[Choice]] = field(default_factory=lambda: MappingProxyType({}))
    values: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))

    def id_for(self, path: str) -> str:
        return f"{self.tool}-{re.sub(r'[^A-Za-z0-9_-]', '-', path)}"


def field_kind(prop: Mapping) -> str:
    if "enum" in prop:
        return "enum"
    t = prop.get("type")
    if isinstance(t, list):  # e.g. ["number", "null"]: the non-null type
        t = next((x for x in t if x != "null"), "string")
    if t == "object":
        return "object" if prop.get("properties") else "json"
    if t == "array":
        return "array"
    if t in ("integer", "number", "boolean"):
        return t
    if prop.get("maxLength", 0) > LONG_TEXT_CHARS:
        return "text"
    if prop.get("format") == "date" or prop.get("pattern") == DATE_PATTERN:
        return "date"
    return "string"


def _help(ctx: FormContext, path: str, name: str, prop: Mapping, required: bool) -> tuple[str, str, str]:
    """(label text, hint html, aria-describedby ids)."""
    text, hint = labels.label(ctx.tool, name)
    hint = hint or prop.get("description", "")
    kind = field_kind(prop)
    if kind == "array":
        items = prop.get("items", {})
        allowed = f" Allowed: {', '.join(map(str, items['enum']))}." if "enum" in items else ""
        hint = f"{hint} Separate several with commas.{allowed}".strip()
    ident = ctx.id_for(path)
    described = f"{ident}-error"
    hint_html = ""
    if hint:
        hint_html = f'<span class="hint" id="{ident}-hint">{h(hint)}</span>'
        described = f"{ident}-hint {described}"
    if required:
        text += " (required)"
    return text, hint_html, described


def _value(ctx: FormContext, path: str) -> str:
    v = ctx.values.get(path)
    if v is None:
        return ""
    if isinstance(v, list | tuple):
        return ", ".join(map(str, v))
    return str(v)


def control(ctx: FormContext, path: str, prop: Mapping, *, required: bool = False) -> str:
    """One labelled control (or a fieldset of them) for the input at `path`."""
    name = path.rsplit(".", 1)[-1]
    kind = field_kind(prop)
    if kind == "object":
        return _fieldset(ctx, path, name, prop)
    ident = ctx.id_for(path)
    text, hint_html, described = _help(ctx, path, name, prop, required)
    common = (f'id="{ident}" name="{h(name)}" data-path="{h(path)}" data-type="{kind}" '
              f'aria-describedby="{described}"' + (' aria-required="true"' if required else ""))
    error = f'<span class="field-error" id="{ident}-error"></span>'
    value = _value(ctx, path)
    if kind == "boolean":
        checked = " checked" if value.lower() in ("true", "1", "on", "yes") else ""
        return (f'<div class="field check"><input type="checkbox" {common} value="true"{checked}>'
                f'<label for="{ident}">{h(text)}</label>{hint_html}{error}</div>')
    if kind == "enum" or path in ctx.choices:
        options = ctx.choices.get(path) or [Choice(str(v), labels.ENUM_LABELS.get(name, {}).get(str(v), str(v)))
                                            for v in prop["enum"]]
        if kind != "enum":
            common = common.replace(f'data-type="{kind}"', 'data-type="string"')
        widget = f'<select {common}>{_options(options, value, blank=not required)}</select>'
    elif kind in ("json", "text"):
        placeholder = ' placeholder="{&quot;model_type&quot;: &quot;llama&quot;, ...}"' if kind == "json" else ""
        widget = f'<textarea {common} rows="4" spellcheck="false"{placeholder}>{h(value)}</textarea>'
    else:
        attrs = {"integer": ' inputmode="numeric" autocomplete="off"',
                 "number": ' inputmode="decimal" autocomplete="off"', "date": "", "string": "", "array": ""}[kind]
        if path in ctx.suggestions:
            attrs += f' list="{ctx.suggestions[path]}"'
        if kind == "array":
            attrs += f' data-items="{field_kind(prop.get("items", {}))}"'
        typ = "date" if kind == "date" else "text"
        widget = f'<input type="{typ}" {common} value="{h(value)}"{attrs}>'
    return f'<div class="field"><label for="{ident}">{h(text)}</label>{hint_html}{widget}{error}</div>'


def _options(options: Sequence[Choice], selected: str, *, blank: bool) -> str:
    out = ['<option value="">(not set)</option>'] if blank else []
    groups: dict[str, list[Choice]] = {}
    for c in options:
        groups.setdefault(c.group, []).append(c)
    for group, members in groups.items():
        items = "".join(f'<option value="{h(c.value)}"{" selected" if c.value == selected else ""}>{h(c.label)}'
                        "</option>" for c in members)
        out.append(f'<optgroup label="{h(group)}">{items}</optgroup>' if group else items)
    return "".join(out)


def _fieldset(ctx: FormContext, path: str, name: str, prop: Mapping) -> str:
    text, hint = labels.label(ctx.tool, name)
    hint = hint or prop.get("description", "")
    required = set(prop.get("required", ()))
    inner = "".join(control(ctx, f"{path}.{k}", p, required=k in required) for k, p in prop["properties"].items())
    note = f'<p class="hint">{h(hint)} Leave it all empty to leave it out.</p>' if hint else \
        '<p class="hint">Leave it all empty to leave it out.</p>'
    return (f'<fieldset name="{h(name)}" data-object="{h(path)}" id="{ctx.id_for(path)}"><legend>{h(text)}</legend>'
            f'{note}<div class="grid">{inner}</div></fieldset>')


def controls(ctx: FormContext, schema: Mapping, names: Sequence[str] | None = None) -> str:
    """Controls for the schema's top-level inputs (all of them, or `names` in that order)."""
    props = schema.get("properties", {})
    required = set(schema.get("required", ()))
    chosen = [n for n in (names if names is not None else props) if n in props]
    return "".join(control(ctx, n, props[n], required=n in required) for n in chosen)


def array_selects(ctx: FormContext, name: str, prop: Mapping, options: Sequence[Choice], slots: int) -> str:
    """An array input offered as `slots` selects sharing one name (the quote page's "Compare with")."""
    text, hint = labels.label(ctx.tool, name)
    hint = hint or prop.get("description", "")
    chosen = list(ctx.values.get(name) or [])
    parts = []
    for i in range(slots):
        ident = f"{ctx.id_for(name)}-{i + 1}"
        value = str(chosen[i]) if i < len(chosen) else ""
        parts.append(f'<div class="field"><label for="{ident}">{h(text)}: model {i + 2}</label>'
                     f'<select id="{ident}" name="{h(name)}" data-path="{h(name)}" data-type="array-select" '
                     f'aria-describedby="{ctx.id_for(name)}-hint {ctx.id_for(name)}-error">'
                     f'{_options(options, value, blank=True)}</select></div>')
    return (f'<fieldset class="compare" id="{ctx.id_for(name)}"><legend>{h(text)}</legend>'
            f'<p class="hint" id="{ctx.id_for(name)}-hint">{h(hint)}</p>{"".join(parts)}'
            f'<span class="field-error" id="{ctx.id_for(name)}-error"></span></fieldset>')


def datalist(ident: str, options: Sequence[Choice]) -> str:
    items = "".join(f'<option value="{h(c.value)}">{h(c.label)}</option>' for c in options)
    return f'<datalist id="{h(ident)}">{items}</datalist>'


def ungroup(text: str) -> str:
    """'10,000' / '1 500 000' / '1_500' → digits; a separator counts only before a group of exactly three digits,
    so '1,5' (a decimal comma in much of Europe) is left as it is and refused, not read as 15. static/app.js's
    parseNumber follows the same rule."""
    return re.sub(r"(?<=\d)[, _](?=\d{3}(?!\d))", "", text)


def query_input(schema: Mapping, get_list) -> tuple[dict, dict]:
    """A tool input from URL query parameters (a shared quote link), and the raw values to put back in the
    form. Numbers are read as the page's script reads them ("10,000", "1.5k"); what cannot be read is passed
    through as text, so the tool's validation names the field."""
    from modelmath.tools.errors import InvalidInput
    from modelmath.tools.units import parse_count

    inp: dict = {}
    values: dict = {}
    for name, prop in schema.get("properties", {}).items():
        raw = [v.strip() for v in get_list(name) if v.strip()]
        if not raw:
            continue
        kind = field_kind(prop)
        if kind == "array":
            items = [x.strip() for v in raw for x in v.split(",") if x.strip()]
            inp[name] = values[name] = items
            continue
        text = raw[0]
        values[name] = text
        plain = ungroup(text)
        if kind == "integer":
            try:
                inp[name] = parse_count(plain, field=name)
            except InvalidInput:
                inp[name] = text
        elif kind == "number":
            try:
                inp[name] = float(plain)
            except ValueError:
                inp[name] = text
        elif kind == "boolean":
            if text.lower() in ("true", "on", "1", "yes"):
                inp[name] = True
        elif kind in ("string", "enum", "date", "text"):
            inp[name] = text
    return inp, values
