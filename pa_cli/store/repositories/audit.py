"""The audit log: an append-only ledger of tool calls, chained by hashes so that tampering shows.

Rows are never updated once written. A call that runs leaves two rows:

* ``begin``: outcome ``executing``, written BEFORE the tool runs (tool,
  arguments digest, preview, approval id, session id, front-end, client);
* ``close``: the same call's final outcome, ``executed``, ``failed`` or
  ``cancelled``, with the Google resource ids, and ``ref_id`` = the begin row's id.

A crash between the two leaves a visible ``executing`` row that nothing closes.
A call that never runs leaves one row (``record``) with its outcome:
``denied`` (by the user), ``expired``, ``refused`` (by policy, a disabled tool,
an unknown tool, a guard such as the server's rate limit),
``invalid_arguments``, or ``failed`` (its preview could not be prepared).

``row_hash = sha256(prev_hash + canonical JSON of the row's content)``; the
first row's ``prev_hash`` is 64 zeros. Editing, deleting or reordering a row
breaks the chain at that row; ``verify_chain`` recomputes it. ``session_id``
and ``ref_id`` enter the hashed content only when set, so rows written before
they existed keep their hashes. Every row is appended by ``_append``, the one
place that writes to the chain.
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

#: The outcome of a begin row: the call is running (or the process died while it ran).
EXECUTING = "executing"

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
    if entry.session_id is not None:
        content["session_id"] = entry.session_id
    if entry.ref_id is not None:
        content["ref_id"] = entry.ref_id
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
        session_id: str | None = None,
    ) -> AuditEntry:
        """One row for a call that never ran (denied, expired, refused, invalid), or any single event."""
        return self._append(
            user_id=user_id,
            tool=tool,
            arguments_digest=arguments_digest(arguments),
            preview=preview,
            frontend=frontend,
            outcome=outcome,
            resource_ids=[str(r) for r in resource_ids],
            client_id=client_id,
            approval_id=approval_id,
            session_id=session_id,
        )

    def begin(
        self,
        *,
        user_id: int | None,
        tool: str,
        arguments: dict[str, Any],
        preview: str | None = None,
        frontend: str,
        client_id: str | None = None,
        approval_id: str | None = None,
        session_id: str | None = None,
    ) -> AuditEntry:
        """The row written before a call runs: outcome ``executing``."""
        return self.record(
            user_id=user_id,
            tool=tool,
            arguments=arguments,
            preview=preview,
            frontend=frontend,
            outcome=EXECUTING,
            client_id=client_id,
            approval_id=approval_id,
            session_id=session_id,
        )

    def close(self, begun: AuditEntry, *, outcome: str, resource_ids: Iterable[str] = ()) -> AuditEntry:
        """The row that ends the call ``begun`` started (``ref_id`` = its id), with the final outcome."""
        return self._append(
            user_id=begun.user_id,
            tool=begun.tool,
            arguments_digest=begun.arguments_digest,
            preview=None,
            frontend=begun.frontend,
            outcome=outcome,
            resource_ids=[str(r) for r in resource_ids],
            client_id=begun.client_id,
            approval_id=begun.approval_id,
            session_id=begun.session_id,
            ref_id=begun.id,
        )

    def _append(self, **fields: Any) -> AuditEntry:
        """Append one row at the end of the chain: the only write to ``audit_log``."""
        with self._db.write() as session:
            if self._db.dialect == "postgresql":
                session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})
            last = session.exec(
                select(AuditEntry.row_hash).order_by(col(AuditEntry.id).desc()).limit(1)
            ).first()
            entry = AuditEntry(**fields, prev_hash=last or GENESIS_HASH, row_hash="")
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
