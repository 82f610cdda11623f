"""Derive click commands from registry tools: options come from the tool's JSON Schema, so the CLI, the
Claude tool definitions and the MCP tools cannot drift apart."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import click
from modelmath.tools.errors import ModelMathError
from modelmath.tools.model.hf_config import MAX_CONFIG_BYTES
from modelmath.tools.registry import Tool, call_validated, run_tool
from modelmath.tools.units import parse_count

from .. import files
from .render import render


class InputError(click.ClickException):
    """Bad input from the user: one line, exit status 2."""

    exit_code = 2


class Count(click.ParamType):
    """Integers as people write them: 128k, 1M, 8_192, 1.5e9."""

    name = "count"

    def __init__(self, minimum: int | None = None):
        self.minimum = minimum

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            n = value
        else:
            try:
                n = parse_count(value, field=param.name if param else "value")
            except ModelMathError as exc:
                self.fail(exc.message, param, ctx)
        if self.minimum is not None and n < self.minimum:
            self.fail(f"must be >= {self.minimum}, got {n}", param, ctx)
        return n


class CommaList(click.ParamType):
    """A list option: repeat it (--gpu h100 --gpu a100) or separate by commas (--compare a,b)."""

    name = "list"

    def __init__(self, choices: list[str] | None = None):
        self.choices = choices

    def convert(self, value, param, ctx):
        if isinstance(value, list):
            return value
        items = [x.strip() for x in str(value).split(",") if x.strip()]
        bad = [x for x in items if self.choices is not None and x not in self.choices]
        if bad:
            self.fail(f"{', '.join(bad)} not in {', '.join(self.choices)}", param, ctx)
        return items


def click_type(schema: dict):
    if "enum" in schema:
        return click.Choice([str(x) for x in schema["enum"]], case_sensitive=False)
    t = schema.get("type")
    if t == "integer":
        return Count(schema.get("minimum"))
    if t == "number":
        lo = schema.get("minimum", schema.get("exclusiveMinimum"))
        return click.FloatRange(min=lo, min_open="exclusiveMinimum" in schema)
    if t == "array":
        return CommaList(schema.get("items", {}).get("enum"))
    return click.STRING


def read_json_file(path: str, what: str) -> dict:
    try:
        return files.read_json_object(path, MAX_CONFIG_BYTES, what=what)
    except ModelMathError as exc:
        raise InputError(exc.message) from exc


def format_error(result: dict) -> str:
    err = result["error"]
    msg = err["message"]
    allowed = err.get("allowed")
    if allowed and isinstance(allowed, list) and not msg.endswith("?"):
        msg += f" (allowed: {', '.join(map(str, allowed))})"
    return msg


@dataclass(frozen=True)
class CommandExtras:
    """CLI-only additions to a derived command: options that are not tool inputs (e.g. --prices FILE),
    handled by `prepare` before the tool runs, and `present` to reshape the result for human output."""

    params: tuple[click.Parameter, ...] = ()
    prepare: Callable[[dict], None] = lambda values: None
    present: Callable[[dict], dict] = field(default=lambda result: result)


def emit(result: dict, is_error: bool, as_json: bool, present: Callable[[dict], dict] | None = None) -> None:
    if is_error:
        raise InputError(format_error(result))
    click.echo(json.dumps(result, indent=2) if as_json else render(present(result) if present else result))


def _option(name: str, schema: dict, dest: str, required: bool = False) -> click.Option:
    flag = name.replace("_", "-")
    help_ = schema.get("description")
    if required:
        # Required by the schema: click says so (exit 2) before the tool runs.
        return click.Option([f"--{flag}", dest], type=click_type(schema), required=True, help=help_)
    if schema.get("type") == "boolean":
        decls = [f"--{flag}/--no-{flag}"] if "/" not in flag else ["--" + flag.replace("/", "/--")]
        return click.Option([*decls, dest], default=None, help=help_)
    if schema.get("type") == "array":
        # multiple=True gives a tuple of lists; the callback flattens it.
        return click.Option([f"--{flag}", dest], type=click_type(schema), multiple=True, default=None, help=help_)
    return click.Option([f"--{flag}", dest], type=click_type(schema), default=None, help=help_)


def build_command(tool: Tool, extras: CommandExtras | None = None) -> click.Command:
    extras = extras or CommandExtras()
    spec = tool.cli
    schema = tool.schema_for_validation
    props = schema.get("properties", {})
    params: list[click.Parameter] = []
    nested: dict[str, str] = {}  # dest → flattened property name
    for key, sub in props.items():
        if key == spec.positional:
            params.append(click.Argument([key], required=key in schema.get("required", ()), type=click.STRING))
        elif key in spec.file_inputs:
            params.append(click.Option([f"--{spec.file_inputs[key]}", key], type=click.Path(dir_okay=False),
                                       help="Path to a JSON file (e.g. a Hugging Face config.json)."))
        elif key == spec.flatten:
            for sk, ss in sub.get("properties", {}).items():
                dest = f"arch__{sk}"
                name = spec.rename.get(f"{key}.{sk}", sk)
                params.append(_option(name, ss, dest))
                nested[dest] = sk
        else:
            params.append(_option(spec.rename.get(key, key), sub, key, key in schema.get("required", ())))
    params.extend(extras.params)
    params.append(click.Option(["--json", "as_json"], is_flag=True, help="Print the result as JSON."))
    extra_names = {p.name for p in extras.params}

    def callback(as_json: bool, **kw):
        extras.prepare({k: kw.pop(k) for k in extra_names})
        inp: dict = {}
        kw = {k: ([x for part in v for x in part] if isinstance(v, tuple) else v) for k, v in kw.items()}
        kw = {k: (None if v == [] else v) for k, v in kw.items()}
        flat = {nested[k]: v for k, v in kw.items() if k in nested and v is not None}
        for k, v in kw.items():
            if v is None or k in nested:
                continue
            inp[k] = read_json_file(v, "config") if k in spec.file_inputs else v
        if flat:
            inp[spec.flatten] = flat
        # Scalar options were checked by click types derived from the same schema; nested or file input
        # goes through full jsonschema validation.
        needs_schema = bool(flat) or any(k in spec.file_inputs for k in inp)
        outcome = run_tool(tool.name, inp) if needs_schema else call_validated(tool.name, inp)
        emit(outcome.result, outcome.is_error, as_json, extras.present)

    return click.Command(spec.command, params=params, callback=callback,
                         help=spec.help or tool.description.split(". ")[0] + ".")
