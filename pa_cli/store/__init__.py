"""Persistence for pa: SQLModel tables, SQLite (WAL) or any SQLAlchemy URL, Alembic migrations.

``open_store(settings)`` returns a ``Store`` whose repositories (``store.users``,
``store.sessions``, ``store.messages``, ...) are the only code that queries the
database. Importing this package is free: the ORM loads on first use of a name.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pa_cli.store.engine import make_engine
    from pa_cli.store.errors import ApprovalAlreadyDecided, ApprovalExpired, ApprovalStateError
    from pa_cli.store.models import (
        AgentConfig,
        ApiClient,
        Approval,
        AuditEntry,
        ChatSession,
        Memory,
        Message,
        OAuthToken,
        Plan,
        ToolRegistryEntry,
        TurnEvent,
        User,
        UserToolAccess,
        VfsFile,
    )
    from pa_cli.store.store import Store, open_store
    from pa_cli.store.types import arguments_digest, canonical_json

__all__ = [
    "AgentConfig",
    "ApiClient",
    "Approval",
    "ApprovalAlreadyDecided",
    "ApprovalExpired",
    "ApprovalStateError",
    "AuditEntry",
    "ChatSession",
    "Memory",
    "Message",
    "OAuthToken",
    "Plan",
    "Store",
    "ToolRegistryEntry",
    "TurnEvent",
    "User",
    "UserToolAccess",
    "VfsFile",
    "arguments_digest",
    "canonical_json",
    "make_engine",
    "open_store",
]

_HOMES = {
    "make_engine": "engine",
    "Store": "store",
    "open_store": "store",
    "arguments_digest": "types",
    "canonical_json": "types",
    "ApprovalAlreadyDecided": "errors",
    "ApprovalExpired": "errors",
    "ApprovalStateError": "errors",
}


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{_HOMES.get(name, 'models')}")
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
