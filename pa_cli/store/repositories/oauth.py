"""OAuth grant metadata: provider, service, scopes, expiry. Never a token value."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select

from pa_cli.store.db import Database
from pa_cli.store.models import OAuthToken
from pa_cli.store.types import utcnow


class OAuthTokenRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def upsert(
        self,
        user_id: int,
        provider: str,
        service: str,
        *,
        scopes: list[str],
        expiry: datetime | None,
    ) -> OAuthToken:
        query = select(OAuthToken).where(
            OAuthToken.user_id == user_id, OAuthToken.provider == provider, OAuthToken.service == service
        )
        with self._db.write() as session:
            token = session.exec(query).first()
            if token is None:
                token = OAuthToken(user_id=user_id, provider=provider, service=service)
                session.add(token)
            token.scopes = sorted(set(scopes))
            token.expiry = expiry
            token.updated_at = utcnow()
            session.flush()
            return token

    def get(self, user_id: int, provider: str, service: str) -> OAuthToken | None:
        query = select(OAuthToken).where(
            OAuthToken.user_id == user_id, OAuthToken.provider == provider, OAuthToken.service == service
        )
        with self._db.read() as session:
            return session.exec(query).first()

    def delete(self, user_id: int, provider: str, service: str) -> bool:
        query = select(OAuthToken).where(
            OAuthToken.user_id == user_id, OAuthToken.provider == provider, OAuthToken.service == service
        )
        with self._db.write() as session:
            token = session.exec(query).first()
            if token is None:
                return False
            session.delete(token)
            return True

    def list(self, user_id: int) -> list[OAuthToken]:
        query = (
            select(OAuthToken)
            .where(OAuthToken.user_id == user_id)
            .order_by(col(OAuthToken.provider), col(OAuthToken.service))
        )
        with self._db.read() as session:
            return list(session.exec(query).all())
