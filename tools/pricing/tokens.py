"""Approximate token counts. Claude's tokenizer is not public, so text is counted with OpenAI's
`o200k_base` (tiktoken) when that encoding is already on disk, else with a documented characters-per-token
heuristic; either way the count is labelled approximate. Also the words/pages <-> tokens rules of thumb.

tiktoken downloads an encoding on first use and caches it (TIKTOKEN_CACHE_DIR, else DATA_GYM_CACHE_DIR,
else <tmp>/data-gym-cache, file name = sha1 of the URL). A download can hang or fail offline, so we only
call tiktoken when the cached file is present and matches tiktoken's own sha256; otherwise we fall back and
say why. This module's only I/O is that read-only look at the cache.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path

# As in tiktoken_ext/openai_public.py (tiktoken 0.7-0.14): where o200k_base lives and its sha256.
O200K_URL = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"
O200K_SHA256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"

# Rules of thumb, each with its source. English prose; code, numbers and other languages differ.
CHARS_PER_TOKEN = 4  # OpenAI Help Center, "What are tokens and how to count them?": 1 token ~ 4 chars
WORDS_PER_TOKEN = Decimal("0.75")  # same page: 1 token ~ 3/4 word, 100 tokens ~ 75 words
TOKENS_PER_PAGE = 400  # Anthropic support article 8606395: 200K tokens ~ 500 pages of text
OPENAI_TOKENS_SOURCE = "https://help.openai.com/en/articles/4936856-what-are-tokens-and-how-to-count-them"
ANTHROPIC_PAGES_SOURCE = "https://support.claude.com/en/articles/8606395"
RULES_OF_THUMB = {
    "characters_per_token": CHARS_PER_TOKEN, "words_per_token": float(WORDS_PER_TOKEN),
    "tokens_per_page": TOKENS_PER_PAGE,
    "sources": [OPENAI_TOKENS_SOURCE + " (4 characters, 3/4 word per token, English)",
                ANTHROPIC_PAGES_SOURCE + " (200K tokens ~ 500 pages)"],
}
CLAUDE_TOKENIZER_NOTE = ("Claude's tokenizers are not public: counts are approximate, and stand in for the previous "
                         "Claude tokenizer (Claude Sonnet 4.6, Opus 4.6, Haiku 4.5 and earlier)")
# Anthropic's pricing page (copies of 2026-08-21 and 2026-10-08): "Claude 4.7 and later models and Claude Mythos
# Preview use a newer tokenizer ... This tokenizer produces approximately 30% more tokens for the same text. The
# exact increase depends on the content and workload shape. Claude Sonnet 4.6 and earlier models use the previous
# tokenizer." The newer generation began with Claude Opus 4.7 (2026-04-16), not with Sonnet 5.
NEWER_TOKENIZER_RATIO = Decimal("1.3")
PRICING_PAGE = "https://platform.claude.com/docs/en/about-claude/pricing"
NEWER_TOKENIZER_NOTE = ("Claude 4.7 and later models (Opus 4.7+, Sonnet 5+, Haiku 5.5, Fable and Mythos) use a newer "
                        "tokenizer that produces approximately 30% more tokens for the same text; the exact increase "
                        f"depends on the content (Anthropic, {PRICING_PAGE})")


def newer_tokenizer_tokens(previous: int) -> int:
    """The newer (Claude 4.7+) tokenizer's approximate count for text the previous one counts as `previous`."""
    return _round(Decimal(previous) * NEWER_TOKENIZER_RATIO)


@dataclass(frozen=True)
class TokenCount:
    tokens: int
    method: str  # "tiktoken" or "heuristic"
    detail: str  # what exactly was used, for the result
    characters: int
    words: int
    fallback_reason: str | None = None  # why tiktoken was not used


