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

from pa_cli.errors import StoreError

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


#: Database driver module -> what to install for it.
DRIVER_PACKAGES = {
    "psycopg": "pip install 'pa-cli[postgres]' (psycopg 3)",
    "psycopg2": "pip install psycopg2-binary, or use a postgresql+psycopg:// URL with pip install 'pa-cli[postgres]'",
    "pymysql": "pip install pymysql",
    "MySQLdb": "pip install mysqlclient",
    "asyncpg": "pa needs a synchronous driver: use a postgresql+psycopg:// URL with pip install 'pa-cli[postgres]'",
}


def missing_driver_error(url: URL, module: str | None) -> StoreError:
    """A database URL whose driver is not installed: say which and what to install."""
    name = module or "its driver"
    install = DRIVER_PACKAGES.get(module or "", f"install the Python package that provides {name}")
    return StoreError(
        f"the database driver {name} for {redact_url(url)} is not installed",
        hint=install,
    )


def make_engine(url: str | URL, *, echo: bool = False) -> Engine:
    """An engine for ``url``; for a SQLite file, its directory is created if missing."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.engine import make_url

    from pa_cli.store.types import dumps_json

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        try:
            return create_engine(parsed, echo=echo, pool_pre_ping=True, json_serializer=dumps_json)
        except ModuleNotFoundError as exc:
            raise missing_driver_error(parsed, exc.name) from None
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
