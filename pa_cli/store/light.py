"""A read-only view of the SQLite database through the standard library, for the start of a turn.

``pa ask`` needs a few rows before it can send its first LLM request (the local user, the last
session and its messages, the user's prompt and tool list, the plan, which Google services are
authorized). Reading them with stdlib ``sqlite3`` costs a few milliseconds; the ORM costs about
300 ms to import. So the request goes out on these reads while the full ``Store`` (SQLAlchemy,
migrations, every write) opens in a background thread.

The view is only used when it reads exactly what the ORM would: a SQLite file that exists and whose
schema is at the head revision of this pa's migrations. Anything else (PostgreSQL, a new or older
database, a newer pa's database) gives ``None`` and the caller takes the ORM path, which migrates or
refuses as it always did. The connection is read-only (``mode=ro``): it never writes, never creates
the file, and under WAL it reads a consistent snapshot while other processes write.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote

from pa_cli.store.fts import (
    FTS_RECALL_SQL,
    PINNED_RECALL_SQL,
    RECALL_CANDIDATES,
    RecalledMemory,
    any_word_fts_query,
    merge_recalled,
)

#: The same as the engine's: wait for a writer rather than fail.
BUSY_TIMEOUT_S = 30.0
LOCAL_USER_NAME = "local"
#: Routine results not read yet that need the user ("nothing needs you" results are read already).
UNREAD_ROUTINES_SQL = (
    "SELECT COUNT(*), GROUP_CONCAT(DISTINCT r.name) FROM routine_runs AS u JOIN routines AS r ON r.id = u.routine_id "
    "WHERE u.read_at IS NULL AND u.needs_attention AND u.status != 'running'"
)


class LightMessage(NamedTuple):
    """The fields of ``store.Message`` that the history needs."""

    id: int
    role: str
    content: str
    status: str
    tool_name: str | None
    data: dict[str, Any] | None


class LightGrant(NamedTuple):
    """The fields of ``store.OAuthToken`` that tool availability needs."""

    provider: str
    service: str
    scopes: list[str]


class LightAgentConfig(NamedTuple):
    system_prompt: str | None
    enabled_tools: list[str] | None


def sqlite_path_of(url: str) -> Path | None:
    """The file of a plain ``sqlite:///path`` URL, else None (other databases, memory, URI forms)."""
    for prefix in ("sqlite:///", "sqlite+pysqlite:///"):
        if url.startswith(prefix):
            rest = url[len(prefix) :]
            if not rest or rest == ":memory:" or rest.startswith("file:") or "?" in rest:
                return None
            return Path(rest)
    return None


def _json(value: Any) -> Any:
    if value is None or not isinstance(value, str | bytes):
        return value
    return json.loads(value)


class LightReader:
    """Read-only queries on one SQLite file (a connection per call: safe from any thread)."""

    def __init__(self, path: Path, busy_timeout: float = BUSY_TIMEOUT_S) -> None:
        self.path = path
        self.busy_timeout = busy_timeout
        self._uri = f"file:{quote(str(path))}?mode=ro"

    @classmethod
    def open(cls, database_url: str, head_revision: str | None) -> LightReader | None:
        """A reader when the database is a SQLite file at ``head_revision``; None otherwise."""
        path = sqlite_path_of(database_url)
        if path is None or head_revision is None or not path.is_file():
            return None
        reader = cls(path)
        try:
            with reader._connect() as conn:
                rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        except sqlite3.Error:
            return None
        return reader if [r[0] for r in rows] == [head_revision] else None

    @classmethod
    def open_local(cls, database_url: str, head_revision: str | None) -> tuple[LightReader, int] | None:
        """The reader and the CLI's user id, or None when either is not there (see ``open``)."""
        reader = cls.open(database_url, head_revision)
        if reader is None:
            return None
        try:
            user_id = reader.local_user_id()
        except sqlite3.Error:  # locked out, a schema surprise
            return None
        return None if user_id is None else (reader, user_id)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self._uri, uri=True, timeout=self.busy_timeout)) as conn:
            yield conn

    def local_user_id(self) -> int | None:
        """The CLI's user, or None before it exists (the ORM path creates it)."""
        with self._connect() as conn:
            row = conn.execute("SELECT id FROM users WHERE name = ?", (LOCAL_USER_NAME,)).fetchone()
        return int(row[0]) if row else None

    def latest_session_id(self, user_id: int) -> str | None:
        """The chat session with the most recent activity (the ORDER BY of ``sessions.latest``)."""
        with self._connect() as conn:
            row = conn.execute(
                "SELECT id FROM sessions WHERE user_id = ? AND kind = 'chat' "
                "ORDER BY updated_at DESC, created_at DESC LIMIT 1",
                (user_id,),
            ).fetchone()
        return str(row[0]) if row else None

    def messages(self, session_id: str) -> list[LightMessage]:
        """Oldest first, as ``messages.list``."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT id, role, content, status, tool_name, data FROM messages "
                "WHERE session_id = ? ORDER BY id",
                (session_id,),
            ).fetchall()
        return [
            LightMessage(
                id=r[0], role=r[1], content=r[2] or "", status=r[3], tool_name=r[4], data=_json(r[5])
            )
            for r in rows
        ]

    def agent_config(self, user_id: int) -> LightAgentConfig:
        with self._connect() as conn:
            row = conn.execute(
                "SELECT system_prompt, enabled_tools FROM agent_configs WHERE user_id = ?", (user_id,)
            ).fetchone()
        if row is None:
            return LightAgentConfig(system_prompt=None, enabled_tools=None)
        return LightAgentConfig(system_prompt=row[0], enabled_tools=_json(row[1]))

    def plan(self, session_id: str) -> list[dict[str, Any]]:
        """The steps, as ``plans.get``: empty when there is no plan."""
        with self._connect() as conn:
            row = conn.execute("SELECT steps FROM plans WHERE session_id = ?", (session_id,)).fetchone()
        steps = _json(row[0]) if row else None
        return [dict(step) for step in steps] if steps else []

    def grants(self, user_id: int) -> list[LightGrant]:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT provider, service, scopes FROM oauth_tokens WHERE user_id = ?", (user_id,)
            ).fetchall()
        return [LightGrant(provider=r[0], service=r[1], scopes=_json(r[2]) or []) for r in rows]

    def scopes_by_service(self, user_id: int, provider: str) -> dict[str, frozenset[str]]:
        """``provider``'s granted scopes per service: what the tool catalog needs to know."""
        return {g.service: frozenset(g.scopes) for g in self.grants(user_id) if g.provider == provider}

    def recall(self, user_id: int, words: Sequence[str]) -> list[RecalledMemory]:
        """The memories' recall query (``memories.recall`` on SQLite), read without the ORM."""
        match = any_word_fts_query(words)
        with self._connect() as conn:
            if match is None:
                rows = conn.execute(PINNED_RECALL_SQL, {"user_id": user_id}).fetchall()
            else:
                params = {"query": match, "user_id": user_id, "limit": RECALL_CANDIDATES}
                rows = conn.execute(FTS_RECALL_SQL, params).fetchall()
        return merge_recalled([(str(r[0]), str(r[1]), bool(r[2]), r[3], r[4]) for r in rows])

    def unread_routine_results(self) -> tuple[int, str]:
        """How many routine results need the user and the routines' names (comma-separated)."""
        with self._connect() as conn:
            count, names = conn.execute(UNREAD_ROUTINES_SQL).fetchone()
        return int(count or 0), str(names or "")
