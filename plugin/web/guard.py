"""The safety rules every request to `modelmath web` passes, as one ASGI middleware in front of the app.

- Host check on loopback: a page on another site can point its own DNS name at 127.0.0.1 (DNS rebinding) and
  then talk to us as same-origin; its requests still carry that name in Host, so only loopback names pass.
- Bearer token: required on every /api/ call when the server has one (always, off loopback). Pages and
  static files are forms and scripts with nothing secret in them; the browser's scripts send the token.
- POSTs must be JSON (415 otherwise), so an HTML form on another site cannot post to us without a CORS
  preflight we never answer; and a browser's Origin, when sent, must be this server's (403 otherwise).
- Body size: Content-Length over the limit is refused at once, and the body is counted while it is read,
  because a chunked upload has no Content-Length and a client can send more than it announced.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import urlsplit

from modelmath.tools import jsonsafe

Scope = dict
Message = dict
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
DEFAULT_MAX_BODY_BYTES = 1_100_000  # a tool input may carry a whole config.json (the CLI reads up to 1 MB)


def is_loopback(host: str) -> bool:
    """Whether binding `host` keeps the server on this machine."""
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _hostname(netloc: str) -> str:
    """The name part of a Host header or an Origin's netloc: 'localhost:8001' → 'localhost', '[::1]:80' → '::1'."""
    try:
        return (urlsplit(f"//{netloc}").hostname or "").lower()
    except ValueError:  # a malformed port or bracket
        return ""


@dataclass(frozen=True)
class Guard:
    """What the middleware enforces; built once from the command line."""

    loopback: bool
    token: str | None = None
    # Per path prefix; the longest matching prefix wins, else DEFAULT_MAX_BODY_BYTES.
    body_limits: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    def body_limit(self, path: str) -> int:
        matches = [p for p in self.body_limits if path.startswith(p)]
        return self.body_limits[max(matches, key=len)] if matches else DEFAULT_MAX_BODY_BYTES


class _TooLarge(Exception):
    pass


async def _error(send: Send, status: int, kind: str, message: str, headers: tuple = ()) -> None:
    body = jsonsafe.dumps({"error": {"type": kind, "message": message}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store"), *headers]})
    await send({"type": "http.response.body", "body": body})


def guarded(app: App, guard: Guard) -> App:
    """`app` behind the rules in the module docstring."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan
            await app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        path, method = scope["path"], scope["method"]
        host = headers.get("host", "")
        if guard.loopback and _hostname(host) not in LOOPBACK_NAMES:
            await _error(send, 421 if host else 400, "bad_host",
                         f"this server answers only to localhost names, not Host {host[:100]!r}")
            return
        origin = headers.get("origin")
        scheme = scope.get("scheme", "http")
        if origin is not None and method not in ("GET", "HEAD") and not _same_origin(origin, scheme, host):
            await _error(send, 403, "forbidden_origin", f"requests from {origin[:100]!r} are not allowed: this "
                         "server only answers its own pages")
            return
        if guard.token and path.startswith("/api/") and not _authorized(headers, guard.token):
            await _error(send, 401, "unauthorized", "this server needs its access token: open the link the server "
                         "printed at start-up, or send 'Authorization: Bearer TOKEN'",
                         ((b"www-authenticate", b'Bearer realm="modelmath"'),))
            return
        if method in ("GET", "HEAD", "OPTIONS"):
            await app(scope, receive, send)
            return
        ctype = headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            await _error(send, 415, "unsupported_media_type",
                         f"send JSON with 'Content-Type: application/json' (got {ctype or 'none'!r})")
            return
        limit = guard.body_limit(path)
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _error(send, 413, "too_large", f"the request body is over {limit:,} bytes; refused")
            return
        try:
            body = await _read_body(receive, limit)
        except _TooLarge:
            await _error(send, 413, "too_large", f"the request body is over {limit:,} bytes; refused")
            return
        await app(scope, _replay(body, receive), send)

    return middleware


def _same_origin(origin: str, scheme: str, host: str) -> bool:
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    return parts.scheme == scheme and bool(parts.netloc) and parts.netloc.lower() == host.lower()


def _authorized(headers: dict, token: str) -> bool:
    scheme, _, given = headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


async def _read_body(receive: Receive, limit: int) -> bytes:
    """The whole body, stopping as soon as it passes `limit` bytes (whatever Content-Length said)."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive channel that yields the already-read body once, then the client's later messages (e.g. the
    disconnect a streaming response listens for)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
