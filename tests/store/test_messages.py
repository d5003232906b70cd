"""Messages: kept in order, updated in place, found again by full-text search."""

from __future__ import annotations

from datetime import UTC

import pytest

from pa_cli.errors import NotFoundError
from pa_cli.store import Store
from pa_cli.store.repositories.messages import fts_query


def _session(store: Store, user_name: str = "local") -> tuple[int, str]:
    user = store.users.ensure(user_name)
    return user.id, store.sessions.create(user.id).id


def test_messages_list_oldest_first_with_their_fields(store: Store) -> None:
    _, sid = _session(store)
    store.messages.add(sid, "user", "first")
    store.messages.add(
        sid, "tool", "result", tool_name="fs_read", tool_call_id="call-1", data={"path": "/a", "n": 1}
    )
    store.messages.add(sid, "assistant", "third", status="incomplete")

    listed = store.messages.list(sid)

    assert [m.content for m in listed] == ["first", "result", "third"]
    assert listed[1].tool_name == "fs_read" and listed[1].data == {"path": "/a", "n": 1}
    assert listed[2].status == "incomplete"
    assert listed[0].created_at.tzinfo is UTC
    assert [m.content for m in store.messages.list(sid, limit=1, offset=1)] == ["result"]


def test_streaming_message_is_updated_in_place(store: Store) -> None:
    _, sid = _session(store)
    message = store.messages.add(sid, "assistant", "", status="streaming")

    store.messages.update(message.id, content="the whole answer", status="complete", data={"usage": 3})

    updated = store.messages.get(message.id)
    assert updated is not None
    assert (updated.content, updated.status, updated.data) == ("the whole answer", "complete", {"usage": 3})


def test_adding_a_message_makes_its_session_the_latest(store: Store) -> None:
    user_id, older = _session(store)
    newer = store.sessions.create(user_id).id
    assert store.sessions.latest(user_id) is not None

    store.messages.add(older, "user", "back to the older one")

    latest = store.sessions.latest(user_id)
    assert latest is not None and latest.id == older
    assert [s.id for s in store.sessions.list(user_id)] == [older, newer]


def test_unknown_roles_and_sessions_are_refused(store: Store) -> None:
    _, sid = _session(store)
    with pytest.raises(ValueError):
        store.messages.add(sid, "system", "nope")
    with pytest.raises(NotFoundError):
        store.messages.add("missing", "user", "nope")
    with pytest.raises(NotFoundError):
        store.messages.update(10_000, content="nope")


def test_search_finds_messages_by_word_and_by_stem(store: Store) -> None:
    user_id, sid = _session(store)
    store.messages.add(sid, "user", "Book a meeting with Ana on Tuesday")
    store.messages.add(sid, "assistant", "Lunch is at noon")

    assert [m.content for m in store.messages.search(user_id, "meeting")] == [
        "Book a meeting with Ana on Tuesday"
    ]
    assert [m.content for m in store.messages.search(user_id, "MEETINGS tuesday")] == [
        "Book a meeting with Ana on Tuesday"
    ]
    assert store.messages.search(user_id, "meeting lunch") == []  # every word must match


def test_search_ranks_the_best_match_first_and_respects_the_limit(store: Store) -> None:
    user_id, sid = _session(store)
    store.messages.add(sid, "user", "invoice " + "filler words about nothing in particular " * 20)
    store.messages.add(sid, "user", "invoice invoice invoice: the invoice for March")
    store.messages.add(sid, "user", "an unrelated note")

    found = store.messages.search(user_id, "invoice")

    assert [m.content.startswith("invoice invoice") for m in found] == [True, False]
    assert len(store.messages.search(user_id, "invoice", limit=1)) == 1


@pytest.mark.parametrize(
    ("awkward", "matches"),
    [
        ('foo"bar', False),
        ("OR", True),  # the word "OR" in the text, not the operator
        ("AND NOT", False),
        ("NEAR(a b)", False),
        ("*", False),
        ('"', False),
        ("-", False),
        ("col:value", False),
        ("a^b", False),
        ("(((", False),
        ("", False),
        ("   ", False),
        ("ünïcödé*", False),
    ],
)
def test_search_treats_fts_syntax_in_user_input_as_text(store: Store, awkward: str, matches: bool) -> None:
    user_id, sid = _session(store)
    store.messages.add(sid, "user", "OR is a word here, and so is NEAR")

    found = store.messages.search(user_id, awkward)

    assert [m.content for m in found] == (["OR is a word here, and so is NEAR"] if matches else [])


def test_search_matches_operator_words_literally(store: Store) -> None:
    user_id, sid = _session(store)
    store.messages.add(sid, "user", "either this OR that")
    store.messages.add(sid, "user", "something else")

    assert [m.content for m in store.messages.search(user_id, "OR")] == ["either this OR that"]
    assert [m.content for m in store.messages.search(user_id, 'this"OR')] == ["either this OR that"]


def test_search_supports_a_trailing_star_as_prefix(store: Store) -> None:
    user_id, sid = _session(store)
    store.messages.add(sid, "user", "the quarterly report")

    assert len(store.messages.search(user_id, "quart*")) == 1
    assert store.messages.search(user_id, "quart") == []


def test_fts_query_quotes_every_term() -> None:
    assert fts_query('foo"bar OR x*') == '"foo""bar" "OR" "x"*'
    assert fts_query("- * ()") is None


def test_search_sees_only_the_users_own_messages(store: Store) -> None:
    me, mine = _session(store)
    _, theirs = _session(store, "someone-else")
    store.messages.add(mine, "user", "my secret plan")
    store.messages.add(theirs, "user", "their secret plan")

    assert [m.content for m in store.messages.search(me, "secret")] == ["my secret plan"]


def test_search_index_follows_edits_and_deletions(store: Store) -> None:
    user_id, sid = _session(store)
    message = store.messages.add(sid, "assistant", "draft about apples")

    store.messages.update(message.id, content="final about oranges")
    assert store.messages.search(user_id, "apples") == []
    assert [m.id for m in store.messages.search(user_id, "oranges")] == [message.id]

    assert store.sessions.delete(sid)
    assert store.messages.search(user_id, "oranges") == []
