"""The web app's HTML pages, server-rendered: quote, chat, calculators. Forms come from the registry's
schemas (forms.py); the scripts in static/ turn them into JSON calls to the HTTP API."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from modelmath.tools import jsonsafe, registry

from . import forms, labels
from .forms import Choice, FormContext, h

NAV = (("/", "Quote"), ("/chat", "Ask"), ("/calculators", "Calculators"))
STATUS_GROUPS = {"current": "Current models", "legacy": "Older models (still available)",
                 "deprecated": "Deprecated (retiring soon)", "retired": "Retired (no longer served)"}


def layout(title: str, body: str, *, active: str, scripts: Sequence[str], version: str) -> str:
    nav = "".join(f'<a href="{href}"{" aria-current=page" if href == active else ""}>{h(text)}</a>'
                  for href, text in NAV)
    tags = "".join(f'<script src="/static/{s}?v={h(version)}" defer></script>' for s in ("app.js", *scripts))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{h(title)} · modelmath</title><link rel="stylesheet" href="/static/style.css?v={h(version)}">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">{tags}</head>
<body><a class="skip" href="#main">Skip to the content</a>
<header class="top"><span class="brand">modelmath</span><nav aria-label="Pages">{nav}</nav></header>
<main id="main">{body}</main>
<form id="token-form" class="token" hidden><p>This server asks for an access token (the person who started it
has it).</p><label for="access-token">Access token</label> <input id="access-token" type="password"
autocomplete="off"> <button type="submit">Use this token</button></form>
<footer>modelmath {h(version)} · every number comes from a calculator that shows its inputs and the dated price
list it used · <a href="/api/tools">JSON API</a></footer>
</body></html>"""


# -- catalog choices -----------------------------------------------------------------------------------

def claude_choices() -> list[Choice]:
    from modelmath.tools.pricing.prices import active_catalog

    catalog = active_catalog()
    status = {e.id: catalog.lifecycle(e).status for e in catalog.entries}  # today's status, from the dates
    order = list(STATUS_GROUPS)
    ranked = sorted(catalog.entries, key=lambda e: order.index(status[e.id]) if status[e.id] in order else len(order))
    return [Choice(e.id, e.name, STATUS_GROUPS.get(status[e.id], status[e.id])) for e in ranked]


def _datalists() -> str:
    from modelmath.tools.hardware import gpus
    from modelmath.tools.model import catalog

    models = [Choice(e.id, e.name) for e in catalog.entries()]
    devices = [Choice(g.id, g.name) for g in gpus.catalog()]
    return forms.datalist("models-list", models) + forms.datalist("gpus-list", devices)


def form_context(tool: str, values: Mapping[str, object]) -> FormContext:
    schema = registry.get_tool(tool).schema_for_validation
    props = schema.get("properties", {})
    suggestions, choices = {}, {}
    for name in props:
        if tool == "api_cost" and name == "model" or name == "claude_model":
            choices[name] = claude_choices()
        elif name == "model":
            suggestions[name] = "models-list"
        elif name == "gpu":
            suggestions[name] = "gpus-list"
    return FormContext(tool, suggestions=suggestions, choices=choices, values=values)


# -- quote ---------------------------------------------------------------------------------------------

def quote_page(values: Mapping[str, object], result_html: str, error: dict | None, *, version: str) -> str:
    tool = registry.get_tool("api_cost")
    schema = tool.schema_for_validation
    props = schema["properties"]
    ctx = form_context("api_cost", values)
    primary = [n for n in labels.QUOTE_PRIMARY if n in props]
    compare = forms.array_selects(ctx, "compare", props["compare"], claude_choices(),
                                  labels.QUOTE_COMPARE_SLOTS) if "compare" in props else ""
    rest = [n for n in props if n not in primary and n != "compare"]
    more_open = " open" if any(values.get(n) not in (None, "", [], False) for n in rest) else ""
    err = _error_html(error)
    if not result_html and not error:
        result_html = ('<p class="placeholder">Fill in the input and output tokens per request (and requests per '
                       "day for daily and monthly totals): the price appears here as you type.</p>")
    body = f"""<h1>Claude API quote</h1>
<p class="lead">What a workload costs on the Claude API, from Anthropic's dated list prices. The price updates as
you type; nothing is sent anywhere but this computer.</p>
<div class="quote-layout">
<form id="quote-form" class="tool-form" data-tool="api_cost" novalidate>
{forms.controls(ctx, schema, primary)}
{compare}
<details id="more-options"{more_open}><summary>More options: caching, Batch API, date, tools and more</summary>
<div class="more">{forms.controls(ctx, schema, rest)}</div></details>
<div class="form-error" id="api_cost-form-error" role="alert">{err}</div>
<button type="submit">Update the quote</button>
</form>
<div class="quote-side">
<section id="quote-result" aria-label="Quote">{result_html}</section>
<p id="quote-live" class="visually-hidden" aria-live="polite"></p>
<section id="share" aria-labelledby="share-title">
<h2 id="share-title">Send it to the customer</h2>
<div class="buttons"><button type="button" id="copy-text">Copy as plain text</button>
<button type="button" id="copy-markdown">Copy as Markdown</button>
<button type="button" id="download-csv">Download CSV</button>
<button type="button" id="copy-link">Copy a link to this quote</button></div>
<p id="copy-status" role="status"></p>
<label for="customer-text">Text for the customer (select it and copy if the buttons cannot)</label>
<textarea id="customer-text" rows="10" readonly></textarea>
</section></div></div>"""
    return layout("Quote", body, active="/", scripts=("quote.js",), version=version)


