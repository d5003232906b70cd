"""Running the server: `pa serve` binds the socket, prepares the database and key, then runs uvicorn.

The parent process migrates the database and creates the signing key before
any worker starts, so workers never race to do either. With ``--workers N``
uvicorn's supervisor shares one listening socket between N processes, each
building its own app (``create_app_from_environment``) from the same settings.
"""

from __future__ import annotations

import ipaddress
import signal
import socket
import sys
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from fastapi import FastAPI

    from pa_cli.config import Settings

APP_FACTORY = "pa_cli.server.app:create_app_from_environment"
#: uvicorn waits this long for open requests on shutdown (SSE streams stop within ~SHUTDOWN_GRACE_SECONDS).
GRACEFUL_SHUTDOWN_SECONDS = 15


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def prepare(settings: Settings) -> None:
    """Everything workers must find ready: a migrated database with its local user, and the signing key."""
    from pa_cli.secrets import open_secret_store
    from pa_cli.server.auth import ensure_signing_key
    from pa_cli.store import open_store

    with open_store(settings) as store:
        store.users.local_user()
    ensure_signing_key(open_secret_store(settings.app_paths, interactive=False))


def serve(settings: Settings, *, workers: int = 1, err: TextIO | None = None) -> int:
    import uvicorn

    from pa_cli.server.protocol import CONFIG_ATTRIBUTE, HeaderDeadlineProtocol

    stream = err or sys.stderr
    host, port = settings.server.host, settings.server.port
    if not is_loopback(host):
        stream.write(
            f"warning: pa serve is listening on {host}, beyond this machine: put TLS in front of it "
            "(a reverse proxy such as Caddy or nginx); bearer tokens must never cross a network in clear text\n"
        )
    prepare(settings)
    config = uvicorn.Config(
        APP_FACTORY if workers > 1 else _single_app(settings),
        factory=workers > 1,
        host=host,
        port=port,
        workers=workers,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        lifespan="on",
        log_level="info",
        server_header=False,
        http=HeaderDeadlineProtocol,
    )
    setattr(config, CONFIG_ATTRIBUTE, settings.server.header_timeout_seconds)
    # uvicorn re-raises the signal it stopped for once it has shut down: make that a clean exit.
    signal.signal(signal.SIGTERM, _stopped)
    try:
        sock = config.bind_socket()
    except SystemExit:  # uvicorn has logged why (address in use, not available, ...)
        from pa_cli.errors import PaError

        raise PaError(f"cannot listen on {host}:{port}", hint="choose another --host or --port") from None
    # uvicorn's socket has protocol 0, so asyncio does not switch Nagle off for the connections
    # it accepts; they inherit TCP_NODELAY from the listening socket (without it, every response
    # body waits ~40 ms for the client's delayed ACK of the headers).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    bound_port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    stream.write(f"pa serve: listening on http://{shown}:{bound_port} (web chat at /, Ctrl-C to stop)\n")
    _offer_lan_address(stream, host, bound_port)
    stream.flush()
    try:
        if workers > 1:
            from uvicorn.supervisors import Multiprocess

            Multiprocess(config, sockets=[sock]).run()
            return 0
        server = uvicorn.Server(config)
        server.run(sockets=[sock])
        return 0 if server.started else 1
    except KeyboardInterrupt:
        return 0
    finally:
        sock.close()


def _stopped(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _single_app(settings: Settings) -> FastAPI:
    from pa_cli.server.app import create_app
    from pa_cli.server.runtime import RuntimeOptions

    return create_app(settings, RuntimeOptions(settle_heap=True))


def _offer_lan_address(stream: TextIO, host: str, port: int) -> None:
    """On a wildcard bind, the address a phone on the same network opens (and pairs with)."""
    from pa_cli.pairing import WILDCARD_HOSTS, server_url

    if host not in WILDCARD_HOSTS:
        return
    url = server_url(host, port)
    stream.write(
        f"pa serve: from a phone on this network: {url} (pair it: `pa serve token create --url {url}`)\n"
    )
