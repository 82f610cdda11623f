"""The per-request options a Claude model accepts: `max_tokens` with room for thinking, and
`output_config.effort` where the model supports it (tools/data/claude_capabilities.json).

Defaults, and why:
- max_tokens 16,000: thinking tokens count toward max_tokens (Anthropic's thinking page), and current models
  think by default, so a reply budget sized for text alone (we used 4,096) can be spent before any answer;
  16,000 is the value Anthropic's adaptive-thinking examples use. At effort xhigh or max, 64,000: Anthropic's
  effort page, for those levels, "set a large max_tokens ... Starting at 64k tokens ... is a reasonable
  default". Never above the model's max output in the price catalog.
- effort medium: the calculators do the arithmetic, so the model's work is choosing tools and inputs and
  explaining; Anthropic describes medium as the balance of speed, cost and performance for agentic and
  tool-heavy work (recommended default on Sonnet 4.6; on Sonnet 5 "comparable to Claude Sonnet 4.6 at high
  effort"), and it is already the API default on Opus 5.5 and Haiku 5.5. `--effort high` restores the API
  default of Sonnet 5.5.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from modelmath.tools.errors import ModelMathError
from modelmath.tools.pricing.capabilities import EFFORT_LEVELS, Capabilities, capabilities

from .client import AssistantError

DEFAULT_EFFORT = "medium"
DEFAULT_MAX_TOKENS = 16_000
LONG_THINKING_MAX_TOKENS = 64_000  # the default at effort xhigh / max


@dataclass(frozen=True)
class RequestOptions:
    max_tokens: int
    effort: str | None  # sent as output_config.effort; None: not sent
    model_max_output: int | None  # from the price catalog; None for a model it does not know
    caps: Capabilities | None
    notices: tuple[str, ...] = field(default=())  # what the user should know about these choices

    def params(self) -> dict:
        out: dict = {"max_tokens": self.max_tokens}
        if self.effort:
            out["output_config"] = {"effort": self.effort}
        return out


def _model_max_output(model: str) -> tuple[str, int | None]:
    from modelmath.tools.pricing.prices import active_catalog

    entry = active_catalog().find(model)
    return (entry.name, entry.max_output_tokens) if entry else (model, None)


def resolve(model: str, max_tokens: int | None = None, effort: str | None = None) -> RequestOptions:
    """The options to send to `model`. An explicit --effort the model cannot take, or a --max-tokens above its
    max output, is a configuration error (exit 2); nothing is silently changed."""
    if effort is not None and effort not in EFFORT_LEVELS:
        raise AssistantError(f"unknown effort {effort!r} (allowed: {', '.join(EFFORT_LEVELS)})", exit_code=2)
    try:
        caps = capabilities(model)
        name, ceiling = _model_max_output(model)
    except ModelMathError:  # a broken price file is reported where prices are used; do not fail here
        caps, name, ceiling = None, model, None
    notices: list[str] = []
    sent: str | None
    if caps is None:
        sent = effort  # a model we do not know: send only what the user asked for
        if effort:
            notices.append(f"{model} is not in the capability catalog: effort {effort} sent as asked")
    elif caps.supports_effort:
        sent = effort or DEFAULT_EFFORT
        if sent not in caps.effort_levels:
            raise AssistantError(f"--effort {sent} is not available on {name} (allowed: "
                                 f"{', '.join(caps.effort_levels)})", exit_code=2)
    else:
        sent = None
        if effort:
            notices.append(f"{name} does not support effort: --effort {effort} was not sent")
    if max_tokens is None:
        max_tokens = LONG_THINKING_MAX_TOKENS if sent in ("xhigh", "max") else DEFAULT_MAX_TOKENS
        if ceiling is not None:
            max_tokens = min(max_tokens, ceiling)
    elif ceiling is not None and max_tokens > ceiling:
        raise AssistantError(f"--max-tokens {max_tokens:,} is above {name}'s max output of {ceiling:,} tokens",
                             exit_code=2)
    return RequestOptions(max_tokens, sent, ceiling, caps, tuple(notices))
