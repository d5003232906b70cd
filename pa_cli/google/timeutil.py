"""Calendar time handling: never naive, local display, all-day events stay dates.

Inputs without an offset are read in the user's IANA zone (``user.timezone``,
else the system's). Date-only inputs are all-day values. Output is shown in the
user's local time.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pa_cli.errors import UsageError

if TYPE_CHECKING:
    from pa_cli.config import Settings

When = datetime | date


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def system_zone() -> tzinfo:
    """The system's zone, as an IANA zone where it can be found (TZ, /etc/localtime, /etc/timezone)."""
    tz_env = os.environ.get("TZ", "").lstrip(":")
    if tz_env and (zone := _zone(tz_env)):
        return zone
    try:
        target = os.readlink("/etc/localtime")
    except OSError:
        target = ""
    if "zoneinfo/" in target and (zone := _zone(target.split("zoneinfo/", 1)[1])):
        return zone
    try:
        name = Path("/etc/timezone").read_text(encoding="utf-8").strip()
    except OSError:
        name = ""
    if name and (zone := _zone(name)):
        return zone
    local = datetime.now().astimezone().tzinfo
    return local if local is not None else UTC


def user_zone(settings: Settings) -> tzinfo:
    if settings.user.timezone and (zone := _zone(settings.user.timezone)):
        return zone
    return system_zone()


def zone_name(zone: tzinfo) -> str | None:
    """The IANA name of ``zone`` (what Calendar's ``timeZone`` fields want), if it has one."""
    key = getattr(zone, "key", None)
    if isinstance(key, str):
        return key
    if zone is UTC:
        return "UTC"
    return None


def localize(value: datetime, zone: tzinfo) -> datetime:
    """Attach ``zone`` to a naive wall-clock time (times in a DST gap move forward)."""
    if value.tzinfo is not None:
        return value
    aware = value.replace(tzinfo=zone)
    return aware.astimezone(UTC).astimezone(zone)


def parse_when(value: str, zone: tzinfo, *, field: str = "time") -> When:
    """ISO 8601 text to an aware datetime, or a date for all-day values."""
    text = value.strip()
    if not text:
        raise UsageError(f"{field}: empty time")
    if len(text) == 10 and "T" not in text:
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise UsageError(f"{field}: {value!r} is not an ISO 8601 date (YYYY-MM-DD)") from None
    try:
        parsed = datetime.fromisoformat(text.replace(" ", "T", 1) if "T" not in text else text)
    except ValueError:
        raise UsageError(
            f"{field}: {value!r} is not an ISO 8601 time (e.g. 2025-03-11T10:00 or 2025-03-11T10:00+01:00)"
        ) from None
    return localize(parsed, zone)


def parse_bound(value: str, zone: tzinfo, *, end: bool = False, field: str = "time") -> datetime:
    """A range bound: a date means the start of that day (or, for an end, the start of the next)."""
    when = parse_when(value, zone, field=field)
    if isinstance(when, datetime):
        return when
    day = when + timedelta(days=1) if end else when
    return localize(datetime(day.year, day.month, day.day), zone)


def rfc3339(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime")
    return value.isoformat()


def event_time_body(value: When, zone: tzinfo) -> dict[str, str]:
    """A Calendar ``start``/``end`` object: ``{"date"}`` for all-day, else ``{"dateTime", "timeZone"}``."""
    if not isinstance(value, datetime):
        return {"date": value.isoformat()}
    name = zone_name(zone)
    if name is None:
        return {"dateTime": value.astimezone(UTC).isoformat(), "timeZone": "UTC"}
    return {"dateTime": value.isoformat(), "timeZone": name}


def parse_event_time(obj: dict[str, Any] | None, zone: tzinfo) -> When | None:
    """A Calendar ``start``/``end`` object to a date (all-day) or a datetime in the user's zone."""
    if not obj:
        return None
    if obj.get("date"):
        return date.fromisoformat(str(obj["date"]))
    raw = obj.get("dateTime")
    if not raw:
        return None
    parsed = datetime.fromisoformat(str(raw))
    if parsed.tzinfo is None:
        event_zone = _zone(str(obj.get("timeZone") or "")) or zone
        parsed = localize(parsed, event_zone)
    return parsed.astimezone(zone)


def iso_local(value: When | None) -> str | None:
    return value.isoformat() if value is not None else None


def _day(value: date) -> str:
    return value.strftime("%a %Y-%m-%d")


def _clock(value: datetime) -> str:
    return value.strftime("%H:%M")


def format_span(start: When | None, end: When | None) -> str:
    """``Tue 2025-03-11 10:00-11:00 CET``; all-day: ``Tue 2025-03-11 (all day)`` (end is exclusive)."""
    if start is None:
        return "(no time)"
    if not isinstance(start, datetime):
        last = end - timedelta(days=1) if isinstance(end, date) and not isinstance(end, datetime) else start
        if last <= start:
            return f"{_day(start)} (all day)"
        return f"{_day(start)} - {_day(last)} (all day)"
    if not isinstance(end, datetime):
        return f"{_day(start)} {_clock(start)} {start.strftime('%Z')}".rstrip()
    if end.date() == start.date():
        zone = end.strftime("%Z")
        return f"{_day(start)} {_clock(start)}-{_clock(end)} {zone}".rstrip()
    first = f"{_day(start)} {_clock(start)} {start.strftime('%Z')}".rstrip()
    return f"{first} - {_day(end)} {_clock(end)} {end.strftime('%Z')}".rstrip()


def same_kind(start: When, end: When) -> bool:
    return isinstance(start, datetime) == isinstance(end, datetime)


def check_range(start: When, end: When, *, what: str = "event") -> None:
    if not same_kind(start, end):
        raise UsageError(f"{what}: start and end must both be dates (all-day) or both be times")
    if end <= start:
        raise UsageError(f"{what}: end must be after start")


def now(zone: tzinfo) -> datetime:
    return datetime.now(zone)
