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
breaks the chain at that row; ``find_break`` recomputes it. ``session_id``
and ``ref_id`` enter the hashed content only when set, so rows written before
they existed keep their hashes. Every row is appended by ``_append``, the one
place that writes to the chain. Deleting the newest rows leaves a shorter chain
that still checks out: the tip is anchored outside the database
(``pa_cli.store.audit_anchor``), advanced after every append, and ``tip``
reads both so they can be compared.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from pa_cli.store.db import Database
from pa_cli.store.models import AuditEntry
from pa_cli.store.types import GENESIS_HASH, arguments_digest, as_utc, canonical_json

if TYPE_CHECKING:
    from pa_cli.store.audit_anchor import AuditAnchor, Checkpoint

log = logging.getLogger(__name__)

#: The outcome of a begin row: the call is running (or the process died while it ran).
EXECUTING = "executing"

#: pg_advisory_xact_lock key that serializes appends to the chain on PostgreSQL.
AUDIT_LOCK_KEY = 0x7061_6175  # "paau"


def row_hash(entry: AuditEntry) -> str:
    content: dict[str, Any] = {
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


@dataclass(frozen=True)
class Break:
    """The first row where the chain does not check out, and why."""

    row_id: int
    reason: str


@dataclass(frozen=True)
class Tip:
    """The newest row and the row count, read together with the anchor's checkpoint."""

    row_id: int | None
    row_hash: str | None
    rows: int
    checkpoint: Checkpoint | None


class AuditRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        #: Where each append's checkpoint goes (``open_store`` sets it); None: not anchored.
        self.anchor: AuditAnchor | None = None

    @contextmanager
    def _locked(self) -> Iterator[Session]:
        """A write transaction holding the chain's append lock, on every backend."""
        with self._db.write() as session:
            if self._db.dialect == "postgresql":
                session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})
            yield session

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
        with self._locked() as session:
            last = session.exec(
                select(AuditEntry.row_hash).order_by(col(AuditEntry.id).desc()).limit(1)
            ).first()
            entry = AuditEntry(**fields, prev_hash=last or GENESIS_HASH, row_hash="")
            entry.row_hash = row_hash(entry)
            session.add(entry)
            session.flush()
            rows = int(session.exec(select(func.count()).select_from(AuditEntry)).one())
        self._anchor_tip(entry, rows)  # after the commit: a checkpoint never names an uncommitted row
        return entry

    def _anchor_tip(self, entry: AuditEntry, rows: int) -> None:
        """Hand the new tip's checkpoint to the anchor (written in the background, never backwards)."""
        if self.anchor is None:
            return
        from pa_cli.store.audit_anchor import Checkpoint

        self.anchor.advance(Checkpoint(row_id=entry.id, row_hash=entry.row_hash, rows=rows))

    def tip(self) -> Tip:
        """The newest row, the count, and the anchor's checkpoint (this process's pending one written first)."""
        if self.anchor is not None:
            self.anchor.flush()
        with self._db.read() as session:
            last = session.exec(select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(1)).first()
            rows = session.exec(select(func.count()).select_from(AuditEntry)).one()
        checkpoint = self.anchor.read() if self.anchor is not None else None
        return Tip(
            row_id=last.id if last is not None else None,
            row_hash=last.row_hash if last is not None else None,
            rows=int(rows),
            checkpoint=checkpoint,
        )

    def list(
        self,
        *,
        user_id: int | None = None,
        tool: str | None = None,
        session_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[AuditEntry]:
        """Newest first; ``since`` inclusive, ``until`` exclusive."""
        query = select(AuditEntry)
        if user_id is not None:
            query = query.where(AuditEntry.user_id == user_id)
        if tool is not None:
            query = query.where(AuditEntry.tool == tool)
        if session_id is not None:
            query = query.where(AuditEntry.session_id == session_id)
        if since is not None:
            query = query.where(col(AuditEntry.created_at) >= since)
        if until is not None:
            query = query.where(col(AuditEntry.created_at) < until)
        query = query.order_by(col(AuditEntry.id).desc()).offset(offset).limit(limit)
        with self._db.read() as session:
            return list(session.exec(query).all())

    def find_break(self, up_to: int | None = None) -> Break | None:
        """The first row (up to id ``up_to``) whose hash or link does not check out; None if all do."""
        previous = GENESIS_HASH
        previous_id: int | None = None
        query = select(AuditEntry).order_by(col(AuditEntry.id))
        if up_to is not None:
            query = query.where(col(AuditEntry.id) <= up_to)
        with self._db.read() as session:
            for entry in session.exec(query.execution_options(yield_per=500)):
                if entry.prev_hash != previous:
                    after = f"row {previous_id}" if previous_id is not None else "the start of the log"
                    return Break(entry.id, f"does not follow {after}: a row before it was removed or changed")
                if row_hash(entry) != entry.row_hash:
                    return Break(entry.id, "its content does not match its hash: the row was changed")
                previous = entry.row_hash
                previous_id = entry.id
        return None

    def first_broken(self) -> int | None:
        """The id of the first row whose hash or link does not check out; None if all do."""
        found = self.find_break()
        return found.row_id if found is not None else None

    def verify_chain(self) -> bool:
        return self.first_broken() is None
