"""The expiry instant of an approval, pinned exactly (a clock frozen in process: a unit test)."""

from __future__ import annotations

from datetime import UTC, datetime

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
