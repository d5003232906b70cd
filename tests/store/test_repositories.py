"""Users, agent config, sessions, VFS, plans, OAuth metadata, tools, API clients and turn events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pa_cli.store import Store
from tests.store.helpers import db_path, raw


def test_local_user_is_created_once(store: Store) -> None:
    first = store.users.local_user()
    again = store.users.local_user()
    other = store.users.ensure("phone")

    assert first.name == "local" and first.id == again.id
    assert other.id != first.id


def test_agent_config_defaults_then_updates_only_the_given_fields(store: Store) -> None:
    user = store.users.local_user()
    default = store.agent_configs.get(user.id)
    assert (default.system_prompt, default.enabled_tools, default.preferences) == (None, None, {})

    store.agent_configs.update(user.id, system_prompt="Be brief.", preferences={"tone": "dry"})
    store.agent_configs.update(user.id, enabled_tools=["fs_read"])
    config = store.agent_configs.get(user.id)
    assert (config.system_prompt, config.enabled_tools, config.preferences) == (
        "Be brief.",
        ["fs_read"],
        {"tone": "dry"},
    )

    store.agent_configs.update(user.id, system_prompt=None)
    assert store.agent_configs.get(user.id).system_prompt is None


def test_sessions_list_newest_first_and_page(store: Store) -> None:
    user = store.users.local_user()
    ids = [store.sessions.create(user.id, title=f"s{i}").id for i in range(3)]

    assert [s.id for s in store.sessions.list(user.id)] == ids[::-1]
    assert [s.id for s in store.sessions.list(user.id, limit=1, offset=1)] == [ids[1]]
    latest = store.sessions.latest(user.id)
    assert latest is not None and latest.id == ids[2]
    assert store.sessions.get("missing") is None
    assert store.sessions.latest(store.users.ensure("nobody").id) is None


def test_sessions_are_found_by_a_unique_id_prefix(store: Store) -> None:
    user = store.users.local_user()
    chat = store.sessions.create(user.id)
    other_user = store.users.ensure("other")
    store.sessions.create(other_user.id)

    assert [s.id for s in store.sessions.find_by_prefix(user.id, chat.id[:6])] == [chat.id]
    assert [s.id for s in store.sessions.find_by_prefix(user.id, chat.id[:6].upper())] == [chat.id]
    assert store.sessions.find_by_prefix(user.id, "%") == []
    assert len(store.sessions.find_by_prefix(user.id, "", limit=5)) == 1


def test_vfs_writes_reads_lists_by_prefix_and_deletes(store: Store) -> None:
    user = store.users.local_user()
    store.vfs.write(user.id, "/notes/a.md", "alpha")
    store.vfs.write(user.id, "/notes/b.md", "héllo")
    store.vfs.write(user.id, "/notesX/c.md", "not under /notes/")
    store.vfs.write(user.id, "/todo_1.txt", "x")
    store.vfs.write(user.id, "/todoA1.txt", "_ is not a wildcard")

    replaced = store.vfs.write(user.id, "/notes/a.md", "alpha v2")
    read = store.vfs.read(user.id, "/notes/b.md")

    assert replaced.content == "alpha v2"
    assert read is not None and read.size == len("héllo".encode())
    assert [f.path for f in store.vfs.list(user.id, "/notes/")] == ["/notes/a.md", "/notes/b.md"]
    assert [f.path for f in store.vfs.list(user.id, "/todo_")] == ["/todo_1.txt"]
    assert store.vfs.delete(user.id, "/notes/a.md") is True
    assert store.vfs.delete(user.id, "/notes/a.md") is False
    assert store.vfs.read(store.users.ensure("other").id, "/notes/b.md") is None


def test_plan_is_replaced_as_a_whole(store: Store) -> None:
    user = store.users.local_user()
    sid = store.sessions.create(user.id).id
    assert store.plans.get(sid) == []

    store.plans.set(sid, [{"title": "find a slot", "status": "done"}, {"title": "invite", "status": "todo"}])
    store.plans.set(sid, [{"title": "invite", "status": "doing"}])

    assert store.plans.get(sid) == [{"title": "invite", "status": "doing"}]


def test_oauth_tokens_keep_metadata_only(store: Store) -> None:
    user = store.users.local_user()
    expiry = datetime(2030, 1, 1, 12, 0)  # naive, as google-auth hands it over: UTC
    store.oauth_tokens.upsert(user.id, "google", "gmail", scopes=["b", "a", "a"], expiry=expiry)
    store.oauth_tokens.upsert(user.id, "google", "calendar", scopes=["c"], expiry=None)

    token = store.oauth_tokens.get(user.id, "google", "gmail")
    assert token is not None
    assert token.scopes == ["a", "b"]
    assert token.expiry == datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    assert [t.service for t in store.oauth_tokens.list(user.id)] == ["calendar", "gmail"]
    with raw(db_path(store)) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(oauth_tokens)")}
    assert not any("token" in c or "secret" in c for c in columns)
    assert store.oauth_tokens.delete(user.id, "google", "gmail") is True
    assert store.oauth_tokens.get(user.id, "google", "gmail") is None


def test_tool_registry_sync_mirrors_what_was_discovered(store: Store) -> None:
    store.tool_registry.sync(
        [
            {
                "name": "fs_read",
                "source": "builtin",
                "description": "Read",
                "side_effect": False,
                "schema": {},
            },
            {
                "name": "old_tool",
                "source": "plugin",
                "description": "Gone soon",
                "side_effect": True,
                "schema": {},
            },
        ]
    )
    schema = {"type": "object", "properties": {"to": {"type": "array"}}}
    store.tool_registry.sync(
        [
            {
                "name": "fs_read",
                "source": "builtin",
                "description": "Read a file",
                "side_effect": False,
                "schema": {},
            },
            {
                "name": "gmail_send",
                "source": "google",
                "description": "Send",
                "side_effect": True,
                "schema": schema,
            },
        ]
    )

    entries = {e.name: e for e in store.tool_registry.list()}
    assert sorted(entries) == ["fs_read", "gmail_send"]
    assert entries["fs_read"].description == "Read a file"
    assert entries["gmail_send"].side_effect and entries["gmail_send"].json_schema == schema


def test_tool_access_is_per_user(store: Store) -> None:
    me, other = store.users.local_user(), store.users.ensure("other")
    store.tool_access.set(me.id, "gmail_send", False)
    store.tool_access.set(me.id, "fs_read", True)
    store.tool_access.set(me.id, "gmail_send", True)

    assert store.tool_access.get_all(me.id) == {"gmail_send": True, "fs_read": True}
    assert store.tool_access.get_all(other.id) == {}


def test_api_clients_are_created_listed_and_revoked(store: Store) -> None:
    user = store.users.local_user()
    phone = store.api_clients.create(user.id, "phone")
    laptop = store.api_clients.create(user.id, "laptop")

    assert store.api_clients.revoke(phone.id) is True
    assert store.api_clients.revoke(phone.id) is False
    assert store.api_clients.revoke("unknown") is False

    revoked = store.api_clients.get(phone.id)
    assert revoked is not None and revoked.revoked
    assert [c.name for c in store.api_clients.list()] == ["phone", "laptop"]
    assert [c.id for c in store.api_clients.list(include_revoked=False)] == [laptop.id]


def test_turn_events_replay_after_the_last_seen_id(store: Store) -> None:
    user = store.users.local_user()
    sid = store.sessions.create(user.id).id
    ids = [store.events.append(sid, "turn-1", "token", {"text": t}) for t in ("a", "b", "c")]
    store.events.append(sid, "turn-2", "token", {"text": "other turn"})

    assert ids == sorted(ids) and len(set(ids)) == 3
    replay = store.events.after(sid, "turn-1", ids[0])
    assert [(e.type, e.data["text"]) for e in replay] == [("token", "b"), ("token", "c")]
    assert [e.id for e in store.events.after(sid, "turn-1", 0)] == ids
    event = store.events.get(ids[1])
    assert event is not None and (event.session_id, event.turn_id) == (sid, "turn-1")


def test_turn_events_group_commit_keeps_order_and_returns_each_id(store: Store) -> None:
    from pa_cli.store.repositories.events import NewEvent

    user = store.users.local_user()
    sid = store.sessions.create(user.id).id
    first = store.events.append(sid, "turn-1", "session", {"n": 0})
    batch = [NewEvent(sid, f"turn-{1 + n % 2}", "token", {"text": str(n), "é": "ü"}) for n in range(50)]

    ids = store.events.append_many(batch)

    assert len(ids) == 50 and ids == sorted(ids) and ids[0] > first
    stored = {e.id: e for t in ("turn-1", "turn-2") for e in store.events.after(sid, t, 0)}
    assert [(stored[i].turn_id, stored[i].data) for i in ids] == [(e.turn_id, e.data) for e in batch]
    assert stored[ids[0]].created_at.tzinfo is UTC
    assert store.events.append_many([]) == []


def test_rate_limit_hits_slide_and_count_per_key(store: Store) -> None:
    limits = store.rate_limits

    assert limits.hit("chat:phone", 2, 60.0, now=1000.0) is None
    assert limits.hit("chat:phone", 2, 60.0, now=1010.0) is None
    assert limits.hit("chat:phone", 2, 60.0, now=1020.0) == 40.0  # refused, not counted
    assert limits.retry_after("chat:phone", 2, 60.0, now=1030.0) == 30.0
    assert limits.hit("chat:laptop", 2, 60.0, now=1020.0) is None  # another key, its own budget
    assert limits.hit("tool:phone", 2, 60.0, now=1020.0) is None
    assert limits.retry_after("chat:phone", 2, 60.0, now=1060.5) is None  # the oldest left the window
    assert limits.hit("chat:phone", 2, 60.0, now=1060.5) is None
    assert limits.hit("chat:phone", 2, 60.0, now=1061.0) == 9.0


def test_timestamps_come_back_as_aware_utc(store: Store) -> None:
    user = store.users.local_user()
    chat = store.sessions.create(user.id)
    fetched = store.sessions.get(chat.id)

    assert fetched is not None and fetched.created_at.tzinfo is UTC
    assert abs(fetched.created_at - datetime.now(UTC)) < timedelta(minutes=1)
