"""Approvals: pending until decided once, bound to their arguments, worthless once expired."""

from __future__ import annotations

import re

import pytest

from pa_cli.errors import NotFoundError, UsageError
from pa_cli.store import (
    ApprovalAlreadyDecided,
    ApprovalExpired,
    ApprovalStateError,
    Store,
    arguments_digest,
)
from pa_cli.store.models import Approval

MAIL = {"to": ["ana@example.com"], "subject": "Hi", "body": "See you at 10"}


def _create(store: Store, ttl_seconds: float = 3600, arguments: dict[str, object] | None = None) -> Approval:
    user = store.users.local_user()
    chat = store.sessions.create(user.id)
    return store.approvals.create(
        user_id=user.id,
        session_id=chat.id,
        tool="gmail_send",
        arguments=dict(arguments or MAIL),
        preview="To: ana@example.com\nSubject: Hi\n\nSee you at 10",
        tool_call_id="call-7",
        ttl_seconds=ttl_seconds,
    )


def test_new_approval_is_pending_with_a_short_unguessable_id(store: Store) -> None:
    first, second = _create(store), _create(store)

    stored = store.approvals.get(first.id)
    assert stored is not None and stored.status == "pending"
    assert stored.arguments == MAIL and stored.tool_call_id == "call-7"
    assert re.fullmatch(r"[a-z2-9]{12}", first.id) and first.id != second.id
    assert [a.id for a in store.approvals.list_pending(stored.user_id)] == [first.id, second.id]


def test_approval_is_bound_to_the_hash_of_its_exact_arguments(store: Store) -> None:
    approval = _create(store)

    assert approval.arguments_hash == arguments_digest(MAIL)
    assert approval.matches({"body": "See you at 10", "subject": "Hi", "to": ["ana@example.com"]})
    assert not approval.matches({**MAIL, "to": ["mallory@example.com"]})
    assert not approval.matches({**MAIL, "cc": []})


def test_deciding_records_the_outcome_and_the_front_end(store: Store) -> None:
    approval = _create(store)

    decided = store.approvals.decide(approval.id, approved=True, frontend="tui")

    assert (decided.status, decided.frontend) == ("approved", "tui")
    assert decided.decided_at is not None
    assert store.approvals.list_pending(approval.user_id) == []


def test_an_approval_can_be_decided_only_once(store: Store) -> None:
    approval = _create(store)
    store.approvals.decide(approval.id, approved=False, frontend="cli")

    with pytest.raises(ApprovalAlreadyDecided, match="already denied") as caught:
        store.approvals.decide(approval.id, approved=True, frontend="http")

    assert isinstance(caught.value, UsageError)
    stored = store.approvals.get(approval.id)
    assert stored is not None and stored.status == "denied"


def test_an_expired_approval_cannot_be_approved(store: Store) -> None:
    approval = _create(store, ttl_seconds=-1)

    assert store.approvals.list_pending(approval.user_id) == []
    with pytest.raises(ApprovalExpired, match="expired"):
        store.approvals.decide(approval.id, approved=True, frontend="cli")

    stored = store.approvals.get(approval.id)
    assert stored is not None and stored.status == "expired"
    with pytest.raises(ApprovalExpired):
        store.approvals.decide(approval.id, approved=True, frontend="cli")


def test_only_an_approved_call_can_be_marked_executed(store: Store) -> None:
    approved, denied = _create(store), _create(store)
    store.approvals.decide(approved.id, approved=True, frontend="cli")
    store.approvals.decide(denied.id, approved=False, frontend="cli")

    store.approvals.mark_executed(approved.id, "sent message 18c2")

    stored = store.approvals.get(approved.id)
    assert stored is not None
    assert (stored.status, stored.result_summary) == ("executed", "sent message 18c2")
    with pytest.raises(ApprovalStateError):
        store.approvals.mark_executed(denied.id, "must not run")
    with pytest.raises(ApprovalAlreadyDecided):
        store.approvals.decide(approved.id, approved=True, frontend="cli")


def test_unknown_approval_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.approvals.decide("nosuchapproval", approved=True, frontend="cli")
    assert store.approvals.get("nosuchapproval") is None


def test_an_approval_keeps_the_frozen_request_it_previewed(store: Store) -> None:
    user = store.users.local_user()
    frozen = {"event": {"summary": "Standup", "start": "2030-01-01T09:00:00+01:00"}, "etag": '"3"'}
    approval = store.approvals.create(
        user_id=user.id,
        session_id=None,
        tool="calendar_update_event",
        arguments={},
        preview="p",
        frozen=frozen,
    )
    plain = store.approvals.create(
        user_id=user.id, session_id=None, tool="gmail_send", arguments={}, preview="p"
    )
    assert store.approvals.get(approval.id).frozen == frozen  # type: ignore[union-attr]
    assert store.approvals.get(plain.id).frozen is None  # type: ignore[union-attr]
