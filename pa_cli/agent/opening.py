"""An ``AgentService`` opened on a background thread, so that a front-end can draw before it is ready.

Opening the service means importing the ORM, migrating the database, loading the tool registry and
building the flow: about half a second of CPU that ``pa chat`` need not spend before its first screen.
``ServiceOpening(open_service)`` runs ``open_service()`` (normally ``AgentService.open(settings)``:
exactly the usual code, so migrations and the errors of an unusable database are the usual ones) on a
daemon thread from ``start()`` on (its owner chooses when: ``pa chat`` starts it after its first
frame, so that the import does not compete with drawing it). Whoever needs the service waits for it:
``result()`` from a thread, ``wait()`` from an event loop. A failure is kept and re-raised to every caller: nothing is sent or
stored without the service, and nothing is silently dropped.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pa_cli.agent.service import AgentService


class ServiceOpening:
    def __init__(self, open_service: Callable[[], AgentService]) -> None:
        self.future: Future[AgentService] = Future()
        self._open_service = open_service
        self._lock = threading.Lock()
        self._started = False

    @classmethod
    def opened(cls, service: AgentService) -> ServiceOpening:
        """An opening that is already done (a service built by the caller, as tests do)."""
        opening = cls(lambda: service)
        opening._started = True
        opening.future.set_result(service)
        return opening

    @property
    def done(self) -> bool:
        return self.future.done()

    @property
    def failed(self) -> bool:
        return self.future.done() and self.future.exception() is not None

    def start(self) -> None:
        """Begin opening (once; later calls do nothing). Safe from any thread."""
        with self._lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._open, name="pa-service-open", daemon=True).start()

    def _open(self) -> None:
        try:
            service = self._open_service()
        except BaseException as exc:  # kept for every caller (a StoreError, a bad config...)
            self.future.set_exception(exc)
        else:
            self.future.set_result(service)

    def result(self) -> AgentService:
        """The service, waiting for it (from a thread, never from an event loop); re-raises its error.

        It does not start the opening: a caller that could come first calls ``start()`` itself."""
        return self.future.result()

    def settle(self) -> None:
        """Wait for an opening under way to end, whatever its outcome (so that a migration is never
        cut short by the process exiting); nothing when it never started."""
        with self._lock:
            started = self._started
        if started:
            self.future.exception()  # waits; the error, if any, was shown by whoever needed the service

    async def wait(self) -> AgentService:
        """The service, awaited on the caller's event loop; re-raises its error (does not start it).

        Shielded: a waiter that is cancelled (a stopped turn) must not cancel the opening itself."""
        return await asyncio.shield(asyncio.wrap_future(self.future))
