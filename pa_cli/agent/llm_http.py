"""Send one BAML-rendered LLM request ourselves and read its stream (BAML's modular API).

BAML renders the request (``b.stream_request``) and parses the text (``b.parse_stream``,
``b.parse``); the HTTP in between is ours, on the caller's event loop, through httpcore
(httpx's engine, ~25 ms to import where httpx itself costs ~120 ms). That gives pa:

- every byte of the body as life: SSE keep-alive comments satisfy the first-byte wait and
  reset the idle wait (BAML's own stream hid them from its callers);
- partial parses at most every ``PARTIAL_EVERY_SECONDS`` (the per-chunk cost is ours: a
  server holding 200 streams no longer parses every chunk of each).

Connections are kept per event loop (one loop per process in ``pa ask`` and
``pa serve``), so a conversation reuses its connection to the provider; ``llm_pool``
keeps them (httpcore's own pool only behind a proxy: its bookkeeping grows with the
square of the connections a server holds).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pa_cli.agent.llm_sse import MalformedStream, Reply, SSEDecoder, apply_event

if TYPE_CHECKING:
    import httpcore

    from pa_cli.agent.ahead_http import AheadExchange
    from pa_cli.agent.llm_pool import ConnectionCache

#: Partial replies are parsed at most this often (the newest text wins).
PARTIAL_EVERY_SECONDS = 0.05
#: How much of an error response's body is read (its text is never shown: it may echo the prompt).
ERROR_BODY_LIMIT = 64 * 1024
#: BAML's own bookkeeping header, not for the provider.
_INTERNAL_HEADERS = frozenset({"baml-original-url"})


@dataclass(frozen=True)
class Rendered:
    """A request as BAML rendered it: what goes on the wire (headers hold the API key: never log them)."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes

    @classmethod
    def from_baml(cls, request: Any) -> Rendered:
        headers = {
            str(k): str(v)
            for k, v in dict(request.headers).items()
            if str(k).lower() not in _INTERNAL_HEADERS
        }
        return cls(
            method=str(request.method), url=str(request.url), headers=headers, body=bytes(request.body.raw())
        )

    def __repr__(self) -> str:  # no headers and no query: they carry the key (Gemini takes ``?key=``)
        return f"Rendered({self.method} {self.url.split('?', 1)[0]})"


class HttpStatus(Exception):
    """The provider answered with an error status (>= 400)."""

    def __init__(self, status: int, headers: dict[str, str]) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.headers = headers


class NoConnection(Exception):
    """No HTTP response at all: refused, unresolvable, TLS, or closed before answering."""


class ConnectTimedOut(Exception):
    """The connection did not open within ``llm.connect_timeout_seconds``."""


class StreamBroken(Exception):
    """The connection dropped after the response began."""


class Stalled(Exception):
    """Nothing arrived for ``llm.idle_timeout_seconds`` after the reply began."""


_pools: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[str | None, ConnectionCache | httpcore.AsyncConnectionPool]
] = weakref.WeakKeyDictionary()


def _pool(url: str) -> ConnectionCache | httpcore.AsyncConnectionPool:
    """This loop's connections for ``url`` (through the environment's proxy, if one applies)."""
    loop = asyncio.get_running_loop()
    pools = _pools.setdefault(loop, {})
    proxy = _proxy_for(url)
    pool = pools.get(proxy)
    if pool is None:
        from pa_cli.agent.llm_pool import KEEPALIVE_SECONDS, ConnectionCache

        if proxy is None:
            pool = pools[proxy] = ConnectionCache()
        else:
            import httpcore

            pool = pools[proxy] = httpcore.AsyncConnectionPool(
                max_connections=None,  # a server holds one stream per turn, hundreds at once
                keepalive_expiry=KEEPALIVE_SECONDS,
                proxy=httpcore.Proxy(proxy),
            )
    return pool


