"""The audit log: a hash chain that verifies, and shows any edit or deletion."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import text

from pa_cli.store import Store
from pa_cli.store.types import GENESIS_HASH


def _record(store: Store, n: int) -> list[int]:
    user = store.users.local_user()
    return [
        store.audit.record(
            user_id=user.id,
            tool="calendar_create_event",
            arguments={"summary": f"event {i}", "start": "2025-01-01T10:00:00+01:00"},
            preview=f"event {i} at 10:00",
            frontend="cli",
            outcome="ok",
            resource_ids=[f"evt{i}"],
            approval_id=None,
        ).id
        for i in range(n)
    ]


def test_arguments_are_stored_as_a_sha256_of_canonical_json(store: Store) -> None:
    entry = store.audit.record(
        user_id=None, tool="fs_write", arguments={"path": "/a", "content": "é"}, frontend="http", outcome="ok"
    )
    canonical = json.dumps({"content": "é", "path": "/a"}, separators=(",", ":"), ensure_ascii=False)
    assert entry.arguments_digest == hashlib.sha256(canonical.encode()).hexdigest()
    assert "é" not in entry.model_dump_json()  # the arguments themselves are not kept


def test_each_row_carries_the_hash_of_the_previous_one(store: Store) -> None:
    _record(store, 3)
    entries = list(reversed(store.audit.list()))

    assert entries[0].prev_hash == GENESIS_HASH
    assert [e.prev_hash for e in entries[1:]] == [e.row_hash for e in entries[:-1]]
    assert store.audit.verify_chain()


def test_an_edited_row_breaks_the_chain(store: Store) -> None:
    ids = _record(store, 4)
    with store.engine.begin() as conn:  # behind the repository's back, as an attacker would
        conn.execute(text("UPDATE audit_log SET outcome = 'denied' WHERE id = :id"), {"id": ids[2]})

    assert not store.audit.verify_chain()
    assert store.audit.first_broken() == ids[2]


def test_a_deleted_row_breaks_the_chain(store: Store) -> None:
    ids = _record(store, 4)
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": ids[1]})

    assert store.audit.first_broken() == ids[2]


def test_an_empty_log_verifies(store: Store) -> None:
    assert store.audit.verify_chain()
