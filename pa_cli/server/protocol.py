"""uvicorn's h11 protocol with a deadline for request headers.

uvicorn closes idle keep-alive connections, but a client that sends a request's
headers one byte at a time keeps its connection (and a file descriptor, and a
slot) forever: every byte resets nothing and nothing times out. Here each
request's headers must be complete within ``header_timeout`` seconds of the
connection opening (first request) or of their first byte (later requests on a
kept-alive connection); otherwise the connection is closed.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

DEFAULT_HEADER_TIMEOUT = 15.0


#: The attribute of ``uvicorn.Config`` that carries the deadline (the config is pickled to workers).
CONFIG_ATTRIBUTE = "pa_header_timeout"


class HeaderDeadlineProtocol(H11Protocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = float(getattr(self.config, CONFIG_ATTRIBUTE, DEFAULT_HEADER_TIMEOUT))
        self._header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE:  # still reading a request line and headers
            if self._header_deadline is None:
                self._arm()
        else:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._header_deadline = self.loop.call_later(self.header_timeout, self._expired)

    def _disarm(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _expired(self) -> None:
        self._header_deadline = None
        if self.conn.their_state is h11.IDLE:  # the headers never came complete
            self.transport.close()
