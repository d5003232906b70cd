"""Sending what the outbox holds: ``flush_due``, ``send_when_due`` (the detached sender), ``undo_latest``."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pa_cli.errors import NotFoundError, PaError
from pa_cli.outbox.repository import OutboxRepository
from pa_cli.store.types import as_utc, utcnow

if TYPE_CHECKING:
    from pa_cli.config import Settings
    from pa_cli.store import Store
    from pa_cli.store.models import OutboxItem

log = logging.getLogger(__name__)
FRONTEND = "outbox"
#: How often the detached sender looks whether its mail was undone.
POLL_SECONDS = 0.2


@dataclass
class FlushReport:
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def _send(store: Store, settings: Settings, item: OutboxItem, secrets: Any = None) -> dict[str, Any]:
    """The Gmail call itself (blocking), exactly the approved arguments."""
    from pa_cli.google.runtime import call_sync
    from pa_cli.tools.base import ToolContext
    from pa_cli.tools.google.gmail import USER, MailArgs, prepare_mail

    if settings.gmail.mode == "draft_only":
        raise PaError("gmail.mode is draft_only: queued mail is not sent")
    ctx = ToolContext(settings=settings, store=store, user_id=item.user_id, frontend=FRONTEND)
    if secrets is not None:
        ctx.extra["secrets"] = secrets
    if item.tool == "gmail_forward":
        from pa_cli.tools.google.gmail_forward import GmailForwardArgs, send_forward

        forward = GmailForwardArgs.model_validate(item.arguments)
        return call_sync(ctx, "gmail", lambda api: send_forward(api, forward))
    args = MailArgs.model_validate(item.arguments)

    def send(api: Any) -> dict[str, Any]:
        mail = prepare_mail(api, args)
        sent = api.users().messages().send(userId=USER, body=mail.api_body()).execute()
        return {"message_id": sent.get("id"), "thread_id": sent.get("threadId")}

    return call_sync(ctx, "gmail", send)


def send_item(
    store: Store, settings: Settings, item: OutboxItem, now: datetime, secrets: Any = None
) -> bool | None:
    """Claim and send one item: True sent, False failed, None when someone else claimed it (or undo did)."""
    outbox = OutboxRepository.of(store)
    if not outbox.claim(item.id, now):
        return None
    try:
        result = _send(store, settings, item, secrets)
    except PaError as exc:
        message = exc.message if not exc.hint else f"{exc.message} ({exc.hint})"
        outbox.finish(item.id, error=message)
        _audit(store, item, "failed")
        return False
    except Exception as exc:  # never retried: a second attempt could send twice
        log.error("outbox %s: send failed with %s", item.id, type(exc).__name__)
        outbox.finish(item.id, error=f"unexpected failure ({type(exc).__name__})")
        _audit(store, item, "failed")
        return False
    outbox.finish(item.id, result=result)
    _audit(store, item, "executed", [f"message:{result.get('message_id')}"])
    return True


def _audit(store: Store, item: OutboxItem, outcome: str, resource_ids: list[str] | None = None) -> None:
    store.audit.record(
        user_id=item.user_id,
        tool=item.tool,
        arguments=item.arguments,
        preview=f"outbox {item.id}: {item.summary}",
        frontend=FRONTEND,
        outcome=outcome,
        resource_ids=resource_ids or [],
        approval_id=item.approval_id,
        session_id=item.session_id,
    )


def flush_due(
    store: Store, settings: Settings, now: datetime | None = None, *, secrets: Any = None
) -> FlushReport:
    """Send every item whose time has come, each exactly once (atomic claim). For `pa serve`,
    `pa outbox flush` and `pa routine run-due`."""
    when = now or utcnow()
    report = FlushReport()
    for item in OutboxRepository.of(store).due(when):
        outcome = send_item(store, settings, item, when, secrets)
        if outcome is True:
            report.sent.append(item.id)
        elif outcome is False:
            report.failed.append(item.id)
    return report


def send_when_due(store: Store, settings: Settings, item_id: str) -> bool | None:
    """Wait for one item's time (stopping early when it is undone), then send it. The detached sender."""
    outbox = OutboxRepository.of(store)
    while True:
        item = outbox.get(item_id)
        if item is None or item.status != "pending":
            return None
        wait = (as_utc(item.send_after) - utcnow()).total_seconds()
        if wait <= 0:
            return send_item(store, settings, item, utcnow())
        time.sleep(min(POLL_SECONDS, wait))


def undo_latest(store: Store, user_id: int) -> OutboxItem:
    """Cancel the newest mail still waiting to go out; NotFoundError when there is none."""
    outbox = OutboxRepository.of(store)
    for item in outbox.pending(user_id):
        if outbox.cancel(item.id):
            _audit(store, item, "cancelled")
            return item
    raise NotFoundError(
        "nothing to undo: no mail is waiting to go out", hint="`pa outbox list` shows what was sent"
    )


def spawn_sender(item_id: str) -> None:
    """Start a detached `pa outbox send ID`: it outlives the command that queued the mail, sends it when
    the undo window ends, and exits at once if the mail is undone."""
    import os
    import subprocess
    import sys

    subprocess.Popen(
        [sys.executable, "-m", "pa_cli", "outbox", "send", item_id],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env=dict(os.environ),
    )


async def run_outbox_worker(store: Store, settings: Settings, secrets: Any, interval: float = 2.0) -> None:
    """`pa serve`'s background task: flush what is due every ``interval`` seconds until cancelled.

    "Due" by the routines' clock, as for `pa outbox flush`: the real time, or the TEST HOOK
    ``PA_TEST_NOW`` (a test shows a scheduled send going out at its time without waiting for it)."""
    import asyncio

    from pa_cli.routines.clock import now

    while True:
        try:
            await asyncio.to_thread(flush_due, store, settings, now(), secrets=secrets)
        except Exception as exc:  # a bad moment (database locked) must not stop the worker
            log.warning("outbox flush failed: %s", type(exc).__name__)
        await asyncio.sleep(interval)
