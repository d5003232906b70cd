"""``Store``: the repositories over one engine, and ``open_store`` that migrates first."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from pa_cli.store import migrate
from pa_cli.store.db import Database
from pa_cli.store.engine import make_engine
from pa_cli.store.repositories.api_clients import ApiClientRepository
from pa_cli.store.repositories.approvals import DEFAULT_APPROVAL_TTL_SECONDS, ApprovalRepository
from pa_cli.store.repositories.audit import AuditRepository
from pa_cli.store.repositories.conversations import ConversationRepository
from pa_cli.store.repositories.events import TurnEventRepository
from pa_cli.store.repositories.memories import MemoryRepository
from pa_cli.store.repositories.messages import MessageRepository
from pa_cli.store.repositories.oauth import OAuthTokenRepository
from pa_cli.store.repositories.oauth_states import OAuthStateRepository
from pa_cli.store.repositories.plans import PlanRepository
from pa_cli.store.repositories.rate_limits import RateLimitRepository
from pa_cli.store.repositories.routines import RoutineRepository
from pa_cli.store.repositories.sessions import SessionRepository
from pa_cli.store.repositories.tools import ToolAccessRepository, ToolRegistryRepository
from pa_cli.store.repositories.turn_cancels import TurnCancelRepository
from pa_cli.store.repositories.users import AgentConfigRepository, UserRepository
from pa_cli.store.repositories.vfs import VfsRepository

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from pa_cli.config import Settings
    from pa_cli.secrets import SecretStore
    from pa_cli.store.audit_anchor import SecretStoreAnchor


class Store:
    """Every query pa makes, grouped by table. Thread-safe; one per process is enough."""

    def __init__(self, engine: Engine, *, approval_ttl_seconds: float = DEFAULT_APPROVAL_TTL_SECONDS) -> None:
        """``approval_ttl_seconds``: how long a new approval may wait (config ``approvals.expire_hours``)."""
        self.engine = engine
        db = Database(engine)
        self.users = UserRepository(db)
        self.agent_configs = AgentConfigRepository(db)
        self.sessions = SessionRepository(db)
        self.messages = MessageRepository(db)
        self.approvals = ApprovalRepository(db, ttl_seconds=approval_ttl_seconds)
        self.audit = AuditRepository(db)
        self.vfs = VfsRepository(db)
        self.plans = PlanRepository(db)
        self.oauth_tokens = OAuthTokenRepository(db)
        self.tool_registry = ToolRegistryRepository(db)
        self.tool_access = ToolAccessRepository(db)
        self.api_clients = ApiClientRepository(db)
        self.events = TurnEventRepository(db)
        self.rate_limits = RateLimitRepository(db)
        self.oauth_states = OAuthStateRepository(db)
        self.turn_cancels = TurnCancelRepository(db)
        self.conversations = ConversationRepository(db)
        self.routines = RoutineRepository(db)
        self.memories = MemoryRepository(db)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def schema_version(self) -> str | None:
        """The Alembic revision the database is at (None before the first migration)."""
        revisions = migrate.current_revisions(self.engine)
        return revisions[0] if len(revisions) == 1 else None

    def close(self) -> None:
        anchor = self.audit.anchor
        if anchor is not None:
            anchor.flush()  # the checkpoints of rows this process wrote
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_store(settings: Settings | None = None, *, url: str | None = None) -> Store:
    """Open the database of ``settings`` (or ``url``), upgrading its schema to head.

    Raises ``StoreError`` for a database written by a newer pa (left untouched)
    or one that cannot be migrated.
    """
    if url is None:
        if settings is None:
            raise TypeError("open_store needs settings or a url")
        url = settings.database_url
    ttl = settings.approvals.expire_hours * 3600 if settings is not None else DEFAULT_APPROVAL_TTL_SECONDS
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
    except BaseException:
        engine.dispose()
        raise
    store = Store(engine, approval_ttl_seconds=ttl)
    if settings is not None:
        store.audit.anchor = audit_anchor(settings, url)
    return store


def audit_anchor(settings: Settings, url: str) -> SecretStoreAnchor:
    """The audit log's tip checkpoint in this installation's secret store (opened on first use,
    never prompting: an append must not stop to ask for a passphrase)."""
    from pa_cli.store.audit_anchor import SecretStoreAnchor, anchor_name

    def open_secrets() -> SecretStore:
        from pa_cli.secrets import open_secret_store

        return open_secret_store(settings.app_paths, interactive=False, notice=False)

    return SecretStoreAnchor(
        open_secrets, anchor_name(url), settings.app_paths.data_dir / "audit-anchor.lock"
    )
