"""Chat sessions."""

from __future__ import annotations

import builtins

from sqlmodel import col, select

from pa_cli.store.db import Database
from pa_cli.store.models import ChatSession
from pa_cli.store.types import utcnow


class SessionRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create(
        self, user_id: int, title: str | None = None, *, kind: str = "chat", session_id: str | None = None
    ) -> ChatSession:
        """``kind`` "tool_run" marks a direct tool run: kept for approvals and audit, never listed.

        ``session_id``: chosen by the caller (a turn that sent its LLM request before the store opened)."""
        with self._db.write() as session:
            chat = ChatSession(user_id=user_id, title=title, kind=kind)
            if session_id is not None:
                chat.id = session_id
            session.add(chat)
            session.flush()
            return chat

    def get(self, session_id: str) -> ChatSession | None:
        with self._db.read() as session:
            return session.get(ChatSession, session_id)

    def latest(self, user_id: int) -> ChatSession | None:
        """The chat session with the most recent activity (``-c`` never continues a routine's run)."""
        found = self.list(user_id, limit=1, kinds=("chat",))
        return found[0] if found else None

    def list(
        self, user_id: int, limit: int = 50, offset: int = 0, *, kinds: tuple[str, ...] = ("chat", "routine")
    ) -> list[ChatSession]:
        """The user's conversations and routine runs (not direct tool runs), newest activity first."""
        query = (
            select(ChatSession)
            .where(ChatSession.user_id == user_id, col(ChatSession.kind).in_(kinds))
            .order_by(col(ChatSession.updated_at).desc(), col(ChatSession.created_at).desc())
            .offset(offset)
            .limit(limit)
        )
        with self._db.read() as session:
            return list(session.exec(query).all())

    def find_by_prefix(self, user_id: int, prefix: str, limit: int = 2) -> builtins.list[ChatSession]:
        """The user's sessions whose id starts with ``prefix`` (``pa history show 3f2a``)."""
        query = (
            select(ChatSession)
            .where(ChatSession.user_id == user_id)
            .where(col(ChatSession.id).startswith(prefix.lower(), autoescape=True))
            .order_by(col(ChatSession.id))
            .limit(limit)
        )
        with self._db.read() as session:
            return builtins.list(session.exec(query).all())

    def set_title(self, session_id: str, title: str | None) -> bool:
        with self._db.write() as session:
            chat = session.get(ChatSession, session_id)
            if chat is None:
                return False
            chat.title = title
            chat.updated_at = utcnow()
            return True

    def delete(self, session_id: str) -> bool:
        """Delete a session with its messages, plan and events."""
        with self._db.write() as session:
            chat = session.get(ChatSession, session_id)
            if chat is None:
                return False
            session.delete(chat)
            return True
