"""Schema migrations: upgrade to head on start, refuse a database from a newer pa.

The hot path (database already at head) costs one query: the known revisions
and the head are read from the migration files' ``revision = ...`` lines, not
by loading Alembic; Alembic is imported only when there is work to do.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pa_cli.errors import StoreError
from pa_cli.store.engine import WRITE_OPTION, redact_url

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Engine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
VERSIONS_DIR = MIGRATIONS_DIR / "versions"
VERSION_TABLE = "alembic_version"
#: pg_advisory_xact_lock key that serializes migrations on PostgreSQL.
MIGRATION_LOCK_KEY = 0x7061_6D69  # "pami"

_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]+)?=\s*(.+)$", re.MULTILINE)


@functools.cache
def script_revisions() -> tuple[frozenset[str], str | None]:
    """(every revision the migration files define, the single head or None if unclear)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in VERSIONS_DIR.glob("*.py"):
        values = {m.group(1): m.group(2).strip() for m in _ASSIGNMENT.finditer(path.read_text("utf-8"))}
        if "revision" not in values:
            continue
        try:
            revision = ast.literal_eval(values["revision"])
            down = ast.literal_eval(values.get("down_revision", "None"))
        except (ValueError, SyntaxError):
            return frozenset(), None
        revisions.add(str(revision))
        if isinstance(down, str):
            parents.add(down)
        elif isinstance(down, tuple | list):
            parents.update(str(d) for d in down)
    heads = revisions - parents
    return frozenset(revisions), (next(iter(heads)) if len(heads) == 1 else None)


def head_revision() -> str | None:
    return script_revisions()[1]


def include_name(name: str | None, type_: str, _parent: object) -> bool:
    """Alembic filter: the FTS5 indexes and their shadow tables are not models."""
    from pa_cli.store.models import FTS_TABLE, MEMORY_FTS_TABLE  # here: the head check must not load the ORM

    return not (type_ == "table" and name is not None and name.startswith((FTS_TABLE, MEMORY_FTS_TABLE)))


def current_revisions(engine: Engine) -> tuple[str, ...]:
    """The revisions stamped in the database: () for a database that was never migrated."""
    from sqlalchemy import inspect, text
    from sqlalchemy.exc import DBAPIError

    try:
        with engine.connect() as conn:
            rows = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    except DBAPIError as exc:
        with engine.connect() as conn:
            if not inspect(conn).has_table(VERSION_TABLE):
                return ()
        raise StoreError(f"cannot read the database {redact_url(engine.url)}: {exc.orig}") from None
    return tuple(sorted(str(r) for r in rows))


def _newer_database_error(engine: Engine, unknown: tuple[str, ...]) -> StoreError:
    return StoreError(
        f"the database {redact_url(engine.url)} is at schema revision {', '.join(unknown)}, "
        "which this version of pa does not know: it was written by a newer pa",
        hint="upgrade pa, or set PA_DATABASE_URL to another database; the database was left unchanged",
    )


def _alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("version_table", VERSION_TABLE)
    return config


def _run_alembic(engine: Engine, direction: Literal["upgrade", "downgrade"], target: str) -> None:
    from alembic import command
    from alembic.util import CommandError
    from sqlalchemy.exc import DBAPIError

    config = _alembic_config()
    try:
        with engine.execution_options(**{WRITE_OPTION: True}).connect() as conn:
            config.attributes["connection"] = conn
            if direction == "upgrade":
                command.upgrade(config, target)
            else:
                command.downgrade(config, target)
    except CommandError as exc:
        raise StoreError(f"cannot migrate the database {redact_url(engine.url)}: {exc}") from None
    except DBAPIError as exc:
        raise StoreError(
            f"cannot migrate the database {redact_url(engine.url)}: {exc.orig}",
            hint="was it created by something other than pa? point PA_DATABASE_URL at a new database",
        ) from None


def upgrade(engine: Engine) -> None:
    """Bring the schema to head; a no-op costing one query when it is there already."""
    known, head = script_revisions()
    current = current_revisions(engine)
    if head is not None and current == (head,):
        return
    unknown = tuple(r for r in current if r not in known)
    if unknown and known:
        raise _newer_database_error(engine, unknown)
    _run_alembic(engine, "upgrade", "head")
    after = current_revisions(engine)
    if head is not None and after != (head,):
        unknown = tuple(r for r in after if r not in known)
        if unknown:
            raise _newer_database_error(engine, unknown)
        raise StoreError(f"the database {redact_url(engine.url)} did not reach revision {head}")


def downgrade(engine: Engine, target: str = "base") -> None:
    """Step the schema back (maintenance and tests; ``base`` drops every table)."""
    _run_alembic(engine, "downgrade", target)
