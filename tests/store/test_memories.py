"""Memories in the store: saved with their source and mark, searched, recalled, edited, forgotten.

Every test runs on SQLite (FTS5) and again on a real PostgreSQL (plain word matching).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pa_cli.errors import NotFoundError
from pa_cli.memory.words import key_words
from pa_cli.store import Store, open_store


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest) -> Iterator[Store]:
    if request.param == "sqlite":
        yield request.getfixturevalue("store")
        return
    url = request.getfixturevalue("postgres_url")
    with open_store(url=url) as opened:
        assert opened.dialect == "postgresql"
        yield opened


def _user(store: Store, name: str = "local") -> int:
    return store.users.ensure(name).id


def test_a_memory_keeps_its_source_times_pin_and_untrusted_mark(any_store: Store) -> None:
    uid = _user(any_store)
    session = any_store.sessions.create(uid)
    saved = any_store.memories.add(
        uid, "Sam is my manager", source="turn", session_id=session.id, turn_id="t1", taint="read mail"
    )
    got = any_store.memories.get(uid, saved.id)
    assert got is not None
    assert (got.text, got.source, got.session_id, got.turn_id, got.taint) == (
        "Sam is my manager",
        "turn",
        session.id,
        "t1",
        "read mail",
    )
    assert got.pinned is False and got.last_used_at is None and got.created_at.tzinfo is not None
    any_store.memories.touch([saved.id])
    touched = any_store.memories.get(uid, saved.id)
    assert touched is not None and touched.last_used_at is not None


def test_search_needs_every_word_and_stays_within_the_user(any_store: Store) -> None:
    uid, other = _user(any_store), _user(any_store, "someone-else")
    any_store.memories.add(uid, "My manager is Sam")
    any_store.memories.add(uid, "I never take meetings before ten")
    any_store.memories.add(other, "My manager is Zoe")
    assert [m.text for m in any_store.memories.search(uid, "manager")] == ["My manager is Sam"]
    assert [m.text for m in any_store.memories.search(uid, "MEETINGS before")] == [
        "I never take meetings before ten"
    ]
    assert any_store.memories.search(uid, "manager Zoe") == []
    assert any_store.memories.search(uid, '" OR NEAR(') == []


def test_recall_brings_matches_first_then_pinned_and_nothing_unrelated(any_store: Store) -> None:
    uid, other = _user(any_store), _user(any_store, "someone-else")
    manager = any_store.memories.add(uid, "My manager is Sam")
    pinned = any_store.memories.add(uid, "Always answer in British English", pinned=True)
    any_store.memories.add(uid, "The offsite is the Lisbon project kickoff")
    any_store.memories.add(other, "My manager is Zoe", pinned=True)

    recalled = any_store.memories.recall(uid, key_words("who is my manager?"))

    assert [m.id for m in recalled] == [manager.id, pinned.id]
    assert recalled[0].rank == 0 and recalled[1].rank is None and recalled[1].pinned
    assert [m.id for m in any_store.memories.recall(uid, key_words("!!!"))] == [pinned.id]


def test_similar_ranks_the_fact_sharing_most_words_first(any_store: Store) -> None:
    uid = _user(any_store)
    any_store.memories.add(uid, "Lunch is at noon")
    manager = any_store.memories.add(uid, "My manager is Sam")
    found = any_store.memories.similar(uid, key_words("Sam left; my manager is Priya"))
    assert found[0].id == manager.id


def test_edit_pin_and_forget(any_store: Store) -> None:
    uid, other = _user(any_store), _user(any_store, "someone-else")
    saved = any_store.memories.add(uid, "My manager is Sam")
    any_store.memories.update_text(uid, saved.id, "My manager is Priya")
    any_store.memories.set_pinned(uid, saved.id, True)
    assert [m.text for m in any_store.memories.search(uid, "Priya")] == ["My manager is Priya"]
    assert any_store.memories.search(uid, "Sam") == []
    assert any_store.memories.list(uid)[0].pinned
    with pytest.raises(NotFoundError):
        any_store.memories.update_text(other, saved.id, "stolen")
    assert any_store.memories.delete(other, saved.id) is False
    assert any_store.memories.delete(uid, saved.id) is True
    assert any_store.memories.recall(uid, ["manager", "priya"]) == []
    assert any_store.memories.count(uid) == 0


def test_saving_with_replaces_retires_the_old_facts_in_one_step(any_store: Store) -> None:
    uid = _user(any_store)
    old = any_store.memories.add(uid, "My manager is Sam")
    new = any_store.memories.add(uid, "Sam left; my manager is Priya", replaces=[old.id])
    assert [m.id for m in any_store.memories.list(uid)] == [new.id]


def test_ids_resolve_by_unique_prefix(any_store: Store) -> None:
    from pa_cli.ids import resolve_memory

    uid = _user(any_store)
    saved = any_store.memories.add(uid, "My manager is Sam")
    assert resolve_memory(any_store, uid, saved.id[:6]).id == saved.id
    with pytest.raises(NotFoundError):
        resolve_memory(any_store, _user(any_store, "someone-else"), saved.id)
