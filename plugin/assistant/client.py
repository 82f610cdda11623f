"""The Anthropic client for the assistant, and one-line descriptions of everything that can go wrong
talking to the API. `anthropic` is imported inside the functions: the offline CLI never loads it."""

from __future__ import annotations

import os
import random

MAX_RETRIES = 3  # retries of one model call: 408/409/429/5xx/529 and connection errors, with backoff
TIMEOUT_S = 300.0
# Backoff as the SDK computes it (anthropic/_constants.py INITIAL_RETRY_DELAY 0.5 s, MAX_RETRY_DELAY 8 s, up to 25%
# jitter); a server's retry-after is obeyed up to a minute. The loop retries itself (the SDK's own retries are off)
# so that every retry can be shown as it happens.
INITIAL_DELAY_S = 0.5
MAX_DELAY_S = 8.0
MAX_RETRY_AFTER_S = 60.0
# An `event: error` inside a 200 stream (the API failing after it began answering) is not retried by the SDK. We
# retry it once, after this long, when no answer text was shown yet; these are the transient kinds.
MID_STREAM_RETRY_TYPES = ("overloaded_error", "api_error")
MID_STREAM_DELAY_S = 2.0

NO_KEY_MESSAGE = (
    "no Anthropic API key: set ANTHROPIC_API_KEY (export ANTHROPIC_API_KEY=sk-ant-..., a key from the Claude "
    "Console) to use `modelmath ask` and `modelmath chat`; the calculators need no key: try `modelmath params "
    "llama-3.1-8b`, `modelmath memory --help` or `modelmath tools`")


