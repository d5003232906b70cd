"""Alembic environment: run by ``pa_cli.store.migrate`` with a connection passed in.

Migrations run in one transaction that holds the write lock (``BEGIN
IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL), so two processes that
start at once do not both migrate: the second waits, then finds the schema at
head and does nothing.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from pa_cli.store.engine import WRITE_OPTION, make_engine
from pa_cli.store.migrate import MIGRATION_LOCK_KEY, include_name
from pa_cli.store.models import metadata


def _run(connection: Connection) -> None:
    connection = connection.execution_options(**{WRITE_OPTION: True})
    with connection.begin():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        context.configure(
            connection=connection,
            target_metadata=metadata(),
            include_name=include_name,
            render_as_batch=True,
            transactional_ddl=True,
        )
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("pa migrations need a connection or sqlalchemy.url")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("pa migrations run online only (pa upgrades its database on start)")
run_migrations_online()
