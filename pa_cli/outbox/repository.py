"""Queries on the ``outbox`` table; every state change is one conditional UPDATE (atomic claims)."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from pa_cli.store.db import Database
from pa_cli.store.models import OutboxItem
from pa_cli.store.types import utcnow


def new_outbox_id() -> str:
    return "ob" + secrets.token_hex(6)


class OutboxRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    @classmethod
    def of(cls, store: Any) -> OutboxRepository:
        """The outbox of a ``Store`` (same engine)."""
        return cls(Database(store.engine))

    def add(
        self,
        *,
        user_id: int,
        arguments: dict[str, Any],
        summary: str,
        send_after: datetime,
        kind: str,
        session_id: str | None = None,
        approval_id: str | None = None,
        tool: str = "gmail_send",
    ) -> OutboxItem:
        item = OutboxItem(
            id=new_outbox_id(),
            user_id=user_id,
            session_id=session_id,
            approval_id=approval_id,
            tool=tool,
            arguments=arguments,
            summary=summary,
            kind=kind,
            send_after=send_after,
        )
        with self._db.write() as session:
            session.add(item)
        return item

    def get(self, item_id: str) -> OutboxItem | None:
        with self._db.read() as session:
            return session.get(OutboxItem, item_id)

    def due(self, now: datetime) -> list[OutboxItem]:
        query = (
            select(OutboxItem)
            .where(OutboxItem.status == "pending", col(OutboxItem.send_after) <= now)
            .order_by(col(OutboxItem.send_after))
        )
        with self._db.read() as session:
            return list(session.exec(query).all())

    def pending(self, user_id: int) -> list[OutboxItem]:
        """Waiting to go out, newest first."""
        query = (
            select(OutboxItem)
            .where(OutboxItem.user_id == user_id, OutboxItem.status == "pending")
            .order_by(col(OutboxItem.created_at).desc())
        )
        with self._db.read() as session:
            return list(session.exec(query).all())

    def recent(self, user_id: int, limit: int = 20) -> list[OutboxItem]:
        query = (
            select(OutboxItem)
            .where(OutboxItem.user_id == user_id)
            .order_by(col(OutboxItem.created_at).desc())
            .limit(limit)
        )
        with self._db.read() as session:
            return list(session.exec(query).all())

    def _move(self, item_id: str, from_status: str, **values: Any) -> bool:
        statement = (
            update(OutboxItem)
            .where(col(OutboxItem.id) == item_id, col(OutboxItem.status) == from_status)
            .values(**values)
        )
        with self._db.write() as session:
            return bool(session.exec(statement).rowcount == 1)

    def claim(self, item_id: str, now: datetime) -> bool:
        """pending -> sending; True for exactly one caller, however many try at once."""
        return self._move(item_id, "pending", status="sending", claimed_at=now)

    def cancel(self, item_id: str) -> bool:
        """pending -> cancelled; False when it was sent (or claimed for sending) already."""
        return self._move(item_id, "pending", status="cancelled", finished_at=utcnow())

    def finish(self, item_id: str, *, result: dict[str, Any] | None = None, error: str | None = None) -> None:
        status = "failed" if error is not None else "sent"
        self._move(item_id, "sending", status=status, finished_at=utcnow(), result=result, error=error)
