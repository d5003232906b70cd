"""`pa history list|show|search` through the real command (`pa doctor`: test_doctor.py)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tests.conftest import PaRunner

if TYPE_CHECKING:
    from pa_cli.store import Store


def _seed(store: Store) -> tuple[str, str]:
    user = store.users.local_user()
    first = store.sessions.create(user.id, title="dentist")
    store.messages.add(first.id, "user", "When is my dentist appointment?")
    store.messages.add(first.id, "assistant", "Your dentist appointment is on Tuesday at 10:00.")
    second = store.sessions.create(user.id, title="groceries")
    store.messages.add(second.id, "user", "Add oat milk to the grocery list")
    store.messages.add(second.id, "assistant", "Half an answer", status="incomplete")
    return first.id, second.id


def test_history_list_shows_sessions_newest_first(pa: PaRunner, store: Store) -> None:
    first, second = _seed(store)
    listed = pa("history", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    ids = [s["id"] for s in json.loads(listed.stdout)]
    assert ids == [second, first]


def test_history_show_accepts_a_prefix_and_marks_incomplete_answers(pa: PaRunner, store: Store) -> None:
    _, second = _seed(store)
    shown = pa("history", "show", second[:8])
    assert shown.returncode == 0, shown.stderr
    assert "oat milk" in shown.stdout
    assert "(incomplete)" in shown.stdout


def test_history_search_uses_full_text_search(pa: PaRunner, store: Store) -> None:
    first, _ = _seed(store)
    found = pa("history", "search", "dentist", "--json")
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)
    assert {h["session_id"] for h in hits} == {first}
    assert pa("history", "search", "zeppelin").returncode == 1


def test_history_show_unknown_session_is_a_one_line_error(pa: PaRunner, store: Store) -> None:
    _seed(store)
    shown = pa("history", "show", "nonexistent-session")
    assert shown.returncode == 2
    assert shown.stderr.strip().startswith("error: no session")
    assert "Traceback" not in shown.stderr
