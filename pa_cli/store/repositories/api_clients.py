"""Devices allowed to use ``pa serve``: one row per issued token (``id`` is its ``jti``)."""

from __future__ import annotations

import builtins
import secrets
from collections.abc import Iterable

from sqlmodel import col, select

from pa_cli.store.db import Database
from pa_cli.store.models import ApiClient
from pa_cli.store.types import utcnow


class ApiClientRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self, user_id: int, name: str) -> ApiClient:
        client = ApiClient(id=secrets.token_hex(12), user_id=user_id, name=name)
        with self._db.write() as session:
            session.add(client)
        return client

    def get(self, client_id: str) -> ApiClient | None:
        with self._db.read() as session:
            return session.get(ApiClient, client_id)

    def list(self, *, include_revoked: bool = True) -> list[ApiClient]:
        query = select(ApiClient).order_by(col(ApiClient.created_at))
        if not include_revoked:
            query = query.where(col(ApiClient.revoked_at).is_(None))
        with self._db.read() as session:
            return list(session.exec(query).all())

    def find_by_prefix(self, prefix: str, limit: int = 2) -> builtins.list[ApiClient]:
        """Clients whose id starts with ``prefix`` (``pa serve token revoke 3f2a``)."""
        query = (
            select(ApiClient)
            .where(col(ApiClient.id).startswith(prefix.lower(), autoescape=True))
            .order_by(col(ApiClient.id))
            .limit(limit)
        )
        with self._db.read() as session:
            return builtins.list(session.exec(query).all())

    def revoke(self, client_id: str) -> bool:
        """True when the client existed and was active; its tokens stop working."""
        with self._db.write() as session:
            client = session.get(ApiClient, client_id)
            if client is None or client.revoked_at is not None:
                return False
            client.revoked_at = utcnow()
            return True

    def revoked_among(self, client_ids: Iterable[str]) -> set[str]:
        """Which of ``client_ids`` are revoked (or gone): one query for every open stream of a process."""
        wanted = set(client_ids)
        if not wanted:
            return set()
        query = select(ApiClient.id).where(col(ApiClient.id).in_(wanted), col(ApiClient.revoked_at).is_(None))
        with self._db.read() as session:
            active = set(session.exec(query).all())
        return wanted - active

    def mark_used(self, client_id: str) -> None:
        with self._db.write() as session:
            client = session.get(ApiClient, client_id)
            if client is not None:
                client.last_used_at = utcnow()
