"""The LLM request sent ahead: one HTTP exchange on its own thread, begun before asyncio, httpcore
or BAML are imported, and adopted later by the event loop that would have sent it (``llm_http``).

Stdlib only (``http.client``), so that it can start a few tens of milliseconds into ``pa ask``. The
thread connects, writes the request and reads the reply's bytes into a queue; it never decides
anything. Timeouts after the connection (first byte, idle) are the adopter's (``StreamWatch`` and
``llm_http``), exactly as for a request it sends itself; ``abort`` shuts the socket so the provider
stops generating when the request is not adopted or the turn is cancelled.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import ssl

#: Bytes read per chunk of the reply (a read returns as soon as any bytes are there).
READ_SIZE = 64 * 1024


@dataclass(frozen=True)
class Head:
    """The reply's status line and headers."""

    status: int
    headers: list[tuple[bytes, bytes]]


@dataclass(frozen=True)
class Failed:
    """How the exchange failed, in ``llm_http``'s terms: "connect_timeout", "no_connection" or "broken"."""

    kind: str
    detail: str


class End:
    """The reply's body ended normally."""


END = End()
Item = Head | Failed | End | bytes


@dataclass(frozen=True)
class AheadRequest:
    """What goes on the wire (the headers hold the API key: never log them)."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes

    def __repr__(self) -> str:
        return f"AheadRequest({self.method} {self.url.split('?', 1)[0]})"


class AheadExchange:
    """One request in flight on a daemon thread; its reply's pieces wait in order until taken."""

    def __init__(self, request: AheadRequest, connect_timeout: float) -> None:
        import http.client  # noqa: F401  # here, not on the thread: the main thread is about to import a lot

        if request.url.startswith("https:"):
            import ssl  # noqa: F401

        self.request = request
        self._connect_timeout = connect_timeout
        self._lock = threading.Lock()
        self._items: deque[Item] = deque()
        self._wake: Callable[[], None] | None = None
        self._sock: socket.socket | None = None
        self._aborted = False
        self._thread = threading.Thread(target=self._run, name="pa-request-ahead", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ the adopter's side

    def attach(self, wake: Callable[[], None]) -> None:
        """``wake()`` is called (from the thread) whenever a piece arrives; once now if some wait."""
        with self._lock:
            self._wake = wake
            waiting = bool(self._items)
        if waiting:
            wake()

    def take(self) -> list[Item]:
        """Every piece that arrived since the last call, in order."""
        with self._lock:
            items = list(self._items)
            self._items.clear()
        return items

    def abort(self) -> None:
        """Close the connection (the provider stops); pieces still to come are dropped."""
        with self._lock:
            self._aborted = True
            sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)

    # ------------------------------------------------------------------ the thread

    def _push(self, item: Item) -> None:
        with self._lock:
            if self._aborted:
                return
            self._items.append(item)
            wake = self._wake
        if wake is not None:
            wake()

    def _run(self) -> None:
        import http.client

        request = self.request
        parts = urlsplit(request.url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn: http.client.HTTPConnection
        if parts.scheme == "https":
            conn = http.client.HTTPSConnection(
                parts.hostname or "", parts.port, timeout=self._connect_timeout, context=_tls_context()
            )
        else:
            conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=self._connect_timeout)
        sys.audit("pa.llm.request_ahead")  # for import-order checks (tests/cli/import_probe.py)
        try:
            try:
                conn.connect()
            except TimeoutError:
                self._push(Failed("connect_timeout", "TimeoutError"))
                return
            except OSError as exc:  # refused, unresolvable, TLS
                self._push(Failed("no_connection", type(exc).__name__))
                return
            with self._lock:
                self._sock = conn.sock
                aborted = self._aborted
            if aborted:
                return
            try:
                conn.request(request.method, path, body=request.body, headers=request.headers)
                sys.audit("pa.llm.request_sent")  # for import-order checks (tests/cli/import_probe.py)
                conn.sock.settimeout(None)  # the first-byte and idle waits are the adopter's
                response = conn.getresponse()
                headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.getheaders()]
                self._push(Head(response.status, headers))
                while chunk := response.read1(READ_SIZE):
                    self._push(chunk)
            except (OSError, http.client.HTTPException) as exc:
                self._push(Failed("broken", type(exc).__name__))
                return
            self._push(END)
        finally:
            conn.close()


def _tls_context() -> ssl.SSLContext:
    """The same trust as httpcore's (the system's defaults plus certifi's bundle)."""
    import ssl

    import certifi

    context = ssl.create_default_context()
    context.load_verify_locations(certifi.where())
    return context
