"""Sliding-window rate limits kept in the database: one count per client for every worker and host."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func
from sqlmodel import col, select

from pa_cli.store.db import Database
from pa_cli.store.models import RateLimitHit


class RateLimitRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def hit(self, key: str, limit: int, window: float, now: float) -> float | None:
        """Count one hit for ``key`` if fewer than ``limit`` fell in the last ``window`` seconds (None);
        otherwise count nothing and return the seconds until one more is allowed.

        The check and the insert are one write transaction: ``BEGIN IMMEDIATE`` on SQLite,
        and on PostgreSQL a transaction-scoped advisory lock on the key, so concurrent
        requests from several workers cannot both take the last slot.
        """
        with self._db.write() as session:
            if self._db.dialect == "postgresql":
                session.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))
            session.execute(
                delete(RateLimitHit).where(col(RateLimitHit.key) == key, col(RateLimitHit.at) <= now - window)
            )
            hits = session.exec(
                select(RateLimitHit.at).where(RateLimitHit.key == key).order_by(col(RateLimitHit.at))
            ).all()
            wait = _wait(hits, limit, window, now)
            if wait is None:
                session.add(RateLimitHit(key=key, at=now))
            return wait

    def retry_after(self, key: str, limit: int, window: float, now: float) -> float | None:
        """Seconds until one more hit is allowed for ``key``; None when it is allowed now."""
        query = (
            select(RateLimitHit.at)
            .where(RateLimitHit.key == key, col(RateLimitHit.at) > now - window)
            .order_by(col(RateLimitHit.at))
        )
        with self._db.read() as session:
            return _wait(session.exec(query).all(), limit, window, now)


def _wait(hits: Sequence[float], limit: int, window: float, now: float) -> float | None:
    """Given the times of the hits in the window, oldest first: None if one more fits, else the wait."""
    if len(hits) < limit:
        return None
    return max(0.0, hits[len(hits) - limit] + window - now)
