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
