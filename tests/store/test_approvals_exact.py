"""The expiry instant of an approval, pinned exactly (a clock frozen in process: a unit test)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from pa_cli.store import Store
from pa_cli.store.repositories import approvals as approvals_module

FROZEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_an_approval_is_no_longer_pending_at_the_instant_it_expires(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(approvals_module, "utcnow", lambda: FROZEN)
    user = store.users.local_user()
    chat = store.sessions.create(user.id)
    kwargs = {"user_id": user.id, "session_id": chat.id, "tool": "fs_write", "preview": "write"}
    live = store.approvals.create(arguments={"path": "/a"}, ttl_seconds=1, **kwargs)  # type: ignore[arg-type]
    store.approvals.create(arguments={"path": "/b"}, ttl_seconds=0, **kwargs)  # type: ignore[arg-type]
    assert [a.id for a in store.approvals.list_pending(user.id)] == [live.id]


def test_list_pending_is_the_users_own_oldest_first(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second user's pending approvals are never listed for the first, whichever id is smaller."""
    first = store.users.local_user()
    second = store.users.ensure("second")
    assert first.id < second.id
    made: dict[int, list[str]] = {first.id: [], second.id: []}
    for minute, user in enumerate([second, first, second, first]):
        monkeypatch.setattr(approvals_module, "utcnow", lambda m=minute: FROZEN.replace(minute=m))
        approval = store.approvals.create(
            user_id=user.id,
            session_id=None,
            tool="fs_write",
            arguments={"path": f"/{minute}"},
            preview="write",
        )
        made[user.id].append(approval.id)
    monkeypatch.setattr(approvals_module, "utcnow", lambda: FROZEN.replace(minute=10))
    assert [a.id for a in store.approvals.list_pending(first.id)] == made[first.id]
    assert [a.id for a in store.approvals.list_pending(second.id)] == made[second.id]
    # Decided ones leave the list; the other user's stay.
    store.approvals.decide(made[first.id][0], approved=False, frontend="cli")
    assert [a.id for a in store.approvals.list_pending(first.id)] == made[first.id][1:]
    assert [a.id for a in store.approvals.list_pending(second.id)] == made[second.id]


def test_an_approval_waits_one_day_unless_configured(store: Store) -> None:
    from pa_cli.store.db import Database
    from pa_cli.store.repositories.approvals import ApprovalRepository
    from pa_cli.store.store import Store as StoreClass

    assert approvals_module.DEFAULT_APPROVAL_TTL_SECONDS == 86_400
    assert ApprovalRepository(Database(store.engine)).ttl_seconds == 86_400
    assert StoreClass(store.engine).approvals.ttl_seconds == 86_400


def _approvals_with_ids(store: Store, monkeypatch: pytest.MonkeyPatch, owners: dict[str, int]) -> None:
    ids = iter(owners)
    monkeypatch.setattr(approvals_module, "new_approval_id", lambda: next(ids))
    for owner in owners.values():
        store.approvals.create(user_id=owner, session_id=None, tool="fs_write", arguments={}, preview="write")


def test_find_by_prefix_is_the_users_own_in_id_order_two_at_most_and_literal(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = store.users.local_user().id, store.users.ensure("second").id
    assert first < second
    owners = {"abd444444444": first, "abc222222222": first, "abc111111111": first, "abc333333333": first}
    _approvals_with_ids(store, monkeypatch, {**owners, "abc555555555": second})

    def found(user: int, prefix: str) -> list[str]:
        return [a.id for a in store.approvals.find_by_prefix(user, prefix)]

    assert found(first, "ABC") == ["abc111111111", "abc222222222"]  # lower-cased, in id order, at most 2
    assert found(first, "abd") == ["abd444444444"]
    assert found(first, "abc5") == []  # the second user's
    assert found(second, "abc") == ["abc555555555"]
    assert found(first, "ab%") == found(first, "a_c") == []  # % and _ are letters here, not wildcards


def test_deselect_needs_a_pending_approval(store: Store) -> None:
    from pa_cli.errors import NotFoundError
    from pa_cli.store.errors import ApprovalAlreadyDecided

    user = store.users.local_user().id

    def narrow(frozen: dict[str, Any] | None, ids: list[str]) -> dict[str, Any] | None:
        return {"kept": [i for i in (frozen or {}).get("items", []) if i not in ids]}

    made = store.approvals.create(
        user_id=user,
        session_id=None,
        tool="gmail_archive",
        arguments={},
        preview="p",
        frozen={"items": ["a", "b"]},
    )
    assert store.approvals.deselect(made.id, ["a"], narrow).frozen == {"kept": ["b"]}
    store.approvals.decide(made.id, approved=False, frontend="cli")
    with pytest.raises(ApprovalAlreadyDecided) as decided:
        store.approvals.deselect(made.id, ["b"], narrow)
    assert str(decided.value) == f"approval {made.id} was already denied"
    with pytest.raises(NotFoundError):
        store.approvals.deselect("nosuchid0000", ["b"], narrow)
