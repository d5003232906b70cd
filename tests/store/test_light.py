"""store.light reads what the ORM reads, and refuses the databases it cannot read exactly."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from pa_cli.agent.context import history_of_messages, load_history_and_taint
from pa_cli.config import load_settings
from pa_cli.store import Store
from pa_cli.store.light import LightReader
from pa_cli.store.migrate import head_revision


def _reader() -> LightReader:
    reader = LightReader.open(load_settings().database_url, head_revision())
    assert reader is not None
    return reader


def test_light_reads_match_the_orm(store: Store) -> None:
    user = store.users.local_user()
    older = store.sessions.create(user.id, title="older")
    time.sleep(0.01)
    newer = store.sessions.create(user.id, title="newer")
    store.messages.add(newer.id, "user", "read my mail", data={"turn_id": "t1"})
    store.messages.add(
        newer.id, "tool", "mail body", tool_name="gmail_read", data={"turn_id": "t1", "untrusted": True}
    )
    store.messages.add(newer.id, "assistant", "half an ans", status="incomplete", data={"turn_id": "t1"})
    store.plans.set(newer.id, [{"title": "step one", "status": "done"}])
    store.agent_configs.update(user.id, system_prompt="Be brief.", enabled_tools=["fs_read"])
    store.oauth_tokens.upsert(user.id, "google", "gmail", scopes=["s1", "s2"], expiry=None)
    store.messages.add(older.id, "user", "an older question")  # older is now the latest activity

    reader = _reader()
    assert reader.local_user_id() == user.id
    assert reader.latest_session_id(user.id) == store.sessions.latest(user.id).id == older.id  # type: ignore[union-attr]
    assert history_of_messages(reader.messages(newer.id)) == load_history_and_taint(store, newer.id)
    assert history_of_messages(reader.messages(newer.id))[1]  # the tool output taints the history
    assert reader.plan(newer.id) == store.plans.get(newer.id)
    assert reader.plan(older.id) == store.plans.get(older.id) == []
    config = reader.agent_config(user.id)
    assert (config.system_prompt, config.enabled_tools) == ("Be brief.", ["fs_read"])
    assert [(g.provider, g.service, sorted(g.scopes)) for g in reader.grants(user.id)] == [
        ("google", "gmail", ["s1", "s2"])
    ]


def test_light_reader_never_writes(store: Store) -> None:
    store.users.local_user()
    reader = _reader()
    with reader._connect() as conn:  # the same connection the queries use
        try:
            conn.execute("DELETE FROM users")
        except sqlite3.OperationalError as exc:
            assert "readonly" in str(exc)
        else:
            raise AssertionError("the light connection could write")
    assert store.users.by_name("local") is not None


def test_light_reader_refuses_what_it_cannot_read_exactly(store: Store, tmp_path: Path) -> None:
    url = load_settings().database_url
    assert LightReader.open(url, head_revision()) is not None
    assert LightReader.open(url, "0001") is None  # a schema that is not this pa's head: migrate first
    assert LightReader.open(url, None) is None
    assert LightReader.open(f"sqlite:///{tmp_path / 'missing.db'}", head_revision()) is None
    assert not (tmp_path / "missing.db").exists()  # and it did not create one
    assert LightReader.open("postgresql+psycopg://u:p@127.0.0.1/pa", head_revision()) is None
    assert LightReader.open("sqlite:///:memory:", head_revision()) is None
    (tmp_path / "garbage.db").write_bytes(b"not a database at all" * 100)
    assert LightReader.open(f"sqlite:///{tmp_path / 'garbage.db'}", head_revision()) is None
