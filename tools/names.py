"""Close-match suggestions for unknown names (models, GPUs, Claude models)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

T = TypeVar("T")


def closest(key: str, index: Mapping[str, T], ident: Callable[[T], str], *, n: int = 5,
            cutoff: float = 0.6) -> list[str]:
    """Ids of the entries whose normalized names read closest to `key`, best first, each id once."""
    import difflib  # only needed on a miss, so not on the start-up path

    close = difflib.get_close_matches(key, list(index), n=n + 1, cutoff=cutoff)
    return list(dict.fromkeys(ident(index[c]) for c in close))[:n]
