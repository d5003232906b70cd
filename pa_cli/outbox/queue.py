"""Putting an approved gmail_send in the outbox: the undo window, or a scheduled ``send_at``.

Who sends an undo-window mail when the command that approved it exits first (`pa ask`, `pa approve`
return at once): a detached `pa outbox send ID` process started here. It sleeps until the window
ends, polling the row so that `pa undo` stops it at once, then claims the row and sends. It needs no
terminal and survives the command, so `pa ask` stays as fast as before and a closed terminal does
not lose an approved mail; `pa serve`'s background task and `pa outbox flush` would send it too if
that process died (the atomic claim keeps it to one send). A scheduled mail (``send_at``) is not
given a sleeper (it may be days away, across reboots): `pa serve`, `pa outbox flush` or
`pa routine run-due` (a timer) sends it when due.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pa_cli.errors import UsageError
from pa_cli.outbox.repository import OutboxRepository
from pa_cli.store.types import utcnow
from pa_cli.tools.base import ToolResult

if TYPE_CHECKING:
    from pydantic import BaseModel

    from pa_cli.config import Settings
    from pa_cli.tools.base import ToolContext
    from pa_cli.tools.google.gmail import MailArgs

#: A scheduled send further away than this is probably a mistake (a wrong year).
MAX_SCHEDULE_DAYS = 366


def parse_send_at(value: str, settings: Settings, *, require_future: bool = True) -> datetime:
    """``send_at`` as an aware UTC instant (no offset: the user's zone); refused when not in the future
    (checked at preview; a time that passed while the approval waited sends at the next flush)."""
    from zoneinfo import ZoneInfo

    from pa_cli.google.timeutil import parse_when, user_zone

    when = parse_when(value, user_zone(settings), field="send_at")
    if not isinstance(when, datetime):
        raise UsageError("send_at: give a time, not only a date (e.g. 2026-12-04T09:00)")
    instant = when.astimezone(ZoneInfo("UTC"))
    now = utcnow()
    if require_future and instant <= now:
        raise UsageError(f"send_at: {value} is in the past; omit send_at to send now")
    if instant > now + timedelta(days=MAX_SCHEDULE_DAYS):
        raise UsageError(f"send_at: {value} is more than a year away")
    return instant


def describe_send_at(value: str, settings: Settings) -> str:
    from pa_cli.google.timeutil import user_zone

    instant = parse_send_at(value, settings)
    local = instant.astimezone(user_zone(settings))
    return f"{local:%a %Y-%m-%d %H:%M} {local.tzname()} (held in the outbox until then)"


def queue_send(
    ctx: ToolContext,
    args: MailArgs | BaseModel,
    send_at: str | None,
    *,
    tool: str = "gmail_send",
    summary: str | None = None,
) -> ToolResult:
    """Queue an approved send (``gmail_send``, or ``gmail_forward`` with its own ``summary``)."""
    from pa_cli.outbox.send import spawn_sender

    arguments = args.model_dump(mode="json", exclude={"send_at"})
    if summary is None:
        summary = f"to {', '.join(getattr(args, 'to', []))}: {getattr(args, 'subject', '')}"
    if send_at:
        when = parse_send_at(send_at, ctx.settings, require_future=False)
        kind = "scheduled"
    else:
        when = utcnow() + timedelta(seconds=ctx.settings.gmail.undo_seconds)
        kind = "undo"
    item = OutboxRepository.of(ctx.store).add(
        user_id=ctx.user_id,
        arguments=arguments,
        summary=summary,
        send_after=when,
        kind=kind,
        session_id=ctx.session_id,
        tool=tool,
    )
    if kind == "undo":
        spawn_sender(item.id)
        said = f"sending in {ctx.settings.gmail.undo_seconds} s ({summary}); `pa undo` takes it back"
    else:
        said = f"scheduled for {when.isoformat()} ({summary}); `pa undo` cancels it until then"
    return ToolResult(
        content={"outbox_id": item.id, "status": "queued", "send_after": when.isoformat(), "kind": kind},
        summary=said,
        resource_ids=[f"outbox:{item.id}"],
    )
