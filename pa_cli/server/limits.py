"""Per-client rate limits (chat turns, tool executions) and the request size limit.

The counts are kept in the database (``store.rate_limits``), so every worker of
``pa serve --workers N``, and every host on one PostgreSQL database, counts a
client's requests together: the limit a device gets does not grow with the
number of workers. It costs one small write per chat turn and per tool call.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pa_cli.server.errors import ApiError
from pa_cli.tools.base import ToolError

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from pa_cli.store import Store
    from pa_cli.tools.base import Tool, ToolContext, ToolGuard


@dataclass(frozen=True)
class Limits:
    chat_per_minute: int = 30
    tool_calls_per_minute: int = 60
    max_body_bytes: int = 2 * 1024 * 1024
    window_seconds: float = 60.0
    #: Google authorizations started per minute (each stores a pending state until it expires).
    authorizations_per_minute: int = 10

    @classmethod
    def from_settings(cls, server: Any) -> Limits:
        """The defaults, or ``server.chat_per_minute`` / ``tool_calls_per_minute`` / ``max_body_bytes``
        where the configuration has them."""
        defaults = cls()
        return cls(
            chat_per_minute=int(getattr(server, "chat_per_minute", defaults.chat_per_minute)),
            tool_calls_per_minute=int(
                getattr(server, "tool_calls_per_minute", defaults.tool_calls_per_minute)
            ),
            max_body_bytes=int(getattr(server, "max_body_bytes", defaults.max_body_bytes)),
            authorizations_per_minute=int(
                getattr(server, "authorizations_per_minute", defaults.authorizations_per_minute)
            ),
        )


class SharedWindow:
    """At most ``limit`` hits per client in any ``window`` seconds, counted in the database."""

    def __init__(
        self, store: Store, kind: str, limit: int, window: float, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.kind = kind
        self.limit = limit
        self.window = window
        self._clock = clock

    def _key(self, client_id: str) -> str:
        return f"{self.kind}:{client_id}"

    def retry_after(self, client_id: str) -> float | None:
        """Seconds until one more hit is allowed; None when it is allowed now."""
        return self.store.rate_limits.retry_after(
            self._key(client_id), self.limit, self.window, self._clock()
        )

    def hit(self, client_id: str) -> float | None:
        """Record a hit if allowed (None); else the seconds to wait, nothing recorded."""
        return self.store.rate_limits.hit(self._key(client_id), self.limit, self.window, self._clock())


class RateLimiter:
    def __init__(self, limits: Limits, store: Store, clock: Callable[[], float] = time.time) -> None:
        self.limits = limits
        self.chat = SharedWindow(store, "chat", limits.chat_per_minute, limits.window_seconds, clock)
        self.tools = SharedWindow(store, "tool", limits.tool_calls_per_minute, limits.window_seconds, clock)
        self.authorizations = SharedWindow(
            store, "authorize", limits.authorizations_per_minute, limits.window_seconds, clock
        )

    def admit_turn(self, client_id: str) -> None:
        """Count a chat turn (or an approval that resumes one); 429 when over either limit."""
        wait = self.tools.retry_after(client_id)
        if wait is not None:
            raise too_many("tool executions", self.limits.tool_calls_per_minute, wait)
        wait = self.chat.hit(client_id)
        if wait is not None:
            raise too_many("chat requests", self.limits.chat_per_minute, wait)

    def admit_authorization(self, client_id: str) -> None:
        """Count a Google authorization started over HTTP; 429 when over the limit."""
        wait = self.authorizations.hit(client_id)
        if wait is not None:
            raise too_many("authorization requests", self.limits.authorizations_per_minute, wait)


def too_many(what: str, limit: int, wait: float) -> ApiError:
    seconds = max(1, math.ceil(wait))
    return ApiError(
        429,
        "rate_limited",
        f"rate limit: at most {limit} {what} a minute for this device; try again in {seconds} s",
        headers={"Retry-After": str(seconds)},
    )


#: A refused body up to this size is read to its end before the 413 goes out.
DRAIN_BYTES = 32 * 1024 * 1024


def tool_execution_guard(limiter: RateLimiter) -> ToolGuard:
    """A ToolGuard that counts every tool call made for an API client against its tool limit.

    A call over the limit does not run: it fails like a tool error (the LLM is told, the audit
    log records it), and the client's next chat request gets a 429.
    """

    def guard(tool: Tool, ctx: ToolContext) -> None:
        if ctx.client_id is None:
            return
        wait = limiter.tools.hit(ctx.client_id)
        if wait is not None:
            raise ToolError(too_many("tool executions", limiter.limits.tool_calls_per_minute, wait).message)

    return guard


class BodySizeLimit:
    """ASGI middleware: 413 (JSON error body) for request bodies over ``max_bytes``.

    A declared Content-Length over the limit is refused before the app runs; a
    chunked body is counted as it is read and refused when it goes over.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    from starlette.exceptions import HTTPException

                    raise HTTPException(413, detail=self._message())
            return message

        await self.app(scope, counting_receive, send)

    def _message(self) -> str:
        return f"the request body is larger than {self.max_bytes} bytes"

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        from pa_cli.server.errors import error_response

        # Read (and drop) a moderately large body first: a client that is still sending when the
        # answer comes and the connection closes would see a reset instead of the 413.
        drained = 0
        while drained <= DRAIN_BYTES:
            message = await receive()
            if message["type"] != "http.request":
                break
            drained += len(message.get("body", b""))
            if not message.get("more_body", False):
                break

        response = error_response(413, "payload_too_large", self._message(), headers={"Connection": "close"})
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
