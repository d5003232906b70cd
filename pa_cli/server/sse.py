"""A turn's events as Server-Sent Events, numbered by the database and replayable.

Every event is stored (through the process's ``EventJournal``, which writes the
events of all streams in shared transactions) before it is sent, and its row id is
the SSE ``id:``. A client that reconnects with ``Last-Event-ID`` gets the rest
of that turn from the database, from whichever worker answers. When the client
is slower than the agent, consecutive ``token`` events are merged (the text is
all there, in fewer events). A turn that ends without ``done`` or ``error``
(client gone, server shutting down) gets a final ``error`` event stored, so a
replay always ends.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import anyio
from sse_starlette import EventSourceResponse, ServerSentEvent

from pa_cli.agent.events import Error, TextDelta

if TYPE_CHECKING:
    from pa_cli.agent.events import Event, SessionStarted
    from pa_cli.server.journal import EventJournal
    from pa_cli.store import Store

log = logging.getLogger(__name__)

TERMINAL = frozenset({"done", "error"})
PING_SECONDS = 15.0
#: sse-starlette sets the shutdown event; the stream then has this long to stop the turn and say so.
SHUTDOWN_GRACE_SECONDS = 5.0
CLEANUP_SECONDS = 5.0
REPLAY_POLL_SECONDS = 0.2

SHUTDOWN_ERROR = Error(code="server_shutdown", message="the server is shutting down; the turn was stopped")
DISCONNECT_ERROR = Error(code="cancelled", message="the client went away; the turn was stopped")
_END = object()
_SHUTDOWN = object()


class TurnEventStream(EventSourceResponse):  # type: ignore[misc]
    """``text/event-stream`` (the class attribute lets the OpenAPI document say so)."""

    media_type = "text/event-stream"


def encode(event_id: int | None, type: str, data: dict[str, Any]) -> ServerSentEvent:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return ServerSentEvent(text, event=type, id=None if event_id is None else str(event_id), sep="\n")


def coalesce(batch: list[object]) -> list[object]:
    """Merge runs of text deltas (sentinels and other events keep their place)."""
    merged: list[object] = []
    for item in batch:
        if isinstance(item, TextDelta) and merged and isinstance(merged[-1], TextDelta):
            merged[-1] = TextDelta(text=merged[-1].text + item.text)
        else:
            merged.append(item)
    return merged


class TurnStream:
    """Pumps a turn's events (after its ``session`` event) to the client, storing each first."""

    def __init__(
        self,
        store: Store,
        journal: EventJournal,
        first: SessionStarted,
        rest: AsyncIterator[Event],
        shutdown: anyio.Event,
    ) -> None:
        self.store = store
        self.journal = journal
        self.first = first
        self.rest = rest
        self.shutdown = shutdown
        self.session_id = first.session_id
        self.turn_id = first.turn_id
        self.ended = False
        self._queue: asyncio.Queue[object] = asyncio.Queue()
        self._pump: asyncio.Task[None] | None = None
        self._watch: asyncio.Task[None] | None = None

    async def _persist(self, events: list[Event]) -> list[ServerSentEvent]:
        """Store ``events`` (in one journal write when they arrive together), then encode them."""
        payloads = [event.payload() for event in events]
        pending = [
            self.journal.submit(self.session_id, self.turn_id, event.type, data)
            for event, data in zip(events, payloads, strict=True)
        ]
        encoded = []
        try:
            for event, data, future in zip(events, payloads, pending, strict=True):
                encoded.append(encode(await future, event.type, data))
                if event.type in TERMINAL:
                    self.ended = True
        except BaseException:
            for future in pending:  # nobody will wait for the rest: no "never retrieved" noise
                if not future.cancel() and not future.cancelled():
                    future.exception()
            raise
        return encoded

    async def _run_pump(self) -> None:
        try:
            async for event in self.rest:
                self._queue.put_nowait(event)
        except Exception as exc:  # the agent turns its failures into Error events; this is a last resort
            log.error("turn stream failed: %s", type(exc).__name__)
            self._queue.put_nowait(
                Error(code="internal", message=f"unexpected failure ({type(exc).__name__})")
            )
        finally:
            self._queue.put_nowait(_END)

    async def _watch_shutdown(self) -> None:
        await self.shutdown.wait()
        self._queue.put_nowait(_SHUTDOWN)

    async def _stop_turn(self) -> None:
        """Cancel the agent's turn and wait (shielded, bounded) until it has tidied up."""
        if self._watch is not None:
            self._watch.cancel()
        pump = self._pump
        if pump is None or pump.done():
            return
        pump.cancel()
        with anyio.move_on_after(CLEANUP_SECONDS, shield=True):
            await asyncio.wait([pump])

    def _drain(self) -> list[object]:
        items: list[object] = []
        while not self._queue.empty():
            items.append(self._queue.get_nowait())
        return items

    async def events(self) -> AsyncIterator[ServerSentEvent]:
        self._pump = asyncio.create_task(self._run_pump())
        self._watch = asyncio.create_task(self._watch_shutdown())
        try:
            for sse in await self._persist([self.first]):
                yield sse
            while True:
                items = coalesce([await self._queue.get(), *self._drain()])
                stop = next((n for n, item in enumerate(items) if item is _END or item is _SHUTDOWN), None)
                for sse in await self._persist(items[:stop]):  # type: ignore[arg-type]
                    yield sse
                if stop is None:
                    continue
                if items[stop] is _END:
                    return
                await self._stop_turn()  # shutting down: what the turn said meanwhile, then the end
                late: list[Event] = coalesce(  # type: ignore[assignment]
                    [i for i in [*items[stop + 1 :], *self._drain()] if i is not _END and i is not _SHUTDOWN]
                )
                if not self.ended and not any(e.type in TERMINAL for e in late):
                    late.append(SHUTDOWN_ERROR)
                for sse in await self._persist(late):
                    yield sse
                return
        except Exception as exc:
            log.error("sending a turn failed: %s", type(exc).__name__)
            yield encode(None, "error", {"code": "internal", "message": "the event stream failed"})
        finally:
            await self._stop_turn()
            if not self.ended:
                self._mark_ended(DISCONNECT_ERROR)

    def _mark_ended(self, error: Error) -> None:
        try:
            self.store.events.append(self.session_id, self.turn_id, error.type, error.payload())
            self.ended = True
        except Exception as exc:
            log.error("could not record the end of a turn: %s", type(exc).__name__)


