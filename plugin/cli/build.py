"""Derive click commands from registry tools: options come from the tool's JSON Schema, so the CLI, the
Claude tool definitions and the MCP tools cannot drift apart."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import click
from modelmath.tools import jsonsafe
from modelmath.tools.errors import TOOL_HINTS, ModelMathError
from modelmath.tools.model.hf_config import MAX_CONFIG_BYTES, NONFINITE_KEYS
from modelmath.tools.registry import Tool, call_validated, run_tool
from modelmath.tools.units import parse_count

from .. import files
from .paths import FilePath
from .render import render
from .repeats import OnceCommand
from .vocabulary import OLD_FLAGS, flag_for, speak_commands, speak_flags


class InputError(click.ClickException):
    """Bad input from the user: one line, exit status 2."""

    exit_code = 2


class Count(click.ParamType):
    """Integers as people write them: 128k, 1M, 8_192, 1.5e9."""

    name = "count"

    def __init__(self, minimum: int | None = None, maximum: int | None = None):
        self.minimum = minimum
        self.maximum = maximum

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            n = value
        else:
            try:
                n = parse_count(value, field="value")
            except ModelMathError as exc:
                self.fail(exc.message.removeprefix("value: ").removeprefix("value "), param, ctx)
        if self.minimum is not None and n < self.minimum or self.maximum is not None and n > self.maximum:
            self.fail(f"must be {_range(self.minimum, self.maximum)}, got {n:,}", param, ctx)
        return n


def _range(lo, hi, lo_open: bool = False) -> str:
    if lo is not None and hi is not None:
        return f"from {lo:g} to {hi:g}" if not lo_open else f"above {lo:g} and at most {hi:g}"
    if lo is not None:
        return f"> {lo:g}" if lo_open else f">= {lo:g}"
    return f"<= {hi:g}"


class Number(click.ParamType):
    """A finite decimal number within the schema's bounds. click's FloatRange accepts 'nan' and 'inf' (and
    NaN compares false with every bound), so this type refuses them by name."""

    name = "number"

    def __init__(self, minimum: float | None = None, maximum: float | None = None, min_open: bool = False):
        self.minimum, self.maximum, self.min_open = minimum, maximum, min_open

    def convert(self, value, param, ctx):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            x = float(value)
        else:
            try:
                x = float(str(value).strip().replace("_", ""))
            except ValueError:
                self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(x):
            self.fail(f"must be a finite number, got {value!r}", param, ctx)
        if abs(x) > jsonsafe.MAX_ABS_NUMBER:
            self.fail(f"{value} is out of range (at most 10^30 in magnitude)", param, ctx)
        lo, hi = self.minimum, self.maximum
        if lo is not None and (x < lo or (self.min_open and x == lo)) or hi is not None and x > hi:
            self.fail(f"must be {_range(lo, hi, self.min_open)}, got {value}", param, ctx)
        return x


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
            self.fail(f"{', '.join(map(repr, bad))} is not one of: {', '.join(self.choices)}", param, ctx)
        return items


def click_type(schema: dict):
    if "enum" in schema:
        return click.Choice([str(x) for x in schema["enum"]], case_sensitive=False)
    t = schema.get("type")
    if t == "integer":
        return Count(schema.get("minimum"), schema.get("maximum"))
    if t == "number":
        lo = schema.get("minimum", schema.get("exclusiveMinimum"))
        return Number(lo, schema.get("maximum"), min_open="exclusiveMinimum" in schema)
    if t == "array":
        return CommaList(schema.get("items", {}).get("enum"))
    return click.STRING


def read_json_file(path: str, what: str) -> dict:
    try:
        return files.read_json_object(path, MAX_CONFIG_BYTES, what=what, nonfinite_as_null=NONFINITE_KEYS)
    except ModelMathError as exc:
        raise InputError(exc.message) from exc


# The terminal's way to see a catalog, in place of the tool an error names (tools/errors.py TOOL_HINTS).
CLI_HINTS = {"model_lookup": "`modelmath models` lists the catalog", "gpu_lookup": "`modelmath gpu` lists every GPU"}


def format_error(result: dict, flags: dict[str, str] | None = None) -> str:
    """One line for the terminal from a tool's structured error: input names become this command's flags,
    and a pointer to a lookup tool becomes the command that lists the catalog."""
    err = result["error"]
    msg = err["message"]
    allowed = err.get("allowed")
    see = err.get("see")
    if allowed and isinstance(allowed, list) and see is None and not all(str(a) in msg for a in allowed):
        msg += f" (allowed: {', '.join(map(str, allowed))})"
    if see in TOOL_HINTS:
        msg = msg.replace(TOOL_HINTS[see], CLI_HINTS[see])
    return speak_commands(speak_flags(msg, flags) if flags else msg)


@dataclass(frozen=True)
class CommandExtras:
    """CLI-only additions to a derived command: options that are not tool inputs (e.g. --prices FILE),
    handled by `prepare` before the tool runs, and `present` to reshape the result for human output."""

    params: tuple[click.Parameter, ...] = ()
    prepare: Callable[[dict], None] = lambda values: None
    present: Callable[[dict], dict] = field(default=lambda result: result)


def echo_json(value: object) -> None:
    """Strict JSON on stdout: a NaN or Infinity anywhere raises instead of printing what no parser reads."""
    click.echo(jsonsafe.dumps(value, indent=2))


class InternalError(click.ClickException):
    """Our bug, not the user's input: one line, exit status 1."""

    exit_code = 1


