"""Short-lived ORM sessions for the repositories: one transaction per repository call.

``read()`` starts a deferred transaction; ``write()`` takes the write lock up
front (``BEGIN IMMEDIATE`` on SQLite) and commits on success, rolls back on
error. Objects come back detached and fully loaded (``expire_on_commit=False``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine
from sqlmodel import Session

from pa_cli.store.engine import WRITE_OPTION


class Database:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._write_engine = engine.execution_options(**{WRITE_OPTION: True})

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        with Session(self._write_engine, expire_on_commit=False) as session, session.begin():
            yield session
