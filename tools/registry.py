"""The one tool registry. Each calculator is declared once (name, description for a model, input JSON
Schema, function, CLI naming); Claude tool definitions, MCP tools and CLI commands are all derived here.

`run_tool` is the single entry for raw JSON input (agent loop, MCP, `modelmath run-tool`): it validates
with jsonschema, runs the function, and turns every failure into a structured error, never an exception.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType

from .errors import InvalidInput, ModelMathError, UnknownName


@dataclass(frozen=True)
class CliSpec:
    """How a tool appears as a CLI command. Option names come from input names through the one CLI
    vocabulary (plugin/cli/vocabulary.py: context_tokens → --context, gpu_count → --gpus)."""

    command: str
    positional: str | None = None  # one input taken as a positional argument (e.g. model)
    flatten: str | None = None  # an object input whose properties become their own options
    file_inputs: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # input → option
    help: str = ""


def lean(schema: dict) -> dict:
    """The schema as sent to Claude and MCP clients: the declared one without what tells a caller nothing it
    needs (`additionalProperties: false`; a lower bound of 0 or 1 on a count, of 0 on an amount). Every bound
    that carries information stays (fractions' maximum 1, zero_stage 0-3, a date's pattern), and every call is
    still validated against the declared schema. Saves ~270 tokens of the ~4,800-token cached prefix."""
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key == "additionalProperties" and value is False:
            continue
        if key in ("minimum", "exclusiveMinimum") and value in (0, 1) and not isinstance(value, bool):
            continue
        if key == "properties":
            value = {k: lean(v) for k, v in value.items()}
        elif key == "items":
            value = lean(value)
        out[key] = value
    return out


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    input_schema: dict  # as declared; what Claude and MCP clients see is its lean() form (set on construction)
    func: Callable[[dict], dict]
    cli: CliSpec | None = None
    validation_schema: dict | None = None  # the complete form (default: input_schema as declared)
    # Former input names still accepted (old → current), for one release after a rename that made one
    # concept one name across tools (e.g. self_hosting_cost's gpus → gpu_count).
    input_aliases: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # The result depends on today's date (prices and model status) when the input gives none: a command that
    # reproduces it must pin the date (plugin/assistant/provenance.py, MODELMATH_TODAY).
    dated: bool = False

    def __post_init__(self) -> None:
        # One declaration, two forms: calls, the CLI and the web forms use the complete schema; Claude and MCP
        # clients are sent the lean one.
        if self.validation_schema is None:
            object.__setattr__(self, "validation_schema", self.input_schema)
        object.__setattr__(self, "input_schema", lean(self.input_schema))

    def definition(self) -> dict:
        return {"name": self.name, "description": self.description, "input_schema": self.input_schema}

    @property
    def schema_for_validation(self) -> dict:
        return self.validation_schema or self.input_schema


@dataclass(frozen=True)
class ToolOutcome:
    result: dict
    is_error: bool


# The modules that declare tools (each has a TOOLS tuple), in the order Claude sees them, with the CLI
# commands each one provides: `modelmath params` then imports one module, not all of them (start-up time).
# tests/tools/test_registry.py checks this table against the modules' CliSpecs.
TOOL_MODULES: dict[str, tuple[str, ...]] = {
    "model.tools": ("params", "kv", "memory"),
    "pricing.tools": ("cost", "self-host"),
    "hardware.tools": ("gpu", "fit", "speed"),
    "training.tools": ("train-memory", "train-compute"),
}


def _module_tools(module: str) -> tuple[Tool, ...]:
    from importlib import import_module

    return import_module(f"{__package__}.{module}").TOOLS


@cache
def tools() -> tuple[Tool, ...]:
    found: list[Tool] = [t for module in TOOL_MODULES for t in _module_tools(module)]
    names = [t.name for t in found]
    dupes = {n for n in names if names.count(n) > 1}
    assert not dupes, f"duplicate tool names: {dupes}"
    return tuple(found)


def cli_commands() -> list[str]:
    return [c for commands in TOOL_MODULES.values() for c in commands]


def cli_tool(command: str) -> Tool | None:
    """The tool behind a derived CLI command, importing only the module that declares it."""
    for module, commands in TOOL_MODULES.items():
        if command in commands:
            return next(t for t in _module_tools(module) if t.cli is not None and t.cli.command == command)
    return None


def get_tool(name: str) -> Tool:
    # Module by module, so a core tool is found without importing the others.
    for module in TOOL_MODULES:
        for t in _module_tools(module):
            if t.name == name:
                return t
    raise UnknownName(f"unknown tool {name!r}", field="name", allowed=[t.name for t in tools()])


def definitions() -> list[dict]:
    """The tool list as sent to the Messages API."""
    return [t.definition() for t in tools()]


@cache
def _validator(name: str):
    import jsonschema  # lazy: ~100 ms, only paid when raw JSON input arrives

    schema = get_tool(name).schema_for_validation
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def _describe_validation_error(err) -> ModelMathError:
    path = ".".join(str(p) for p in err.absolute_path)
    validator = err.validator
    allowed = None
    if validator == "required":
        # Every missing one at once (a user of the architecture flags learned them one run at a time).
        given = err.instance if isinstance(err.instance, dict) else {}
        names = [f"{path}.{m}" if path else m for m in err.validator_value if m not in given] or [
            err.message.split("'")[1] if "'" in err.message else err.message]
        plural = "s" if len(names) > 1 else ""
        return InvalidInput(f"missing required field{plural} {', '.join(names)}", field=names[0])
    if validator == "additionalProperties":
        props = sorted(err.schema.get("properties", {}))
        extra = sorted(set(err.instance) - set(props)) if isinstance(err.instance, dict) else []
        where = f" in {path}" if path else ""
        return InvalidInput(f"unknown field(s) {', '.join(extra)}{where}", field=path or (extra[0] if extra else None),
                            allowed=props)
    if validator == "enum":
        allowed = list(err.validator_value)
    elif validator in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        allowed = f"{validator} {err.validator_value}"
    elif validator == "type":
        allowed = f"type {err.validator_value}"
        # In JSON's words (a client sent JSON, not Python): "got a string "8k"", not "'8k' is not of type".
        from .jsonsafe import dumps

        shown = dumps(err.instance)
        got = shown if err.instance is None or isinstance(err.instance, bool) else (
            _JSON_TYPES.get(type(err.instance), "a value") + (f" {shown}" if len(shown) <= 60 else ""))
        return InvalidInput(f"{path or 'input'} must be {_A.get(err.validator_value, err.validator_value)}, got "
                            f"{got}", field=path or None, allowed=allowed)
    where = path or "input"
    return InvalidInput(f"{where}: {err.message}", field=path or None, allowed=allowed)


_JSON_TYPES = {str: "a string", int: "a number", float: "a number", list: "an array", dict: "an object"}
_A = {"integer": "a whole number", "number": "a number", "string": "a string", "boolean": "true or false",
      "object": "an object", "array": "an array"}


MODEL_INPUTS = ("model", "hf_config", "architecture")


def _one_model_input(schema: dict, inp: dict) -> None:
    """A model-taking tool gets exactly one model input; said before any field of the others is checked
    (else `model` plus one architecture flag reads as 'missing required field vocab_size')."""
    props = schema.get("properties", {})
    if not all(k in props for k in MODEL_INPUTS):
        return
    given = [k for k in MODEL_INPUTS if inp.get(k) is not None]
    if len(given) > 1:
        raise InvalidInput(f"give one of model, hf_config or architecture, not {' and '.join(given)}",
                           field=given[1], allowed=list(MODEL_INPUTS))


def rename_inputs(tool: Tool, inp: dict) -> dict:
    """Input under a former name moved to its current one (both given: refused)."""
    if not tool.input_aliases or not any(k in inp for k in tool.input_aliases):
        return inp
    out = dict(inp)
    for old, new in tool.input_aliases.items():
        if old in out:
            if new in out:
                raise InvalidInput(f"{old} is the former name of {new}: give {new} only", field=old)
            out[new] = out.pop(old)
    return out


def validate(name: str, inp: object) -> None:
    if not isinstance(inp, dict):
        raise InvalidInput("tool input must be a JSON object", field=None)
    from jsonschema.exceptions import best_match

    _one_model_input(get_tool(name).schema_for_validation, inp)

    err = best_match(_validator(name).iter_errors(inp))
    if err is not None:
        raise _describe_validation_error(err)


def whole_numbers(schema: dict, inp: dict) -> dict:
    """JSON Schema counts 1e6 (a float) as an integer; the calculators keep counts and bytes exact, so such a
    value becomes an int here (nested objects too)."""
    out = dict(inp)
    for key, sub in schema.get("properties", {}).items():
        v = out.get(key)
        if sub.get("type") == "integer" and isinstance(v, float):
            out[key] = int(v)
        elif sub.get("type") == "object" and isinstance(v, dict) and "properties" in sub:
            out[key] = whole_numbers(sub, v)
    return out


def error_result(exc: ModelMathError) -> dict:
    return {"error": exc.to_dict()}


def _lift_model_notes(result: dict) -> dict:
    """What a model reader filled in or read around (family defaults, a multimodal wrapper) is also listed with
    the result's assumptions, where every reader of a result looks (the `model` block keeps its notes)."""
    model = result.get("model")
    if isinstance(model, dict) and model.get("notes"):
        have = result.get("assumptions", [])
        result["assumptions"] = [*(n for n in model["notes"] if n not in have), *have]
    return result


