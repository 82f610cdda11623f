"""`modelmath web`: the Starlette application. Small route functions over the registry; pages beside a JSON
API that does the same thing (datasette's habit), every JSON in through tools/jsonsafe.py and out strict.

HTTP API
  GET  /api/tools              {"tools": [definition, ...]} as sent to Claude and MCP clients
  GET  /api/tools/{name}       one definition
  POST /api/tools/{name}       run a tool: its result (200), or {"error": {...}} as MCP gives it (400; 404
                               for an unknown tool; 500 for a bug)
  POST /api/quote              api_cost input → {"result", "html", "text", "markdown", "csv"}
  POST /api/ask                {"question", "conversation"?} → server-sent events (see ask.py)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from modelmath.tools import jsonsafe, registry
from modelmath.tools.errors import ModelMathError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from . import ask, forms, pages, plain, quote
from .guard import Guard, guarded

STATIC_DIR = Path(__file__).with_name("static")
MAX_COMPARED = 3  # the quote page puts up to 4 models side by side
BODY_LIMITS = MappingProxyType({"/api/ask": 100_000, "/api/quote": 100_000})

# Pages load scripts and styles only from here; no inline script runs, nothing is framed.
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
                               "frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


@dataclass(frozen=True)
class WebConfig:
    loopback: bool = True  # bound to a loopback address: Host must be a localhost name
    token: str | None = None  # bearer token every /api/ call must carry
    model: str | None = None  # the assistant's model (default: MODELMATH_MODEL, else the current Sonnet)
    version: str = "0"
    # Whether a tool's `model` (from the API, a form or the assistant's tool calls) may name a path on this
    # machine. Off even on loopback: other users and processes of this computer reach 127.0.0.1 too, and the
    # server reads with its operator's permissions (see tools/model/reference.py). `--allow-local-paths`.
    allow_local_paths: bool = False


class JSON(Response):
    """Strict JSON (NaN or Infinity is a producer bug and raises), never cached."""

    media_type = "application/json"

    def __init__(self, content: object, status_code: int = 200):
        super().__init__(content, status_code, headers={"cache-control": "no-store"})

    def render(self, content: object) -> bytes:
        return jsonsafe.dumps(content, ensure_ascii=False).encode("utf-8")


def _html(text: str) -> HTMLResponse:
    return HTMLResponse(text, headers=SECURITY_HEADERS)


def _error(status: int, exc: ModelMathError | None = None, *, kind: str = "", message: str = "") -> JSON:
    return JSON(registry.error_result(exc) if exc else {"error": {"type": kind, "message": message}}, status)


def _status(result: dict) -> int:
    kind = result.get("error", {}).get("type")
    return 500 if kind == "internal_error" else 400


async def _json_body(request: Request) -> object:
    # The guard has already read the body under its size limit; this parses it under jsonsafe's limits.
    return jsonsafe.loads(await request.body(), what="request body")


def build_app(config: WebConfig) -> Starlette:
    version = config.version

    async def quote_page(request: Request) -> Response:
        schema = registry.get_tool("api_cost").schema_for_validation
        inp, values = forms.query_input(schema, request.query_params.getlist)
        if not values.get("model"):
            try:
                values["model"] = inp["model"] = _default_model()
            except ModelMathError:  # a price file left no current Sonnet: the form asks for a model
                values["model"] = ""
        # A link may name models by alias ("haiku-4.5"): select them by catalog id in the form.
        values["model"] = _catalog_id(str(values["model"]))
        if values.get("compare"):
            values["compare"] = [_catalog_id(str(c)) for c in values["compare"]]
        result_html, error = "", _compare_problem(inp)
        if "input_tokens" in inp and "output_tokens" in inp and not error:
            outcome = registry.run_tool("api_cost", inp)
            if outcome.is_error:
                error = _plain_quote_error(outcome.result)
            else:
                result_html = quote.render(outcome.result).html
        return _html(pages.quote_page(values, result_html, error, version=version))

    async def chat_page(request: Request) -> Response:
        return _html(pages.chat_page(has_key=ask.has_key(), model=_assistant_model(config.model), version=version))

    async def calculators(request: Request) -> Response:
        return _html(pages.calculators_page(version=version))

    async def calculator(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in {t.name for t in registry.tools()}:
            return _not_found_page(f"No calculator named {pages.h(name)}", version)
        return _html(pages.calculator_page(name, version=version))

    async def list_tools(request: Request) -> Response:
        return JSON({"tools": registry.definitions()})

    async def tool_definition(request: Request) -> Response:
        try:
            return JSON(registry.get_tool(request.path_params["name"]).definition())
        except ModelMathError as exc:
            return _error(404, exc)

    async def run_tool(request: Request) -> Response:
        name = request.path_params["name"]
        try:
            registry.get_tool(name)
        except ModelMathError as exc:
            return _error(404, exc)
        try:
            inp = await _json_body(request)
        except ModelMathError as exc:
            return _error(400, kind="invalid_json", message=exc.message)
        outcome = registry.run_tool(name, inp)
        return JSON(outcome.result, _status(outcome.result) if outcome.is_error else 200)

    async def quote_api(request: Request) -> Response:
        try:
            inp = await _json_body(request)
        except ModelMathError as exc:
            return _error(400, kind="invalid_json", message=exc.message)
        problem = _compare_problem(inp)
        if problem:
            return JSON(problem, 400)
        outcome = registry.run_tool("api_cost", inp)
        if outcome.is_error:
            return JSON(_plain_quote_error(outcome.result), _status(outcome.result))
        q = quote.render(outcome.result)
        return JSON({"result": outcome.result, "html": q.html, "text": q.text, "markdown": q.markdown, "csv": q.csv})

    conversations = ask.Conversations(lambda: ask.make_assistant(config.model))

    async def ask_api(request: Request) -> Response:
        try:
            question, cid = ask.parse_question(await request.body())
        except ModelMathError as exc:
            return _error(400, exc)
        if not ask.has_key():
            from modelmath.plugin.assistant.client import NO_KEY_MESSAGE

            return _error(503, kind="no_api_key", message=NO_KEY_MESSAGE.split("; the calculators")[0]
                          + "; then restart `modelmath web`")
        from modelmath.plugin.assistant.agent import AssistantError

        try:
            cid, conv = conversations.get_or_create(cid)
        except AssistantError as exc:
            return _error(503 if exc.exit_code == 2 else 502, kind="assistant_error", message=exc.message)
        except Exception as exc:  # noqa: BLE001 - e.g. a malformed ANTHROPIC_BASE_URL: one line, not a 500 page
            return _error(503, kind="assistant_error", message=f"cannot set up the assistant: {type(exc).__name__}: "
                          f"{exc}; check ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY where the server runs")
        if conv.lock.locked():
            return _error(409, kind="busy", message="this conversation is still answering; wait for it, or start "
                          "a new conversation")
        return StreamingResponse(ask.answer_events(conv, cid, question), media_type="text/event-stream",
                                 headers={"cache-control": "no-store", "x-accel-buffering": "no"})

    async def not_found(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith("/api/"):
            return _error(404, kind="not_found", message=f"no API endpoint {request.url.path}")
        return _not_found_page("Page not found", version)

    async def not_allowed(request: Request, exc: Exception) -> Response:
        return _error(405, kind="method_not_allowed", message=f"{request.method} is not allowed on {request.url.path}")

    routes = [
        Route("/", quote_page), Route("/chat", chat_page), Route("/calculators", calculators),
        Route("/calculators/{name}", calculator),
        Route("/api/tools", list_tools), Route("/api/tools/{name}", tool_definition, methods=["GET"]),
        Route("/api/tools/{name}", run_tool, methods=["POST"]), Route("/api/quote", quote_api, methods=["POST"]),
        Route("/api/ask", ask_api, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_allowed})
    return _local_paths(guarded(app, Guard(loopback=config.loopback, token=config.token, body_limits=BODY_LIMITS)),
                        config.allow_local_paths)


def _local_paths(app, allowed: bool):
    """Every request runs with the server's local-paths policy: set here once for all routes (and carried into
    the assistant's worker thread by ask.py), not checked route by route."""
    from modelmath.tools.model.reference import local_paths

    async def with_policy(scope, receive, send) -> None:
        with local_paths(allowed):
            await app(scope, receive, send)

    return with_policy


