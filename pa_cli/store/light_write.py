"""The few writes of a plain turn, through the standard library: its session, its messages, recalled memories.

``pa ask`` answered without any tool needs four rows: the session (when new), the user's message,
the assistant's answer, and the recalled memories' ``last_used_at``. The ORM costs about 330 ms of
CPU to import and 15-20 MB of memory, more than the whole turn; so an early turn (``agent.early``)
writes these rows here, and the ORM is opened only when the turn needs more (a tool call, an approval).

The rows are exactly the ones the repositories write (``sessions.create``, ``messages.add``,
``memories.touch``): the same columns, the same timestamp text (SQLAlchemy's SQLite ``DATETIME``
format, naive UTC), the same JSON (``types.dumps_json``, ``null`` for no data), the same bump of the
session's ``updated_at``; a test compares them row for row. The connection is set up as the engine's
(busy timeout, foreign keys, WAL, ``synchronous=NORMAL``) and every write is one ``BEGIN IMMEDIATE``
transaction, so the store's guarantees hold unchanged: a committed row survives kill -9, and a writer
in another process is waited for, not failed. Only used on a database ``LightReader.open`` accepted
(a SQLite file at this pa's head revision).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from pa_cli.errors import NotFoundError
from pa_cli.store.rows import check_message, dumps_json

BUSY_TIMEOUT_MS: Final = 30_000


def sqlite_timestamp(value: datetime | None = None) -> str:
    """``value`` (default: now) as SQLAlchemy's SQLite ``DATETIME`` stores it: naive UTC, six decimals."""
    value = datetime.now(UTC) if value is None else value
    utc = value.astimezone(UTC) if value.tzinfo is not None else value
    return utc.strftime("%Y-%m-%d %H:%M:%S.%f")


class LightWriter:
    """Writes a turn's session and messages with stdlib ``sqlite3``; one connection per call."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # Writers of one process queue here rather than in SQLite's busy handler (see store/db.py).
        self._lock = threading.Lock()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with (
            self._lock,
            closing(sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)) as conn,
        ):
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def create_session(
        self, user_id: int, session_id: str, title: str | None, *, now: datetime | None = None
    ) -> None:
        """``sessions.create(user_id, title, session_id=...)`` of a chat session."""
        stamp = sqlite_timestamp(now)
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO sessions (id, user_id, title, kind, created_at, updated_at) "
                "VALUES (?, ?, ?, 'chat', ?, ?)",
                (session_id, user_id, title, stamp, stamp),
            )

    def add_message(
        self,
        session_id: str,
        role: str,
        content: str,
        *,
        now: datetime | None = None,
        status: str = "complete",
        data: dict[str, Any] | None = None,
    ) -> int:
        """``messages.add`` of a user's or assistant's message: its id; the session's activity bumped."""
        check_message(role, status)
        stamp = sqlite_timestamp(now)
        try:
            with self._transaction() as conn:
                cursor = conn.execute(
                    "INSERT INTO messages (session_id, role, content, status, tool_name, tool_call_id, "
                    "data, created_at) VALUES (?, ?, ?, ?, NULL, NULL, ?, ?)",
                    (session_id, role, content, status, dumps_json(data), stamp),
                )
                conn.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", (stamp, session_id))
        except sqlite3.IntegrityError as exc:
            if "FOREIGN KEY" not in str(exc):
                raise
            raise NotFoundError(f"no session {session_id!r}") from None
        return int(cursor.lastrowid or 0)

    def touch_memories(self, memory_ids: Iterable[str], *, now: datetime | None = None) -> None:
        """``memories.touch``: the recalled memories were put in front of the model now."""
        ids = list(memory_ids)
        if not ids:
            return
        marks = ", ".join("?" for _ in ids)
        with self._transaction() as conn:
            conn.execute(
                f"UPDATE memories SET last_used_at = ? WHERE id IN ({marks})",
                (sqlite_timestamp(now), *ids),
            )
