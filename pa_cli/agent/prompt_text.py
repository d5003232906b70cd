"""How the user's own text and the clock are written into a prompt: stdlib only.

Shared by ``llm_turn`` (which builds BAML's ``TurnInput``) and ``request_ahead`` (which fills a
cached rendering of the same prompt before BAML is loaded): both must write the same characters.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MAX_TOOL_RESULT_CHARS = 24_000
MAX_HISTORY_TOOL_CHARS = 6_000
MAX_MESSAGE_CHARS = 32_000
MAX_ATTACHED_CHARS = 48_000

_TAGS = re.compile(r"<(/?)(data|user|assistant)\b", re.IGNORECASE)


def neutralize(text: str) -> str:
    """Make ``<data>``, ``<user>`` and ``<assistant>`` look-alikes harmless (``&lt;user>``)."""
    return _TAGS.sub(r"&lt;\1\2", text)


def clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n[... {len(text) - limit} more characters not shown]"


def local_time(now: datetime, timezone: str) -> datetime:
    try:
        return now.astimezone(ZoneInfo(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        return now


def describe_now(now: datetime, timezone: str) -> tuple[str, str]:
    """("Tuesday 24 November 2026, 09:30", "2026-11-24T09:30:00+01:00") in the user's zone."""
    local = local_time(now, timezone)
    return f"{local:%A} {local.day} {local:%B %Y, %H:%M}", local.isoformat(timespec="seconds")


def user_message_text(message: str) -> str:
    """The user's request as the prompt shows it."""
    return neutralize(clip(message, MAX_MESSAGE_CHARS))


def attached_text(context: str) -> str:
    """Text the user attached (piped in) as the prompt shows it."""
    return neutralize(clip(context, MAX_ATTACHED_CHARS))
