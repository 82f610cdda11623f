"""`modelmath mcp`: the registry's calculators as an MCP server (official `mcp` SDK 2.x).

We build on the SDK's low-level `mcp.server.Server` rather than `MCPServer`: `MCPServer.add_tool` derives a
tool's input schema from a Python signature, which would be a second copy of the schemas the registry
already declares. With `on_list_tools` / `on_call_tool` the names, descriptions and input schemas are passed
through verbatim from `tools.registry`, and raw arguments go to `registry.run_tool`, the same
validate-then-run path the agent loop uses (it never raises; bad input becomes a structured error).

`mcp` (~0.7 s of imports) is imported inside the functions that need it; the CLI imports this module only
when `modelmath mcp` runs, so the offline commands never pay for it.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any

import click
from modelmath.plugin.cli.repeats import OnceCommand
from modelmath.tools import jsonsafe, registry
from modelmath.tools.model import reference

if TYPE_CHECKING:
    from mcp.server import Server

log = logging.getLogger("modelmath.mcp")

SERVER_NAME = "modelmath"
HTTP_PATH = "/mcp"
DEFAULT_PORT = 8000

# Sent once at initialize; hosts may add it to the model's context. Kept short: the tool descriptions
# carry the detail, and the Claude Code plugin's skill says the rest.
INSTRUCTIONS = (
    "Calculators for exact, explained numbers about LLMs (parameters, KV cache, memory and more). Call a "
    "tool instead of estimating, and quote its numbers and assumptions rather than re-deriving them. Sizes "
    "come as bytes, GB (10^9) and GiB (2^30): name the unit you quote. Anthropic does not publish Claude's "
    "parameter counts; the catalog's 'illustrative' tiers are speculative, never facts."
)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("modelmath")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


def _result_text(result: dict) -> str:
    # The same JSON the Messages API tool_result carries, so every host sees one wording. The MCP spec asks
    # tools that return structuredContent to also send it serialized as text, for clients that ignore it.
    # Strict JSON: a NaN would be a bug upstream, and raises here rather than reach a client as non-JSON.
    return jsonsafe.dumps(result, ensure_ascii=False)


def build_server(*, local_paths: bool = True) -> Server:
    """A server exposing every tool in the registry as it is at this moment (call at server start, so tools
    added to the registry later appear without touching this module). `local_paths`: whether a `model` may
    name a path on this machine (stdio: yes, its user runs it; streamable HTTP: no, unless the operator opts
    in with --allow-local-paths; see tools/model/reference.py)."""
    import mcp_types as types
    from mcp.server import Server
    from mcp.shared.exceptions import MCPError

    from .. import hub

    hub.install()  # `model` may name a Hub repository or a local checkpoint, read as the CLI reads it
    # Every calculator is a pure function of its input: nothing is written, a repeat call gives the same
    # answer. Tools that take a model may read the Hugging Face Hub (config and tensor headers), so they are
    # open-world; the rest reach nothing outside the packaged catalogs.
    def annotations(t) -> types.ToolAnnotations:
        return types.ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True,
                                     open_world_hint="model" in t.input_schema.get("properties", {}))

    listed = [types.Tool(name=t.name, description=t.description, input_schema=t.input_schema,
                         annotations=annotations(t)) for t in registry.tools()]
    schemas = {t.name: t.input_schema for t in registry.tools()}

    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=listed)

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        if params.name not in schemas:
            # The spec makes an unknown tool a protocol error (-32602), unlike bad arguments, which go back
            # to the model as an is_error result it can correct.
            raise MCPError(types.INVALID_PARAMS, f"unknown tool {params.name!r}; available: "
                           f"{', '.join(schemas)}")
        # The calculators take micro- to milliseconds, but a `model` naming a Hub repository means HTTP requests
        # (seconds on a first read): a worker thread keeps the event loop, and other clients, responsive.
        import anyio

        def run(name: str, arguments: dict) -> registry.ToolOutcome:
            with reference.local_paths(local_paths):  # set in the worker thread that reads the model
                return registry.run_tool(name, arguments)

        outcome = await anyio.to_thread.run_sync(run, params.name,
                                                 params.arguments if params.arguments is not None else {})
        if outcome.is_error:
            log.info("tool %s rejected input: %s", params.name, outcome.result.get("error", {}).get("message"))
        return types.CallToolResult(content=[types.TextContent(type="text", text=_result_text(outcome.result))],
                                    structured_content=outcome.result, is_error=outcome.is_error)

    server = Server(SERVER_NAME, version=_version(), title="modelmath", instructions=INSTRUCTIONS,
                    on_list_tools=list_tools, on_call_tool=call_tool, get_tool_input_schema=schemas.get)
    if isinstance(getattr(server, "middleware", None), list):  # the SDK marks this hook provisional
        server.middleware.append(_explain_uninitialized)
    return server


UNINITIALIZED = ("send initialize first: this MCP session has not been initialized (initialize, then "
                 "notifications/initialized; only ping is answered before)")


async def _explain_uninitialized(ctx: Any, call_next: Any) -> Any:
    """The SDK answers a request sent before `initialize` with -32602 "Invalid request parameters" and empty data
    (its pinned compatibility shape), which reads as if the request were malformed. Same code, a message that
    says what to do. Only that exact error, and only while no initialize was recorded, is reworded."""
    from mcp.shared.exceptions import MCPError

    try:
        return await call_next(ctx)
    except MCPError as exc:
        session = getattr(ctx, "session", None)
        if (exc.code == INVALID_PARAMS and exc.message == "Invalid request parameters" and not exc.data
                and getattr(ctx, "method", "") != "initialize" and session is not None
                and getattr(session, "client_params", True) is None):
            raise MCPError(INVALID_PARAMS, UNINITIALIZED) from None
        raise


async def serve_stdio(server: Server) -> None:
    from mcp.server.stdio import stdio_server

    from .stdio import GuardedStdin

    # stdio_server claims fd 1 for the protocol and points the process's own stdout at stderr while it runs,
    # so a stray print() cannot corrupt the channel. Its stdin reader drops lines it cannot parse, so ours
    # (bounded lines, each checked and, if need be, answered with a JSON-RPC error) feeds it instead.
    with GuardedStdin.claim() as stdin:
        async with stdio_server(stdin=stdin) as (read_stream, write_stream):
            tracked = stdin.answer_through(write_stream)
            await server.run(read_stream, tracked, server.create_initialization_options())


async def serve_http(server: Server, host: str, port: int, sockets: list | None = None,
                     local_paths: bool = False) -> None:
    """`sockets`: already bound (plugin/listen.py), so a busy port failed before anything said "serving".
    `local_paths`: only for the startup line (the server was built with it)."""
    import uvicorn

    # For 127.0.0.1 / localhost the SDK turns on DNS-rebinding protection (Host and Origin checks).
    app = server.streamable_http_app(streamable_http_path=HTTP_PATH, host=host)
    # log_config=None: uvicorn's default config sends access logs to stdout; ours go to stderr.
    config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False)
    log.info("serving %d tools over streamable HTTP at http://%s:%d%s%s", len(registry.tools()),
             f"[{host}]" if ":" in host else host, port, HTTP_PATH, LOCAL_PATHS_ON if local_paths else "")
    await uvicorn.Server(config).serve(sockets=sockets)


INVALID_PARAMS = -32602
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
LOCAL_PATHS_ON = "; local paths accepted as model inputs (--allow-local-paths)"


@click.command("mcp", cls=OnceCommand)
@click.option("--transport", type=click.Choice(["stdio", "streamable-http"]), default="stdio", show_default=True,
              help="stdio for a local IDE host (it starts the process); streamable-http for a shared server.")
@click.option("--host", default=None, help="Address to bind with streamable-http (default 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help=f"Port for streamable-http (default {DEFAULT_PORT}); the endpoint is {HTTP_PATH}.")
@click.option("--allow-local-paths", is_flag=True,
              help="streamable-http: let clients name local checkpoints and .gguf files on this machine as "
                   "model (refused by default: a client could probe which paths exist). stdio always accepts them.")
def mcp_cmd(transport: str, host: str | None, port: int | None, allow_local_paths: bool) -> None:
    """Run an MCP server exposing every calculator tool (stdout is the protocol; logs go to stderr)."""
    if transport == "stdio" and (host is not None or port is not None or allow_local_paths):
        raise click.UsageError("--host, --port and --allow-local-paths apply only to --transport streamable-http "
                               "(over stdio local paths are always accepted)")
    sockets = None
    if transport != "stdio":
        from ..listen import listen

        sockets = listen(host or "127.0.0.1", port or DEFAULT_PORT)  # a busy port: one line, exit 2, now
    import anyio

    # A long-running server: give it a log (stderr, never stdout, which is the protocol channel). Other
    # libraries stay at WARNING; our startup line and rejected inputs are INFO.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    log.setLevel(logging.INFO)
    # Over HTTP the caller is not necessarily the person who started the server: no local paths unless opted in.
    server = build_server(local_paths=transport == "stdio" or allow_local_paths)
    if transport == "stdio":
        log.info("serving %d tools over stdio", len(registry.tools()))
        anyio.run(serve_stdio, server)
        return
    host = host or "127.0.0.1"
    if host not in _LOOPBACK:
        log.warning("binding %s: the server has no authentication; expose it only on a trusted network", host)
    anyio.run(serve_http, server, host, port or DEFAULT_PORT, sockets, allow_local_paths)
