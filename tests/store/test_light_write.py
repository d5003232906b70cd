"""store.light_write writes the very rows the ORM writes: compared column by column, then read back."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from pa_cli.errors import NotFoundError
from pa_cli.store import Store
from pa_cli.store.light_write import LightWriter, sqlite_timestamp
from tests.store.helpers import db_path, raw

SQLITE_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}")
AT = datetime(2026, 12, 3, 9, 5, 7, 40, tzinfo=UTC)


def _shape(conn: sqlite3.Connection, table: str, key: str, value: object) -> dict[str, tuple[str, Any]]:
    """Each column's SQLite storage class and text, for comparing how two writers stored a row."""
    columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
    row = conn.execute(
        f"SELECT {', '.join(f'typeof({c}), {c}' for c in columns)} FROM {table} WHERE {key} = ?", (value,)
    ).fetchone()
    return {c: (row[2 * i], row[2 * i + 1]) for i, c in enumerate(columns)}


def test_the_timestamp_text_is_sqlalchemys() -> None:
    assert sqlite_timestamp(AT) == "2026-12-03 09:05:07.000040"
    assert sqlite_timestamp(AT.astimezone(ZoneInfo("Asia/Tokyo"))) == "2026-12-03 09:05:07.000040"


def test_sessions_and_messages_match_the_orms_rows(store: Store) -> None:
    user = store.users.local_user()
    orm_session = store.sessions.create(user.id, title="by the orm")
    orm_plain = store.messages.add(orm_session.id, "user", "héllo", data={"turn_id": "t1", "é": [1, None]})
    orm_none = store.messages.add(orm_session.id, "assistant", "part", status="incomplete")
    writer = LightWriter(db_path(store))
    writer.create_session(user.id, "a" * 32, "by the light writer")
    light_plain = writer.add_message("a" * 32, "user", "héllo", data={"turn_id": "t1", "é": [1, None]})
    light_none = writer.add_message("a" * 32, "assistant", "part", status="incomplete")

    with raw(db_path(store)) as conn:
        orm_row = _shape(conn, "sessions", "id", orm_session.id)
        light_row = _shape(conn, "sessions", "id", "a" * 32)
        assert {c: t for c, (t, _) in orm_row.items()} == {c: t for c, (t, _) in light_row.items()}
        for column in ("user_id", "kind"):
            assert orm_row[column] == light_row[column]
        for orm_id, light_id in ((orm_plain.id, light_plain), (orm_none.id, light_none)):
            orm_message = _shape(conn, "messages", "id", orm_id)
            light_message = _shape(conn, "messages", "id", light_id)
            different = {c for c in orm_message if orm_message[c] != light_message[c]}
            assert different == {"id", "session_id", "created_at"}
            assert orm_message["created_at"][0] == light_message["created_at"][0] == "text"
            # Same spelling, so that ORDER BY on the text sorts both writers' rows by time.
            assert SQLITE_DATETIME.fullmatch(orm_message["created_at"][1])
            assert SQLITE_DATETIME.fullmatch(light_message["created_at"][1])
        for column in ("created_at", "updated_at"):
            assert SQLITE_DATETIME.fullmatch(orm_row[column][1]) and SQLITE_DATETIME.fullmatch(
                light_row[column][1]
            )

    # Read back through the ORM: aware datetimes, JSON, and the session's activity bumped by the message.
    read = store.sessions.get("a" * 32)
    assert read is not None and read.title == "by the light writer" and read.kind == "chat"
    messages = store.messages.list("a" * 32)
    assert [(m.role, m.content, m.status, m.data) for m in messages] == [
        ("user", "héllo", "complete", {"turn_id": "t1", "é": [1, None]}),
        ("assistant", "part", "incomplete", None),
    ]
    assert read.updated_at == messages[-1].created_at
    assert read.updated_at.tzinfo is not None
    assert timedelta(0) <= datetime.now(UTC) - messages[-1].created_at < timedelta(minutes=5)
    assert store.sessions.latest(user.id).id == "a" * 32  # type: ignore[union-attr]
    # The FTS index follows both writers (its triggers are the database's own).
    assert {m.id for m in store.messages.search(user.id, "héllo")} == {orm_plain.id, light_plain}


def test_touching_memories_matches_the_orm(store: Store) -> None:
    user = store.users.local_user()
    one = store.memories.add(user.id, "I live in Lyon")
    two = store.memories.add(user.id, "I like tea")
    untouched = store.memories.add(user.id, "I cycle to work")
    store.memories.touch([one.id])
    LightWriter(db_path(store)).touch_memories([two.id], now=AT)
    LightWriter(db_path(store)).touch_memories([])  # nothing to mark: no transaction at all
    with raw(db_path(store)) as conn:
        by_orm = _shape(conn, "memories", "id", one.id)["last_used_at"]
        by_light = _shape(conn, "memories", "id", two.id)["last_used_at"]
    assert by_orm[0] == by_light[0] == "text"
    assert SQLITE_DATETIME.fullmatch(by_orm[1]) and by_light[1] == "2026-12-03 09:05:07.000040"
    assert store.memories.get(user.id, two.id).last_used_at == AT  # type: ignore[union-attr]
    assert store.memories.get(user.id, untouched.id).last_used_at is None  # type: ignore[union-attr]


def test_a_message_for_a_missing_session_is_refused_and_nothing_is_written(store: Store) -> None:
    writer = LightWriter(db_path(store))
    with pytest.raises(NotFoundError, match="no session 'nope'"):
        writer.add_message("nope", "user", "lost?")
    with pytest.raises(ValueError, match="unknown message role 'system'"):
        writer.add_message("nope", "system", "x")
    with pytest.raises(ValueError, match="unknown message status 'done'"):
        writer.add_message("nope", "user", "x", status="done")
    with raw(db_path(store)) as conn:
        assert conn.execute("SELECT COUNT(*) FROM messages").fetchone() == (0,)


def test_a_failed_write_rolls_back_the_whole_transaction(store: Store) -> None:
    """The message and the session's bump are one transaction: a failure between them leaves neither."""
    user = store.users.local_user()
    session = store.sessions.create(user.id, title="t")
    with raw(db_path(store)) as conn:  # the bump fails after the insert succeeded
        conn.execute(
            "CREATE TRIGGER no_bump BEFORE UPDATE OF updated_at ON sessions BEGIN SELECT RAISE(ABORT, 'no'); END"
        )
    with pytest.raises(sqlite3.IntegrityError, match="no"):
        LightWriter(db_path(store)).add_message(session.id, "user", "hi")
    assert store.messages.list(session.id) == []
