"""The audit repository, pinned exactly: every field of every kind of row, the hash's exact content,
each filter of ``list`` at its boundary, and the exact break ``find_break`` names.

One migrated SQLite file per module (the rows of each test are told apart by a tool name of its
own): a database per test would be most of what a mutant's run costs.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from pa_cli.store import Store
from pa_cli.store.audit_anchor import Checkpoint
from pa_cli.store.repositories.audit import EXECUTING, AuditRepository, Break, Tip, row_hash
from pa_cli.store.types import GENESIS_HASH


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    from pa_cli.store import open_store

    opened = open_store(url=f"sqlite:///{tmp_path_factory.mktemp('audit') / 'pa.db'}")
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """An empty ledger, for the tests about the chain's start and its count."""
    from pa_cli.store import open_store

    opened = open_store(url=f"sqlite:///{tmp_path_factory.mktemp('audit-fresh') / 'pa.db'}")
    try:
        yield opened
    finally:
        opened.close()


class RecordingAnchor:
    def __init__(self) -> None:
        self.advanced: list[Checkpoint] = []
        self.flushes = 0
        self.stored: Checkpoint | None = Checkpoint(row_id=7, row_hash="f" * 64, rows=7)

    def read(self) -> Checkpoint | None:
        return self.stored

    def advance(self, checkpoint: Checkpoint) -> None:
        self.advanced.append(checkpoint)

    def flush(self) -> None:
        self.flushes += 1


def _tool() -> str:
    return "t_" + uuid.uuid4().hex[:10]


def _digest(arguments: dict[str, object]) -> str:
    canonical = json.dumps(arguments, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _expected_hash(prev: str, content: dict[str, object]) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev + canonical).encode()).hexdigest()


def test_record_writes_every_field_as_given(store: Store) -> None:
    tool = _tool()
    entry = store.audit.record(
        user_id=3,
        tool=tool,
        arguments={"b": 1, "a": "é"},
        preview="the preview",
        frontend="http",
        outcome="denied",
        resource_ids=[12, "x"],
        client_id="c1",
        approval_id="a1",
        session_id="s1",
    )
    (stored,) = store.audit.list(tool=tool)
    for row in (entry, stored):
        assert (row.user_id, row.tool, row.preview, row.frontend, row.outcome) == (
            3,
            tool,
            "the preview",
            "http",
            "denied",
        )
        assert row.arguments_digest == _digest({"a": "é", "b": 1})
        assert row.resource_ids == ["12", "x"]
        assert (row.client_id, row.approval_id, row.session_id, row.ref_id) == ("c1", "a1", "s1", None)
    assert stored.id == entry.id
    assert stored.row_hash == entry.row_hash


def test_record_defaults_are_none_and_empty(store: Store) -> None:
    tool = _tool()
    entry = store.audit.record(user_id=None, tool=tool, arguments={}, frontend="cli", outcome="refused")
    (stored,) = store.audit.list(tool=tool)
    assert (stored.preview, stored.client_id, stored.approval_id, stored.session_id, stored.ref_id) == (
        None,
        None,
        None,
        None,
        None,
    )
    assert stored.resource_ids == []
    assert stored.user_id is None
    assert entry.outcome == "refused"


def test_begin_and_close_write_the_two_rows_of_a_call(store: Store) -> None:
    tool = _tool()
    begun = store.audit.begin(
        user_id=5,
        tool=tool,
        arguments={"x": 1},
        preview="p",
        frontend="tui",
        client_id="cl",
        approval_id="ap",
        session_id="se",
    )
    closed = store.audit.close(begun, outcome="executed", resource_ids=[1, "r2"])
    newest, oldest = store.audit.list(tool=tool)
    assert (oldest.id, newest.id) == (begun.id, closed.id)
    assert EXECUTING == "executing"
    assert (oldest.outcome, oldest.preview, oldest.ref_id, oldest.resource_ids) == (
        "executing",
        "p",
        None,
        [],
    )
    assert (newest.outcome, newest.preview, newest.ref_id, newest.resource_ids) == (
        "executed",
        None,
        begun.id,
        ["1", "r2"],
    )
    for row in (oldest, newest):
        assert (row.user_id, row.tool, row.frontend, row.client_id, row.approval_id, row.session_id) == (
            5,
            tool,
            "tui",
            "cl",
            "ap",
            "se",
        )
        assert row.arguments_digest == _digest({"x": 1})
    assert newest.prev_hash == oldest.row_hash


def test_begin_defaults_and_a_close_without_resources(store: Store) -> None:
    tool = _tool()
    begun = store.audit.begin(user_id=None, tool=tool, arguments={}, frontend="cli")
    closed = store.audit.close(begun, outcome="failed")
    assert (begun.preview, begun.client_id, begun.approval_id, begun.session_id) == (None, None, None, None)
    assert (closed.outcome, closed.resource_ids, closed.ref_id) == ("failed", [], begun.id)


