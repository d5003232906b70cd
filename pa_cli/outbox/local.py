"""The outbox for one front-end process: open the store from settings, act, close (CLI and TUI)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pa_cli.config import Settings
    from pa_cli.outbox.send import FlushReport


@dataclass(frozen=True)
class OutboxView:
    id: str
    summary: str
    kind: str
    status: str
    send_after: datetime
    error: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "summary": self.summary,
            "kind": self.kind,
            "status": self.status,
            "send_after": self.send_after.isoformat(),
            "error": self.error,
        }


def _view(item: Any) -> OutboxView:
    from pa_cli.store.types import as_utc

    return OutboxView(item.id, item.summary, item.kind, item.status, as_utc(item.send_after), item.error)


def undo(settings: Settings) -> OutboxView:
    """Cancel the newest mail still waiting (NotFoundError when none is)."""
    from pa_cli.outbox.send import undo_latest
    from pa_cli.store import open_store

    with open_store(settings) as store:
        return _view(undo_latest(store, store.users.local_user().id))


def flush(settings: Settings) -> FlushReport:
    """Send what is due now: the real clock, or the TEST HOOK ``PA_TEST_NOW`` (the routines' clock)
    when a test set it, so a scheduled send is shown going out at its time without waiting for it."""
    from pa_cli.outbox.send import flush_due
    from pa_cli.routines.clock import now
    from pa_cli.store import open_store

    with open_store(settings) as store:
        return flush_due(store, settings, now())


def send_one(settings: Settings, item_id: str) -> bool | None:
    from pa_cli.outbox.send import send_when_due
    from pa_cli.store import open_store

    with open_store(settings) as store:
        return send_when_due(store, settings, item_id)


def recent(settings: Settings) -> list[OutboxView]:
    from pa_cli.outbox.repository import OutboxRepository
    from pa_cli.store import open_store

    with open_store(settings) as store:
        return [_view(i) for i in OutboxRepository.of(store).recent(store.users.local_user().id)]
