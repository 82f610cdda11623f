"""The errors a user (or a model calling a tool) can see. Each says what was wrong and what is allowed."""

from __future__ import annotations

import re

# What a model or MCP client can call to see a catalog. Errors name the tool, never a CLI command (a model
# cannot run one); the CLI swaps each for its own command (plugin/cli/build.py).
TOOL_HINTS = {
    "model_lookup": "model_lookup with no model lists the catalog",
    "gpu_lookup": "gpu_lookup with no gpu lists every GPU",
}


_LONG_RUN = re.compile(r"[^\s'\";,()]{201,}")


def shorten(text: str) -> str:
    """An error quotes what it was given; a 100,000-character value is shown by its start and length."""
    return _LONG_RUN.sub(lambda m: f"{m.group(0)[:40]}...({len(m.group(0)):,} characters)", text)


class ModelMathError(ValueError):
    """Base of every error that is the caller's input, not our bug."""

    kind = "invalid_input"

    def __init__(self, message: str, *, field: str | None = None, allowed: object = None, see: str | None = None):
        if see is not None:
            message = f"{message}; {TOOL_HINTS[see]}"
        message = shorten(message)
        super().__init__(message)
        self.message = message
        self.field = field
        self.allowed = allowed
        self.see = see

    def to_dict(self) -> dict:
        out: dict = {"type": self.kind, "message": self.message}
        if self.field is not None:
            out["field"] = self.field
        if self.allowed is not None:
            out["allowed"] = self.allowed
        if self.see is not None:
            out["see"] = self.see
        return out


class InvalidInput(ModelMathError):
    """A value is out of range, of the wrong type, or inconsistent with another value."""


class UnknownName(ModelMathError):
    """A model, GPU, dtype or price entry that is not in the catalog; `allowed` holds close matches."""

    kind = "unknown_name"


class UnsupportedConfig(ModelMathError):
    """A config.json we cannot read (unknown model_type, too large, not a JSON object)."""

    kind = "unsupported_config"


class ModelUnavailable(ModelMathError):
    """A model reference naming something we could not read: a Hub repository that is missing, gated or
    unreachable, offline and not cached, or a path without a config or weights. `reason` is a stable code."""

    kind = "model_unavailable"
    REASONS = ("repo_not_found", "gated", "unauthorized", "revision_not_found", "file_not_found", "offline_not_cached",
               "network", "hub_error", "no_weights", "not_found", "too_large", "not_a_hub_url")

    def __init__(self, message: str, *, reason: str, field: str | None = "model", allowed: object = None):
        super().__init__(message, field=field, allowed=allowed)
        assert reason in self.REASONS, reason
        self.reason = reason

    def to_dict(self) -> dict:
        return {**super().to_dict(), "reason": self.reason}