def _not_found_page(title_html: str, version: str) -> HTMLResponse:
    body = f'<h1>{title_html}</h1><p><a href="/">The quote page</a> · <a href="/calculators">All calculators</a></p>'
    return HTMLResponse(pages.layout("Not found", body, active="", scripts=(), version=version), 404,
                        headers=SECURITY_HEADERS)


def _plain_quote_error(result: dict) -> dict:
    """The quote page's readers get the error in the form's words (plain.py); the tools API keeps MCP's."""
    fields = list(registry.get_tool("api_cost").schema_for_validation.get("properties", {}))
    return plain.error("api_cost", fields, result)


def _compare_problem(inp: object) -> dict | None:
    """The quote shows at most 4 models side by side: 3 named ones besides the main model ('current' could be
    any number)."""
    names = inp.get("compare") if isinstance(inp, dict) else None
    if isinstance(names, list) and (len(names) > MAX_COMPARED or any(str(c).strip().lower() == "current"
                                                                      for c in names)):
        return {"error": {"type": "invalid_input", "field": "compare",
                          "message": f"the quote compares at most {MAX_COMPARED} more models, named one by one"}}
    return None


def _catalog_id(name: str) -> str:
    from modelmath.tools.pricing.prices import active_catalog

    entry = active_catalog().find(name)
    return entry.id if entry else name


def _default_model() -> str:
    from modelmath.tools.pricing.prices import default_model_id

    return default_model_id()


def _assistant_model(explicit: str | None) -> str:
    from modelmath.plugin.assistant.agent import resolve_model_id

    try:
        return resolve_model_id(explicit)
    except ModelMathError:
        return "(none: the price catalog has no current Sonnet; set MODELMATH_MODEL)"
