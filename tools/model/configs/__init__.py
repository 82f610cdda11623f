"""One registry of Hugging Face config readers, one module per family group."""

from __future__ import annotations

from . import dense, gemma, hybrid, legacy, mla, moe
from .base import Cfg, Family

FAMILIES: dict[str, Family] = {}
for _module in (dense, legacy, gemma, moe, mla, hybrid):
    _clash = set(FAMILIES) & set(_module.FAMILIES)
    if _clash:
        raise RuntimeError(f"model_type registered twice: {_clash}")
    FAMILIES.update(_module.FAMILIES)

# architectures[0] → model_type, for configs that name only the class.
BY_CLASS: dict[str, str] = {cls: t for t, fam in FAMILIES.items() for cls in fam.classes}

__all__ = ["BY_CLASS", "FAMILIES", "Cfg", "Family"]
