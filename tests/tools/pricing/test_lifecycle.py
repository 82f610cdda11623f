"""A model's status is computed for a date from the dates in its price entry. Dates below are Anthropic's
(https://platform.claude.com/docs/en/about-claude/model-deprecations, copy of 2026-10-08, and the release
notes) unless the test says otherwise; day counts are worked out by hand in the comments."""

from datetime import date

import pytest
from modelmath.tools.errors import InvalidInput
from modelmath.tools.pricing import lifecycle, prices
from modelmath.tools.pricing.lifecycle import parse_date
from modelmath.tools.registry import run_tool


@pytest.fixture(autouse=True)
def _builtin_only():
    prices.set_override_loader(None)
    yield
    prices.set_override_loader(None)


def life(model: str, day: str):
    cat = prices.active_catalog()
    return cat.lifecycle(cat.lookup(model), date.fromisoformat(day))


# Sonnet 4.5: deprecated September 30, 2026; retirement November 30, 2026; replacement claude-sonnet-5-5.
# 60 days before 2026-11-30: November has 30 days → 2026-10-31 is 30 days before; 30 more → 2026-10-01.
@pytest.mark.parametrize("day, status, warns, days_left", [
    ("2026-09-29", "legacy", False, 62),  # before the deprecation; Sonnet 4.6 (2026-02-17) is newer
    ("2026-09-30", "deprecated", False, 61),  # deprecation day, 61 days out: a note, not a warning
    ("2026-10-01", "deprecated", True, 60),  # exactly 60 days before: warned
    ("2026-11-29", "deprecated", True, 1),
    ("2026-11-30", "retired", True, 0),  # the retirement day itself: requests fail
    ("2027-03-01", "retired", True, -91),
])
def test_sonnet_45_around_its_retirement(day, status, warns, days_left):
    lc = life("claude-sonnet-4-5", day)
    assert lc.status == status
    assert lc.days_to_retirement == days_left
    assert (lc.warning() is not None) == warns
    if status == "deprecated" and not warns:
        assert "deprecated since 2026-09-30" in lc.note() and "claude-sonnet-5-5" in lc.note()


def test_warning_texts_name_the_date_and_the_replacement():
    w = life("claude-sonnet-4-5", "2026-10-01").warning()
    assert "retires on 2026-11-30 (in 60 days)" in w and "claude-sonnet-5-5 (Claude Sonnet 5.5)" in w
    assert "(tomorrow)" in life("claude-sonnet-4-5", "2026-11-29").warning()
    w = life("claude-sonnet-4-5", "2026-11-30").warning()
    assert "retired on the Claude API since 2026-11-30" in w and "claude-sonnet-5-5" in w and "Priced" in w


def test_third_party_dates_are_said_to_be_so():
    # Opus 4.5: deprecated 2026-11-23, retiring 2027-01-22, replacement Opus 5.5, per a third party only
    # (Modelpin 0.5.7); Anthropic's copy of 2026-10-08 still said Active, "Not sooner than November 24, 2026".
    # On 2026-11-30: December has 31 days, so 2027-01-22 is 1 + 31 + 21 = 53 days away.
    lc = life("opus-4.5", "2026-11-30")
    assert lc.status == "deprecated" and lc.days_to_retirement == 53
    w = lc.warning()
    assert "2027-01-22 (in 53 days)" in w and "claude-opus-5-5" in w and "third party" in w
    assert life("opus-4.5", "2026-11-22").status == "legacy"  # Opus 4.6 (2026-02-05) is newer


@pytest.mark.parametrize("model, day, status", [
    ("sonnet-5.5", "2026-09-27", "unreleased"),  # launched September 28, 2026
    ("sonnet-5.5", "2026-09-28", "current"),
    ("sonnet-4.6", "2026-06-29", "current"),
    ("sonnet-4.6", "2026-06-30", "legacy"),  # Claude Sonnet 5 launched June 30, 2026
    ("opus-4.1", "2026-08-04", "deprecated"),  # deprecated June 5, retired August 5, 2026
    ("opus-4.1", "2026-08-05", "retired"),
    ("haiku-3", "2026-04-20", "retired"),  # retired April 20, 2026
    ("fable-5.1", "2026-11-08", "current"),
    ("fable-5.1", "2026-11-09", "legacy"),  # Fable 5.2 released November 9, 2026 (release notes)
])
def test_status_on_a_date(model, day, status):
    assert life(model, day).status == status


def test_unreleased_model_warns():
    w = life("sonnet-5.5", "2026-09-27").warning()
    assert "not released until 2026-09-28" in w


def test_default_model_and_current_follow_the_date():
    cat = prices.active_catalog()
    assert cat.default_model_id(date(2026, 9, 27)) == "claude-sonnet-5"  # Sonnet 5.5 not out yet
    assert cat.default_model_id(date(2026, 9, 28)) == "claude-sonnet-5-5"
    retired = {e.id for e in cat.search("retired", date(2026, 11, 29))}
    assert "claude-sonnet-4-5-20250929" not in retired and "claude-opus-4-1-20250805" in retired
    assert "claude-sonnet-4-5-20250929" in {e.id for e in cat.search("retired", date(2026, 11, 30))}


def test_the_clock_is_injectable_and_is_the_default():
    # The tool reads today through lifecycle.today(); pinning it changes the default as_of.
    lifecycle.set_today(lambda: date(2026, 11, 29))
    out = run_tool("api_cost", {"model": "sonnet-4.5", "input_tokens": 10, "output_tokens": 1}).result
    assert out["as_of"] == "2026-11-29" and out["status"] == "deprecated"
    lifecycle.set_today(lambda: date(2026, 11, 30))
    out = run_tool("api_cost", {"model": "sonnet-4.5", "input_tokens": 10, "output_tokens": 1}).result
    assert out["as_of"] == "2026-11-30" and out["status"] == "retired"
    assert "(today)" in out["assumptions"][0]
    lifecycle.set_today(None)  # the real clock again
    assert lifecycle.today() == date.today()


@pytest.mark.parametrize("bad", ["2026-13-01", "30/11/2026", "2026-11-31", "tomorrow", 20261130])
def test_bad_dates_are_refused(bad):
    with pytest.raises(InvalidInput) as exc:
        parse_date(bad)
    assert exc.value.field == "as_of"
    out = run_tool("api_cost", {"model": "sonnet-5.5", "input_tokens": 1, "output_tokens": 1, "as_of": bad})
    assert out.is_error and out.result["error"]["field"] == "as_of"
