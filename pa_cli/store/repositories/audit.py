"""The audit log: one row per tool execution, chained by hashes so that tampering shows.

``row_hash = sha256(prev_hash + canonical JSON of the row's content)``; the
first row's ``prev_hash`` is 64 zeros. Editing, deleting or reordering a row
breaks the chain at that row; ``verify_chain`` recomputes it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from sqlalchemy import text
from sqlmodel import col, select

from pa_cli.store.db import Database
from pa_cli.store.models import AuditEntry
from pa_cli.store.types import GENESIS_HASH, arguments_digest, as_utc, canonical_json

#: pg_advisory_xact_lock key that serializes appends to the chain on PostgreSQL.
AUDIT_LOCK_KEY = 0x7061_6175  # "paau"


def row_hash(entry: AuditEntry) -> str:
    content = {
        "created_at": as_utc(entry.created_at).isoformat(),
        "user_id": entry.user_id,
        "tool": entry.tool,
        "arguments_digest": entry.arguments_digest,
        "preview": entry.preview,
        "frontend": entry.frontend,
        "outcome": entry.outcome,
        "resource_ids": list(entry.resource_ids),
        "client_id": entry.client_id,
        "approval_id": entry.approval_id,
    }
    return hashlib.sha256((entry.prev_hash + canonical_json(content)).encode("utf-8")).hexdigest()


class AuditRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def record(
        self,
        *,
        user_id: int | None,
        tool: str,
        arguments: dict[str, Any],
        preview: str | None = None,
        frontend: str,
        outcome: str,
        resource_ids: Iterable[str] = (),
        client_id: str | None = None,
        approval_id: str | None = None,
    ) -> AuditEntry:
        with self._db.write() as session:
            if self._db.dialect == "postgresql":
                session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})
            last = session.exec(
                select(AuditEntry.row_hash).order_by(col(AuditEntry.id).desc()).limit(1)
            ).first()
            entry = AuditEntry(
                user_id=user_id,
                tool=tool,
                arguments_digest=arguments_digest(arguments),
                preview=preview,
                frontend=frontend,
                outcome=outcome,
                resource_ids=[str(r) for r in resource_ids],
                client_id=client_id,
                approval_id=approval_id,
                prev_hash=last or GENESIS_HASH,
                row_hash="",
            )
            entry.row_hash = row_hash(entry)
            session.add(entry)
            session.flush()
            return entry

    def list(self, *, user_id: int | None = None, limit: int = 50) -> list[AuditEntry]:
        """Newest first."""
        query = select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(limit)
        if user_id is not None:
            query = query.where(AuditEntry.user_id == user_id)
        with self._db.read() as session:
            return list(session.exec(query).all())

    def first_broken(self) -> int | None:
        """The id of the first row whose hash or link does not check out; None if all do."""
        previous = GENESIS_HASH
        with self._db.read() as session:
            rows = session.exec(
                select(AuditEntry).order_by(col(AuditEntry.id)).execution_options(yield_per=500)
            )
            for entry in rows:
                if entry.prev_hash != previous or row_hash(entry) != entry.row_hash:
                    return entry.id
                previous = entry.row_hash
        return None

    def verify_chain(self) -> bool:
        return self.first_broken() is None
