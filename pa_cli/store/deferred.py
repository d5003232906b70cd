"""The ``Store`` opened in a background thread, so a turn's LLM request need not wait for the ORM.

``StoreOpening(settings)`` runs ``open_store`` (SQLAlchemy import, engine, migrations: exactly the
usual code) on a daemon thread, from ``start()`` on (at once unless ``start=False``: ``pa ask``
starts it when its LLM request is on the wire, so that the import does not compete with the
request for the interpreter). ``result()`` starts it if nobody did, waits, and re-raises its error.

``EarlyStore`` is the store of such a turn: its plain messages go through ``LightWriter`` (stdlib
sqlite3), everything else through the ``Store``, opened only then, and every use waits for the
turn's first writes (its session, the user's message), so the turn's rows keep their order.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pa_cli.config import Settings
    from pa_cli.store.light_write import LightWriter
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


class EarlyStore:
    """The store of a turn begun before the ORM was open (``agent.early``).

    ``written`` resolves to the ``LightWriter`` once the turn's first rows (its session, the user's
    message) are committed. Plain messages (the user's, the assistant's answer, a partial one) are
    then written through it; anything else (a tool's message, approvals, audit, plans...) opens the
    ORM store, once, and is served by it. Every use waits for ``written`` first, so the turn's rows
    keep their order. A plain answer never loads the ORM at all.
    """

    def __init__(self, written: Future[LightWriter], opening: StoreOpening) -> None:
        self._written = written
        self._opening = opening
        self.messages = _EarlyMessages(self)

    @property
    def failed(self) -> bool:
        """The turn's first rows could not be written."""
        return self._written.done() and self._written.exception() is not None

    def writer(self) -> LightWriter:
        return self._written.result()

    def orm(self) -> Store:
        """The full store, opened now if nobody did (blocking: an async caller awaits ``ready`` first)."""
        self._written.result()
        return self._opening.result()

    def warm(self) -> None:
        """Start opening the full store now (a tool call is coming), without waiting for it."""
        self._opening.start()

    async def ready(self, *, orm: bool) -> None:
        """Wait for the turn's first rows; with ``orm``, for the full store too (opening it)."""
        import asyncio

        await asyncio.wrap_future(self._written)
        if orm:
            self._opening.start()
            await asyncio.wrap_future(self._opening.future)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.orm(), name)


class _EarlyMessages:
    """``store.messages`` of an ``EarlyStore``: plain ``add`` through the light writer."""

    def __init__(self, store: EarlyStore) -> None:
        self._store = store

    def add(
        self,
        session_id: str,
        role: str,
        content: str,
        *,
        status: str = "complete",
        tool_name: str | None = None,
        tool_call_id: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        if role == "tool" or tool_name is not None or tool_call_id is not None:
            self._store.orm().messages.add(
                session_id,
                role,
                content,
                status=status,
                tool_name=tool_name,
                tool_call_id=tool_call_id,
                data=data,
            )
            return
        self._store.writer().add_message(session_id, role, content, status=status, data=data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store.orm().messages, name)
