"""The ``Store`` opened in a background thread, so a turn's LLM request need not wait for the ORM.

``StoreOpening(settings)`` runs ``open_store`` (SQLAlchemy import, engine, migrations: exactly the
usual code) on a daemon thread, from ``start()`` on (at once unless ``start=False``: ``pa ask``
starts it when its LLM request is on the wire, so that the import does not compete with the
request for the interpreter). ``result()`` starts it if nobody did, waits, and re-raises its error.

``Deferred`` is a stand-in for a ``Store`` whose use waits for a future: the agent's turn state
holds one while the turn's first writes (its session, the user's message) are still being made,
so that any later read or write of the turn (the answer, a tool call) happens after them, in order.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pa_cli.config import Settings
    from pa_cli.store.store import Store


class StoreOpening:
    def __init__(self, settings: Settings, *, start: bool = True) -> None:
        self.future: Future[Store] = Future()
        self._settings = settings
        self._lock = threading.Lock()
        self._started = False
        if start:
            self.start()

    def start(self) -> None:
        """Begin opening (once; later calls do nothing). Safe from any thread."""
        with self._lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._open, name="pa-store-open", daemon=True).start()

    def _open(self) -> None:
        from pa_cli.store.store import open_store

        try:
            store = open_store(self._settings)
        except BaseException as exc:
            self.future.set_exception(exc)
        else:
            self.future.set_result(store)

    def result(self) -> Store:
        self.start()
        return self.future.result()


class Deferred:
    """Attribute access waits for ``future`` (a ``Store``), then forwards to it."""

    def __init__(self, future: Future[Store]) -> None:
        self._future = future

    @property
    def failed(self) -> bool:
        return self._future.done() and self._future.exception() is not None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._future.result(), name)
