"""JSON limits: every parse refuses what would crash, hang or mislead, with one clear message."""

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from modelmath.tools import jsonsafe
from modelmath.tools.errors import InvalidInput


def test_plain_json_round_trips():
    assert jsonsafe.loads('{"a": [1, 2.5, "x", null, true]}') == {"a": [1, 2.5, "x", None, True]}


@pytest.mark.parametrize("text,needle", [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),  # past Python's recursion limit
    ("[" * 65 + "]" * 65, "nested too deeply"),  # parses, but deeper than MAX_DEPTH (64)
    ('{"n": ' + "9" * 5000 + "}", "5,000 digits"),  # Python's int() itself refuses > 4,300 digits
    ('{"n": ' + "9" * 31 + "}", "31 digits"),
    ('{"x": NaN}', "NaN"),
    ('{"x": -Infinity}', "NaN and Infinity"),
    ('{"x": 1e999}', "not finite"),
    ('{"s": "' + "a" * 100_001 + '"}', "100,001 characters"),
    ('{"a": 1,}', "not valid JSON"),
    (b"\xff\xfe", "not UTF-8"),
])
def test_hostile_json_is_refused_with_a_reason(text, needle):
    with pytest.raises(InvalidInput) as exc:
        jsonsafe.loads(text)
    assert needle in exc.value.message


def test_depth_64_is_accepted():
    assert jsonsafe.loads("[" * 64 + "]" * 64) is not None


def test_decimal_mode_keeps_prices_exact():
    from decimal import Decimal

    assert jsonsafe.loads('{"p": 0.1}', decimal=True) == {"p": Decimal("0.1")}


def test_check_walks_parsed_values_without_recursion():
    deep: list = []
    cur = deep
    for _ in range(50_000):  # deeper than the interpreter's recursion limit
        nxt: list = []
        cur.append(nxt)
        cur = nxt
    with pytest.raises(InvalidInput, match="nested too deeply"):
        jsonsafe.check(deep)
    with pytest.raises(InvalidInput, match="finite"):
        jsonsafe.check({"usd": math.nan})
    with pytest.raises(InvalidInput, match="too large"):
        jsonsafe.check({"n": 10**5000})


def test_dumps_never_emits_nan_or_infinity():
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValueError):
            jsonsafe.dumps({"x": [1, {"y": bad}]})


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
                    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=30))
def test_dumps_output_is_strict_json_or_refused(value):
    try:
        text = jsonsafe.dumps(value)
    except ValueError:
        return
    # Strict: a parser that rejects the NaN/Infinity extensions reads it back.
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-strict constant {c} emitted"))


def test_nonfinite_under_named_keys_reads_as_null_and_is_refused_elsewhere():
    # transformers writes Mamba-2 configs' time_step_limit default (0.0, inf) as [0.0, Infinity].
    keys = frozenset({"time_step_limit"})
    text = '{"time_step_limit": [0.0, Infinity], "text_config": {"time_step_limit": [NaN, -Infinity]}, "h": 8}'
    assert jsonsafe.loads(text, nonfinite_as_null=keys) == {
        "time_step_limit": [0.0, None], "text_config": {"time_step_limit": [None, None]}, "h": 8}
    for bad, where in [('{"time_step_rank": NaN}', "NaN at time_step_rank"),
                       ('{"a": [Infinity]}', "Infinity at a.0"), ("-Infinity", "-Infinity is not")]:
        with pytest.raises(InvalidInput) as exc:
            jsonsafe.loads(bad, nonfinite_as_null=keys)
        assert where in exc.value.message and "not allowed" in exc.value.message
    with pytest.raises(InvalidInput, match="NaN and Infinity"):  # strict unless asked
        jsonsafe.loads(text)
