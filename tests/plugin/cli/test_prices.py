"""`modelmath cost / self-host / prices / tokens`: price files (--prices, MODELMATH_PRICES), one-line
errors with exit status 2, and `tokens --exact` against a stand-in for the anthropic SDK (no network)."""

import json
import os
import subprocess
import sys
import types

import pytest
from click.testing import CliRunner
from modelmath.plugin.cli.main import cli
from modelmath.tools.pricing import prices

CLAIMS = ["--input-tokens", "1500", "--output-tokens", "300", "--requests-per-day", "10000"]


@pytest.fixture(autouse=True)
def _builtin_only():
    prices.set_override_loader(None)
    yield
    prices.set_override_loader(None)


def invoke(*args: str, env: dict | None = None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k != "MODELMATH_PRICES"} | (env or {})
    return subprocess.run([sys.executable, "-m", "modelmath.plugin.cli.main", *args], capture_output=True, text=True,
                          timeout=60, env=full_env)


def deal_file(tmp_path) -> str:
    # A negotiated Haiku 4.5 input rate of $0.80/MTok; output stays at the list $5.
    p = tmp_path / "deal.json"
    p.write_text(json.dumps({"schema_version": 1, "models": [
        {"id": "claude-haiku-4-5", "source": "our 2026 contract", "as_of": "2026-11-01",
         "prices_usd_per_mtok": {"input": 0.80}}]}))
    return str(p)


def test_claims_example_end_to_end():
    # Haiku 4.5 $1/$5 (Anthropic pricing docs): $0.003 a claim, $30 a day, $900 a 30-day month.
    p = run("cost", "haiku-4.5", *CLAIMS)
    assert p.returncode == 0, p.stderr
    assert "$30.00" in p.stdout and "$900.00" in p.stdout and "$0.003" in p.stdout
    assert "display" not in p.stdout  # the terminal shows $ amounts already
    out = json.loads(run("cost", "haiku-4.5", *CLAIMS, "--json").stdout)
    assert out["usd_per_day"] == 30 and out["usd_per_month"] == 900 and out["usd_per_request"] == 0.003


def test_compare_table_in_terminal():
    res = invoke("cost", "haiku-4.5", *CLAIMS, "--compare", "sonnet-4.5,opus-4.1")
    assert res.exit_code == 0, res.output
    assert "ratio_vs_first" in res.output and "15" in res.output and "$13,500.00" in res.output


def test_prices_option_overrides(tmp_path):
    # 1,500 x 0.80 + 300 x 5 = 1,200 + 1,500 = 2,700 $·tokens/MTok → $0.0027 a claim, $27 a day.
    res = invoke("cost", "haiku-4.5", *CLAIMS, "--prices", deal_file(tmp_path), "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["usd_per_day"] == 27 and out["price_list"]["price_file"].endswith("deal.json")
    assert out["price_list"]["source"] == "our 2026 contract"


def test_env_variable_overrides(tmp_path):
    p = run("cost", "haiku-4.5", *CLAIMS, "--json", env={"MODELMATH_PRICES": deal_file(tmp_path)})
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["usd_per_day"] == 27


def test_bad_price_file_is_one_line_exit_2(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"schema_version": 1, "models": [{"id": "x", "source": "s", "as_of": "2026-01-01",
                                                               "prices_usd_per_mtok": {"input": "cheap"}}]}))
    p = run("cost", "haiku-4.5", *CLAIMS, "--prices", str(bad))
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.count("\n") == 1 and "fails its schema" in p.stderr and "Traceback" not in p.stderr
    p = run("prices", env={"MODELMATH_PRICES": str(tmp_path / "missing.json")})
    assert p.returncode == 2 and "price file" in p.stderr and "no such file" in p.stderr