def _proxy_for(url: str) -> str | None:
    """The proxy the environment names for ``url`` (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY)."""
    if not any(name.lower().endswith("_proxy") for name in os.environ):
        return None  # the common case: no proxy, and urllib stays unimported
    import urllib.parse
    import urllib.request

    parts = urllib.parse.urlsplit(url)
    if urllib.request.proxy_bypass(parts.hostname or ""):
        return None
    proxies = urllib.request.getproxies_environment()
    return proxies.get(parts.scheme) or proxies.get("all") or None


async def exchange(
    request: Rendered,
    provider: str,
    *,
    connect_timeout: float,
    idle_timeout: float,
    on_life: Callable[[], None],
    on_text: Callable[[str], Awaitable[None]] | None = None,
    ahead: AheadExchange | None = None,
) -> Reply:
    """Send ``request`` and read the streamed reply to its end.

    ``ahead`` is the same request already sent by ``request_ahead`` (checked equal by the caller):
    its reply is read instead of sending ``request`` again, with the same errors and timeouts.

    ``on_life`` is called for every piece of the body (keep-alive comments too); ``on_text``
    gets the reply's whole text so far, at most every ``PARTIAL_EVERY_SECONDS``. Raises
    ``HttpStatus``, ``NoConnection``, ``ConnectTimedOut``, ``StreamBroken``, ``Stalled`` or
    ``MalformedStream``; a reply without its end marker comes back with ``finished`` False.
    """
    if ahead is not None:
        return await _adopt(ahead, provider, idle_timeout, on_life, on_text)
    import httpcore

    sys.audit("pa.llm.request_sent")  # for import-order checks (tests/cli/import_probe.py)
    extensions = {
        "timeout": {"connect": connect_timeout, "write": connect_timeout, "read": None, "pool": None},
    }
    try:
        async with _pool(request.url).stream(
            request.method,
            request.url,
            headers=list(request.headers.items()),
            content=request.body,
            extensions=extensions,
        ) as response:
            if response.status >= 400:
                with contextlib.suppress(httpcore.NetworkError, httpcore.RemoteProtocolError):
                    await _read_bounded(response)
                headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in response.headers}
                raise HttpStatus(response.status, headers)
            return await _read_stream(response, provider, idle_timeout, on_life, on_text)
    except httpcore.ConnectTimeout:
        raise ConnectTimedOut() from None
    except (httpcore.ConnectError, httpcore.UnsupportedProtocol, httpcore.ProxyError) as exc:
        raise NoConnection(type(exc).__name__) from None
    except (
        httpcore.ReadError,
        httpcore.WriteError,
        httpcore.RemoteProtocolError,
        httpcore.WriteTimeout,
    ) as exc:
        raise StreamBroken(type(exc).__name__) from None


class _AheadResponse:
    """An ``AheadExchange``'s reply read on this event loop, shaped like httpcore's response."""

    def __init__(self, ahead: AheadExchange) -> None:
        self._ahead = ahead
        self._ready = asyncio.Event()
        self._items: list[object] = []
        loop = asyncio.get_running_loop()

        def wake() -> None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody reads any more
                loop.call_soon_threadsafe(self._ready.set)

        ahead.attach(wake)

    async def next(self) -> object:
        while not self._items:
            self._ready.clear()  # before taking: a piece arriving after the take sets it again
            self._items.extend(self._ahead.take())
            if not self._items:
                await self._ready.wait()
        return self._items.pop(0)

    async def aiter_stream(self) -> AsyncIterator[bytes]:
        from pa_cli.agent.ahead_http import End, Failed

        while True:
            item = await self.next()
            if isinstance(item, End):
                return
            if isinstance(item, Failed):
                raise StreamBroken(item.detail)
            if isinstance(item, bytes):
                yield item


