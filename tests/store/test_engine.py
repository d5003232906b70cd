"""The engine: SQLite pragmas, where the file goes, and which URLs are accepted."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from pa_cli.config import load_settings
from pa_cli.store import Store, make_engine, open_store
from pa_cli.store.engine import BUSY_TIMEOUT_MS, redact_url
from tests.store.helpers import db_path


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(store: Store) -> None:
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == BUSY_TIMEOUT_MS == 30_000
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL


def test_foreign_keys_are_enforced(store: Store) -> None:
    from pa_cli.errors import NotFoundError

    with pytest.raises(NotFoundError):
        store.messages.add("no-such-session", "user", "orphan")


def test_default_database_lives_in_the_data_dir_and_is_private(store: Store) -> None:
    settings = load_settings()
    path = db_path(store)
    assert path == settings.app_paths.database_file
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_make_engine_creates_missing_parent_directories(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "pa.db"
    engine = make_engine(f"sqlite:///{target}")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    finally:
        engine.dispose()
    assert target.exists()


def test_pa_database_url_points_pa_at_another_sqlite_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere" / "other.db"
    monkeypatch.setenv("PA_DATABASE_URL", f"sqlite+pysqlite:///{elsewhere}")
    settings = load_settings()
    with open_store(settings) as opened:
        user = opened.users.local_user()
        opened.sessions.create(user.id, "kept elsewhere")
    assert elsewhere.exists()
    assert not settings.app_paths.database_file.exists()
    with open_store(url=f"sqlite:///{elsewhere}") as again:
        assert [s.title for s in again.sessions.list(user.id)] == ["kept elsewhere"]


def test_urls_are_shown_without_their_password() -> None:
    shown = redact_url("postgresql://pa:hunter2@db.example:5432/pa")
    assert "hunter2" not in shown
    assert shown.startswith("postgresql://pa:***@db.example")
