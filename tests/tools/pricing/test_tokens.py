"""Token counting without the network: the tiktoken cache check, the documented fallback, and the rules of
thumb (OpenAI Help Center: 1 token ~ 4 characters ~ 3/4 word; Anthropic: 200K tokens ~ 500 pages)."""

import hashlib
import os
import tempfile
from decimal import Decimal

import pytest
from modelmath.tools.pricing import tokens as tok
from modelmath.tools.registry import run_tool


def test_heuristic_is_ceil_chars_over_4():
    assert tok.heuristic_tokens("") == 0
    assert tok.heuristic_tokens("abcd") == 1
    assert tok.heuristic_tokens("Hello, world!") == 4  # 13 characters / 4 = 3.25 → 4


def test_cache_path_is_where_tiktoken_looks(tmp_path, monkeypatch):
    # Put bytes where we think tiktoken caches o200k_base, forbid downloads, and ask tiktoken itself.
    tiktoken_load = pytest.importorskip("tiktoken.load")
    ours = tok.cache_path({"TIKTOKEN_CACHE_DIR": str(tmp_path)}, "/unused")
    ours.write_bytes(b"cached bytes")
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))

    def no_network(path):
        raise AssertionError(f"tiktoken tried to download {path}")

    monkeypatch.setattr(tiktoken_load, "read_file", no_network)
    assert tiktoken_load.read_file_cached(tok.O200K_URL) == b"cached bytes"


def test_cache_dir_precedence(tmp_path):
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    assert tok.cache_path({"TIKTOKEN_CACHE_DIR": a, "DATA_GYM_CACHE_DIR": b}, "/t").parent == tmp_path / "a"
    assert tok.cache_path({"DATA_GYM_CACHE_DIR": b}, "/t").parent == tmp_path / "b"
    assert str(tok.cache_path({}, str(tmp_path)).parent) == os.path.join(str(tmp_path), "data-gym-cache")
    assert tok.cache_path({"TIKTOKEN_CACHE_DIR": ""}, "/t") is None


def test_missing_corrupt_or_disabled_cache_falls_back_without_calling_tiktoken(tmp_path, monkeypatch):
    tiktoken = pytest.importorskip("tiktoken")

    def forbidden(name):
        raise AssertionError("tiktoken.get_encoding must not be called: it would try to download")

    monkeypatch.setattr(tiktoken, "get_encoding", forbidden)
    env = {"TIKTOKEN_CACHE_DIR": str(tmp_path)}
    enc, reason = tok.load_offline_encoding(env, "/unused")
    assert enc is None and "not in tiktoken's cache" in reason
    tok.cache_path(env, "/unused").write_bytes(b"truncated download")
    enc, reason = tok.load_offline_encoding(env, "/unused")
    assert enc is None and "checksum" in reason
    enc, reason = tok.load_offline_encoding({"TIKTOKEN_CACHE_DIR": ""}, "/unused")
    assert enc is None and "disabled" in reason


def test_intact_cache_file_is_accepted(tmp_path):
    env = {"DATA_GYM_CACHE_DIR": str(tmp_path)}
    data = b"pretend encoding"
    tok.cache_path(env, "/unused").write_bytes(data)
    assert tok.offline_encoding_problem(env, "/unused", sha256=hashlib.sha256(data).hexdigest()) is None


def test_count_tokens_tool_fallback_says_so(monkeypatch):
    monkeypatch.setattr(tok, "default_encoding", lambda: (None, "o200k_base is not cached"))
    out = run_tool("count_tokens", {"text": "Hello, world!"}).result
    assert out["tokens"] == 4 and out["approximate"] is True
    assert out["method"].startswith("heuristic") and "o200k_base is not cached" in out["warnings"][0]
    assert out["characters"] == 13 and out["words"] == 2
    assert any("not public" in a for a in out["assumptions"])
    out = run_tool("count_tokens", {"text": "東京都の天気は晴れです" * 10}).result
    assert any("not ASCII" in w for w in out["warnings"])


def test_count_with_an_encoding_object():
    class Enc:  # stands in for a tiktoken Encoding: our plumbing, not the tokenizer, is under test
        name = "o200k_base"

        def encode(self, text, disallowed_special):
            assert disallowed_special == ()  # '<|endoftext|>' in user text is counted, not refused
            return text.split()

    c = tok.count_text("a b <|endoftext|>", Enc())
    assert (c.tokens, c.method) == (3, "tiktoken") and "o200k_base" in c.detail


