"""Listening sockets for the long-running servers (`modelmath mcp --transport streamable-http`, `modelmath web`).

They are bound here, before a server says it is serving: a busy port, an unknown host or an address of another
machine is one line and exit status 2. Left to uvicorn, the server logged "serving … at http://…", then
uvicorn's own error, and exited with status 3.
"""

from __future__ import annotations

import errno
import socket

import click


class ListenError(click.ClickException):
    """The server cannot listen where it was asked to: one line, exit status 2."""

    exit_code = 2


def _why(exc: OSError, host: str, port: int) -> str:
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if isinstance(exc, socket.gaierror):
        return f"cannot listen on {host!r}: not a known host name or address; give --host an address of this " \
               "machine (127.0.0.1, or 0.0.0.0 for every interface)"
    if exc.errno == errno.EADDRINUSE:
        return f"cannot listen on {where}: the port is already in use (another server is listening there); " \
               "stop it or give another --port"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"cannot listen on {where}: {host} is not an address of this machine; give --host one that is " \
               "(127.0.0.1, or 0.0.0.0 for every interface)"
    if exc.errno == errno.EACCES:
        return f"cannot listen on {where}: permission denied (ports below 1024 need privileges); give another --port"
    return f"cannot listen on {where}: {exc.strerror or exc}"


def listen(host: str, port: int) -> list[socket.socket]:
    """Bound sockets for every address `host` resolves to (as asyncio's create_server binds them: localhost
    is 127.0.0.1 and ::1); port 0 takes one free port, the same on each. Raises ListenError."""
    socks: list[socket.socket] = []
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        for family, kind, proto, _, addr in dict.fromkeys(infos):
            sock = socket.socket(family, kind, proto)
            socks.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6 and hasattr(socket, "IPPROTO_IPV6"):
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)  # its own socket for IPv4
            if port == 0 and len(socks) > 1:
                addr = (addr[0], socks[0].getsockname()[1], *addr[2:])
            sock.bind(addr)
            sock.set_inheritable(True)
    except OSError as exc:
        for sock in socks:
            sock.close()
        raise ListenError(_why(exc, host, port)) from None
    return socks
