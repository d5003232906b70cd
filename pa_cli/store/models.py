"""The tables. Timestamps are aware UTC datetimes; JSON columns hold plain dicts and lists.

The schema itself is created by the Alembic migrations in ``migrations/``
(never by ``create_all``); a test checks that the two agree. The FTS5 index
over ``messages.content`` (SQLite only) lives in the migrations alone.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, MetaData, Text, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from pa_cli.store.types import UTCDateTime, arguments_digest, as_utc, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Tables in the database that are not models (the FTS5 index and its shadow tables).
FTS_TABLE = "messages_fts"
MEMORY_FTS_TABLE = "memories_fts"


class PaModel(SQLModel, registry=registry(metadata=MetaData(naming_convention=NAMING_CONVENTION))):
    """Base of pa's tables: their own metadata, apart from any other SQLModel user."""


def _new_session_id() -> str:
    return uuid.uuid4().hex


class User(PaModel, table=True):
    __tablename__ = "users"

    id: int = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AgentConfig(PaModel, table=True):
    __tablename__ = "agent_configs"

    user_id: int = Field(primary_key=True, foreign_key="users.id", ondelete="CASCADE")
    system_prompt: str | None = Field(default=None, sa_type=Text)
    enabled_tools: list[str] | None = Field(default=None, sa_type=JSON)
    preferences: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ToolRegistryEntry(PaModel, table=True):
    __tablename__ = "tool_registry"

    name: str = Field(primary_key=True)
    source: str
    description: str = Field(default="", sa_type=Text)
    side_effect: bool = False
    json_schema: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    requires: list[str] = Field(default_factory=list, sa_type=JSON)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class UserToolAccess(PaModel, table=True):
    __tablename__ = "user_tool_access"

    user_id: int = Field(primary_key=True, foreign_key="users.id", ondelete="CASCADE")
    # Not a foreign key: a user's choice outlives a plugin that is uninstalled for a while.
    tool: str = Field(primary_key=True)
    enabled: bool
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OAuthToken(PaModel, table=True):
    """What was granted, never the token itself (that lives in the keyring)."""

    __tablename__ = "oauth_tokens"
    __table_args__ = (UniqueConstraint("user_id", "provider", "service"),)

    id: int = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    provider: str
    service: str
    scopes: list[str] = Field(default_factory=list, sa_type=JSON)
    expiry: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ChatSession(PaModel, table=True):
    __tablename__ = "sessions"
    __table_args__ = (Index("ix_sessions_user_id_updated_at", "user_id", "updated_at"),)

    id: str = Field(default_factory=_new_session_id, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    title: str | None = None
    kind: str = Field(
        default="chat", sa_column_kwargs={"server_default": "chat"}
    )  # chat | tool_run | routine
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Message(PaModel, table=True):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_session_id_id", "session_id", "id"),)

    id: int = Field(default=None, primary_key=True)
    session_id: str = Field(foreign_key="sessions.id", ondelete="CASCADE")
    role: str  # user | assistant | tool
    content: str = Field(default="", sa_type=Text)
    status: str = "complete"  # complete | incomplete | streaming
    tool_name: str | None = None
    tool_call_id: str | None = None
    data: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Approval(PaModel, table=True):
    """A side effect waiting for a person: bound to the hash of the exact arguments previewed."""

    __tablename__ = "approvals"
    __table_args__ = (Index("ix_approvals_user_id_status", "user_id", "status"),)

    id: str = Field(primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    session_id: str | None = Field(default=None, foreign_key="sessions.id", ondelete="SET NULL")
    tool: str
    arguments: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    arguments_hash: str
    preview: str = Field(sa_type=Text)
    #: What ``Tool.prepare`` resolved (e.g. the event as it will be written); run exactly by run_prepared.
    frozen: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    tool_call_id: str | None = None
    status: str = "pending"  # pending | approved | denied | expired | executed
    frontend: str | None = None  # the front-end that decided
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    executed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    result_summary: str | None = Field(default=None, sa_type=Text)

    def is_expired(self, now: datetime | None = None) -> bool:
        return as_utc(self.expires_at) <= (now or utcnow())

    def matches(self, arguments: dict[str, Any]) -> bool:
        """True when ``arguments`` are exactly the ones this approval previewed."""
        return arguments_digest(arguments) == self.arguments_hash


class AuditEntry(PaModel, table=True):
    """One tool execution. ``row_hash`` covers the row and ``prev_hash``: edits break the chain."""

    __tablename__ = "audit_log"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    user_id: int | None = Field(default=None, index=True)  # no foreign key: the log outlives users
    tool: str = Field(index=True)
    arguments_digest: str
    preview: str | None = Field(default=None, sa_type=Text)
    frontend: str
    outcome: str
    resource_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    client_id: str | None = None
    approval_id: str | None = None
    #: On a closing row: the id of the begin row (outcome ``executing``) of the same call.
    ref_id: int | None = None
    prev_hash: str
    row_hash: str
    #: No foreign key: the log outlives sessions. In the hash only when set (older rows keep theirs).
    session_id: str | None = Field(default=None, index=True)


class VfsFile(PaModel, table=True):
    __tablename__ = "vfs_files"
    __table_args__ = (UniqueConstraint("user_id", "path"),)

    id: int = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    path: str
    content: str = Field(default="", sa_type=Text)
    size: int = 0  # bytes of UTF-8
    #: Why the content is untrusted (written while untrusted content was in context); None when clean.
    taint: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Plan(PaModel, table=True):
    __tablename__ = "plans"

    session_id: str = Field(primary_key=True, foreign_key="sessions.id", ondelete="CASCADE")
    steps: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ApiClient(PaModel, table=True):
    """A device allowed to use ``pa serve``; ``id`` is the token's ``jti``."""

    __tablename__ = "api_clients"

    id: str = Field(primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    name: str
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class OAuthState(PaModel, table=True):
    """A Google authorization started over HTTP and not yet finished (or swept once expired)."""

    __tablename__ = "oauth_states"

    state_hash: str = Field(primary_key=True)  # sha256 of the state: the state itself is not stored
    client_id: str
    user_id: int
    service: str
    redirect_uri: str = Field(sa_type=Text)
    sealed_verifier: str = Field(sa_type=Text)  # the PKCE code verifier, encrypted (AES-GCM)
    expires_at: float = Field(index=True)  # Unix time


class TurnCancel(PaModel, table=True):
    """A request to stop a turn, for the worker or host that runs it (it looks twice a second)."""

    __tablename__ = "turn_cancels"

    turn_id: str = Field(primary_key=True)
    session_id: str
    requested_at: float  # Unix time


class RateLimitHit(PaModel, table=True):
    """One counted request (a chat turn, a tool execution) of an API client, for limits every worker shares."""

    __tablename__ = "rate_limit_hits"
    __table_args__ = (Index("ix_rate_limit_hits_key_at", "key", "at"),)

    id: int = Field(default=None, primary_key=True)
    key: str  # "<kind>:<client id>"
    at: float  # Unix time: comparable across hosts, unlike a monotonic clock


class TurnEvent(PaModel, table=True):
    """An event of a turn as it was sent over SSE, kept so a reconnecting client can replay it."""

    __tablename__ = "turn_events"
    __table_args__ = (
        Index("ix_turn_events_session_id_turn_id_id", "session_id", "turn_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: int = Field(default=None, primary_key=True)
    session_id: str = Field(foreign_key="sessions.id", ondelete="CASCADE")
    turn_id: str
    type: str
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Routine(PaModel, table=True):
    """A briefing or check-in that runs on a schedule, in the user's time zone, with no one present."""

    __tablename__ = "routines"
    __table_args__ = (
        UniqueConstraint("user_id", "name"),
        Index("ix_routines_paused_next_run_at", "paused", "next_run_at"),
    )

    id: str = Field(default_factory=_new_session_id, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    name: str
    #: What the user wrote (``weekdays 08:00``) and the cron expression it means.
    schedule: str
    cron: str
    prompt: str = Field(sa_type=Text)
    #: More checks answered in the same turn (``--also``).
    also: list[str] = Field(default_factory=list, sa_type=JSON)
    #: ``HH:MM-HH:MM`` in the user's zone; a run due outside it waits until it opens.
    active_hours: str | None = None
    paused: bool = False
    #: The next slot (UTC). The atomic claim moves it forward: whoever moves it runs that slot.
    next_run_at: datetime = Field(sa_type=UTCDateTime)
    last_run_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RoutineRun(PaModel, table=True):
    """One run of a routine: its slot, who claimed it, what it found and what it cost."""

    __tablename__ = "routine_runs"
    __table_args__ = (
        # A slot runs once: even a claim that raced past the next_run_at check could not insert twice.
        UniqueConstraint("routine_id", "slot"),
        Index("ix_routine_runs_user_id_read_at", "user_id", "read_at"),
        {"sqlite_autoincrement": True},
    )

    id: int = Field(default=None, primary_key=True)
    routine_id: str = Field(foreign_key="routines.id", ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    #: The scheduled instant this run is for (a manual run: the moment it was asked for).
    slot: datetime = Field(sa_type=UTCDateTime)
    trigger: str = "schedule"  # schedule | manual
    late: bool = False
    claimed_by: str
    #: The claim's lease: a run still ``running`` after it is taken as interrupted.
    lease_until: datetime = Field(sa_type=UTCDateTime)
    status: str = "running"  # running | done | waiting | failed | interrupted
    session_id: str | None = Field(default=None, foreign_key="sessions.id", ondelete="SET NULL")
    needs_attention: bool = True
    summary: str = Field(default="", sa_type=Text)
    pending_approvals: list[str] = Field(default_factory=list, sa_type=JSON)
    llm_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: When the user saw the result (None: unread, and it needs attention).
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Memory(PaModel, table=True):
    """A short fact about the user that pa recalls in later turns (see pa_cli/memory).

    ``seq`` is the integer key the FTS5 index (SQLite) follows; ``id`` is what people and
    the model see. ``taint`` (None when clean) says which untrusted content was in the
    model's context when the fact was saved: it stays for good.
    """

    __tablename__ = "memories"
    __table_args__ = (
        Index("ix_memories_user_id_pinned", "user_id", "pinned"),
        Index("ix_memories_user_id_created_at", "user_id", "created_at"),
    )

    seq: int = Field(default=None, primary_key=True)
    id: str = Field(unique=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    text: str = Field(sa_type=Text)
    #: "you" (said or typed by the user outside a turn) or "turn" (saved by the model in a turn).
    source: str = "you"
    session_id: str | None = Field(default=None, foreign_key="sessions.id", ondelete="SET NULL")
    turn_id: str | None = None
    pinned: bool = False
    taint: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


def metadata() -> MetaData:
    return PaModel.metadata


class OpenAIConversation(PaModel, table=True):
    """Which pa session continues an OpenAI-API conversation: its key is a hash of the messages so far."""

    __tablename__ = "openai_conversations"

    key: str = Field(
        primary_key=True
    )  # sha256 of (user id, the conversation's messages), or of an explicit id
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    session_id: str = Field(foreign_key="sessions.id", ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OutboxItem(PaModel, table=True):
    """An approved mail waiting to go out: the undo window (``gmail.undo_seconds``) or a ``send_at``.

    Claimed atomically (pending -> sending) by whoever sends it, so it goes out exactly once.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_send_after", "status", "send_after"),)

    id: str = Field(primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    session_id: str | None = Field(default=None, foreign_key="sessions.id", ondelete="SET NULL")
    approval_id: str | None = None
    tool: str = "gmail_send"
    #: The tool's validated arguments: what was previewed and approved, sent as is.
    arguments: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    #: One line for lists and `pa undo`: "to ann@example.com: Notes".
    summary: str = Field(sa_type=Text)
    kind: str = "undo"  # undo (the window after approval) | scheduled (send_at)
    status: str = "pending"  # pending | sending | sent | cancelled | failed
    send_after: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    result: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    error: str | None = Field(default=None, sa_type=Text)
