"""The LLM request sent ahead: one HTTP exchange on its own thread, begun before asyncio, httpcore
or BAML are imported, and adopted later by the event loop that would have sent it (``llm_http``).

Sockets only (``http.client`` and its ``email`` package were ~40 ms of CPU to import, more than
all the rest), so that it can start a few tens of milliseconds into ``pa ask``: ``request_bytes``
writes the HTTP/1.1 request and ``ResponseReader`` reads the reply's framing (RFC 9112). The
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
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import ssl

#: Bytes read per chunk of the reply (a read returns as soon as any bytes are there).
READ_SIZE = 64 * 1024


class Head(NamedTuple):
    """The reply's status line and headers."""

    status: int
    headers: list[tuple[bytes, bytes]]


class Failed(NamedTuple):
    """How the exchange failed, in ``llm_http``'s terms: "connect_timeout", "no_connection" or "broken"."""

    kind: str
    detail: str


class End:
    """The reply's body ended normally."""


END = End()
Item = Head | Failed | End | bytes


class AheadRequest(NamedTuple):
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
        if request.url.startswith("https:"):  # here, not on the thread: the main thread imports a lot now
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
        request = self.request
        parts = urlsplit(request.url)
        https = parts.scheme == "https"
        host = parts.hostname or ""
        sys.audit("pa.llm.request_ahead")  # for import-order checks (tests/cli/import_probe.py)
        try:
            wire = request_bytes(request)
        except ValueError as exc:  # a header with a line break: never written
            self._push(Failed("no_connection", str(exc)))
            return
        try:
            sock = socket.create_connection(
                (host, parts.port or (443 if https else 80)), self._connect_timeout
            )
            if https:
                sock = _tls_context().wrap_socket(sock, server_hostname=host)
        except TimeoutError:
            self._push(Failed("connect_timeout", "TimeoutError"))
            return
        except OSError as exc:  # refused, unresolvable, TLS
            self._push(Failed("no_connection", type(exc).__name__))
            return
        with self._lock:
            self._sock = sock
            aborted = self._aborted
        try:
            if aborted:
                return
            try:
                sock.sendall(wire)  # within the connect timeout, as httpcore's write timeout
                sys.audit("pa.llm.request_sent")  # for import-order checks (tests/cli/import_probe.py)
                sock.settimeout(None)  # the first-byte and idle waits are the adopter's
                reader = ResponseReader(sock.recv)
                status, headers = reader.head()
                self._push(Head(status, headers))
                for chunk in reader.body(headers):
                    self._push(chunk)
            except (OSError, ValueError) as exc:
                self._push(Failed("broken", type(exc).__name__))
                return
            self._push(END)
        finally:
            sock.close()


def request_bytes(request: AheadRequest) -> bytes:
    """The HTTP/1.1 request on the wire (the connection closes after the reply: it is not reused)."""
    parts = urlsplit(request.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = [f"{request.method} {target} HTTP/1.1", f"Host: {parts.netloc.rpartition('@')[2]}"]
    names = {name.lower() for name in request.headers}
    for name, value in request.headers.items():
        if any(c in name + value for c in "\r\n\0") or not name or ":" in name:
            raise ValueError("a header that cannot be written")
        lines.append(f"{name}: {value}")
    if "content-length" not in names:
        lines.append(f"Content-Length: {len(request.body)}")
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + request.body


class ResponseReader:
    """An HTTP/1.1 response read from ``recv``: its head, then its body as the bytes arrive.

    The body is delimited as RFC 9112 says: chunked transfer coding, else Content-Length, else the
    connection's end. Interim (1xx) responses are skipped. Malformed framing raises ValueError; a
    connection that ends too early raises ConnectionError."""

    LINE_LIMIT = 64 * 1024

    def __init__(self, recv: Callable[[int], bytes]) -> None:
        self._recv = recv
        self._buffer = b""

    def _more(self) -> bool:
        data = self._recv(READ_SIZE)
        self._buffer += data
        return bool(data)

    def _line(self) -> bytes:
        while (end := self._buffer.find(b"\r\n")) < 0:
            if len(self._buffer) > self.LINE_LIMIT:
                raise ValueError("a line too long")
            if not self._more():
                raise ConnectionError("closed within a line")
        line, self._buffer = self._buffer[:end], self._buffer[end + 2 :]
        return line

    def head(self) -> tuple[int, list[tuple[bytes, bytes]]]:
        while True:
            version, _, rest = self._line().partition(b" ")
            code = rest[:3]
            if not version.startswith(b"HTTP/1.") or len(code) != 3 or not code.isdigit():
                raise ValueError("not an HTTP/1.x status line")
            headers: list[tuple[bytes, bytes]] = []
            while line := self._line():
                name, colon, value = line.partition(b":")
                if not colon or not name or name != name.strip():
                    raise ValueError("a malformed header line")
                headers.append((name, value.strip()))
                if len(headers) > 200:
                    raise ValueError("too many headers")
            status = int(code)
            if not 100 <= status < 200:
                return status, headers

    def body(self, headers: list[tuple[bytes, bytes]]) -> Iterator[bytes]:
        fields = {name.lower(): value for name, value in headers}
        if b"chunked" in fields.get(b"transfer-encoding", b"").lower():
            yield from self._chunked()
        elif (length := fields.get(b"content-length")) is not None:
            if not length.isdigit():
                raise ValueError("a malformed Content-Length")
            yield from self._exactly(int(length))
        else:
            while True:
                if self._buffer:
                    data, self._buffer = self._buffer, b""
                    yield data
                if not self._more():
                    return

    def _exactly(self, size: int) -> Iterator[bytes]:
        while size > 0:
            if not self._buffer and not self._more():
                raise ConnectionError("closed within the body")
            piece, self._buffer = self._buffer[:size], self._buffer[size:]
            size -= len(piece)
            yield piece

    def _chunked(self) -> Iterator[bytes]:
        while True:
            size_text = self._line().split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise ValueError("a malformed chunk size") from None
            if size < 0 or not size_text:
                raise ValueError("a malformed chunk size")
            if size == 0:
                while self._line():  # trailer fields, up to the blank line
                    pass
                return
            yield from self._exactly(size)
            if self._line():
                raise ValueError("a chunk not ended by CRLF")


def _tls_context() -> ssl.SSLContext:
    """The same trust as httpcore's (the system's defaults plus certifi's bundle)."""
    import ssl

    import certifi

    context = ssl.create_default_context()
    context.load_verify_locations(certifi.where())
    return context
