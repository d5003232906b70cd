"""Turn events stored by group commit, so hundreds of live streams cost a few writes, not thousands.

Every SSE event is stored before it is sent (its row id is the SSE ``id:``). One
transaction per event costs about half a millisecond of the event loop's time, which
is most of what 200 streams of tokens can afford. Here the events of all streams wait
in one queue; a single writer thread stores everything queued in one transaction and
hands each caller its id. With one stream the wait is one small write; under load,
the events that arrive during a write share the next one.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from pa_cli.store.repositories.events import NewEvent

if TYPE_CHECKING:
    from pa_cli.store import Store

log = logging.getLogger(__name__)


class JournalClosed(RuntimeError):
    """The server is stopping; the event was not stored."""


class EventJournal:
    """Appends turn events for one process (one event loop), in batches, in order."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._queue: list[tuple[NewEvent, asyncio.Future[int]]] = []
        self._wake: asyncio.Event | None = None
        self._writer: asyncio.Task[None] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pa-journal")
        self._closed = False
        self.writes = 0  # transactions and events written, for tests
        self.events = 0

    @property
    def closed(self) -> bool:
        return self._closed

    def submit(self, session_id: str, turn_id: str, type: str, data: dict[str, Any]) -> asyncio.Future[int]:
        """Queue one event (with whatever else is waiting); the future gets its id once it is
        committed. Events keep their order."""
        if self._closed:
            raise JournalClosed("the event journal is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int] = loop.create_future()
        self._queue.append((NewEvent(session_id, turn_id, type, data), future))
        if self._writer is None or self._writer.done():
            self._wake = asyncio.Event()
            self._writer = loop.create_task(self._write_loop(), name="pa-event-journal")
        assert self._wake is not None
        self._wake.set()
        return future

    async def _write_loop(self) -> None:
        assert self._wake is not None
        wake = self._wake
        loop = asyncio.get_running_loop()
        while True:
            await wake.wait()
            wake.clear()
            batch, self._queue = self._queue, []
            if not batch:
                continue
            try:
                ids = await loop.run_in_executor(
                    self._executor, self._store.events.append_many, [event for event, _ in batch]
                )
            except asyncio.CancelledError:
                _fail(batch, JournalClosed("the server stopped before the event was stored"))
                raise
            except Exception as exc:
                log.error("storing %d turn event(s) failed: %s", len(batch), type(exc).__name__)
                _fail(batch, exc)
                continue
            self.writes += 1
            self.events += len(batch)
            for (_, future), event_id in zip(batch, ids, strict=True):
                if not future.done():
                    future.set_result(event_id)

    async def close(self) -> None:
        """Stop taking events, fail what is still queued, and stop the writer thread."""
        self._closed = True
        writer, self._writer = self._writer, None
        if writer is not None and not writer.done():
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)
        batch, self._queue = self._queue, []
        _fail(batch, JournalClosed("the server stopped before the event was stored"))
        self._executor.shutdown(wait=True)


def _fail(batch: list[tuple[NewEvent, asyncio.Future[int]]], exc: BaseException) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(exc)