@pytest.mark.parametrize("args, needle", [
    (["cost", "gpt-5", *CLAIMS], "unknown Claude model"),
    (["cost", "haiku-4.5", "--input-tokens", "-3", "--output-tokens", "1"], "must be >= 0"),
    (["cost", "haiku-4.5", "--input-tokens", "100", "--output-tokens", "1", "--cache-read-tokens", "101"],
     "cannot exceed --input-tokens"),  # the CLI names the flags, not the tool's input names
    (["self-host", "--gpus", "1", "--usd-per-gpu-hour", "2"], "--tokens-per-second"),
])
def test_errors_exit_2(args, needle):
    p = run(*args)
    assert p.returncode == 2 and needle in p.stderr and "Traceback" not in p.stderr


def test_retired_model_answers_with_warning():
    res = invoke("cost", "opus-4.1", *CLAIMS)
    assert res.exit_code == 0
    # Opus 4.1 $15/$75: 0.0225 + 0.0225 = $0.045 a claim → $450 a day.
    assert "retired" in res.output and "2026-08-05" in res.output and "$450.00" in res.output


def test_self_host_command():
    res = invoke("self-host", "--gpus", "8", "--usd-per-gpu-hour", "2.5", "--tokens-per-second", "20000", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["break_even_tokens_per_month"] == 3_600_000_000  # see pricing/test_cost.py


def test_prices_listing(tmp_path):
    res = invoke("prices")
    assert res.exit_code == 0
    for model_id in ("claude-haiku-4-5-20251001", "claude-sonnet-5-5", "claude-3-haiku-20240307"):
        assert model_id in res.output
    res = invoke("prices", "retired", "--json")
    found = json.loads(res.output)["models"]
    assert found and all(m["status"] == "retired" for m in found)
    res = invoke("prices", "haiku 4.5", "--prices", deal_file(tmp_path), "--json")
    out = json.loads(res.output)
    assert out["models"][0]["prices"]["input_usd_per_mtok"] == 0.8 and out["price_files"]
    p = run("prices", "no-such-model")
    assert p.returncode == 2 and "unknown Claude model" in p.stderr


# -- tokens -----------------------------------------------------------------------------------------

def test_tokens_offline(tmp_path):
    res = invoke("tokens", "Hello, world!", "--json")
    out = json.loads(res.output)
    assert out["approximate"] is True and out["characters"] == 13 and out["tokens"] > 0
    f = tmp_path / "doc.txt"
    f.write_text("Hello, world!", encoding="utf-8")
    assert json.loads(invoke("tokens", "--file", str(f), "--json").output)["characters"] == 13
    # OpenAI Help Center rule of thumb: 1 token ~ 3/4 word → 1,500 words ~ 2,000 tokens.
    assert json.loads(invoke("tokens", "--words", "1500", "--json").output)["tokens_estimate"] == 2000


def test_tokens_bad_input(tmp_path):
    assert run("tokens").returncode == 2
    p = run("tokens", "hi", "--words", "3")
    assert p.returncode == 2 and "exactly one" in p.stderr
    binary = tmp_path / "b.bin"
    binary.write_bytes(b"\xff\xfe\x00bad")
    p = run("tokens", "--file", str(binary))
    assert p.returncode == 2 and "not UTF-8" in p.stderr


def test_exact_needs_a_key():
    p = run("tokens", "hi", "--exact", env={"ANTHROPIC_API_KEY": ""})
    assert p.returncode == 2 and "ANTHROPIC_API_KEY" in p.stderr


class _FakeAnthropic(types.ModuleType):
    """Stands in for the anthropic SDK: records the call, answers like messages.count_tokens."""

    class AnthropicError(Exception):
        pass

    def __init__(self, fail: bool = False):
        super().__init__("anthropic")
        self.calls = []
        fake = self

        class Messages:
            def count_tokens(self, model, messages):
                fake.calls.append((model, messages))
                if fail:
                    raise fake.AnthropicError("overloaded")
                return types.SimpleNamespace(input_tokens=11)

        class Anthropic:
            def __init__(self, api_key, max_retries, timeout):
                assert api_key == "sk-test" and timeout <= 60
                self.messages = Messages()

        self.Anthropic = Anthropic


def test_exact_uses_count_tokens_endpoint(monkeypatch):
    fake = _FakeAnthropic()
    monkeypatch.setitem(sys.modules, "anthropic", fake)
    res = invoke("tokens", "Hello, world!", "--exact", "--model", "haiku 4.5", "--json",
                 env={"ANTHROPIC_API_KEY": "sk-test"})
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["tokens"] == 11 and out["approximate"] is False and out["model"] == "claude-haiku-4-5-20251001"
    assert fake.calls == [("claude-haiku-4-5-20251001", [{"role": "user", "content": "Hello, world!"}])]


def test_exact_failures_exit_2(monkeypatch):
    monkeypatch.setitem(sys.modules, "anthropic", _FakeAnthropic(fail=True))
    res = invoke("tokens", "hi", "--exact", env={"ANTHROPIC_API_KEY": "sk-test"})
    assert res.exit_code == 2 and "count_tokens request failed" in res.output
    res = invoke("tokens", "hi", "--exact", "--model", "opus-4.1", env={"ANTHROPIC_API_KEY": "sk-test"})
    assert res.exit_code == 2 and "retired" in res.output


# -- dates and pricing rules on the command line --------------------------------------------------------

def test_issue_quote_sonnet_55():
    # Sonnet 5.5 $2/$10 (pricing page): 1,500 x 2 + 300 x 10 = 6,000 $·tokens/MTok → $0.006 a request,
    # $60 a day at 10,000 requests, $1,800 a 30-day month.
    res = invoke("cost", "sonnet-5.5", *CLAIMS, "--as-of", "2026-11-30", "--json")
    out = json.loads(res.output)
    assert (out["usd_per_request"], out["usd_per_day"], out["usd_per_month"]) == (0.006, 60, 1800)
    assert out["display"] == {"per_request": "$0.006", "per_day": "$60.00", "per_month": "$1,800.00"}


def test_cost_rule_flags():
    # US-only: (1,500 x 2 + 300 x 10) x 1.1 = 6,600 → $0.0066 a request, $66 a day.
    out = json.loads(invoke("cost", "sonnet-5.5", *CLAIMS, "--inference-geo", "us", "--json").output)
    assert out["usd_per_request"] == 0.0066 and out["usd_per_day"] == 66
    # Opus 5.5 fast $8/$40 plus one $0.01 web search: 12,000 + 12,000 → $0.024 + $0.01 = $0.034.
    out = json.loads(invoke("cost", "opus-5.5", *CLAIMS, "--fast", "--web-searches", "1", "--json").output)
    assert out["usd_per_request"] == 0.034
    # Sonnet 5.5 tool-use system prompt 286: (1,786 x 2 + 3,000) → $0.006572.
    out = json.loads(invoke("cost", "sonnet-5.5", *CLAIMS, "--tools-in-request", "--json").output)
    assert out["usd_per_request"] == 0.006572
    # 0.1 h x 300,000 requests = 30,000 h, 28,450 beyond the free 1,550, x $0.05 = $1,422.50 a month.
    out = json.loads(invoke("cost", "sonnet-5.5", *CLAIMS, "--code-execution-hours", "0.1", "--json").output)
    assert out["usd_per_month"] == 1800 + 1422.5


@pytest.mark.parametrize("args, needle", [
    (["cost", "sonnet-4.5", *CLAIMS, "--inference-geo", "us"], "400 error"),
    (["cost", "sonnet-5.5", *CLAIMS, "--fast"], "claude-opus-5-5"),
    (["cost", "opus-5.5", *CLAIMS, "--fast", "--batch-api"], "Batch API"),
    (["cost", "sonnet-5.5", *CLAIMS, "--as-of", "2026-02-30"], "YYYY-MM-DD"),
    (["cost", "sonnet-5.5", *CLAIMS, "--tools-in-request", "--tool-choice", "any"], "400 error"),
    (["prices", "--as-of", "next week"], "--as-of"),
])
def test_rule_refusals_exit_2(args, needle):
    p = run(*args)
    assert p.returncode == 2 and needle in p.stderr and "Traceback" not in p.stderr, p.stderr
    assert p.stderr.count("\n") == 1


def test_cost_as_of_uses_that_days_prices_and_status():
    # Sonnet 4.5 on 2026-04-29 (the 1M beta's last day): 250,000 x 6 + 2,000 x 22.50 = 1,545,000 → $1.545.
    res = invoke("cost", "sonnet-4.5", "--input-tokens", "250k", "--output-tokens", "2000", "--as-of", "2026-04-29",
                 "--json")
    out = json.loads(res.output)
    assert out["usd_per_request"] == 1.545 and out["status"] == "legacy"
    res = invoke("cost", "sonnet-4.5", *CLAIMS, "--as-of", "2026-11-29")
    assert "retires on 2026-11-30 (tomorrow)" in res.output and "claude-sonnet-5-5" in res.output


def test_prices_status_for_a_date():
    res = invoke("prices", "sonnet 4.5", "--as-of", "2026-11-29")
    assert res.exit_code == 0
    assert "deprecated" in res.output and "retires 2026-11-30" in res.output and "(tomorrow)" in res.output
    out = json.loads(invoke("prices", "sonnet 4.5", "--as-of", "2026-11-30", "--json").output)
    m = out["models"][0]
    assert out["as_of"] == "2026-11-30" and m["status"] == "retired" and m["replacement"] == "claude-sonnet-5-5"
    assert m["status_as_of"] == "2026-11-30" and m["retires_on"] == "2026-11-30"
    retired = {m["id"] for m in json.loads(invoke("prices", "retired", "--as-of", "2026-11-29", "--json").output)[
        "models"]}
    assert "claude-sonnet-4-5-20250929" not in retired and "claude-opus-4-1-20250805" in retired
    # The cache-read price on a date before the 2026-10-07 cut: $0.20.
    m = json.loads(invoke("prices", "sonnet-5.5", "--as-of", "2026-10-06", "--json").output)["models"][0]
    assert m["prices"]["cache_read_usd_per_mtok"] == 0.2
    # Opus 4.6 on 2026-02-18: the >200K tier $10 / $37.50 with cache prices at its multipliers (1.25x, 2x,
    # 0.1x of $10 = $12.50, $20, $1), and fast mode $30 / $150 (pricing page copy of that day).
    m = json.loads(invoke("prices", "opus-4.6", "--as-of", "2026-02-18", "--json").output)["models"][0]
    assert m["long_context"]["prices"] == {"input_usd_per_mtok": 10, "output_usd_per_mtok": 37.5,
                                           "cache_write_5m_usd_per_mtok": 12.5, "cache_write_1h_usd_per_mtok": 20,
                                           "cache_read_usd_per_mtok": 1}
    assert (m["fast_mode"]["input_usd_per_mtok"], m["fast_mode"]["output_usd_per_mtok"]) == (30, 150)


def test_prices_dates_column_never_shows_a_guarantee_that_has_passed():
    # Haiku 4.5: released 2025-10-15, "not sooner than" one year later per Anthropic's deprecations page
    # (the catalog's retires_not_before 2026-10-15). Before that day the guarantee is news; after it, it is not.
    before = invoke("prices", "haiku-4.5", "--as-of", "2026-09-01")
    after = invoke("prices", "haiku-4.5", "--as-of", "2026-11-30")
    assert "no retirement before 2026-10-15" in before.output
    assert "no retirement before" not in after.output
    assert "no retirement announced (guaranteed until 2026-10-15)" in after.output
