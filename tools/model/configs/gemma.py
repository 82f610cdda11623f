"""Gemma 1/2/3 and Gemma 3n: tied embeddings, sandwich norms, sliding-window patterns; Gemma 3n adds
per-layer embeddings, AltUp, LAuReL and KV sharing in its last layers.

Defaults: the transformers config classes (Gemma3nTextConfig from transformers 5.24.0, whose docstring
names google/gemma-3n-E4B).
"""

from __future__ import annotations

from ..shape import PerLayerInputs
from .base import Cfg, Family, common, every_nth_full, layer_types


def _alternating(cfg: Cfg, n: int, pattern: int) -> tuple[tuple[str, ...], int]:
    return layer_types(cfg, n) or every_nth_full(n, pattern), cfg.int("sliding_window")


def _gemma(cfg: Cfg) -> dict:
    n = cfg.int("num_hidden_layers")
    d = common(cfg, tied_embeddings=cfg.flag("tie_word_embeddings", True))
    if cfg.model_type == "gemma2":
        d["layer_types"], d["sliding_window"] = _alternating(cfg, n, 2)
        d["norms_per_layer"] = 4
    elif cfg.model_type == "gemma3_text":
        d["layer_types"], d["sliding_window"] = _alternating(cfg, n, cfg.int("sliding_window_pattern"))
        d["norms_per_layer"] = 4
        d["qk_norm"] = "per_head"
    return d


def _gemma3n(cfg: Cfg) -> dict:
    n = cfg.int("num_hidden_layers")
    types, window = _alternating(cfg, n, 5)
    ple = PerLayerInputs(vocab_size=cfg.int("vocab_size_per_layer_input"),
                         width=cfg.int("hidden_size_per_layer_input"), altup_inputs=cfg.int("altup_num_inputs"),
                         laurel_rank=cfg.int("laurel_rank"))
    # intermediate_size may be a per-layer list; released E2B/E4B keep it constant.
    return common(cfg, intermediate_size=cfg.uniform("intermediate_size", n), layer_types=types,
                  sliding_window=window, norms_per_layer=4, qk_norm="per_head",
                  tied_embeddings=cfg.flag("tie_word_embeddings", True),
                  kv_shared_layers=cfg.int("num_kv_shared_layers"), per_layer_inputs=ple)


_GEMMA = dict(vocab_size=256000, hidden_size=3072, intermediate_size=24576, num_hidden_layers=28,
              num_attention_heads=16, num_key_value_heads=16, head_dim=256, max_position_embeddings=8192,
              tie_word_embeddings=True, attention_bias=False)

FAMILIES: dict[str, Family] = {
    "gemma": Family(_gemma, _GEMMA, ("GemmaForCausalLM",)),
    "gemma2": Family(_gemma, {**_GEMMA, "hidden_size": 2304, "intermediate_size": 9216, "num_hidden_layers": 26,
                              "num_attention_heads": 8, "num_key_value_heads": 4, "sliding_window": 4096},
                     ("Gemma2ForCausalLM",)),
    "gemma3_text": Family(_gemma, {**_GEMMA, "vocab_size": 262208, "hidden_size": 2304, "intermediate_size": 9216,
                                   "num_hidden_layers": 26, "num_attention_heads": 8, "num_key_value_heads": 4,
                                   "max_position_embeddings": 131072, "sliding_window": 4096,
                                   "sliding_window_pattern": 6}, ("Gemma3ForCausalLM",)),
    "gemma3n_text": Family(_gemma3n, dict(vocab_size=262400, hidden_size=2048, intermediate_size=16384,
                                          num_hidden_layers=35, num_attention_heads=8, num_key_value_heads=2,
                                          head_dim=256, max_position_embeddings=32768, tie_word_embeddings=True,
                                          attention_bias=False, sliding_window=512, vocab_size_per_layer_input=262144,
                                          hidden_size_per_layer_input=256, altup_num_inputs=4,
                                          num_kv_shared_layers=15, laurel_rank=64), ("Gemma3nForCausalLM",)),
}
