"""Messages of a session, and full-text search over them.

On SQLite search uses the FTS5 index ``messages_fts`` (kept in sync by
triggers, created by the first migration): every word of the user's query is
quoted, so FTS5 syntax in it (``OR``, ``"``, ``-``, ``NEAR``) is just text;
a trailing ``*`` keeps its prefix meaning. Results are ordered by rank
(bm25). Elsewhere every word must occur (case-insensitive ``LIKE``), newest
first.
"""

from __future__ import annotations

import builtins
from typing import Any

from sqlalchemy import func, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from pa_cli.errors import NotFoundError
from pa_cli.store.db import Database
from pa_cli.store.fts import fts_query, query_terms
from pa_cli.store.models import ChatSession, Message
from pa_cli.store.rows import check_message, check_status

_FTS_SEARCH = text(
    """
    SELECT messages.id
    FROM messages_fts
    JOIN messages ON messages.id = messages_fts.rowid
    JOIN sessions ON sessions.id = messages.session_id
    WHERE messages_fts MATCH :query AND sessions.user_id = :user_id
    ORDER BY messages_fts.rank
    LIMIT :limit
    """
)


class MessageRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(
        self,
        session_id: str,
        role: str,
        content: str,
        *,
        status: str = "complete",
        tool_name: str | None = None,
        tool_call_id: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> Message:
        check_message(role, status)
        message = Message(
            session_id=session_id,
            role=role,
            content=content,
            status=status,
            tool_name=tool_name,
            tool_call_id=tool_call_id,
            data=data,
        )
        try:
            with self._db.write() as session:
                session.add(message)
                session.flush()
                session.execute(
                    update(ChatSession)
                    .where(col(ChatSession.id) == session_id)
                    .values(updated_at=message.created_at)
                )
        except IntegrityError:
            raise NotFoundError(f"no session {session_id!r}") from None
        return message

    def update(
        self,
        message_id: int,
        *,
        content: str | None = None,
        status: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        values: dict[str, Any] = {}
        if content is not None:
            values["content"] = content
        if status is not None:
            check_status(status)
            values["status"] = status
        if data is not None:
            values["data"] = data
        if not values:
            return
        with self._db.write() as session:
            result = session.execute(update(Message).where(col(Message.id) == message_id).values(**values))
            if result.rowcount == 0:  # type: ignore[attr-defined]
                raise NotFoundError(f"no message {message_id}")

    def get(self, message_id: int) -> Message | None:
        with self._db.read() as session:
            return session.get(Message, message_id)

    def list(self, session_id: str, limit: int | None = None, offset: int = 0) -> builtins.list[Message]:
        """Oldest first."""
        query = select(Message).where(Message.session_id == session_id).order_by(col(Message.id))
        if offset:
            query = query.offset(offset)
        if limit is not None:
            query = query.limit(limit)
        with self._db.read() as session:
            return list(session.exec(query).all())

    def count(self, session_id: str) -> int:
        query = select(func.count()).select_from(Message).where(Message.session_id == session_id)
        with self._db.read() as session:
            return int(session.exec(query).one())

    def search(self, user_id: int, query: str, limit: int = 20) -> builtins.list[Message]:
        """The user's messages that contain every word of ``query``, best match first."""
        if limit <= 0:
            return []
        if self._db.is_sqlite:
            return self._search_fts(user_id, query, limit)
        return self._search_like(user_id, query, limit)

    def _search_fts(self, user_id: int, query: str, limit: int) -> builtins.list[Message]:
        match = fts_query(query)
        if match is None:
            return []
        with self._db.read() as session:
            params = {"query": match, "user_id": user_id, "limit": limit}
            ids = [int(row[0]) for row in session.execute(_FTS_SEARCH, params)]
            if not ids:
                return []
            found = {m.id: m for m in session.exec(select(Message).where(col(Message.id).in_(ids)))}
        return [found[i] for i in ids if i in found]

    def _search_like(self, user_id: int, query: str, limit: int) -> builtins.list[Message]:
        terms = query_terms(query)
        if not terms:
            return []
        statement = (
            select(Message)
            .join(ChatSession, col(ChatSession.id) == col(Message.session_id))
            .where(ChatSession.user_id == user_id)
        )
        for term in terms:
            statement = statement.where(
                func.lower(col(Message.content)).contains(term.lower(), autoescape=True)
            )
        statement = statement.order_by(col(Message.id).desc()).limit(limit)
        with self._db.read() as session:
            return list(session.exec(statement).all())
