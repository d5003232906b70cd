"""The audit ledger for people: listing it and checking it (``pa audit``, ``GET .../audit``).

``verify`` checks the hash chain row by row and then its tip against the
checkpoint anchored in the secret store (``pa_cli.store.audit_anchor``): a
changed row, a row removed from the middle and rows removed from the end all
fail, each with one line that names the first bad row.
"""

from __future__ import annotations

import time as time_module
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from pa_cli.errors import UsageError

if TYPE_CHECKING:
    from pa_cli.store import AuditEntry, Store
    from pa_cli.store.repositories.audit import Tip


@dataclass(frozen=True)
class Verdict:
    ok: bool
    message: str
    rows: int
    first_bad_row: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "message": self.message,
            "rows": self.rows,
            "first_bad_row": self.first_bad_row,
        }


_UNANCHORED_HINT = "pa writes the anchor with every audited tool call; is the secret store reachable?"


#: A checkpoint is written just after its row; verification waits this long for one in flight.
CATCH_UP_SECONDS = 3.0


def _settled_tip(store: Store) -> Tip:
    """The tip and checkpoint, waiting briefly while the checkpoint lags (another process's may be in flight)."""
    deadline = time_module.monotonic() + CATCH_UP_SECONDS
    while True:
        tip = store.audit.tip()
        lagging = tip.row_id is not None and (tip.checkpoint is None or tip.checkpoint.row_id < tip.row_id)
        if not lagging or time_module.monotonic() >= deadline:
            return tip
        time_module.sleep(0.2)


def verify(store: Store) -> Verdict:
    tip = _settled_tip(store)
    checkpoint = tip.checkpoint
    broken = store.audit.find_break(up_to=tip.row_id)
    if broken is not None:
        return Verdict(False, f"row {broken.row_id}: {broken.reason}", tip.rows, broken.row_id)
    if checkpoint is None:
        if tip.row_id is None:
            return Verdict(True, "the audit log is empty", 0)
        return Verdict(
            False,
            f"the anchor of the audit log's tip is missing from the secret store, so removed newest rows "
            f"cannot be ruled out (the log has {tip.rows} rows up to row {tip.row_id}; {_UNANCHORED_HINT})",
            tip.rows,
            tip.row_id,
        )
    if checkpoint.row_id < 0:
        return Verdict(False, "the anchor of the audit log's tip is unreadable", tip.rows)
    if tip.row_id is None or tip.row_id < checkpoint.row_id:
        ends = f"ends at row {tip.row_id}" if tip.row_id is not None else "is empty"
        return Verdict(
            False,
            f"row {checkpoint.row_id} is missing: the anchor records it as the newest row, but the log {ends} "
            "(the newest rows were deleted)",
            tip.rows,
            checkpoint.row_id,
        )
    if tip.row_id == checkpoint.row_id and tip.row_hash != checkpoint.row_hash:
        return Verdict(
            False,
            f"row {tip.row_id} is not the row the anchor records (it was replaced)",
            tip.rows,
            tip.row_id,
        )
    if tip.row_id > checkpoint.row_id:
        return Verdict(
            False,
            f"row {checkpoint.row_id + 1} and later are not anchored: the anchor ends at row {checkpoint.row_id} "
            f"({_UNANCHORED_HINT})",
            tip.rows,
            checkpoint.row_id + 1,
        )
    if tip.rows != checkpoint.rows:
        return Verdict(
            False,
            f"the log has {tip.rows} rows but the anchor records {checkpoint.rows} up to row {tip.row_id}",
            tip.rows,
        )
    return Verdict(True, f"the audit log is intact: {tip.rows} rows, up to row {tip.row_id}", tip.rows)


def parse_day(value: str, *, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option} wants a date as YYYY-MM-DD, not {value[:40]!r}") from None


def day_bounds(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """``since`` from its first moment, ``until`` through its last (local time), as aware datetimes."""
    tz = datetime.now().astimezone().tzinfo
    start = datetime.combine(since, time.min, tzinfo=tz) if since is not None else None
    end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=tz) if until is not None else None
    return start, end


def row_dict(entry: AuditEntry) -> dict[str, Any]:
    from pa_cli.store.types import as_utc

    return {
        "id": entry.id,
        "created_at": as_utc(entry.created_at).isoformat(),
        "tool": entry.tool,
        "outcome": entry.outcome,
        "session_id": entry.session_id,
        "frontend": entry.frontend,
        "client_id": entry.client_id,
        "approval_id": entry.approval_id,
        "preview": entry.preview,
        "resource_ids": list(entry.resource_ids),
        "arguments_digest": entry.arguments_digest,
        "row_hash": entry.row_hash,
    }
