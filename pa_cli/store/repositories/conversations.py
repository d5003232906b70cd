"""OpenAI-API conversations and the pa sessions that continue them."""

from __future__ import annotations

from pa_cli.store.db import Database
from pa_cli.store.models import OpenAIConversation


class ConversationRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def session_for(self, user_id: int, key: str) -> str | None:
        """The session that continues the conversation ``key`` of this user, if any."""
        with self._db.read() as session:
            row = session.get(OpenAIConversation, key)
            return row.session_id if row is not None and row.user_id == user_id else None

    def remember(self, user_id: int, key: str, session_id: str) -> None:
        with self._db.write() as session:
            row = session.get(OpenAIConversation, key)
            if row is None:
                session.add(OpenAIConversation(key=key, user_id=user_id, session_id=session_id))
            elif row.user_id == user_id:
                row.session_id = session_id
                session.add(row)
