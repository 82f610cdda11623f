"""Config fields are type-checked where they are read: a string where a boolean or integer belongs is
refused with the field's name, never coerced (bool("false") is True: a tied LM head silently dropped).

transformers 5 refuses the same configs: its strict config dataclasses raise "Field 'tie_word_embeddings'
expected bool, got str (value: 'false')" (checked with transformers 5.24.0, LlamaConfig).
"""

from __future__ import annotations

import copy

import pytest
from modelmath.tools.errors import InvalidInput
from modelmath.tools.model import catalog
from modelmath.tools.model.hf_config import read_hf_config
from modelmath.tools.model.params import parameter_count
from modelmath.tools.registry import run_tool

LLAMA_TIED = {"model_type": "llama", "vocab_size": 32000, "hidden_size": 2048, "intermediate_size": 5632,
              "num_hidden_layers": 22, "num_attention_heads": 32, "num_key_value_heads": 4,
              "tie_word_embeddings": True}


def test_string_false_for_a_boolean_is_refused_naming_the_field():
    cfg = {**LLAMA_TIED, "tie_word_embeddings": "false"}
    with pytest.raises(InvalidInput) as exc:
        read_hf_config(cfg)
    assert exc.value.field == "hf_config.tie_word_embeddings"
    assert '"false" (a string)' in str(exc.value) and "true or false" in str(exc.value)


def test_string_number_for_an_integer_is_refused():
    with pytest.raises(InvalidInput) as exc:
        read_hf_config({**LLAMA_TIED, "num_key_value_heads": "4"})
    assert exc.value.field == "hf_config.num_key_value_heads"


def test_tool_answers_a_structured_error_not_a_traceback():
    out = run_tool("parameter_count", {"hf_config": {**LLAMA_TIED, "tie_word_embeddings": "false"}})
    assert out.is_error and out.result["error"]["field"] == "hf_config.tie_word_embeddings"


def test_real_booleans_still_read_both_ways():
    # Tied: the LM head shares the 32000 x 2048 embedding, so untying adds exactly that many parameters.
    tied = parameter_count(read_hf_config(LLAMA_TIED)[0]).total
    untied = parameter_count(read_hf_config({**LLAMA_TIED, "tie_word_embeddings": False})[0]).total
    assert untied - tied == 32000 * 2048


def _scalar_paths(cfg: dict):
    """(container path, key, value) for every top-level and text_config boolean / integer field."""
    for key, value in cfg.items():
        if isinstance(value, (bool, int)):
            yield (), key, value
    text = cfg.get("text_config")
    if isinstance(text, dict):
        for key, value in text.items():
            if isinstance(value, (bool, int)):
                yield ("text_config",), key, value


def _stringified(cfg: dict, path: tuple, key: str, value) -> dict:
    out = copy.deepcopy(cfg)
    target = out
    for p in path:
        target = target[p]
    target[key] = str(value).lower() if isinstance(value, bool) else str(value)
    return out


@pytest.mark.parametrize("entry", [e for e in catalog.entries() if e.config], ids=lambda e: e.id)
def test_every_field_a_reader_uses_is_type_checked(entry):
    """Generic, not field by field: turn each boolean/integer of every catalog config into its string
    spelling. Either the reader refuses it, naming that field, or the field is one the reader does not use
    (the shape is unchanged). A reader that coerced the string would change the shape silently."""
    base = read_hf_config(entry.config)[0]
    for path, key, value in _scalar_paths(entry.config):
        if key == "model_type":
            continue
        try:
            shape = read_hf_config(_stringified(entry.config, path, key, value))[0]
        except InvalidInput as exc:
            assert exc.field == f"hf_config.{key}", (entry.id, key, exc.field)
            continue
        assert shape == base, f"{entry.id}: {key}={str(value)!r} (a string) changed the shape without an error"
