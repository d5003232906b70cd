"""Small helpers for the store tests: raw SQLite access (tests may bypass the query layer)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pa_cli.store import Store
from pa_cli.store.engine import sqlite_file


def db_path(store: Store) -> Path:
    path = sqlite_file(store.engine.url)
    assert path is not None
    return path


@contextmanager
def raw(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection in autocommit mode."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


def names(conn: sqlite3.Connection, kind: str) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = ?", (kind,))}
