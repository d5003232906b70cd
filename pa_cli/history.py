"""History for the front-ends: sessions, transcripts, full-text search (over the store's repositories)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pa_cli.errors import UsageError

if TYPE_CHECKING:
    from pa_cli.config import Settings
    from pa_cli.store import Store


@dataclass
class SessionSummary:
    id: str
    title: str
    created_at: datetime
    updated_at: datetime
    messages: int

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass
class MessageView:
    id: int
    session_id: str
    role: str
    content: str
    status: str
    tool_name: str | None
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "created_at": self.created_at.isoformat()}


@dataclass
class Transcript:
    session: SessionSummary
    messages: list[MessageView]

    def as_dict(self) -> dict[str, Any]:
        return {"session": self.session.as_dict(), "messages": [m.as_dict() for m in self.messages]}


def _message_view(m: Any) -> MessageView:
    return MessageView(m.id, m.session_id, m.role, m.content, m.status, m.tool_name, m.created_at)


class History:
    def __init__(self, store: Store, user_id: int) -> None:
        self.store, self.user_id = store, user_id

    @classmethod
    def open(cls, settings: Settings) -> History:
        from pa_cli.store import open_store

        store = open_store(settings)
        return cls(store, store.users.local_user().id)

    def _summary(self, s: Any) -> SessionSummary:
        return SessionSummary(
            s.id, s.title or "(untitled)", s.created_at, s.updated_at, self.store.messages.count(s.id)
        )

    def list_sessions(self, *, limit: int = 20, offset: int = 0) -> list[SessionSummary]:
        return [self._summary(s) for s in self.store.sessions.list(self.user_id, limit=limit, offset=offset)]

    def resolve(self, session_id: str) -> Any:
        """A session by id or unique id prefix (see ``pa_cli.ids``)."""
        from pa_cli.ids import resolve_session

        return resolve_session(self.store, self.user_id, session_id)

    def show_session(self, session_id: str) -> Transcript:
        session = self.resolve(session_id)
        return Transcript(
            self._summary(session), [_message_view(m) for m in self.store.messages.list(session.id)]
        )

    def search(self, query: str, *, limit: int = 20) -> list[MessageView]:
        if not query.strip():
            raise UsageError("nothing to search for")
        return [_message_view(m) for m in self.store.messages.search(self.user_id, query, limit=limit)]