@pytest.mark.skipif(tok.offline_encoding_problem(os.environ, tempfile.gettempdir()) is not None,
                    reason="o200k_base is not in tiktoken's cache on this machine (no download attempted)")
def test_tiktoken_path_when_cached():
    enc, reason = tok.load_offline_encoding(os.environ, tempfile.gettempdir())
    assert reason is None
    # o200k_base encodes "hello world" as two tokens ("hello", " world").
    assert tok.count_text("hello world", enc).tokens == 2


def test_rules_of_thumb():
    # OpenAI Help Center: 1 token ~ 3/4 word, so 1,500 words ~ 2,000 tokens and 100 tokens ~ 75 words.
    assert tok.words_to_tokens(Decimal(1500)) == 2000
    assert tok.tokens_to_words(100) == 75
    # Anthropic support: 200K tokens ~ 500 pages.
    assert tok.pages_to_tokens(Decimal(500)) == 200_000
    assert tok.tokens_to_pages(200_000) == 500


def test_conversion_tool():
    out = run_tool("count_tokens", {"words": 1500}).result
    assert out["tokens_estimate"] == 2000 and "rules of thumb" in out["assumptions"][0]
    out = run_tool("count_tokens", {"tokens": 200_000}).result
    assert out["words_estimate"] == 150_000 and out["pages_estimate"] == 500


@pytest.mark.parametrize("inp", [{}, {"text": "a", "words": 3}, {"words": -1}, {"tokens": 1.5}, {"pages": "x"}])
def test_count_tokens_bad_input(inp):
    out = run_tool("count_tokens", inp)
    assert out.is_error and out.result["error"]["type"] == "invalid_input"


def test_count_tokens_per_tokenizer_generation(monkeypatch):
    # Anthropic's pricing page: the Claude 4.7+ tokenizer "produces approximately 30% more tokens for the same
    # text"; Sonnet 4.6 and earlier use the previous one. "Hello, world!" is 13 characters → ceil(13/4) = 4 tokens
    # by the heuristic; 4 × 1.3 = 5.2 → 5 on the newer tokenizer.
    monkeypatch.setattr(tok, "default_encoding", lambda: (None, "o200k_base is not cached"))
    plain = run_tool("count_tokens", {"text": "Hello, world!"}).result
    assert plain["tokens"] == 4 and "model" not in plain
    assert plain["tokens_by_tokenizer"] == {"previous_claude_tokenizer": 4, "claude_4_7_and_later": 5}
    newer = run_tool("count_tokens", {"text": "Hello, world!", "model": "claude-opus-4-7"}).result
    assert (newer["tokens"], newer["tokenizer"], newer["model"]) == (5, "newer", "claude-opus-4-7")
    older = run_tool("count_tokens", {"text": "Hello, world!", "model": "sonnet 4.6"}).result
    assert (older["tokens"], older["tokenizer"]) == (4, "previous")
    # 1,000 characters → 250 tokens → 250 × 1.3 = 325 exactly.
    assert run_tool("count_tokens", {"text": "x" * 1000, "model": "haiku-5.5"}).result["tokens"] == 325
    assert any("30%" in a for a in newer["assumptions"])


def test_count_tokens_model_errors():
    out = run_tool("count_tokens", {"text": "hi", "model": "gpt-4o"})
    assert out.is_error and out.result["error"]["field"] == "model"
    out = run_tool("count_tokens", {"tokens": 100, "model": "claude-opus-4-7"})
    assert out.is_error and out.result["error"]["field"] == "model"


def test_words_and_pages_per_tokenizer_generation():
    # 1,500 words / 0.75 words per token = 2,000 tokens (OpenAI's rule); on Claude 4.7+ about 30% more: 2,600.
    out = run_tool("count_tokens", {"words": 1500, "model": "sonnet-5.5"}).result
    assert (out["tokens_estimate"], out["tokenizer"]) == (2600, "newer")
    assert out["tokens_by_tokenizer"] == {"previous_claude_tokenizer": 2000, "claude_4_7_and_later": 2600}
    # 500 pages * 400 tokens per page = 200,000 (Anthropic: 200K tokens ~ 500 pages), previous tokenizer.
    out = run_tool("count_tokens", {"pages": 500, "model": "claude-haiku-4-5"}).result
    assert (out["tokens_estimate"], out["tokenizer"]) == (200_000, "previous")
