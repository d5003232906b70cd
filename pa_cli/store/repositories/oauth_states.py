"""Pending Google authorizations started over HTTP: one row each, taken once, swept when expired."""

from __future__ import annotations

from sqlalchemy import delete, func
from sqlmodel import col, select

from pa_cli.store.db import Database
from pa_cli.store.models import OAuthState


class OAuthStateRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, pending: OAuthState, *, now: float) -> int:
        """Store ``pending`` and delete every expired one; returns how many were swept."""
        with self._db.write() as session:
            result = session.execute(delete(OAuthState).where(col(OAuthState.expires_at) <= now))
            swept = result.rowcount  # type: ignore[attr-defined]
            session.add(pending)
            return int(swept or 0)

    def take(self, state_hash: str) -> OAuthState | None:
        """The pending authorization, deleted in the same transaction (a state works once)."""
        with self._db.write() as session:
            found = session.get(OAuthState, state_hash)
            if found is not None:
                session.delete(found)
            return found

    def count(self) -> int:
        with self._db.read() as session:
            return int(session.exec(select(func.count()).select_from(OAuthState)).one())
