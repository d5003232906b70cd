"""Requests to cancel a turn, for whichever worker or host runs it."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete
from sqlmodel import col, select

from pa_cli.store.db import Database
from pa_cli.store.models import TurnCancel


class TurnCancelRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def request(self, turn_id: str, session_id: str, *, now: float) -> None:
        with self._db.write() as session:
            if session.get(TurnCancel, turn_id) is None:
                session.add(TurnCancel(turn_id=turn_id, session_id=session_id, requested_at=now))

    def requested(self, turn_ids: Iterable[str]) -> set[str]:
        """Which of ``turn_ids`` someone asked to cancel."""
        wanted = list(turn_ids)
        if not wanted:
            return set()
        with self._db.read() as session:
            return set(
                session.exec(select(TurnCancel.turn_id).where(col(TurnCancel.turn_id).in_(wanted))).all()
            )

    def clear(self, turn_id: str) -> None:
        with self._db.write() as session:
            session.execute(delete(TurnCancel).where(col(TurnCancel.turn_id) == turn_id))
