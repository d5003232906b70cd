"""Serving an ASGI app with uvicorn in a background thread on 127.0.0.1, and recording requests."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass(frozen=True)
class ApiRequest:
    """One HTTP request the fake answered (any endpoint)."""

    method: str
    path: str
    params: dict[str, str]
    status: int
    #: The JSON body the client sent (None for none or non-JSON), as the server received it.
    json: Any = None
    #: The ``If-Match`` header, when the client sent one (conditional writes).
    if_match: str | None = None


class RequestRecorder:
    """ASGI middleware that hands every answered request to ``record``."""

    def __init__(self, app: ASGIApp, record: Callable[[ApiRequest], None]) -> None:
        self.app = app
        self.record = record

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 0
        chunks: list[bytes] = []
        recorded = False

        def record() -> None:
            nonlocal recorded
            if recorded:
                return
            recorded = True
            query = scope.get("query_string", b"").decode("latin-1")
            params = dict(parse_qsl(query, keep_blank_values=True))
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
            body: Any = None
            if "json" in headers.get("content-type", "") and chunks:
                try:
                    body = json.loads(b"".join(chunks))
                except ValueError:
                    body = None
            self.record(
                ApiRequest(scope["method"], scope["path"], params, status, body, headers.get("if-match"))
            )

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                record()  # before the last byte leaves: a client that has its answer sees it in the log
            await send(message)

        async def record_body() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
            return message

        await self.app(scope, record_body, record_status)
        record()


class LoopbackServer:
    """uvicorn on 127.0.0.1 and a free port, in a daemon thread."""

    def __init__(self, app: ASGIApp, name: str) -> None:
        self._app = app
        self._name = name
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.base_url: str | None = None

    def start(self) -> str:
        if self.base_url is not None:
            return self.base_url
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(
            self._app,
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=self._name, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                sock.close()
                raise RuntimeError(f"{self._name}: the server did not start")
            time.sleep(0.005)
        self._server, self._thread, self._socket = server, thread, sock
        self.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        return self.base_url

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None
        self.base_url = None
