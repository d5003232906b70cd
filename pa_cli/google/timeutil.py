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


def _transition(wall: datetime, zone: tzinfo) -> tuple[datetime, datetime] | None:
    """For a naive wall-clock time in a DST gap or overlap: the wall clock just before and just
    after the change (``02:00`` -> ``03:00`` in spring, ``03:00`` -> ``02:00`` in autumn)."""
    before = wall.replace(tzinfo=zone, fold=0).utcoffset()
    after = wall.replace(tzinfo=zone, fold=1).utcoffset()
    if before is None or after is None or before == after:
        return None
    naive = wall.replace(tzinfo=None, fold=0)
    # The change happens at a UTC instant between the two readings; find it to the second.
    low = (naive - max(before, after)).replace(tzinfo=UTC)
    high = (naive - min(before, after)).replace(tzinfo=UTC)
    while high - low > timedelta(seconds=1):
        mid = low + (high - low) / 2
        if mid.astimezone(zone).utcoffset() == before:
            low = mid
        else:
            high = mid
    instant = high.replace(microsecond=0)
    return (instant + before).replace(tzinfo=None), (instant + after).replace(tzinfo=None)


def _long_day(value: date) -> str:
    return f"{value.day} {value.strftime('%B %Y')}"


def _place(zone: tzinfo) -> str:
    return zone_name(zone) or str(zone)


def gap_message(wall: datetime, zone: tzinfo) -> str | None:
    """Words for a wall-clock time that does not exist in ``zone`` (spring forward), else None."""
    naive = wall.replace(tzinfo=None)
    if naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive:
        return None
    change = _transition(naive, zone)
    jump = f": clocks jump from {_clock(change[0])} to {_clock(change[1])}" if change else ""
    return f"{_clock(naive)} does not exist on {_long_day(naive.date())} in {_place(zone)}{jump}"


def overlap_message(wall: datetime, zone: tzinfo) -> str | None:
    """Words for a wall-clock time that happens twice in ``zone`` (fall back), else None."""
    naive = wall.replace(tzinfo=None)
    if gap_message(naive, zone) is not None:
        return None
    change = _transition(naive, zone)
    if change is None:
        return None
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    return (
        f"{_clock(naive)} happens twice on {_long_day(naive.date())} in {_place(zone)}: clocks go back "
        f"from {_clock(change[0])} to {_clock(change[1])}; the first one is meant "
        f"({first.strftime('%Z')}, UTC{_offset(first)}), give the offset {_offset(second)} for the second"
    )


def _offset(value: datetime) -> str:
    text = value.strftime("%z")
    return f"{text[:3]}:{text[3:]}" if text else ""


def _parse_naive_or_aware(text: str, value: str, field: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace(" ", "T", 1) if "T" not in text else text)
    except ValueError:
        raise UsageError(
            f"{field}: {value!r} is not an ISO 8601 time (e.g. 2025-03-11T10:00 or 2025-03-11T10:00+01:00)"
        ) from None


def parse_when(value: str, zone: tzinfo, *, field: str = "time") -> When:
    """ISO 8601 text to an aware datetime, or a date for all-day values (``2026-06-05``, ``20260605``).

    A time without an offset is read in ``zone``; one that does not exist there (a DST gap) is refused
    with the reason in words; one that happens twice (a DST overlap) is the first of the two.
    """
    text = value.strip()
    if not text:
        raise UsageError(f"{field}: empty time")
    if "T" not in text and " " not in text and len(text) in (8, 10):
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise UsageError(f"{field}: {value!r} is not an ISO 8601 date (YYYY-MM-DD)") from None
    parsed = _parse_naive_or_aware(text, value, field)
    if parsed.tzinfo is not None:
        return parsed
    if (gap := gap_message(parsed, zone)) is not None:
        raise UsageError(f"{field}: {gap}")
    return parsed.replace(tzinfo=zone, fold=0)


def wall_clock_notes(values: dict[str, str | None], zone: tzinfo) -> list[str]:
    """Notes for inputs without an offset that fall in a DST overlap (they happen twice)."""
    notes = []
    for field, value in values.items():
        if not value or "T" not in value.strip():
            continue
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            continue
        if parsed.tzinfo is None and (note := overlap_message(parsed, zone)):
            notes.append(f"{field}: {note}")
    return notes


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
    return {"dateTime": value.astimezone(zone).isoformat(), "timeZone": name}


def zone_named(name: str | None) -> ZoneInfo | None:
    """The IANA zone called ``name`` (a Calendar ``timeZone`` field), or None."""
    return _zone(name) if name else None


def event_zone(obj: dict[str, Any] | None) -> ZoneInfo | None:
    """The zone a Calendar ``start``/``end`` object lives in (its ``timeZone``), if it names one."""
    return zone_named(str((obj or {}).get("timeZone") or "")) if obj else None


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


def _abbrev(value: datetime) -> str:
    return value.strftime("%Z")


def format_span(start: When | None, end: When | None) -> str:
    """``Tue 2025-03-11 10:00-11:00 CET``; all-day: ``Tue 2025-03-11 (all day)`` (end is exclusive).

    Each end is labelled with its own zone abbreviation when they differ (a span across a DST change:
    ``Sun 2026-10-25 02:30 CEST - 03:30 CET``).
    """
    if start is None:
        return "(no time)"
    if not isinstance(start, datetime):
        last = end - timedelta(days=1) if isinstance(end, date) and not isinstance(end, datetime) else start
        if last <= start:
            return f"{_day(start)} (all day)"
        return f"{_day(start)} - {_day(last)} (all day)"
    if not isinstance(end, datetime):
        return f"{_day(start)} {_clock(start)} {_abbrev(start)}".rstrip()
    same_label = _abbrev(end) == _abbrev(start) and end.utcoffset() == start.utcoffset()
    if end.date() == start.date() and same_label:
        return f"{_day(start)} {_clock(start)}-{_clock(end)} {_abbrev(end)}".rstrip()
    first = f"{_day(start)} {_clock(start)} {_abbrev(start)}".rstrip()
    if end.date() == start.date():
        return f"{first} - {_clock(end)} {_abbrev(end)}".rstrip()
    return f"{first} - {_day(end)} {_clock(end)} {_abbrev(end)}".rstrip()


def same_kind(start: When, end: When) -> bool:
    return isinstance(start, datetime) == isinstance(end, datetime)


def check_range(start: When, end: When, *, what: str = "event") -> None:
    if not same_kind(start, end):
        raise UsageError(f"{what}: start and end must both be dates (all-day) or both be times")
    if _instant(end) <= _instant(start):
        raise UsageError(f"{what}: end must be after start")


def _instant(value: When) -> When:
    # Aware datetimes sharing a tzinfo compare by wall clock in Python: compare instants instead.
    return value.astimezone(UTC) if isinstance(value, datetime) and value.tzinfo is not None else value


def now(zone: tzinfo) -> datetime:
    return datetime.now(zone)
