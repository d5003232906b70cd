"""Turn events as sent over SSE, for replay after a reconnect (``Last-Event-ID``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import insert
from sqlmodel import col, select

from pa_cli.store.db import Database
from pa_cli.store.models import TurnEvent
from pa_cli.store.types import utcnow


class NewEvent(NamedTuple):
    session_id: str
    turn_id: str
    type: str
    data: dict[str, Any]


class TurnEventRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def append(self, session_id: str, turn_id: str, type: str, data: dict[str, Any]) -> int:
        """Store one event; its id increases monotonically and is never reused."""
        event = TurnEvent(session_id=session_id, turn_id=turn_id, type=type, data=data)
        with self._db.write() as session:
            session.add(event)
            session.flush()
            return event.id

    def append_many(self, events: Sequence[NewEvent]) -> list[int]:
        """Store ``events`` in one transaction (a group commit); their ids, in the same order."""
        if not events:
            return []
        now = utcnow()
        rows = [
            {
                "session_id": e.session_id,
                "turn_id": e.turn_id,
                "type": e.type,
                "data": e.data,
                "created_at": now,
            }
            for e in events
        ]
        statement = insert(TurnEvent).returning(col(TurnEvent.id), sort_by_parameter_order=True)
        with self._db.write() as session:
            return list(session.execute(statement, rows).scalars())

    def after(self, session_id: str, turn_id: str, last_id: int = 0) -> list[TurnEvent]:
        """The turn's events with an id above ``last_id``, in order."""
        query = (
            select(TurnEvent)
            .where(TurnEvent.session_id == session_id, TurnEvent.turn_id == turn_id)
            .where(col(TurnEvent.id) > last_id)
            .order_by(col(TurnEvent.id))
        )
        with self._db.read() as session:
            return list(session.exec(query).all())

    def last_of_session(self, session_id: str) -> TurnEvent | None:
        """The session's newest event: whether its latest turn has ended (``done``/``error``) or not."""
        query = (
            select(TurnEvent)
            .where(TurnEvent.session_id == session_id)
            .order_by(col(TurnEvent.id).desc())
            .limit(1)
        )
        with self._db.read() as session:
            return session.exec(query).first()

    def get(self, event_id: int) -> TurnEvent | None:
        """One event: which session and turn a ``Last-Event-ID`` belongs to."""
        with self._db.read() as session:
            return session.get(TurnEvent, event_id)
