"""Turns owned by the server process, not by the request that started them.

A turn started over HTTP runs as a task of its own (``TurnRunner.start``): its
events are stored through the ``EventJournal`` (coalescing runs of text deltas
when the journal is slower than the agent) and kept in memory while it runs, for
the connections that follow it (``Follower``). A client that goes away stops
nothing: it reconnects with ``Last-Event-ID`` and gets the rest. Only
``TurnRunner.cancel`` (``POST .../sessions/{id}/cancel``) and server shutdown
stop a turn; either way the agent keeps the partial answer (marked incomplete)
and the turn's stored events end with an ``error`` event, so every replay ends.

A cancel that reaches another worker (or host) than the one running the turn is
stored as a request (``store.turn_cancels``); each process with running turns
looks for requests about them twice a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pa_cli.agent.events import Error, TextDelta

if TYPE_CHECKING:
    from pa_cli.agent.events import Event, SessionStarted
    from pa_cli.server.journal import EventJournal
    from pa_cli.store import Store

log = logging.getLogger(__name__)

TERMINAL = frozenset({"done", "error"})
#: How long a stopped turn may take to tidy up (store its partial answer) before it is left behind.
CLEANUP_SECONDS = 5.0
#: While turns run, the database is asked this often whether another worker was asked to cancel one.
CANCEL_POLL_SECONDS = 0.5

CANCELLED_ERROR = Error(code="cancelled", message="the turn was cancelled")
SHUTDOWN_ERROR = Error(code="server_shutdown", message="the server is shutting down; the turn was stopped")
_END = object()


def coalesce(batch: list[object]) -> list[object]:
    """Merge runs of text deltas (sentinels and other events keep their place)."""
    merged: list[object] = []
    for item in batch:
        if isinstance(item, TextDelta) and merged and isinstance(merged[-1], TextDelta):
            merged[-1] = TextDelta(text=merged[-1].text + item.text)
        else:
            merged.append(item)
    return merged


class Follower:
    """One connection following a turn: woken when the turn has news or the connection must end."""

    def __init__(self) -> None:
        self.wake = asyncio.Event()
        self.revoked = False
        self.shutting_down = False

    def set(self) -> None:
        """Called by sse-starlette (as its ``shutdown_event``) when the server begins to stop."""
        self.shutting_down = True
        self.wake.set()

    def revoke(self) -> None:
        self.revoked = True
        self.wake.set()


@dataclass(eq=False)
class LiveTurn:
    session_id: str
    turn_id: str
    client_id: str | None
    #: (event id, event) in order; the id is None only when storing the event failed.
    items: list[tuple[int | None, Event]] = field(default_factory=list)
    ended: bool = False
    stop_reason: Error | None = None
    followers: set[Follower] = field(default_factory=set)
    task: asyncio.Task[None] | None = None
    reader: asyncio.Task[None] | None = None

    def publish(self, item: tuple[int | None, Event]) -> None:
        self.items.append(item)
        if item[1].type in TERMINAL:
            self.ended = True
        self.notify()

    def notify(self) -> None:
        for follower in self.followers:
            follower.wake.set()

    def index_after(self, event_id: int) -> int:
        """The position of the first item after ``event_id``."""
        for n, (item_id, _) in enumerate(self.items):
            if item_id is not None and item_id > event_id:
                return n
        return len(self.items)

    async def follow(self, follower: Follower, start: int = 0) -> AsyncIterator[tuple[int | None, Event]]:
        """The turn's items from ``start``, live, until its terminal event (or the follower must stop:
        then the iteration simply ends and the caller looks at the follower's flags)."""
        self.followers.add(follower)
        try:
            position = start
            while True:
                follower.wake.clear()
                while position < len(self.items):
                    item = self.items[position]
                    position += 1
                    yield item
                    if item[1].type in TERMINAL:
                        return
                if self.ended or follower.revoked or follower.shutting_down:
                    return
                await follower.wake.wait()
        finally:
            self.followers.discard(follower)


