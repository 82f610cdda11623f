"""A model's context window: one convention for every result and warning.

The window is the number of positions the config sets the model up for, as serving engines read it:

- `max_position_embeddings`, the default;
- with YaRN rope scaling (`rope_scaling.rope_type`/`type` "yarn"), `original_max_position_embeddings x factor`
  when that is larger: YaRN's factor is defined as the ratio of the extended to the original length (Peng et
  al. 2023, arXiv 2309.00071, s = L'/L), and Qwen's model cards enable 128K by adding exactly such a block
  (factor 4 over 32,768) to a config whose max_position_embeddings stays 32,768. vLLM derives its maximum
  length the same way for YaRN. Released YaRN configs (DeepSeek-V2/V3: 4,096 x 40 = 163,840; gpt-oss and
  Kimi K2: 4,096 x 32 = 131,072) already state that product as max_position_embeddings;
- other scalings leave the window at max_position_embeddings: Llama 3.1's "llama3" and Phi-3's "longrope"
  rescale frequencies inside it (Llama 3.1: factor 8 over 8,192, window 131,072; Llama 3.2's factor 32 would
  give 262,144, but Meta's window is 128K), and the linear/dynamic configs of released models already state
  the extended length (Gemma 3: 131,072 with a linear factor 8).

The pre-extension length (original_max_position_embeddings) is reported beside the window, not used as it.
A model card may advertise less than its config allows (DeepSeek-V3's card says 128K; Mistral NeMo was
trained at 128K but its config says 1,024,000): the catalog notes say so where known.
"""

from __future__ import annotations

from ..errors import InvalidInput


def _number(value, field: str) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise InvalidInput(f"config field {field} must be a positive number, got {value!r}", field=f"hf_config.{field}")
    return value


def window_from_config(max_positions: int | None, rope: dict | None, original_top: int | None) -> tuple[
        int | None, str | None, int | None]:
    """(window, basis in words, pre-extension length) from the config's fields; `rope` is rope_scaling or
    rope_parameters, `original_top` a top-level original_max_position_embeddings (Phi-3)."""
    if rope is not None and not isinstance(rope, dict):
        raise InvalidInput(f"config field rope_scaling must be an object or null, got {rope!r}",
                           field="hf_config.rope_scaling")
    rope = rope or {}
    kind = rope.get("rope_type", rope.get("type"))
    original = rope.get("original_max_position_embeddings", original_top)
    if original is not None and (isinstance(original, bool) or not isinstance(original, int) or original <= 0):
        raise InvalidInput(f"config field original_max_position_embeddings must be a positive integer, got "
                           f"{original!r}", field="hf_config.rope_scaling.original_max_position_embeddings")
    factor = _number(rope["factor"], "rope_scaling.factor") if rope.get("factor") is not None else None
    if kind == "yarn" and factor and original:
        extended = int(original * factor)
        if max_positions is None or extended > max_positions:
            return extended, f"YaRN: original_max_position_embeddings {original:,} x factor {factor:g}", original
    if max_positions is None:
        return None, None, original
    basis = f"max_position_embeddings {max_positions:,}"
    if kind and kind != "default":
        detail = f"{kind} rope scaling" + (f" x{factor:g}" if factor else "")
        basis += f" ({detail}" + (f" from {original:,}" if original and original != max_positions else "") + ")"
    return max_positions, basis, original


def context_warnings(shape, context: int) -> list[str]:
    """The warning every calculator gives when the context is beyond the model's window."""
    limit = shape.context_limit
    if limit and context > limit:
        basis = shape.context_window_basis or f"max_position_embeddings {limit:,}"
        return [f"context_tokens {context:,} exceeds the model's context window of {limit:,} tokens ({basis}); "
                "computed anyway, but the model is not configured for it (a config whose rope_scaling extends "
                "the window, e.g. YaRN, sets a larger one)"]
    return []