def test_the_hash_covers_exactly_this_content(store: Store) -> None:
    tool = _tool()
    before = store.audit.tip().row_hash
    entry = store.audit.record(
        user_id=1,
        tool=tool,
        arguments={"k": "v"},
        preview="pv",
        frontend="cli",
        outcome="ok",
        resource_ids=["r"],
        client_id="c",
        approval_id="a",
    )
    content: dict[str, object] = {
        "created_at": entry.created_at.astimezone(UTC).isoformat(),
        "user_id": 1,
        "tool": tool,
        "arguments_digest": _digest({"k": "v"}),
        "preview": "pv",
        "frontend": "cli",
        "outcome": "ok",
        "resource_ids": ["r"],
        "client_id": "c",
        "approval_id": "a",
    }
    assert entry.prev_hash == before
    assert entry.row_hash == _expected_hash(before or GENESIS_HASH, content)
    with_session = store.audit.record(
        user_id=1, tool=tool, arguments={}, frontend="cli", outcome="ok", session_id="s9"
    )
    closed = store.audit.close(with_session, outcome="executed")
    base = {
        "created_at": with_session.created_at.astimezone(UTC).isoformat(),
        "user_id": 1,
        "tool": tool,
        "arguments_digest": _digest({}),
        "preview": None,
        "frontend": "cli",
        "outcome": "ok",
        "resource_ids": [],
        "client_id": None,
        "approval_id": None,
    }
    assert with_session.row_hash == _expected_hash(entry.row_hash, {**base, "session_id": "s9"})
    closing = {
        **base,
        "created_at": closed.created_at.astimezone(UTC).isoformat(),
        "outcome": "executed",
        "session_id": "s9",
        "ref_id": with_session.id,
    }
    assert closed.row_hash == _expected_hash(with_session.row_hash, closing)
    assert row_hash(closed) == closed.row_hash


def test_the_first_row_follows_the_genesis_hash_and_the_tip_counts_rows(fresh: Store) -> None:
    empty = fresh.audit.tip()
    assert empty == Tip(row_id=None, row_hash=None, rows=0, checkpoint=None)
    first = fresh.audit.record(user_id=None, tool="a", arguments={}, frontend="cli", outcome="ok")
    assert first.prev_hash == GENESIS_HASH == "0" * 64
    second = fresh.audit.record(user_id=None, tool="a", arguments={}, frontend="cli", outcome="ok")
    assert fresh.audit.tip() == Tip(row_id=second.id, row_hash=second.row_hash, rows=2, checkpoint=None)


def test_every_append_advances_the_anchor_with_the_new_tip(fresh: Store) -> None:
    anchor = RecordingAnchor()
    fresh.audit.anchor = anchor
    first = fresh.audit.record(user_id=None, tool="a", arguments={}, frontend="cli", outcome="ok")
    begun = fresh.audit.begin(user_id=None, tool="a", arguments={}, frontend="cli")
    closed = fresh.audit.close(begun, outcome="executed")
    assert anchor.advanced == [
        Checkpoint(row_id=first.id, row_hash=first.row_hash, rows=1),
        Checkpoint(row_id=begun.id, row_hash=begun.row_hash, rows=2),
        Checkpoint(row_id=closed.id, row_hash=closed.row_hash, rows=3),
    ]
    assert anchor.flushes == 0
    tip = fresh.audit.tip()
    assert anchor.flushes == 1  # the pending checkpoint is written before it is read back
    assert tip == Tip(row_id=closed.id, row_hash=closed.row_hash, rows=3, checkpoint=anchor.stored)


