"""Stand-in Messages API scripts for the web app's chat (the assistant in support mode). Like
tests/standin/scenarios.py, final answers quote numbers read from the tool results the client sent."""

from __future__ import annotations

from standin.server import Request, ScenarioError, Script

QUESTION = "What would 10,000 claims a day cost on Haiku 4.5, about 1,500 tokens in and 300 out?"


def support_quote(s: Script, req: Request):
    if "customer-support" not in req.system_text():
        raise ScenarioError("expected the support-audience prompt in the system prompt")
    if "haiku 4.5" not in req.last_user_text().lower():
        raise ScenarioError(f"unexpected question: {req.last_user_text()[:120]!r}")
    use = s.tool_use("api_cost", {"model": "claude-haiku-4-5", "input_tokens": 1500, "output_tokens": 300,
                                  "requests_per_day": 10000})
    req = yield s.reply(s.text("Let me price that exactly."), use)
    r = req.result(use).json()
    d = r["display"]
    yield s.reply(s.text(
        f"**About {d['per_month']} a month** on {r['name']} for 10,000 claims a day.\n\n"
        f"| Period | Cost |\n|---|---:|\n| Per claim | {d['per_request']} |\n| Per day | {d['per_day']} |\n"
        f"| Per month (30 days) | {d['per_month']} |\n\n"
        f"- Prices: Anthropic list prices as of {r['price_list']['as_of']}."))


def follow_up(s: Script, req: Request):
    """Two questions in one conversation: the second must carry the first exchange."""
    use = s.tool_use("api_cost", {"model": "claude-haiku-4-5", "input_tokens": 1500, "output_tokens": 300})
    req = yield s.reply(use)
    first = req.result(use).json()
    req = yield s.reply(s.text(f"One claim costs {first['display']['per_request']}."))
    if len(req.messages) != 5:
        raise ScenarioError(f"the follow-up should carry the first exchange (5 messages), got {len(req.messages)}")
    yield s.reply(s.text("Yes: the same price applies to every claim of that size."))


def bad_then_good(s: Script, req: Request):
    """A tool call the calculator rejects, corrected on the next round (shown as a rejected step)."""
    bad = s.tool_use("api_cost", {"model": "claude-haiku-4-5", "input_tokens": -5, "output_tokens": 300})
    req = yield s.reply(bad)
    if not req.result(bad).is_error:
        raise ScenarioError("expected the negative input_tokens to be rejected")
    good = s.tool_use("api_cost", {"model": "claude-haiku-4-5", "input_tokens": 1500, "output_tokens": 300})
    req = yield s.reply(good)
    yield s.reply(s.text(f"One claim costs {req.result(good).json()['display']['per_request']}."))


def slow_answer(s: Script, req: Request):
    from standin.server import Reply

    yield Reply(delay_s=2.0, blocks=[Script.text("late")], stop_reason="end_turn")


def local_path_call(s: Script, req: Request):
    """A tool call that names a path on the server: the web app refuses it as its API does (local paths off)."""
    use = s.tool_use("parameter_count", {"model": "/etc"})
    req = yield s.reply(use)
    if not req.result(use).is_error:
        raise ScenarioError("expected the local path to be refused")
    yield s.reply(s.text("This server does not read local paths; give a catalog name or a Hub id."))


SCENARIOS = {f.__name__: f for f in (support_quote, follow_up, bad_then_good, slow_answer, local_path_call)}
