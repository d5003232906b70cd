"""Event reminders (Calendar v3 ``reminders``): the tools' argument, the request body, the preview line.

Google takes either the calendar's default reminders (``useDefault``) or up to five overrides, each
an ``email`` or ``popup`` some minutes (0 to 40320, four weeks) before the start, never both.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_OVERRIDES = 5
MAX_MINUTES = 40320


class Reminder(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Literal["popup", "email"] = Field("popup", description="popup (a notification) or email")
    minutes: int = Field(ge=0, le=MAX_MINUTES, description="minutes before the start (0 to 40320)")


REMINDERS_HELP = (
    "reminders before the start, e.g. [{'method': 'popup', 'minutes': 10}] (at most 5); "
    "[] means no reminder; omit to keep the calendar's default"
)


def reminders_body(reminders: list[Reminder]) -> dict[str, Any]:
    """The ``reminders`` field: explicit overrides (an empty list turns reminders off)."""
    return {
        "useDefault": False,
        "overrides": [{"method": r.method, "minutes": r.minutes} for r in reminders],
    }


def _minutes_text(minutes: int) -> str:
    if minutes == 0:
        return "at the start"
    for unit, size in (("week", 10080), ("day", 1440), ("hour", 60)):
        if minutes % size == 0:
            count = minutes // size
            return f"{count} {unit}{'s' if count != 1 else ''} before"
    return f"{minutes} minute{'s' if minutes != 1 else ''} before"


def reminders_text(body: dict[str, Any] | None) -> str:
    """``popup 10 minutes before, email 1 day before``; the calendar's default; or none."""
    if not body or body.get("useDefault"):
        return "the calendar's default"
    overrides = body.get("overrides") or []
    if not overrides:
        return "none"
    return ", ".join(f"{o.get('method')} {_minutes_text(int(o.get('minutes', 0)))}" for o in overrides)