async def _adopt(
    ahead: AheadExchange,
    provider: str,
    idle_timeout: float,
    on_life: Callable[[], None],
    on_text: Callable[[str], Awaitable[None]] | None,
) -> Reply:
    """Read the reply of a request ``request_ahead`` sent before this loop existed."""
    from pa_cli.agent.ahead_http import Failed, Head

    response = _AheadResponse(ahead)
    try:
        first = await response.next()
        if isinstance(first, Failed):
            if first.kind == "connect_timeout":
                raise ConnectTimedOut()
            if first.kind == "no_connection":
                raise NoConnection(first.detail)
            raise StreamBroken(first.detail)
        if not isinstance(first, Head):
            raise StreamBroken("no response")
        if first.status >= 400:
            with contextlib.suppress(StreamBroken):
                await _read_bounded(response)
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in first.headers}
            raise HttpStatus(first.status, headers)
        return await _read_stream(response, provider, idle_timeout, on_life, on_text)
    finally:
        ahead.abort()  # read to its end, failed or abandoned: the connection is not reused


async def _read_bounded(response: Any) -> bytes:
    body = b""
    async for chunk in response.aiter_stream():
        body += chunk
        if len(body) >= ERROR_BODY_LIMIT:
            break
    return body


_END = object()


async def _read_stream(
    response: Any,
    provider: str,
    idle_timeout: float,
    on_life: Callable[[], None],
    on_text: Callable[[str], Awaitable[None]] | None,
) -> Reply:
    """Read the body on its own task; here, apply events, enforce the idle wait, parse partials."""
    queue: asyncio.Queue[object] = asyncio.Queue()

    async def pump() -> None:
        try:
            async for chunk in response.aiter_stream():
                queue.put_nowait(bytes(chunk))
        except BaseException as exc:  # handed over: the consumer raises it
            queue.put_nowait(exc)
            return
        queue.put_nowait(_END)

    reader = asyncio.get_running_loop().create_task(pump())
    reply, decoder = Reply(), SSEDecoder()
    last_byte = last_shown = time.monotonic()
    shown_length = 0
    try:
        while True:
            now = time.monotonic()
            wait = None if not reply.alive else max(0.0, last_byte + idle_timeout - now)
            pending = on_text is not None and len(reply.pieces) != shown_length
            if pending:
                until_show = max(0.0, last_shown + PARTIAL_EVERY_SECONDS - now)
                wait = until_show if wait is None else min(wait, until_show)
            try:
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
                # arrives as the item does, and a cancelled turn would then run on to its end.
                async with asyncio.timeout(wait):
                    item = await queue.get()
            except TimeoutError:
                now = time.monotonic()
                if pending and on_text is not None and now - last_shown >= PARTIAL_EVERY_SECONDS:
                    shown_length, last_shown = len(reply.pieces), now
                    await on_text(reply.text)
                    continue
                if reply.alive and now - last_byte >= idle_timeout:
                    raise Stalled() from None
                continue
            if item is _END:
                break
            if isinstance(item, BaseException):
                if on_text is not None and len(reply.pieces) != shown_length:
                    await on_text(reply.text)  # what arrived before the drop is shown, then the retry
                raise item
            if not isinstance(item, bytes):
                raise TypeError(f"unexpected {type(item).__name__} from the response stream")
            last_byte = time.monotonic()
            reply.alive = True
            on_life()
            for event, data in decoder.feed(item):
                apply_event(provider, reply, event, data)
            due = last_byte - last_shown >= PARTIAL_EVERY_SECONDS or shown_length == 0
            if on_text is not None and len(reply.pieces) != shown_length and due:
                shown_length, last_shown = len(reply.pieces), last_byte
                await on_text(reply.text)
        for event, data in decoder.close():
            apply_event(provider, reply, event, data)
        if on_text is not None and len(reply.pieces) != shown_length:
            await on_text(reply.text)  # the end of what streamed is shown, as BAML's last partial was
        return reply
    finally:
        if not reader.done():
            reader.cancel()
            with contextlib.suppress(BaseException):
                await reader


__all__ = [
    "ConnectTimedOut",
    "HttpStatus",
    "MalformedStream",
    "NoConnection",
    "Rendered",
    "Reply",
    "Stalled",
    "StreamBroken",
    "exchange",
]