class TurnRunner:
    """The turns running in this process."""

    def __init__(self, store: Store, journal: EventJournal) -> None:
        self.store = store
        self.journal = journal
        self._turns: dict[str, LiveTurn] = {}
        self._closing = False
        self._cancel_watch: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()

    async def start(
        self, first: SessionStarted, rest: AsyncIterator[Event], client_id: str | None
    ) -> LiveTurn:
        """Run the turn whose ``session`` event is ``first`` as a task of this process; its first
        event is stored before this returns."""
        turn = LiveTurn(first.session_id, first.turn_id, client_id)
        self._turns[turn.turn_id] = turn
        try:
            event_id = await self.journal.submit(turn.session_id, turn.turn_id, first.type, first.payload())
        except BaseException:
            self._turns.pop(turn.turn_id, None)
            with contextlib.suppress(Exception):
                await _aclose(rest)
            raise
        turn.publish((event_id, first))
        turn.task = asyncio.create_task(self._run(turn, rest), name=f"pa-turn-{turn.turn_id}")
        if self._cancel_watch is None or self._cancel_watch.done():
            self._cancel_watch = asyncio.create_task(self._watch_cancels(), name="pa-turn-cancels")
        return turn

    def get(self, turn_id: str) -> LiveTurn | None:
        return self._turns.get(turn_id)

    def running_in(self, session_id: str) -> list[LiveTurn]:
        return [t for t in self._turns.values() if t.session_id == session_id and not t.ended]

    async def cancel(self, turn: LiveTurn, reason: Error = CANCELLED_ERROR) -> None:
        """Stop ``turn`` and wait (bounded) until its end is stored."""
        if turn.stop_reason is None:
            turn.stop_reason = reason
        if turn.reader is not None and not turn.reader.done():
            turn.reader.cancel()
        if turn.task is not None:
            await asyncio.wait([turn.task], timeout=CLEANUP_SECONDS * 2)

    async def shutdown(self) -> None:
        """Stop every running turn (each stores its partial answer and a ``server_shutdown`` end)."""
        self._closing = True
        turns = list(self._turns.values())
        if turns:
            await asyncio.gather(*(self.cancel(t, SHUTDOWN_ERROR) for t in turns))
        watch, self._cancel_watch = self._cancel_watch, None
        if watch is not None and not watch.done():
            watch.cancel()
            await asyncio.gather(watch, return_exceptions=True)

    async def _watch_cancels(self) -> None:
        """Cancel the turns another worker was asked to cancel, while any run here."""
        while self._turns:
            await asyncio.sleep(CANCEL_POLL_SECONDS)
            try:
                wanted = self.store.turn_cancels.requested(list(self._turns))
            except Exception as exc:  # a database hiccup: look again next time
                log.warning("looking for cancel requests failed: %s", type(exc).__name__)
                continue
            for turn_id in wanted:
                turn = self._turns.get(turn_id)
                if turn is not None and turn.stop_reason is None:
                    turn.stop_reason = CANCELLED_ERROR
                    task = asyncio.create_task(self._cancel_requested(turn))
                    self._background.add(task)
                    task.add_done_callback(self._background.discard)

    async def _cancel_requested(self, turn: LiveTurn) -> None:
        await self.cancel(turn)
        try:
            self.store.turn_cancels.clear(turn.turn_id)
        except Exception as exc:
            log.warning("clearing a cancel request failed: %s", type(exc).__name__)

    async def _read(self, rest: AsyncIterator[Event], queue: asyncio.Queue[object]) -> None:
        try:
            async for event in rest:
                queue.put_nowait(event)
        except Exception as exc:  # the agent turns its failures into Error events; this is a last resort
            log.error("turn failed: %s", type(exc).__name__)
            queue.put_nowait(Error(code="internal", message=f"unexpected failure ({type(exc).__name__})"))
        finally:
            queue.put_nowait(_END)

    async def _run(self, turn: LiveTurn, rest: AsyncIterator[Event]) -> None:
        queue: asyncio.Queue[object] = asyncio.Queue()
        turn.reader = asyncio.create_task(self._read(rest, queue))
        try:
            while not turn.ended:
                batch = coalesce([await queue.get(), *_drain(queue)])
                events: list[Event] = [item for item in batch if item is not _END]  # type: ignore[misc]
                if turn.stop_reason is not None:
                    # Stopped: what the agent said until then, then the reason (unless it ended anyway).
                    events = [e for e in events if e.type not in TERMINAL]
                await self._store(turn, events)
                if _END in batch:
                    break
            if not turn.ended:
                reason = turn.stop_reason or Error(
                    code="internal", message="the turn ended without an answer"
                )
                await self._store(turn, [reason])
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error("storing a turn's events failed: %s", type(exc).__name__)
            turn.publish((None, Error(code="internal", message="the event stream failed")))
        finally:
            if turn.reader is not None and not turn.reader.done():
                turn.reader.cancel()
                await asyncio.wait([turn.reader], timeout=CLEANUP_SECONDS)
            if not turn.ended:
                turn.ended = True
                turn.notify()
            self._turns.pop(turn.turn_id, None)

    async def _store(self, turn: LiveTurn, events: list[Event]) -> None:
        """Store ``events`` (together, when they came together), then hand them to the followers."""
        if not events:
            return
        payloads = [event.payload() for event in events]
        if self.journal.closed:
            loop = asyncio.get_running_loop()
            for event, data in zip(events, payloads, strict=True):
                event_id = await loop.run_in_executor(
                    None, self.store.events.append, turn.session_id, turn.turn_id, event.type, data
                )
                turn.publish((event_id, event))
            return
        pending = [
            self.journal.submit(turn.session_id, turn.turn_id, event.type, data)
            for event, data in zip(events, payloads, strict=True)
        ]
        try:
            for event, future in zip(events, pending, strict=True):
                turn.publish((await future, event))
        except BaseException:
            for future in pending:  # nobody will wait for the rest: no "never retrieved" noise
                if not future.cancel() and not future.cancelled():
                    future.exception()
            raise


def _drain(queue: asyncio.Queue[object]) -> list[object]:
    items: list[object] = []
    while not queue.empty():
        items.append(queue.get_nowait())
    return items


async def _aclose(events: AsyncIterator[Event]) -> None:
    aclose = getattr(events, "aclose", None)
    if aclose is not None:
        await aclose()
