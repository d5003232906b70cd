"""Short-lived ORM sessions for the repositories: one transaction per repository call.

``read()`` starts a deferred transaction; ``write()`` takes the write lock up
front (``BEGIN IMMEDIATE`` on SQLite) and commits on success, rolls back on
error. Objects come back detached and fully loaded (``expire_on_commit=False``).

On SQLite, writers of one process also queue on a ``threading.RLock`` first: a
writer that finds the database locked by another thread of its own process
would otherwise wait in SQLite's busy handler, which sleeps 1, 2, 5, 10, 15,
20, 25... ms between tries, far longer than the other write takes. (Other
processes are still waited for by the busy handler.)
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from sqlalchemy.engine import Engine
from sqlmodel import Session

from pa_cli.store.engine import WRITE_OPTION


class Database:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._write_engine = engine.execution_options(**{WRITE_OPTION: True})
        self._writer_lock: threading.RLock | None = threading.RLock() if self.is_sqlite else None

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        with (
            self._writer_lock or nullcontext(),
            Session(self._write_engine, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session