class AssistantError(Exception):
    """A failure the user sees as one line: exit status 2 for configuration, 1 for the API or network."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


def make_client(*, api_key: str | None = None, base_url: str | None = None, max_retries: int | None = None,
                timeout: float | None = None):
    """An `anthropic.Anthropic` client. The key is passed explicitly so the SDK never falls back to an
    on-disk profile the user did not ask for; ANTHROPIC_BASE_URL is honoured when base_url is None."""
    api_key = api_key or os.environ.get("ANTHROPIC_API_KEY") or None
    auth_token = None if api_key else (os.environ.get("ANTHROPIC_AUTH_TOKEN") or None)
    if not api_key and not auth_token:
        raise AssistantError(NO_KEY_MESSAGE, exit_code=2)
    import anthropic

    creds = {"api_key": api_key} if api_key else {"auth_token": auth_token}
    return anthropic.Anthropic(**creds, base_url=base_url or os.environ.get("ANTHROPIC_BASE_URL") or None,
                               max_retries=MAX_RETRIES if max_retries is None else max_retries,
                               timeout=TIMEOUT_S if timeout is None else timeout)


def describe_api_error(exc: BaseException, *, base_url: str = "", retries: int = MAX_RETRIES) -> str:
    """One line for an SDK exception: what happened and what to do about it."""
    import anthropic

    rid = getattr(exc, "request_id", None)
    tail = f" (request id {rid})" if rid else ""
    detail = getattr(exc, "api_message", None) or ""
    if isinstance(exc, anthropic.AuthenticationError):
        return f"authentication failed (401): the API key was rejected; check ANTHROPIC_API_KEY{tail}"
    if isinstance(exc, anthropic.PermissionDeniedError):
        return f"permission denied (403): {detail or 'this key cannot use this model or endpoint'}{tail}"
    if isinstance(exc, anthropic.NotFoundError):
        return f"not found (404): {detail or 'unknown model or endpoint'}; check --model / MODELMATH_MODEL{tail}"
    if isinstance(exc, anthropic.RateLimitError):
        if "spend limit" in detail.lower() or getattr(exc, "error_code", None) in _SPEND_LIMIT_CODES:
            # Also a 429 rate_limit_error, but waiting a minute does not clear it.
            return f"spend limit reached (429): {detail or 'usage limit'}; raise it in the Claude Console{tail}"
        return f"rate limited (429) after {retries} retries: {detail or 'too many requests'}; wait and retry{tail}"
    if isinstance(exc, anthropic.OverloadedError):
        return f"the Anthropic API is overloaded (529) after {retries} retries; try again shortly{tail}"
    if isinstance(exc, anthropic.BadRequestError):
        return f"bad request (400): {detail or exc}{tail}"
    if isinstance(exc, anthropic.InternalServerError):
        return f"API server error ({exc.status_code}) after {retries} retries: {detail or 'try again'}{tail}"
    if isinstance(exc, anthropic.APIStatusError) and exc.status_code < 400:
        # An `event: error` inside a 200 SSE stream: the API failed after it began answering. The SDK raises
        # it with the stream's status (200) and does not retry it, so name the error's type instead.
        kind = getattr(exc, "type", None) or "error"
        return (f"the API stopped mid-answer with {kind}: {detail or 'no message'}; nothing from this question "
                f"was kept; try again{' shortly' if kind == 'overloaded_error' else ''}{tail}")
    if isinstance(exc, anthropic.APIStatusError):
        return f"API error ({exc.status_code}): {detail or exc}{tail}"
    if isinstance(exc, anthropic.APITimeoutError):
        return f"the request to {base_url or 'the Anthropic API'} timed out; try again or ask a shorter question"
    if isinstance(exc, anthropic.APIConnectionError):
        cause = exc.__cause__ or exc.__context__
        why = f": {type(cause).__name__}" if cause else ""
        return (f"cannot connect to {base_url or 'the Anthropic API'}{why}; check the network, a proxy, or "
                "ANTHROPIC_BASE_URL")
    return f"{type(exc).__name__}: {exc}"


_SPEND_LIMIT_CODES = ("contract_spend_limit_reached", "enforced_spend_limit_reached")


# -- retries -------------------------------------------------------------------------------------------

_STATUS_WORDS = {408: "request timeout", 409: "conflict", 429: "rate limited", 500: "API server error",
                 502: "bad gateway", 503: "service unavailable", 504: "gateway timeout", 529: "overloaded"}


def retry_reason(exc: BaseException) -> str | None:
    """Why a failed request may be retried, in a few words ("overloaded (529)"), or None when it may not: the
    SDK's policy (x-should-retry obeyed; 408, 409, 429, 5xx; connection failures and timeouts)."""
    import anthropic

    if isinstance(exc, anthropic.APITimeoutError):
        return "timed out"
    if isinstance(exc, anthropic.APIConnectionError):
        return "connection failed"
    if not isinstance(exc, anthropic.APIStatusError) or exc.status_code < 400:
        return None  # a mid-stream error (status 200) has its own rule: mid_stream_reason
    header = exc.response.headers.get("x-should-retry")
    code = exc.status_code
    if header == "false" or (header != "true" and code not in (408, 409, 429) and code < 500):
        return None
    return f"{_STATUS_WORDS.get(code, 'HTTP error')} ({code})"


def mid_stream_reason(exc: BaseException) -> str | None:
    """The error type of a transient `event: error` inside a 200 stream, else None."""
    import anthropic

    if isinstance(exc, anthropic.APIStatusError) and exc.status_code < 400:
        kind = getattr(exc, "type", None)
        if kind in MID_STREAM_RETRY_TYPES:
            return kind
    return None


def retry_after_s(exc: BaseException) -> float | None:
    """The server's requested wait (retry-after-ms, else retry-after in seconds), if given and at most a minute."""
    response = getattr(exc, "response", None)
    if response is None:
        return None
    for header, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        try:
            wait = float(response.headers.get(header)) / scale
        except (TypeError, ValueError):
            continue
        if 0 < wait <= MAX_RETRY_AFTER_S:
            return wait
    return None


def backoff_s(retry_index: int, rng: random.Random | None = None) -> float:
    """Exponential backoff for the retry_index-th retry (0-based), capped, with up to 25% jitter."""
    r = (rng or random).random()
    return min(INITIAL_DELAY_S * 2.0 ** min(retry_index, 30), MAX_DELAY_S) * (1 - 0.25 * r)
