"""The registry: one declaration per tool, validation before the function, structured errors always."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from modelmath.tools.registry import definitions, get_tool, run_tool, tools


def test_definitions_shape():
    defs = definitions()
    assert [d["name"] for d in defs] == [t.name for t in tools()]
    for d in defs:
        assert set(d) == {"name", "description", "input_schema"}
        assert d["input_schema"]["type"] == "object" and d["description"]


def test_stable_input_names():
    props = get_tool("memory_estimate").input_schema["properties"]
    for name in ("model", "hf_config", "architecture", "context_tokens", "batch_size", "kv_dtype", "weight_dtype"):
        assert name in props


def test_unknown_tool_lists_known():
    out = run_tool("no_such_tool", {})
    assert out.is_error and "parameter_count" in out.result["error"]["allowed"]


def test_validation_names_field_and_allowed():
    out = run_tool("kv_cache", {"model": "llama-3.1-8b", "context_tokens": 0})
    assert out.is_error and out.result["error"]["field"] == "context_tokens"
    assert "minimum" in out.result["error"]["allowed"]
    out = run_tool("kv_cache", {"model": "llama-3.1-8b", "context_tokens": 10, "kv_dtype": "fp7"})
    assert out.result["error"]["field"] == "kv_dtype" and "fp8" in out.result["error"]["allowed"]
    out = run_tool("kv_cache", {"model": "llama-3.1-8b"})
    assert out.result["error"]["field"] == "context_tokens"
    out = run_tool("parameter_count", {"model": "llama-3.1-8b", "colour": "red"})
    assert out.is_error and "colour" in out.result["error"]["message"]


def test_nested_architecture_validated_even_when_abbreviated_for_claude():
    # kv_cache sends a short architecture schema to Claude but validates against the full one.
    out = run_tool("kv_cache", {"architecture": {"vocab_size": 10, "hidden_size": 8, "layers": 1, "heads": 2,
                                                 "intermediate_size": 8, "heads_kv": 1}, "context_tokens": 4})
    assert out.is_error and out.result["error"]["field"] == "architecture"
    out = run_tool("kv_cache", {"architecture": {"vocab_size": 10, "hidden_size": 8, "layers": 1, "heads": 2,
                                                 "intermediate_size": 8, "kv_heads": 1}, "context_tokens": 4})
    # 1 layer x 2 x 1 KV head x head_dim 4 x 2 bytes = 16 bytes/token.
    assert not out.is_error and out.result["bytes_per_token"] == 16


def test_exactly_one_model_input():
    out = run_tool("parameter_count", {"model": "gpt2", "hf_config": {"model_type": "gpt2"}})
    assert out.is_error and "give one of" in out.result["error"]["message"]
    assert run_tool("parameter_count", {}).is_error


def test_semantic_error_is_structured():
    out = run_tool("parameter_count", {"architecture": {"vocab_size": 10, "hidden_size": 8, "layers": 1,
                                                        "heads": 4, "kv_heads": 3, "intermediate_size": 8}})
    assert out.is_error and out.result["error"]["field"] == "num_kv_heads"


# -- property: any input, any tool → a result or a structured error, never an exception --------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
_arch_keys = list(get_tool("parameter_count").schema_for_validation["properties"]["architecture"]["properties"])
_arch = st.dictionaries(st.sampled_from(_arch_keys),
                        st.integers(min_value=-2, max_value=2**70) | st.sampled_from(
                            ["gated", "standard", "rmsnorm", "layernorm", "full", "per_head"]) | st.booleans()
                        | st.lists(st.sampled_from(["full", "sliding"]), max_size=4),
                        max_size=len(_arch_keys))
_models = st.sampled_from(["llama-3.1-8b", "deepseek-v3", "gpt-oss-120b", "gemma-3-1b", "qwen1.5-moe-a2.7b",
                           "mistral-7b-v0.1", "nonexistent", "haiku-4.5", "h100"])


def _value_for(schema: dict):
    if "enum" in schema:
        return st.sampled_from(schema["enum"]) | _json
    t = schema.get("type")
    if t == "integer":
        return st.integers(min_value=-5, max_value=2**80) | _json
    if t == "number":
        return st.floats(min_value=-1, max_value=1e30) | _json
    if t == "boolean":
        return st.booleans() | _json
    if t == "string":
        return _models | st.text(max_size=20)
    if t == "array":
        return st.lists(st.text(max_size=10) | _models, max_size=3) | _json
    return _json


@st.composite
def tool_inputs(draw):
    tool = draw(st.sampled_from(tools()))
    props = tool.schema_for_validation.get("properties", {})
    keys = draw(st.lists(st.sampled_from(list(props)) if props else st.nothing(), max_size=len(props), unique=True))
    inp = {}
    for k in keys:
        if k == "architecture":
            inp[k] = draw(_arch | _json)
        elif k == "hf_config":
            inp[k] = draw(st.fixed_dictionaries({"model_type": st.sampled_from(
                ["llama", "deepseek_v3", "gpt_oss", "gemma3", "falcon", "qwen2_moe", "x"])}) | _json)
        else:
            inp[k] = draw(_value_for(props[k]))
    if draw(st.booleans()):
        inp[draw(st.text(max_size=6))] = draw(_json)
    return tool.name, draw(st.just(inp) | _json)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tool_inputs())
def test_any_input_gives_result_or_structured_error(case):
    name, inp = case
    out = run_tool(name, inp)
    json.dumps(out.result)  # always JSON-ready
    if out.is_error:
        err = out.result["error"]
        assert err["type"] != "internal_error", err
        assert err["message"]
    else:
        assert "error" not in out.result


def test_cli_command_table_matches_the_modules():
    from modelmath.tools.registry import TOOL_MODULES, _module_tools, cli_tool

    for module, commands in TOOL_MODULES.items():
        declared = tuple(t.cli.command for t in _module_tools(module) if t.cli is not None)
        assert declared == commands, module
    assert all(cli_tool(c).cli.command == c for cs in TOOL_MODULES.values() for c in cs)
    assert cli_tool("no-such-command") is None


def test_overlapping_tools_point_to_each_other_and_every_input_is_described():
    # What Claude and MCP clients see: where two tools could answer, each says which does what, and no input
    # is left for the model to guess.
    points = {"memory_estimate": ("hardware_fit", "speed_estimate"), "hardware_fit": ("memory_estimate",
              "speed_estimate"), "speed_estimate": ("hardware_fit",), "kv_cache": ("memory_estimate",),
              "training_memory": ("memory_estimate", "training_compute"), "training_compute": ("training_memory",),
              "api_cost": ("count_tokens",), "self_hosting_cost": ("speed_estimate",)}
    defs = {d["name"]: d for d in definitions()}
    for name, others in points.items():
        assert all(o in defs[name]["description"] for o in others), name
    for d in defs.values():
        for prop, schema in d["input_schema"]["properties"].items():
            assert schema.get("description", "").strip(), f"{d['name']}.{prop} has no description"


def test_sent_schema_is_lean_but_every_call_is_validated_in_full():
    # Claude and MCP clients get no `additionalProperties: false` and no lower bound of 0/1 (they say nothing a
    # caller needs); bounds that do (a fraction's maximum 1, ZeRO's 0-3, 31 days) stay, and calls are still
    # checked against the complete schema.
    cost, train = get_tool("api_cost"), get_tool("training_memory")
    assert "additionalProperties" not in cost.input_schema and cost.validation_schema["additionalProperties"] is False
    assert "minimum" not in cost.input_schema["properties"]["input_tokens"]
    assert cost.validation_schema["properties"]["input_tokens"]["minimum"] == 0
    assert cost.input_schema["properties"]["days_per_month"]["maximum"] == 31
    assert train.input_schema["properties"]["zero_stage"]["maximum"] == 3
    assert get_tool("speed_estimate").input_schema["properties"]["gpu_memory_fraction"]["maximum"] == 1
    out = run_tool("api_cost", {"model": "claude-haiku-4-5", "input_tokens": -1, "output_tokens": 1})
    assert out.is_error and out.result["error"]["field"] == "input_tokens"
    out = run_tool("api_cost", {"model": "claude-haiku-4-5", "input_tokens": 1, "output_tokens": 1, "colour": 1})
    assert out.is_error and "colour" in out.result["error"]["message"]
    out = run_tool("training_memory", {"model": "llama-3.1-8b", "gpu_count": 0})
    assert out.is_error and out.result["error"]["field"] == "gpu_count"
