"""Schema migrations: created on first open, upgraded on start, a newer database refused."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from pa_cli.errors import StoreError
from pa_cli.store import Store, open_store
from pa_cli.store.engine import make_engine
from pa_cli.store.migrate import downgrade, head_revision, include_name, script_revisions
from pa_cli.store.models import metadata
from tests.store.helpers import db_path, names, raw

TABLES = {
    "users",
    "agent_configs",
    "tool_registry",
    "user_tool_access",
    "oauth_tokens",
    "sessions",
    "messages",
    "approvals",
    "audit_log",
    "vfs_files",
    "plans",
    "api_clients",
    "turn_events",
    "rate_limit_hits",
}


def test_fresh_database_gets_every_table_and_the_fts_index(store: Store) -> None:
    with raw(db_path(store)) as conn:
        tables = names(conn, "table")
        triggers = names(conn, "trigger")
        fts_sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'messages_fts'").fetchone()[0]
    assert tables >= TABLES | {"alembic_version", "messages_fts"}
    assert "USING fts5" in fts_sql and "content='messages'" in fts_sql
    assert {"messages_fts_insert", "messages_fts_delete", "messages_fts_update"} <= triggers
    assert store.schema_version() == head_revision()


def test_models_and_migrations_describe_the_same_schema(store: Store) -> None:
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_name, "compare_type": True})
        assert compare_metadata(context, metadata()) == []


def test_head_is_read_from_the_migration_files_as_alembic_sees_it() -> None:
    from alembic.script import ScriptDirectory

    from pa_cli.store.migrate import MIGRATIONS_DIR

    scripts = ScriptDirectory(str(MIGRATIONS_DIR))
    known, head = script_revisions()
    assert head == scripts.get_current_head()
    assert known == {s.revision for s in scripts.walk_revisions()}


def test_database_at_base_is_upgraded_on_open(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    open_store(url=url).close()
    engine = make_engine(url)
    downgrade(engine, "base")
    engine.dispose()
    with raw(tmp_path / "old.db") as conn:
        assert not (names(conn, "table") & (TABLES | {"messages_fts"}))

    with open_store(url=url) as reopened:
        assert reopened.schema_version() == head_revision()
        user = reopened.users.local_user()
        chat = reopened.sessions.create(user.id)
        reopened.messages.add(chat.id, "user", "upgraded database still searches")
        assert [m.content for m in reopened.messages.search(user.id, "searches")] == [
            "upgraded database still searches"
        ]


def test_database_from_a_newer_pa_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    with open_store(url=f"sqlite:///{path}") as first:
        first.users.local_user()
    with raw(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    before = hashlib.sha256(path.read_bytes()).hexdigest()

    with pytest.raises(StoreError) as caught:
        open_store(url=f"sqlite:///{path}")

    message = str(caught.value)
    assert "9999_from_the_future" in message and "newer pa" in message
    assert caught.value.hint is not None and "upgrade pa" in caught.value.hint
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    with raw(path) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
            ("9999_from_the_future",)
        ]


def test_opening_an_up_to_date_database_does_not_load_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'pa.db'}"
    open_store(url=url).close()
    code = (
        "import sys; from pa_cli.store import open_store; "
        f"s = open_store(url={url!r}); s.users.local_user(); s.close(); "
        "print('alembic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_importing_the_store_package_loads_no_orm() -> None:
    code = (
        "import sys, pa_cli.store; print(sorted(m for m in ('sqlalchemy', 'sqlmodel') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
