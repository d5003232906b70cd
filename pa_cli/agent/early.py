"""A turn that starts before the store is open: what its first LLM request needs, read without the ORM.

A new session's request needs the settings, the tool catalog (with which Google services are
authorized) and the system prompt; ``-c`` adds the session's history and plan. All of it comes from
``store.light`` (stdlib sqlite3, read-only), and its first rows go through ``store.light_write``
(stdlib sqlite3, the same rows the ORM writes): ``write_in_background`` creates the session (new ones
get their id here), adds the user's message and marks the recalled memories used, and the service
shows no event before they are committed, so the store's guarantees hold as before. The ORM opens
only if the turn needs it (a tool call); a plain answer never loads SQLAlchemy.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pa_cli.agent.llm import HistoryItem
    from pa_cli.config import Settings
    from pa_cli.store.fts import RecalledMemory
    from pa_cli.store.light_write import LightWriter


@dataclass
class EarlyTurn:
    message: str
    #: The SQLite file the light reader read and the turn's first rows are written to.
    database: Path
    user_id: int
    session_id: str
    #: The session exists already (``-c``); a new one is created by ``write_in_background``.
    resumed: bool
    system_prompt: str | None
    enabled_tools: list[str] | None
    grants: dict[str, frozenset[str]]
    history: list[HistoryItem] = field(default_factory=list)
    taint: list[str] = field(default_factory=list)
    plan: list[dict[str, Any]] = field(default_factory=list)
    #: The remembered facts recalled for the message (marked used once the store is open).
    memories: list[RecalledMemory] = field(default_factory=list)

    def write_in_background(self, turn_id: str, context: str | None) -> Future[LightWriter]:
        """On a thread: create the session if new, add the user's message, mark recalled memories used.

        Written with stdlib sqlite3 (``store.light_write``), not the ORM, which a plain answer never
        needs. The future resolves to the writer once all of it is committed (or to the error)."""
        from pa_cli.store.light_write import LightWriter

        written: Future[LightWriter] = Future()
        writer = LightWriter(self.database)

        def write() -> None:
            try:
                if not self.resumed:
                    title = " ".join(self.message.split())[:60]
                    writer.create_session(self.user_id, self.session_id, title)
                writer.add_message(
                    self.session_id,
                    "user",
                    self.message,
                    data={"turn_id": turn_id, **({"context": context} if context else {})},
                )
                writer.touch_memories(m.id for m in self.memories)
            except BaseException as exc:
                written.set_exception(_as_store_error(exc))
            else:
                written.set_result(writer)

        threading.Thread(target=write, name="pa-turn-write", daemon=True).start()
        return written


def _as_store_error(exc: BaseException) -> BaseException:
    """A sqlite3 failure as the ORM path would report it (a StoreError the front-ends know)."""
    import sqlite3

    if not isinstance(exc, sqlite3.Error):
        return exc
    from pa_cli.errors import StoreError

    return StoreError(
        f"could not write to the database: {exc}", hint="`pa doctor` checks the database and says what to do"
    )


def read_early_turn(settings: Settings, message: str, *, continue_last: bool) -> EarlyTurn | None:
    """The turn's inputs from a light read, or None when the ORM path must be taken (a database
    that is not a SQLite file at this pa's head revision, no local user yet, a read that failed)."""
    from pa_cli.agent.context import history_of_messages
    from pa_cli.google.scopes import PROVIDER
    from pa_cli.memory.recall import recall_light
    from pa_cli.store.light import LightReader
    from pa_cli.store.migrate import head_revision

    opened = LightReader.open_local(settings.database_url, head_revision())
    if opened is None:
        return None
    reader, user_id = opened
    try:
        existing = reader.latest_session_id(user_id) if continue_last else None
        config = reader.agent_config(user_id)
        grants = reader.scopes_by_service(user_id, PROVIDER)
        turn = EarlyTurn(
            message=message,
            database=reader.path,
            user_id=user_id,
            session_id=existing or uuid.uuid4().hex,
            resumed=existing is not None,
            system_prompt=config.system_prompt,
            enabled_tools=config.enabled_tools,
            grants=grants,
        )
        if existing is not None:
            turn.history, turn.taint = history_of_messages(reader.messages(existing))
            turn.plan = reader.plan(existing)
        turn.memories = recall_light(settings, reader, user_id, message)
    except (sqlite3.Error, ValueError):  # locked out, a schema surprise, a JSON column not JSON
        return None
    return turn
