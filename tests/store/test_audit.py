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


def test_a_call_is_a_begin_row_and_a_close_that_references_it(store: Store) -> None:
    user = store.users.local_user()
    begun = store.audit.begin(
        user_id=user.id,
        tool="gmail_send",
        arguments={"to": ["ana@example.com"]},
        preview="To: ana@example.com",
        frontend="cli",
        approval_id="appr-1",
        session_id="sess-1",
    )
    closed = store.audit.close(begun, outcome="executed", resource_ids=["message:18c2"])
    assert (begun.outcome, begun.ref_id, begun.session_id) == ("executing", None, "sess-1")
    assert (closed.outcome, closed.ref_id, closed.resource_ids) == ("executed", begun.id, ["message:18c2"])
    assert (closed.tool, closed.approval_id, closed.session_id) == ("gmail_send", "appr-1", "sess-1")
    assert closed.arguments_digest == begun.arguments_digest and closed.prev_hash == begun.row_hash
    assert store.audit.verify_chain()


def test_the_reference_and_session_of_a_row_are_covered_by_its_hash(store: Store) -> None:
    user = store.users.local_user()
    begun = store.audit.begin(user_id=user.id, tool="fs_write", arguments={}, frontend="cli", session_id="s")
    closed = store.audit.close(begun, outcome="executed")
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET ref_id = NULL WHERE id = :id"), {"id": closed.id})
    assert store.audit.first_broken() == closed.id
    with store.engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_log SET ref_id = :ref WHERE id = :id"), {"ref": begun.id, "id": closed.id}
        )
        conn.execute(text("UPDATE audit_log SET session_id = 'other' WHERE id = :id"), {"id": begun.id})
    assert store.audit.first_broken() == begun.id


def test_rows_without_session_or_reference_hash_as_before_those_columns_existed(store: Store) -> None:
    """Ledgers written before migration 0003 keep verifying: the new keys enter the hash only when set."""
    from pa_cli.store.repositories.audit import row_hash
    from pa_cli.store.types import as_utc, canonical_json

    [entry_id] = _record(store, 1)
    [entry] = store.audit.list()
    assert entry.id == entry_id
    legacy = {
        "created_at": as_utc(entry.created_at).isoformat(),
        "user_id": entry.user_id,
        "tool": entry.tool,
        "arguments_digest": entry.arguments_digest,
        "preview": entry.preview,
        "frontend": entry.frontend,
        "outcome": entry.outcome,
        "resource_ids": list(entry.resource_ids),
        "client_id": entry.client_id,
        "approval_id": entry.approval_id,
    }
    expected = hashlib.sha256((entry.prev_hash + canonical_json(legacy)).encode("utf-8")).hexdigest()
    assert row_hash(entry) == entry.row_hash == expected