def test_list_filters_each_at_its_boundary(store: Store) -> None:
    tool, other = _tool(), _tool()
    rows = [
        store.audit.record(
            user_id=41, tool=tool, arguments={"i": i}, frontend="cli", outcome="ok", session_id="sA"
        )
        for i in range(3)
    ]
    store.audit.record(user_id=42, tool=tool, arguments={}, frontend="cli", outcome="ok", session_id="sB")
    store.audit.record(user_id=41, tool=other, arguments={}, frontend="cli", outcome="ok", session_id="sA")
    before_a = store.audit.record(
        user_id=43, tool=tool, arguments={}, frontend="cli", outcome="ok", session_id="s0"
    )
    mine = store.audit.list(tool=tool)
    assert [r.user_id for r in mine] == [43, 42, 41, 41, 41]  # newest first
    assert [r.id for r in store.audit.list(tool=tool, user_id=41)] == [r.id for r in reversed(rows)]
    assert [r.user_id for r in store.audit.list(tool=tool, user_id=42)] == [42]
    assert [r.id for r in store.audit.list(tool=tool, session_id="sA")] == [r.id for r in reversed(rows)]
    assert [r.id for r in store.audit.list(tool=tool, session_id="s0")] == [
        before_a.id
    ]  # "s0" sorts before "sA"
    assert {r.tool for r in store.audit.list(user_id=41, session_id="sA", limit=1000)} >= {tool, other}
    assert [r.id for r in store.audit.list(tool=tool, limit=2)] == [mine[0].id, mine[1].id]
    assert [r.id for r in store.audit.list(tool=tool, limit=2, offset=1)] == [mine[1].id, mine[2].id]
    middle = rows[1]
    at = middle.created_at
    since = store.audit.list(tool=tool, user_id=41, since=at)
    assert middle.id in [r.id for r in since]  # inclusive
    assert rows[0].id not in [r.id for r in since] or rows[0].created_at == at
    until = store.audit.list(tool=tool, user_id=41, until=at)
    assert middle.id not in [r.id for r in until]  # exclusive
    assert store.audit.list(tool=tool, since=at + timedelta(days=1)) == []
    assert len(store.audit.list(tool=tool, until=at + timedelta(days=1))) == 5


def test_list_since_and_until_on_rows_a_second_apart(fresh: Store) -> None:
    base = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    ids = [
        fresh.audit.record(user_id=None, tool="w", arguments={}, frontend="cli", outcome="ok").id
        for _ in range(3)
    ]
    with fresh.engine.begin() as conn:  # spread them a second apart, as time would
        for n, row_id in enumerate(ids):
            conn.execute(
                text("UPDATE audit_log SET created_at = :at WHERE id = :id"),
                {"at": (base + timedelta(seconds=n)).strftime("%Y-%m-%d %H:%M:%S.%f"), "id": row_id},
            )
    second = base + timedelta(seconds=1)
    assert [r.id for r in fresh.audit.list(since=second)] == [ids[2], ids[1]]
    assert [r.id for r in fresh.audit.list(until=second)] == [ids[0]]
    assert [r.id for r in fresh.audit.list(since=base, until=base + timedelta(seconds=2))] == [ids[1], ids[0]]


def test_list_default_limit_is_50(fresh: Store) -> None:
    for _ in range(51):
        fresh.audit.record(user_id=None, tool="n", arguments={}, frontend="cli", outcome="ok")
    assert len(fresh.audit.list()) == 50
    assert len(fresh.audit.list(offset=50)) == 1


def _chain(store: Store, n: int) -> list[int]:
    return [
        store.audit.record(user_id=None, tool="c", arguments={"i": i}, frontend="cli", outcome="ok").id
        for i in range(n)
    ]


def test_find_break_names_the_changed_row_and_why(fresh: Store) -> None:
    ids = _chain(fresh, 4)
    assert fresh.audit.find_break() is None
    assert fresh.audit.first_broken() is None
    assert fresh.audit.verify_chain() is True
    with fresh.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET outcome = 'denied' WHERE id = :id"), {"id": ids[2]})
    expected = Break(ids[2], "its content does not match its hash: the row was changed")
    assert fresh.audit.find_break() == expected
    assert fresh.audit.first_broken() == ids[2]
    assert fresh.audit.verify_chain() is False
    assert fresh.audit.find_break(up_to=ids[1]) is None  # the rows before it still check out
    assert fresh.audit.find_break(up_to=ids[2]) == expected  # up_to is inclusive


def test_find_break_names_the_row_after_a_removed_one(fresh: Store) -> None:
    ids = _chain(fresh, 3)
    with fresh.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": ids[1]})
    assert fresh.audit.find_break() == Break(
        ids[2], f"does not follow row {ids[0]}: a row before it was removed or changed"
    )


def test_find_break_when_the_first_row_is_removed(fresh: Store) -> None:
    ids = _chain(fresh, 2)
    with fresh.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": ids[0]})
    assert fresh.audit.find_break() == Break(
        ids[1], "does not follow the start of the log: a row before it was removed or changed"
    )


def test_a_new_repository_is_not_anchored(store: Store) -> None:
    from pa_cli.store.db import Database

    assert AuditRepository(Database(store.engine)).anchor is None


def test_a_break_and_a_tip_are_values_that_cannot_change() -> None:
    import dataclasses

    found = Break(3, "why")
    with pytest.raises(dataclasses.FrozenInstanceError):
        found.row_id = 4  # type: ignore[misc]
    tip = Tip(row_id=1, row_hash="h", rows=1, checkpoint=None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        tip.rows = 0  # type: ignore[misc]