def _error_html(error: dict | None) -> str:
    if not error:
        return ""
    e = error.get("error", error)
    return h(e.get("message", "something went wrong"))


# -- chat ----------------------------------------------------------------------------------------------

NO_KEY_HTML = """<div class="notice" id="no-key" role="note"><h2>The assistant needs an API key</h2>
<p>Asking Claude needs an Anthropic API key on the computer that runs this page. The key stays on that computer;
this page never sees it.</p><ol><li>Get a key from the Claude Console (its API keys page).</li>
<li>Stop this server (Ctrl+C in its window).</li><li>Start it again with the key set:
<code>export ANTHROPIC_API_KEY=sk-ant-...</code> then <code>modelmath web</code>.</li></ol>
<p>The <a href="/">Quote</a> and <a href="/calculators">Calculators</a> pages work without a key.</p></div>"""


EXAMPLE_QUESTION = "e.g. What would 10,000 claims a day cost on Haiku 4.5, about 1,500 tokens in and 300 out?"


def chat_page(*, has_key: bool, model: str, version: str) -> str:
    disabled = "" if has_key else " disabled"
    note = "" if has_key else NO_KEY_HTML
    body = f"""<h1>Ask about Claude pricing</h1>
<p class="lead">Ask in your own words. Claude answers in plain language for customers and works out every number
with the calculators; open "How we computed this" under an answer to see each calculation.</p>
{note}
<div id="conversation" aria-live="polite" data-titles="{h(jsonsafe.dumps(labels.TOOL_TITLES))}"></div>
<form id="ask-form" class="ask"><fieldset{disabled}><legend class="visually-hidden">Ask a question</legend>
<label for="question">Your question</label>
<textarea id="question" name="question" rows="3" placeholder="{h(EXAMPLE_QUESTION)}"></textarea>
<div class="buttons"><button type="submit" id="ask-button">Ask</button>
<button type="button" id="stop-button" hidden>Stop</button>
<button type="button" id="new-conversation">New conversation</button></div>
<p class="hint">Enter sends; Shift+Enter starts a new line. Model: {h(model)}.</p>
</fieldset></form>"""
    return layout("Ask", body, active="/chat", scripts=("chat.js",), version=version)


# -- calculators ---------------------------------------------------------------------------------------

def calculators_page(*, version: str) -> str:
    items = "".join(f'<li><a href="/calculators/{h(t.name)}">{h(labels.tool_title(t.name))}</a> '
                    f'<code>{h(t.name)}</code><p>{h(t.description)}</p></li>' for t in registry.tools())
    body = f"""<h1>Calculators</h1><p class="lead">Every calculator behind the quote and the assistant, as a form.
The same inputs work as JSON: <code>POST /api/tools/NAME</code>.</p><ul class="tools">{items}</ul>"""
    return layout("Calculators", body, active="/calculators", scripts=(), version=version)


def calculator_page(name: str, *, version: str) -> str:
    tool = registry.get_tool(name)
    ctx = form_context(name, {})
    body = f"""<p><a href="/calculators">All calculators</a></p>
<h1>{h(labels.tool_title(name))} <code>{h(name)}</code></h1><p class="lead">{h(tool.description)}</p>
<form id="tool-form" class="tool-form" data-tool="{h(name)}" novalidate>
{forms.controls(ctx, tool.schema_for_validation)}
<div class="form-error" id="{h(name)}-form-error" role="alert"></div>
<button type="submit">Calculate</button></form>
<section id="tool-result" aria-live="polite" aria-label="Result"></section>
{_datalists()}"""
    return layout(labels.tool_title(name), body, active="/calculators", scripts=("calc.js",), version=version)
