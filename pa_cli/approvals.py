"""Approvals for the front-ends: what waits for the user, oldest first (over the store's repository)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pa_cli.config import Settings


@dataclass
class PendingApproval:
    id: str
    tool: str
    session_id: str | None
    preview: str
    created_at: datetime
    expires_at: datetime

    def age_seconds(self, now: datetime) -> int:
        return max(0, int((now - self.created_at).total_seconds()))

    def as_dict(self, now: datetime) -> dict[str, Any]:
        return {
            "id": self.id,
            "tool": self.tool,
            "session_id": self.session_id,
            "preview": self.preview,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "age_seconds": self.age_seconds(now),
        }


def pending_approvals(settings: Settings) -> list[PendingApproval]:
    """The local user's approvals that wait and have not expired, oldest first."""
    from pa_cli.store import open_store
    from pa_cli.store.types import as_utc

    with open_store(settings) as store:
        user_id = store.users.local_user().id
        rows = store.approvals.list_pending(user_id)
    return [
        PendingApproval(a.id, a.tool, a.session_id, a.preview, as_utc(a.created_at), as_utc(a.expires_at))
        for a in rows
    ]
