"""Keep-alive connections to LLM providers: per origin, a stack of idle ones; taking and giving back is O(1).

httpcore's ``AsyncConnectionPool`` (1.0.9) walks all its connections whenever a request
starts or ends, and for every idle one counts all of them again
(``_assign_requests_to_connections``). A server that has held 200 streams keeps 200
connections to its provider: each turn then cost tens of thousands of checks on the event
loop (py-spy: 12 % of a burst's samples). This cache hands a request an idle connection to
its origin, or a new one, and takes it back once the response is closed. Proxied requests
still go through httpcore's own pool (``AsyncHTTPProxy``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpcore

#: A connection that stays unused longer than this is closed (as the pool's ``keepalive_expiry`` did).
KEEPALIVE_SECONDS = 30.0


class ConnectionCache:
    """One event loop's keep-alive connections, without a limit: a server holds one stream per turn."""

    def __init__(self, keepalive_expiry: float = KEEPALIVE_SECONDS) -> None:
        import httpcore

        self._keepalive_expiry = keepalive_expiry
        self._backend = httpcore.AnyIOBackend()
        self._idle: dict[tuple[bytes, bytes, int | None], list[httpcore.AsyncHTTPConnection]] = {}

    def idle_count(self) -> int:
        return sum(len(stack) for stack in self._idle.values())

    @asynccontextmanager
    async def stream(
        self,
        method: str,
        url: str,
        *,
        headers: list[tuple[str, str]],
        content: bytes,
        extensions: dict[str, Any],
    ) -> AsyncIterator[httpcore.Response]:
        """Send the request on an idle connection (a fresh one if none can take it) and yield the response."""
        import httpcore

        target = httpcore.URL(url)
        request = httpcore.Request(
            method, target, headers=_framed(headers, target, content), content=content, extensions=extensions
        )
        origin = target.origin
        key = (origin.scheme, origin.host, origin.port)
        while True:
            connection = await self._take(key, origin)
            try:
                response = await connection.handle_async_request(request)
            except httpcore.ConnectionNotAvailable:  # closed by the other side while it waited: next
                await connection.aclose()
                continue
            except BaseException:
                await connection.aclose()
                raise
            break
        try:
            yield response
        finally:
            try:
                await response.aclose()
            finally:
                if connection.is_idle():
                    self._idle.setdefault(key, []).append(connection)
                else:
                    await connection.aclose()

    async def _take(
        self, key: tuple[bytes, bytes, int | None], origin: httpcore.Origin
    ) -> httpcore.AsyncHTTPConnection:
        import httpcore

        stack = self._idle.get(key, [])
        while stack:
            connection = stack.pop()  # the most recently used: the least likely to have timed out
            if connection.is_idle() and not connection.has_expired():
                return connection
            await connection.aclose()
        return httpcore.AsyncHTTPConnection(
            origin, keepalive_expiry=self._keepalive_expiry, network_backend=self._backend
        )


_DEFAULT_PORTS = {b"http": 80, b"https": 443}


def _framed(headers: list[tuple[str, str]], url: httpcore.URL, content: bytes) -> list[tuple[bytes, bytes]]:
    """The headers with Host and Content-Length, as httpcore's request interface adds them."""
    framed = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    names = {k.lower() for k, _ in framed}
    if b"host" not in names:
        port = url.port
        default = port is None or port == _DEFAULT_PORTS.get(url.scheme)
        framed.insert(0, (b"Host", url.host if port is None or default else b"%b:%d" % (url.host, port)))
    if b"content-length" not in names and b"transfer-encoding" not in names:
        framed.append((b"Content-Length", str(len(content)).encode("ascii")))
    return framed
