"""`modelmath web`: serve the quote, chat and calculator pages on this computer (uvicorn, from the mcp SDK's
dependencies). Loaded by the CLI only when this command runs; starlette and uvicorn only then."""

from __future__ import annotations

import logging
import os
import sys

import click
from modelmath.plugin.cli.paths import FilePath
from modelmath.plugin.cli.repeats import OnceCommand

log = logging.getLogger("modelmath.web")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8001  # next to `modelmath mcp --transport streamable-http`'s 8000
MIN_TOKEN_CHARS = 16
TOKEN_ENV = "MODELMATH_WEB_TOKEN"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("modelmath")
    except PackageNotFoundError:
        return "0+unknown"


def check_binding(host: str, token: str | None) -> bool:
    """Whether `host` is loopback; a UsageError (exit 2, one line) when the settings are unsafe."""
    from .guard import is_loopback

    loopback = is_loopback(host)
    if token is not None and len(token) < MIN_TOKEN_CHARS:
        raise click.UsageError(f"--token must be at least {MIN_TOKEN_CHARS} characters; make one with: python3 -c "
                               "'import secrets; print(secrets.token_urlsafe())'")
    if not loopback and not token:
        raise click.UsageError(f"--host {host} makes the pages reachable from other computers: it needs --token "
                               f"(or ${TOKEN_ENV}) so only people with the token can use the API")
    return loopback


def _preload_assistant() -> None:
    import anthropic  # noqa: F401
    import modelmath.plugin.assistant.agent  # noqa: F401


def page_url(host: str, port: int, token: str | None) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    shown = f"[{shown}]" if ":" in shown else shown
    # The token travels in the fragment, which browsers never send to a server or put in a Referer: the
    # page's script keeps it for this tab and removes it from the address bar.
    return f"http://{shown}:{port}/" + (f"#token={token}" if token else "")


@click.command("web", cls=OnceCommand)
@click.option("--host", default=DEFAULT_HOST, show_default=True,
              help="Address to listen on. Anything but localhost needs --token.")
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="Port (0: any free port; the address is printed).")
@click.option("--token", envvar=TOKEN_ENV, default=None,
              help=f"Access token every API call must carry (Authorization: Bearer). Also ${TOKEN_ENV}.")
@click.option("--open", "open_browser", is_flag=True, help="Open the quote page in the default browser.")
@click.option("--model", default=None, help="Claude model for the Ask page (default: $MODELMATH_MODEL, else the "
              "current Sonnet).")
@click.option("--prices", "price_file", type=FilePath(dir_okay=False), default=None,
              help="Your own prices (JSON, the catalog's schema) over the built-in list; also $MODELMATH_PRICES.")
@click.option("--allow-local-paths", is_flag=True,
              help="Let the calculators' model input name local checkpoints and .gguf files on this computer "
                   "(refused by default: anyone who can reach the pages could probe which paths exist).")
def web_cmd(host: str, port: int, token: str | None, open_browser: bool, model: str | None,
            price_file: str | None, allow_local_paths: bool) -> None:
    """Quote, chat and calculator pages in the browser, for support teams (no API key needed but for chat)."""
    loopback = check_binding(host, token)
    from ..listen import listen

    sockets = listen(host, port)  # a busy port or an unknown host: one line, exit 2, before anything else
    from modelmath.plugin.cli.prices import use_price_file

    if price_file:  # the assistant's Reproduce commands name the file through the environment
        os.environ["MODELMATH_PRICES"] = os.path.abspath(price_file)
    if os.environ.get("MODELMATH_PRICES"):
        use_price_file(os.environ["MODELMATH_PRICES"])  # a bad file: one line, exit 2, before serving
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    log.setLevel(logging.INFO)
    import uvicorn

    from .app import WebConfig, build_app

    app = build_app(WebConfig(loopback=loopback, token=token, model=model, version=_version(),
                              allow_local_paths=allow_local_paths))

    class Server(uvicorn.Server):
        async def startup(self, sockets=None) -> None:
            await super().startup(sockets)
            if not self.started:
                return
            bound = self.servers[0].sockets[0].getsockname()[1] if self.servers else port
            url = page_url(host, bound, token)
            # One line on stderr that a person (or a test) can read the address from.
            paths = "; local paths accepted as model inputs (--allow-local-paths)" if allow_local_paths else ""
            click.echo(f"modelmath web: serving on {url}  (Ctrl+C stops{paths})", err=True)
            if open_browser:
                import webbrowser

                webbrowser.open(url)
            from .ask import has_key

            if has_key():  # the anthropic SDK takes seconds to import: do it now, not on the first question
                import threading

                threading.Thread(target=_preload_assistant, name="modelmath-preload", daemon=True).start()

    # log_config=None: uvicorn's default config would print access logs to stdout.
    config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False, lifespan="off",
                            timeout_graceful_shutdown=2)
    Server(config).run(sockets=sockets)
