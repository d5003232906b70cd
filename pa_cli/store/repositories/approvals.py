"""Pending side effects and their decisions.

An approval is created ``pending`` with the exact arguments it previews and
their hash, and an expiry. ``decide`` moves it to ``approved`` or ``denied``
once; deciding an expired or already decided approval raises a typed error.
``mark_executed`` records that an approved call ran.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Final

from sqlmodel import col, select

from pa_cli.errors import NotFoundError
from pa_cli.store.db import Database
from pa_cli.store.errors import ApprovalAlreadyDecided, ApprovalExpired, ApprovalStateError
from pa_cli.store.models import Approval
from pa_cli.store.types import arguments_digest, utcnow

#: Lowercase letters and digits without look-alikes (0/o, 1/l/i): easy to type, never starts with "-".
ID_ALPHABET: Final = "abcdefghjkmnpqrstuvwxyz23456789"
ID_LENGTH: Final = 12  # about 59 bits
#: How long an approval waits unless configured (``approvals.expire_hours``): one day.
DEFAULT_APPROVAL_TTL_SECONDS: Final = 24 * 3600


def new_approval_id() -> str:
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


class ApprovalRepository:
    def __init__(self, db: Database, *, ttl_seconds: float = DEFAULT_APPROVAL_TTL_SECONDS) -> None:
        self._db = db
        self.ttl_seconds = ttl_seconds

    def create(
        self,
        *,
        user_id: int,
        session_id: str | None,
        tool: str,
        arguments: dict[str, Any],
        preview: str,
        frozen: dict[str, Any] | None = None,
        tool_call_id: str | None = None,
        ttl_seconds: float | None = None,
    ) -> Approval:
        now = utcnow()
        approval = Approval(
            id=new_approval_id(),
            user_id=user_id,
            session_id=session_id,
            tool=tool,
            arguments=arguments,
            arguments_hash=arguments_digest(arguments),
            preview=preview,
            frozen=frozen,
            tool_call_id=tool_call_id,
            created_at=now,
            expires_at=now + timedelta(seconds=self.ttl_seconds if ttl_seconds is None else ttl_seconds),
        )
        with self._db.write() as session:
            session.add(approval)
        return approval

    def get(self, approval_id: str) -> Approval | None:
        with self._db.read() as session:
            return session.get(Approval, approval_id)

    def decide(self, approval_id: str, *, approved: bool, frontend: str) -> Approval:
        """pending -> approved | denied. Raises when it is unknown, expired or decided already."""
        with self._db.write() as session:
            approval = session.get(Approval, approval_id)
            if approval is None:
                raise NotFoundError(f"no approval {approval_id!r}")
            if approval.status == "pending":
                now = utcnow()
                if approval.is_expired(now):
                    approval.status = "expired"
                else:
                    approval.status = "approved" if approved else "denied"
                    approval.decided_at = now
                    approval.frontend = frontend
                    return approval
        if approval.status == "expired":
            raise ApprovalExpired(
                f"approval {approval_id} ({approval.tool}) expired at {approval.expires_at:%Y-%m-%d %H:%M} UTC"
                " and did not run; it is now marked expired",
                hint="ask again: the request makes a new approval with a fresh preview",
            )
        raise ApprovalAlreadyDecided(f"approval {approval_id} was already {approval.status}")

    def deselect(
        self,
        approval_id: str,
        ids: list[str],
        narrow: Callable[[dict[str, Any] | None, list[str]], dict[str, Any] | None],
    ) -> Approval:
        """Leave these items of a pending batch approval out of what it will run (before deciding it).

        ``narrow`` (``tools.selection.with_deselected``) checks the ids and returns the narrowed
        request: the store keeps it, the tools layer decides what narrowing means."""
        with self._db.write() as session:
            approval = session.get(Approval, approval_id)
            if approval is None:
                raise NotFoundError(f"no approval {approval_id!r}")
            if approval.status != "pending":
                raise ApprovalAlreadyDecided(f"approval {approval_id} was already {approval.status}")
            approval.frozen = narrow(approval.frozen, ids)
            return approval

    def mark_executed(self, approval_id: str, result_summary: str) -> None:
        with self._db.write() as session:
            approval = session.get(Approval, approval_id)
            if approval is None:
                raise NotFoundError(f"no approval {approval_id!r}")
            if approval.status != "approved":
                raise ApprovalStateError(f"approval {approval_id} is {approval.status}, not approved")
            approval.status = "executed"
            approval.executed_at = utcnow()
            approval.result_summary = result_summary

    def find_by_prefix(self, user_id: int, prefix: str, limit: int = 2) -> list[Approval]:
        """The user's approvals whose id starts with ``prefix`` (``pa approve k3xq``)."""
        query = (
            select(Approval)
            .where(Approval.user_id == user_id)
            .where(col(Approval.id).startswith(prefix.lower(), autoescape=True))
            .order_by(col(Approval.id))
            .limit(limit)
        )
        with self._db.read() as session:
            return list(session.exec(query).all())

    def list_pending(self, user_id: int) -> list[Approval]:
        """Pending and not yet expired, oldest first."""
        query = (
            select(Approval)
            .where(Approval.user_id == user_id, Approval.status == "pending")
            .where(col(Approval.expires_at) > utcnow())
            .order_by(col(Approval.created_at))
        )
        with self._db.read() as session:
            return list(session.exec(query).all())
