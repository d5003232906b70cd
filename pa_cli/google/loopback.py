"""A one-shot loopback listener for the OAuth redirect (127.0.0.1, random port).

It answers the browser's redirect, ignores stray requests (``/favicon.ico``),
and gives up after a deadline. State and error checks happen in ``oauth``.
"""

from __future__ import annotations

import html
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import TracebackType
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

CALLBACK_KEYS = frozenset({"code", "error", "state"})

_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>pa</title></head>
<body style="font-family: sans-serif; margin: 3em"><h1>{title}</h1><p>{text}</p></body></html>"""


class _Server(HTTPServer):
    allow_reuse_address = False
    callback: dict[str, str] | None = None
    expected_path: str = "/"

    def handle_error(self, request: object, client_address: object) -> None:
        """A broken browser connection is not worth a traceback on the terminal."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout: ClassVar[float] = 10.0  # a client that connects and says nothing cannot hold us

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(parts.query).items() if values}
        if parts.path != self.server.expected_path or not (CALLBACK_KEYS & query.keys()):
            self._reply(404, "Not found", "This address only receives pa's Google authorization.")
            return
        if self.server.callback is None:
            self.server.callback = query
        if "error" in query:
            self._reply(200, "Authorization not completed", "You can close this window and return to pa.")
        else:
            self._reply(200, "Authorization received", "You can close this window and return to pa.")

    def _reply(self, status: int, title: str, text: str) -> None:
        body = _PAGE.format(title=html.escape(title), text=html.escape(text)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Silent: the request line carries the authorization code."""


class LoopbackTimeout(Exception):
    pass


class LoopbackListener:
    """Listen on 127.0.0.1 with an OS-chosen port until one redirect arrives."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = _Server((host, port), _Handler)
        self.host = host

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def redirect_uri(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def wait(self, timeout_seconds: float) -> dict[str, str]:
        """Serve requests until the redirect arrives; its query parameters, or ``LoopbackTimeout``."""
        deadline = time.monotonic() + timeout_seconds
        while self._server.callback is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LoopbackTimeout
            self._server.timeout = remaining
            try:
                self._server.handle_request()
            except OSError:
                continue
        return self._server.callback

    def close(self) -> None:
        self._server.server_close()

    def __enter__(self) -> LoopbackListener:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
