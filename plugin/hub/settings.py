"""The Hub settings of this moment, from the same environment variables huggingface_hub reads.

huggingface_hub.constants reads them once, at its import; we read them at each call (and pass endpoint,
cache directory and offline mode explicitly), so a long-running MCP server, the agent and the tests see the
environment as it is now. Precedence and defaults follow huggingface_hub/constants.py.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_ENDPOINT = "https://huggingface.co"
_TRUE = {"1", "ON", "YES", "TRUE"}  # huggingface_hub.constants.ENV_VARS_TRUE_VALUES


def _true(name: str) -> bool:
    return (os.environ.get(name) or "").upper() in _TRUE


def _int(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, "")))
    except ValueError:
        return default


@dataclass(frozen=True)
class HubSettings:
    endpoint: str  # HF_ENDPOINT
    offline: bool  # HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE)
    home: str  # HF_HOME: our header cache lives in HF_HOME/modelmath
    hub_cache: str  # HF_HUB_CACHE: config.json and index files, shared with transformers
    timeout_s: int  # per request: HF_HUB_DOWNLOAD_TIMEOUT (default 10 s, as huggingface_hub)

    @classmethod
    def from_env(cls) -> HubSettings:
        home = os.path.expanduser(os.path.expandvars(os.environ.get("HF_HOME") or os.path.join(
            os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "huggingface")))
        hub = os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE") or os.path.join(home, "hub")
        return cls(endpoint=(os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/"),
                   offline=_true("HF_HUB_OFFLINE") or _true("TRANSFORMERS_OFFLINE"), home=home,
                   hub_cache=os.path.expanduser(os.path.expandvars(hub)),
                   timeout_s=_int("HF_HUB_DOWNLOAD_TIMEOUT", 10))

    @property
    def header_cache(self) -> str:
        return os.path.join(self.home, "modelmath", "checkpoints")