def _overflowed(value: object) -> bool:
    """Whether a result holds an infinity or NaN (finite inputs at the extremes can overflow a float)."""
    import math

    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, float) and not math.isfinite(v):
            return True
        if isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return False


def call_validated(name: str, inp: dict) -> ToolOutcome:
    """Run a tool on input that already passed validation (the CLI builds it from schema-derived options)."""
    try:
        tool = get_tool(name)
        inp = rename_inputs(tool, inp)
        _one_model_input(tool.schema_for_validation, inp)
        result = tool.func(inp)
        if _overflowed(result):  # never an Infinity in a result: JSON cannot carry it and it is no answer
            raise OverflowError
        return ToolOutcome(_lift_model_notes(result), False)
    except ModelMathError as exc:
        return ToolOutcome(error_result(exc), True)
    except (ArithmeticError, RecursionError, MemoryError) as exc:  # absurd sizes: say so, don't crash
        what = {RecursionError: "too deeply nested", MemoryError: "too large to hold in memory"}.get(
            type(exc), "out of the range we can compute with (a result overflows)")
        return ToolOutcome({"error": {"type": "invalid_input", "message": f"cannot compute: the input is {what}; "
                                      "check the magnitudes of the numbers given"}}, True)
    except Exception as exc:  # noqa: BLE001 - a bug must still reach the model as a result, not a crash
        import logging  # lazy: keeps the offline CLI's start-up lean
        import os

        # Logged where a log is kept (the MCP server's stderr); the CLI says it once, in its own line. The
        # traceback only when asked for (MODELMATH_DEBUG=1).
        log = logging.getLogger("modelmath")
        if log.hasHandlers():
            log.error("tool %s failed: %s: %s", name, type(exc).__name__, exc,
                      exc_info=bool(os.environ.get("MODELMATH_DEBUG")))
        return ToolOutcome({"error": {"type": "internal_error", "message": f"{type(exc).__name__}: {exc}"}}, True)


def run_tool(name: str, inp: object) -> ToolOutcome:
    """Validate raw input against the tool's schema, then run it. Never raises."""
    try:
        tool = get_tool(name)
        from . import jsonsafe

        jsonsafe.check(inp, what="tool input")  # depth, huge ints, NaN: before jsonschema walks it
        if isinstance(inp, dict):
            inp = rename_inputs(tool, inp)
        validate(name, inp)
    except ModelMathError as exc:
        return ToolOutcome(error_result(exc), True)
    return call_validated(name, whole_numbers(tool.schema_for_validation, inp))  # type: ignore[arg-type]
