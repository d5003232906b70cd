"""The SQLAlchemy engine: SQLite in WAL mode by default, any SQLAlchemy URL otherwise.

Every SQLite connection gets ``busy_timeout`` (wait, do not fail, when another
process writes), ``foreign_keys=ON``, ``journal_mode=WAL`` and
``synchronous=NORMAL``. pysqlite's own transaction handling is switched off and
SQLAlchemy emits ``BEGIN`` itself: a plain ``BEGIN`` for reads and
``BEGIN IMMEDIATE`` on the write engine (``execution_options(pa_write=True)``),
so a write transaction takes the write lock up front and waits for it under
the busy timeout instead of failing with "database is locked" when it upgrades
from reading to writing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Connection, Engine

BUSY_TIMEOUT_MS = 30_000
#: Execution option that marks a connection whose transactions write.
WRITE_OPTION = "pa_write"


def redact_url(url: str | URL) -> str:
    """The URL as it may be shown to a person: never with its password."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<invalid database URL>"


def sqlite_file(url: str | URL) -> Path | None:
    """The database file of a SQLite URL, or None (in-memory, URI form, other databases)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _prepare_sqlite_file(path: Path) -> None:
    """Create the parent directory, and the file itself private to the user (0600)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN (see _on_sqlite_begin)
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def _on_sqlite_begin(conn: Connection) -> None:
    immediate = conn.get_execution_options().get(WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str | URL, *, echo: bool = False) -> Engine:
    """An engine for ``url``; for a SQLite file, its directory is created if missing."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.engine import make_url

    from pa_cli.store.types import dumps_json

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, echo=echo, pool_pre_ping=True, json_serializer=dumps_json)
    path = sqlite_file(parsed)
    if path is not None:
        _prepare_sqlite_file(path)
    engine = create_engine(
        parsed,
        echo=echo,
        json_serializer=dumps_json,
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000},
    )
    event.listen(engine, "connect", _on_sqlite_connect)
    event.listen(engine, "begin", _on_sqlite_begin)
    return engine
