"""Calendar time handling and a small RRULE expander for the fake Calendar.

Supported: ``RRULE`` with FREQ=DAILY|WEEKLY|MONTHLY|YEARLY, INTERVAL, COUNT, UNTIL and (weekly) BYDAY,
plus ``EXDATE`` lines. Occurrences step in the event's own wall-clock time zone, so a weekly 09:00
meeting stays at 09:00 across a DST change, as in Google Calendar.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Moment = date | datetime  # a date for all-day events, an aware datetime otherwise

_WEEKDAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
_FREQS = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
MAX_OCCURRENCES = 1000  # per series and request, like a few years of a daily event


class RecurrenceError(ValueError):
    pass


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise RecurrenceError(f"unknown time zone {name!r}") from exc


def parse_rfc3339(text: str) -> datetime:
    """An aware datetime from RFC 3339 text; naive input raises ValueError."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return value


def format_datetime(value: datetime) -> str:
    text = value.replace(microsecond=0).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def format_utc_millis(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def to_instant(value: Moment, all_day_zone: tzinfo) -> datetime:
    """The absolute time of a moment; an all-day date starts at midnight in the calendar's zone."""
    if isinstance(value, datetime):
        # In UTC: aware datetimes sharing a tzinfo compare by wall clock in Python, not as instants.
        return value.astimezone(UTC)
    return datetime.combine(value, time(0), tzinfo=all_day_zone)


def instance_suffix(original: Moment) -> str:
    if isinstance(original, datetime):
        return original.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return original.strftime("%Y%m%d")


def parse_instance_suffix(text: str) -> Moment | None:
    for fmt in ("%Y%m%dT%H%M%SZ", "%Y%m%d"):
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return parsed.replace(tzinfo=UTC) if "T" in fmt else parsed.date()
    return None


@dataclass(frozen=True)
class Rule:
    freq: str
    interval: int = 1
    count: int | None = None
    until: Moment | None = None
    byday: tuple[int, ...] = ()


@dataclass(frozen=True)
class Recurrence:
    rule: Rule
    exdates: frozenset[Moment]


def parse_recurrence(lines: Sequence[str]) -> Recurrence | None:
    rule: Rule | None = None
    exdates: set[Moment] = set()
    for line in lines:
        name, _, value = line.partition(":")
        kind, *params = name.split(";")
        kind = kind.upper()  # parameter values (TZID) keep their case: zone names are case-sensitive
        if kind == "RRULE":
            if rule is not None:
                raise RecurrenceError("more than one RRULE")
            rule = _parse_rule(value)
        elif kind == "EXDATE":
            tz_name = next((p[5:] for p in params if p.upper().startswith("TZID=")), None)
            exdates.update(_parse_moment(item, tz_name) for item in value.split(","))
        elif kind not in ("RDATE", "EXRULE"):
            raise RecurrenceError(f"unsupported recurrence line {line!r}")
    return None if rule is None else Recurrence(rule, frozenset(exdates))


def _parse_rule(text: str) -> Rule:
    parts: dict[str, str] = {}
    for item in text.split(";"):
        key, sep, value = item.partition("=")
        if not sep:
            raise RecurrenceError(f"bad RRULE part {item!r}")
        parts[key.upper()] = value
    freq = parts.get("FREQ", "")
    if freq not in _FREQS:
        raise RecurrenceError(f"unsupported FREQ {freq!r}")
    try:
        interval = int(parts.get("INTERVAL", "1"))
        count = int(parts["COUNT"]) if "COUNT" in parts else None
        byday = (
            tuple(sorted(_WEEKDAYS[day[-2:]] for day in parts["BYDAY"].split(",")))
            if "BYDAY" in parts
            else ()
        )
    except (KeyError, ValueError) as exc:
        raise RecurrenceError(f"bad RRULE {text!r}") from exc
    if interval < 1 or (count is not None and count < 1):
        raise RecurrenceError(f"bad RRULE {text!r}")
    until = _parse_moment(parts["UNTIL"], None) if "UNTIL" in parts else None
    return Rule(freq, interval, count, until, byday)


def _parse_moment(text: str, tz_name: str | None) -> Moment:
    match = re.fullmatch(r"(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?", text.strip())
    if not match:
        raise RecurrenceError(f"bad date {text!r}")
    year, month, day = int(match[1]), int(match[2]), int(match[3])
    if match[4] is None:
        return date(year, month, day)
    tz: tzinfo = UTC if match[7] or tz_name is None else zone(tz_name)
    return datetime(year, month, day, int(match[4]), int(match[5]), int(match[6]), tzinfo=tz)


def _add_months(value: Moment, months: int) -> Moment | None:
    index = value.month - 1 + months
    try:
        return value.replace(year=value.year + index // 12, month=index % 12 + 1)
    except ValueError:  # e.g. the 31st in a 30-day month: no occurrence that month
        return None


def _candidates(start: Moment, rule: Rule) -> Iterator[Moment]:
    step = 0
    while True:
        if rule.freq == "DAILY":
            yield start + timedelta(days=step * rule.interval)
        elif rule.freq == "WEEKLY":
            week_start = start - timedelta(days=start.weekday())
            for weekday in rule.byday or (start.weekday(),):
                candidate = week_start + timedelta(days=step * rule.interval * 7 + weekday)
                if candidate >= start:
                    yield candidate
        else:
            months = step * rule.interval * (12 if rule.freq == "YEARLY" else 1)
            monthly = _add_months(start, months)
            if monthly is not None:
                yield monthly
        step += 1


def _after_until(candidate: Moment, until: Moment) -> bool:
    if isinstance(until, datetime):
        if isinstance(candidate, datetime):
            return candidate > until
        return candidate > until.astimezone(UTC).date()
    as_date = candidate.date() if isinstance(candidate, datetime) else candidate
    return as_date > until


def _excluded(candidate: Moment, exdates: frozenset[Moment]) -> bool:
    if isinstance(candidate, datetime):
        return any(isinstance(ex, datetime) and ex == candidate for ex in exdates)
    return candidate in exdates


def occurrences(start: Moment, recurrence: Recurrence, beyond: Callable[[Moment], bool]) -> Iterator[Moment]:
    """Occurrence starts in order, until the rule ends or ``beyond(start)`` says we are past the window."""
    rule = recurrence.rule
    limit = min(MAX_OCCURRENCES, rule.count or MAX_OCCURRENCES)
    for produced, candidate in enumerate(_candidates(start, rule)):
        if produced >= limit:
            return
        if rule.until is not None and _after_until(candidate, rule.until):
            return
        if beyond(candidate):
            return
        if not _excluded(candidate, recurrence.exdates):
            yield candidate