async def replay(
    store: Store,
    session_id: str,
    turn_id: str,
    last_id: int,
    last_type: str,
    shutdown: anyio.Event,
    *,
    idle_limit: float,
) -> AsyncIterator[ServerSentEvent]:
    """The turn's events after ``last_id``, following it while it is still running elsewhere."""
    idle = 0.0
    ended = last_type in TERMINAL
    while True:
        rows = store.events.after(session_id, turn_id, last_id)
        for row in rows:
            last_id = row.id
            yield encode(row.id, row.type, row.data)
            if row.type in TERMINAL:
                return
        if rows:
            idle = 0.0
            continue
        if ended:
            return  # the client saw the end already and nothing followed
        if shutdown.is_set():
            yield encode(None, "error", SHUTDOWN_ERROR.payload())
            return
        if idle >= idle_limit:
            message = "no further events for this turn arrived; it may have been lost (the server that ran it stopped?)"
            yield encode(None, "error", {"code": "turn_unavailable", "message": message})
            return
        await asyncio.sleep(REPLAY_POLL_SECONDS)
        idle += REPLAY_POLL_SECONDS


def sse_response(
    content: AsyncIterator[ServerSentEvent], shutdown: anyio.Event, ping: float
) -> TurnEventStream:
    return TurnEventStream(
        content,
        ping=ping,
        sep="\n",
        shutdown_event=shutdown,
        shutdown_grace_period=SHUTDOWN_GRACE_SECONDS,
        headers={"Cache-Control": "no-store"},
    )


SSE_RESPONSE_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": (
            "Server-Sent Events, each with an `id:` (replay the rest of the turn after a reconnect by sending "
            "`Last-Event-ID`). `event:` is one of `session` ({session_id, turn_id, resumed}), `token` ({text}), "
            "`tool_start` ({call_id, tool, arguments}), `tool_end` ({call_id, tool, ok, summary, status}), "
            "`approval_required` ({id, tool, preview, expires_at}), `plan` ({steps}), `done` ({response, "
            "session_id, tools_used, usage, pending_approvals, incomplete}) or `error` ({code, message}); "
            "`data:` is JSON. Comment lines (`: ping`) keep the connection alive."
        ),
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }
}