def cache_path(environ: Mapping[str, str], tmpdir: str, url: str = O200K_URL) -> Path | None:
    """Where tiktoken keeps `url`, mirroring tiktoken.load.read_file_cached; None when caching is off
    (an empty cache dir), in which case tiktoken would download on every use."""
    import hashlib
    if "TIKTOKEN_CACHE_DIR" in environ:
        base = environ["TIKTOKEN_CACHE_DIR"]
    elif "DATA_GYM_CACHE_DIR" in environ:
        base = environ["DATA_GYM_CACHE_DIR"]
    else:
        base = os.path.join(tmpdir, "data-gym-cache")
    if base == "":
        return None
    return Path(base) / hashlib.sha1(url.encode()).hexdigest()


def offline_encoding_problem(environ: Mapping[str, str], tmpdir: str, *, url: str = O200K_URL,
                             sha256: str = O200K_SHA256) -> str | None:
    """None when tiktoken can load the encoding without the network; else the reason it cannot."""
    import hashlib
    path = cache_path(environ, tmpdir, url)
    if path is None:
        return "tiktoken caching is disabled (empty TIKTOKEN_CACHE_DIR), so it would download"
    try:
        data = path.read_bytes()
    except OSError:
        return f"o200k_base is not in tiktoken's cache ({path}) and downloading is not attempted offline"
    if hashlib.sha256(data).hexdigest() != sha256:
        return f"the cached o200k_base at {path} does not match tiktoken's checksum"
    return None


def load_offline_encoding(environ: Mapping[str, str], tmpdir: str):
    """(tiktoken Encoding, None) when o200k_base is cached and intact, else (None, reason). Never downloads:
    tiktoken is only asked for the encoding after we have checked its cache file ourselves."""
    problem = offline_encoding_problem(environ, tmpdir)
    if problem is not None:
        return None, problem
    try:
        import tiktoken
    except ImportError:
        return None, "tiktoken is not installed"
    try:
        return tiktoken.get_encoding("o200k_base"), None
    except Exception as exc:  # noqa: BLE001 - any failure to load means: use the heuristic, and say why
        return None, f"tiktoken could not load o200k_base: {type(exc).__name__}: {exc}"


@cache
def default_encoding():
    """The process-wide encoding (or None, reason), looked up once."""
    import tempfile
    return load_offline_encoding(os.environ, tempfile.gettempdir())


def heuristic_tokens(text: str) -> int:
    """ceil(characters / 4): OpenAI's rule of thumb for English. It undercounts text that is mostly not
    English (each CJK character is often a token or more); the result says so."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def count_text(text: str, encoding=None, fallback_reason: str | None = None) -> TokenCount:
    """Count with `encoding` (a tiktoken Encoding) when given, else the heuristic."""
    words = len(text.split())
    if encoding is not None:
        # disallowed_special=(): text that happens to contain '<|endoftext|>' is counted, not refused.
        n = len(encoding.encode(text, disallowed_special=()))
        return TokenCount(n, "tiktoken", f"tiktoken {encoding.name} (OpenAI's tokenizer), offline", len(text), words)
    return TokenCount(heuristic_tokens(text), "heuristic", f"heuristic: ceil(characters / {CHARS_PER_TOKEN})",
                      len(text), words, fallback_reason)


def non_ascii_share(text: str) -> float:
    return sum(1 for c in text if ord(c) > 127) / len(text) if text else 0.0


def _round(d: Decimal) -> int:
    return int(d.to_integral_value(rounding=ROUND_HALF_UP))


def words_to_tokens(words: Decimal) -> int:
    return _round(words / WORDS_PER_TOKEN)


def tokens_to_words(tokens: int) -> int:
    return _round(Decimal(tokens) * WORDS_PER_TOKEN)


def pages_to_tokens(pages: Decimal) -> int:
    return _round(pages * TOKENS_PER_PAGE)


def tokens_to_pages(tokens: int) -> Decimal:
    return Decimal(tokens) / TOKENS_PER_PAGE