def emit(result: dict, is_error: bool, as_json: bool, present: Callable[[dict], dict] | None = None,
         flags: dict[str, str] | None = None) -> None:
    if is_error and result["error"].get("type") == "internal_error":
        raise InternalError(f"internal error: {result['error']['message']} (MODELMATH_DEBUG=1 shows where)")
    if is_error:
        raise InputError(format_error(result, flags))
    if as_json:
        echo_json(result)
    else:
        click.echo(speak_commands(render(present(result) if present else result)))


def _option(flag: str, schema: dict, dest: str, required: bool = False, hidden: bool = False) -> click.Option:
    help_ = schema.get("description")
    if schema.get("type") == "boolean":
        decls = [f"--{flag}/--no-{flag}"] if "/" not in flag else ["--" + flag.replace("/", "/--")]
        return click.Option([*decls, dest], default=None, help=help_, hidden=hidden)
    if schema.get("type") == "array":
        # multiple=True gives a tuple of lists; the callback flattens it.
        return click.Option([f"--{flag}", dest], type=click_type(schema), multiple=True, default=None, help=help_,
                            hidden=hidden)
    # Required by the schema: click says so (exit 2) before the tool runs. (No default=None there: click 8.2+
    # takes an explicit None as a value given, and stops checking.)
    if required:
        return click.Option([f"--{flag}", dest], type=click_type(schema), required=True, help=help_)
    return click.Option([f"--{flag}", dest], type=click_type(schema), default=None, help=help_, hidden=hidden)


def _old_flags(inputs: dict[str, str]) -> dict[str, str]:
    """Old spellings this command still accepts: input → old flag, where the old flag is free here."""
    taken = {f.split("/")[0] for f in inputs.values()}
    return {name: old for old, name in OLD_FLAGS.items() if name in inputs and old not in taken}


def _merge_old(kw: dict, old: dict[str, str], inputs: dict[str, str]) -> None:
    """Move values given by an old spelling to their input, with a note on stderr."""
    for name, flag in old.items():
        value = kw.pop(f"old__{name}", None)
        if value is None or value == ():
            continue
        if kw.get(name) not in (None, ()):
            raise InputError(f"--{flag} is the old spelling of --{inputs[name]}: give one of them")
        click.echo(f"modelmath: note: --{flag} is now --{inputs[name]}; the old spelling goes in the next release",
                   err=True)
        kw[name] = value


def _one_model(spec, inp: dict, arch_flags: list[str]) -> None:
    """The command-line wording of 'exactly one model input'."""
    if spec.positional != "model" or not spec.flatten:
        return
    given = [f"MODEL ({inp['model']})" if "model" in inp else None,
             *(f"--{flag}" for name, flag in spec.file_inputs.items() if name in inp),
             f"architecture flags ({', '.join(arch_flags)})" if arch_flags else None]
    given = [g for g in given if g]
    if len(given) > 1:
        raise InputError(f"give one of MODEL, --config FILE or architecture flags, not {' and '.join(given)}")


def build_command(tool: Tool, extras: CommandExtras | None = None) -> click.Command:
    extras = extras or CommandExtras()
    spec = tool.cli
    schema = tool.schema_for_validation
    props = schema.get("properties", {})
    required = set(schema.get("required", ()))
    flat_props = props.get(spec.flatten, {}).get("properties", {}) if spec.flatten else {}
    # Every input this command takes as an option, by name (flattened fields dotted): its flag.
    inputs = {k: flag_for(k) for k in props if k not in (spec.positional, spec.flatten, *spec.file_inputs)}
    inputs |= {f"{spec.flatten}.{k}": flag_for(f"{spec.flatten}.{k}") for k in flat_props}
    inputs |= dict(spec.file_inputs)
    old = _old_flags(inputs)
    params: list[click.Parameter] = []
    nested: dict[str, str] = {}  # dest → flattened property name
    for key, sub in props.items():
        if key == spec.positional:
            params.append(click.Argument([key], required=key in required, type=click.STRING))
        elif key in spec.file_inputs:
            params.append(click.Option([f"--{spec.file_inputs[key]}", key], type=FilePath(dir_okay=False),
                                       help="Path to a JSON file (e.g. a Hugging Face config.json)."))
        elif key == spec.flatten:
            for sk, ss in flat_props.items():
                dest = f"arch__{sk}"
                params.append(_option(inputs[f"{key}.{sk}"], ss, dest))
                nested[dest] = sk
        else:
            # A required input stays optional for click when an old spelling can supply it; the tool then
            # reports it missing.
            params.append(_option(inputs[key], sub, key, key in required and key not in old))
            if key in old:
                params.append(_option(old[key], sub, f"old__{key}", hidden=True))
    params.extend(extras.params)
    params.append(click.Option(["--json", "as_json"], is_flag=True, help="Print the result as JSON."))
    extra_names = {p.name for p in extras.params}

    def callback(as_json: bool, **kw):
        extras.prepare({k: kw.pop(k) for k in extra_names})
        _merge_old(kw, old, inputs)
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
        _one_model(spec, inp, [f"--{inputs[f'{spec.flatten}.{k}'].split('/')[0]}" for k in flat])
        missing = [k for k in required if k not in inp and k in old]
        if missing:
            raise InputError(f"missing option --{inputs[missing[0]]}")
        # Scalar options were checked by click types derived from the same schema; nested or file input
        # goes through full jsonschema validation.
        needs_schema = bool(flat) or any(k in spec.file_inputs for k in inp)
        outcome = run_tool(tool.name, inp) if needs_schema else call_validated(tool.name, inp)
        emit(outcome.result, outcome.is_error, as_json, extras.present, inputs)

    return OnceCommand(spec.command, params=params, callback=callback,
                         help=spec.help or tool.description.split(". ")[0] + ".")
