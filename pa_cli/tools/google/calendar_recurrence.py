"""RFC 5545 recurrence for Calendar: validation, expansion, and the rule rewrites of a split.

Rules are parsed by python-dateutil's ``rrulestr`` (a maintained RFC 5545 parser) plus the checks it
does not make (``COUNT`` with ``UNTIL``, ``INTERVAL=0``, ``COUNT`` below 1, numbered ``BYDAY`` in a
daily or weekly rule, repeated parts). Occurrences are expanded in the series' own zone, in wall-clock
time, as Google does: a weekly 09:00 meeting stays at 09:00 across a DST change.

Pure functions: no network, no Google libraries.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pa_cli.google.timeutil import When

_LINE_RE = re.compile(r"^(RRULE|EXRULE|RDATE|EXDATE)([;:])", re.IGNORECASE)
_RULE_PARTS = {
    "FREQ", "UNTIL", "COUNT", "INTERVAL", "BYSECOND", "BYMINUTE", "BYHOUR", "BYDAY", "BYMONTHDAY",
    "BYYEARDAY", "BYWEEKNO", "BYMONTH", "BYSETPOS", "WKST",
}  # fmt: skip
_FREQS = {"SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"}
_BYDAY_RE = re.compile(r"^([+-]?)(\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
#: Allowed values of the numeric BY parts (RFC 5545 3.3.10); True: negative values count from the end.
_RANGES = {
    "BYSECOND": (0, 60, False), "BYMINUTE": (0, 59, False), "BYHOUR": (0, 23, False),
    "BYMONTHDAY": (1, 31, True), "BYYEARDAY": (1, 366, True), "BYWEEKNO": (1, 53, True),
    "BYMONTH": (1, 12, False), "BYSETPOS": (1, 366, True),
}  # fmt: skip
_VALUE_RE = re.compile(r"^(\d{8})(?:T(\d{6})(Z?))?$")
_MAX_EXPANSION = 5000


class RecurrenceError(ValueError):
    """A recurrence line Calendar would refuse or misread; the message says which and why."""


def _parts(rule: str, raw: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for item in rule.split(";"):
        key, sep, value = item.partition("=")
        key = key.strip().upper()
        if not sep or not key or not value:
            raise RecurrenceError(f"{raw!r}: {item!r} is not NAME=VALUE")
        if key not in _RULE_PARTS:
            raise RecurrenceError(
                f"{raw!r}: unknown part {key} (RFC 5545 allows {', '.join(sorted(_RULE_PARTS))})"
            )
        if key in parts:
            raise RecurrenceError(f"{raw!r}: {key} is given twice")
        parts[key] = value.strip().upper()
    return parts


def _positive(parts: dict[str, str], key: str, raw: str) -> None:
    if key in parts and not (parts[key].isdigit() and int(parts[key]) >= 1):
        raise RecurrenceError(f"{raw!r}: {key} must be a whole number of at least 1, not {parts[key]}")


def _check_rule(rule: str, raw: str) -> None:
    from dateutil.rrule import rrulestr

    parts = _parts(rule, raw)
    freq = parts.get("FREQ")
    if freq is None:
        raise RecurrenceError(f"{raw!r}: a rule needs FREQ (DAILY, WEEKLY, MONTHLY, YEARLY, ...)")
    if freq not in _FREQS:
        raise RecurrenceError(f"{raw!r}: FREQ={freq} is not one of {', '.join(sorted(_FREQS))}")
    if "COUNT" in parts and "UNTIL" in parts:
        raise RecurrenceError(f"{raw!r}: COUNT and UNTIL cannot both be given (RFC 5545)")
    _positive(parts, "COUNT", raw)
    _positive(parts, "INTERVAL", raw)
    for day in parts.get("BYDAY", "").split(",") if "BYDAY" in parts else []:
        match = _BYDAY_RE.match(day)
        if not match:
            raise RecurrenceError(f"{raw!r}: BYDAY {day!r} is not a weekday such as MO, TU or 2TU")
        if match[2] is not None:
            if freq not in ("MONTHLY", "YEARLY"):
                raise RecurrenceError(f"{raw!r}: a numbered BYDAY ({day}) needs FREQ=MONTHLY or YEARLY")
            if not 1 <= int(match[2]) <= 53:
                raise RecurrenceError(f"{raw!r}: BYDAY {day} is out of range")
    for key, (low, high, signed) in _RANGES.items():
        for item in parts[key].split(",") if key in parts else []:
            number = item[1:] if signed and item[:1] in "+-" else item
            if not number.isdigit() or not low <= int(number) <= high:
                raise RecurrenceError(f"{raw!r}: {key} value {item} is out of range")
    if "UNTIL" in parts and not _VALUE_RE.match(parts["UNTIL"]):
        raise RecurrenceError(f"{raw!r}: UNTIL must be YYYYMMDD or YYYYMMDDTHHMMSSZ, not {parts['UNTIL']}")
    try:
        rrulestr(rule, dtstart=datetime(2000, 1, 1), ignoretz=True)
    except (ValueError, TypeError) as exc:
        raise RecurrenceError(f"{raw!r}: {exc}") from None


def _params(head: str, raw: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for item in head.split(";")[1:]:
        key, sep, value = item.partition("=")
        if not sep:
            raise RecurrenceError(f"{raw!r}: {item!r} is not NAME=VALUE")
        params[key.strip().upper()] = value.strip()
    return params


def _zone(name: str, raw: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise RecurrenceError(f"{raw!r}: unknown time zone {name!r}") from None


def _parse_value(text: str, tz: tzinfo | None, raw: str) -> When:
    """One EXDATE/RDATE value: a date, a UTC time (Z), or a time in TZID (floating: ``tz`` None)."""
    from dateutil.parser import isoparse

    match = _VALUE_RE.match(text.strip())
    if not match:
        raise RecurrenceError(f"{raw!r}: {text!r} is not YYYYMMDD, YYYYMMDDTHHMMSS or YYYYMMDDTHHMMSSZ")
    try:
        parsed = isoparse(text.strip())
    except ValueError as exc:
        raise RecurrenceError(f"{raw!r}: {text!r}: {exc}") from None
    if match[2] is None:
        return parsed.date()
    if match[3]:
        return parsed.replace(tzinfo=UTC)
    return parsed.replace(tzinfo=tz) if tz is not None else parsed


def _dates(line: str, raw: str) -> list[When]:
    head, _, values = line.partition(":")
    params = _params(head, raw)
    kind = params.get("VALUE", "").upper()
    if kind not in ("", "DATE", "DATE-TIME"):
        raise RecurrenceError(f"{raw!r}: VALUE={kind} is not supported (DATE or DATE-TIME)")
    tz = _zone(params["TZID"], raw) if "TZID" in params else None
    if not values.strip():
        raise RecurrenceError(f"{raw!r}: no dates given")
    found = [_parse_value(v, tz, raw) for v in values.split(",")]
    for value in found:
        if kind and (kind == "DATE") == isinstance(value, datetime):
            raise RecurrenceError(f"{raw!r}: VALUE={kind} does not match {value.isoformat()}")
    return found


def validate_recurrence(lines: Sequence[str]) -> list[str]:
    """RFC 5545 recurrence lines as Calendar takes them (``RRULE:FREQ=WEEKLY;BYDAY=TU`` etc.), checked."""
    checked: list[str] = []
    rules = 0
    for raw in lines:
        line = raw.strip()
        match = _LINE_RE.match(line)
        if "\n" in line or "\r" in line or not match:
            raise RecurrenceError(f"{raw!r} is not a recurrence line (RRULE:, EXRULE:, RDATE: or EXDATE:)")
        kind = match[1].upper()
        head, sep, body = line.partition(":")
        if not sep:
            raise RecurrenceError(f"{raw!r}: missing ':' before the value")
        if kind in ("RRULE", "EXRULE"):
            if head.upper() != kind:
                raise RecurrenceError(f"{raw!r}: {kind} takes no parameters")
            _check_rule(body, raw)
            rules += kind == "RRULE"
        else:
            _dates(line, raw)
        checked.append(f"{kind}{line[len(kind) :]}")
    if rules > 1:
        raise RecurrenceError("only one RRULE per event (Calendar keeps one rule per series)")
    return checked


# --- expansion -------------------------------------------------------------------------------------


def _wall(value: When, zone: tzinfo) -> When:
    """A value as a naive wall-clock time in ``zone`` (dates stay dates; floating times stay as they are)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(zone).replace(tzinfo=None)
    return value


def _rrule_text(lines: Sequence[str], zone: tzinfo, all_day: bool) -> str | None:
    """The RRULE with UNTIL as a naive wall-clock value in ``zone`` (what a naive expansion needs)."""
    for line in lines:
        if line.upper().startswith("RRULE:"):
            parts = [p for p in line.split(":", 1)[1].split(";") if p]
            fixed = []
            for part in parts:
                if part.upper().startswith("UNTIL="):
                    value = _parse_value(part.split("=", 1)[1], UTC, line)
                    if all_day:
                        day = value.date() if isinstance(value, datetime) else value
                        part = f"UNTIL={day.strftime('%Y%m%d')}"
                    elif isinstance(value, datetime):
                        part = f"UNTIL={_wall(value, zone).strftime('%Y%m%dT%H%M%S')}"
                    else:
                        part = f"UNTIL={value.strftime('%Y%m%d')}T235959"
                fixed.append(part)
            return ";".join(fixed)
    return None


def _naive_start(start: When) -> datetime:
    return start if isinstance(start, datetime) else datetime(start.year, start.month, start.day)


def _localize(naive: datetime, zone: tzinfo, all_day: bool) -> When:
    return naive.date() if all_day else naive.replace(tzinfo=zone, fold=0)


def rule_occurrences(
    start: When, lines: Sequence[str], zone: tzinfo, *, before: When | None = None
) -> list[When]:
    """Starts generated by the RRULE alone (what COUNT counts: EXDATEs do not reduce it), in order."""
    from dateutil.rrule import rrulestr

    all_day = not isinstance(start, datetime)
    text = _rrule_text(lines, zone, all_day)
    first = _naive_start(_wall(start, zone))
    if text is None:
        return [start]
    limit = _naive_start(_wall(before, zone)) if before is not None else None
    out: list[When] = []
    for occurrence in rrulestr(text, dtstart=first, ignoretz=True):
        if (limit is not None and occurrence >= limit) or len(out) >= _MAX_EXPANSION:
            break
        out.append(_localize(occurrence, zone, all_day))
    return out


def occurrence_starts(start: When, lines: Sequence[str], zone: tzinfo, *, limit: int = 60) -> list[When]:
    """The first ``limit`` occurrence starts of a series: RRULE and RDATE, less EXDATE, in ``zone``."""
    all_day = not isinstance(start, datetime)
    generated = [_naive_start(_wall(v, zone)) for v in rule_occurrences(start, lines, zone)[: limit * 2]]
    extra: set[datetime] = set()
    excluded: set[datetime] = set()
    for line in lines:
        kind = line.split(":", 1)[0].split(";", 1)[0].upper()
        if kind in ("RDATE", "EXDATE"):
            target = extra if kind == "RDATE" else excluded
            target.update(_naive_start(_wall(v, zone)) for v in _dates(line, line))
    merged = sorted((set(generated) | extra) - excluded)
    return [_localize(v, zone, all_day) for v in merged[:limit]]


# --- the rule rewrites of a split ------------------------------------------------------------------


def _until(split: When) -> str:
    """UNTIL just before ``split``: in UTC for timed series (RFC 5545 with a zoned DTSTART), a date otherwise."""
    if isinstance(split, datetime):
        return (split.astimezone(UTC) - timedelta(seconds=1)).strftime("%Y%m%dT%H%M%SZ")
    return (split - timedelta(days=1)).strftime("%Y%m%d")


def _rule_parts(line: str) -> tuple[str, list[str]]:
    head, _, rule = line.partition(":")
    return head, [p for p in rule.split(";") if p]


def truncate_recurrence(lines: Sequence[str], split: When) -> list[str]:
    """End a series just before ``split``: every RRULE gets an UNTIL (and loses its COUNT)."""
    out = []
    for line in lines:
        if line.upper().startswith("RRULE"):
            head, parts = _rule_parts(line)
            parts = [p for p in parts if not p.upper().startswith(("COUNT=", "UNTIL="))]
            parts.append(f"UNTIL={_until(split)}")
            line = f"{head}:{';'.join(parts)}"
        out.append(line)
    return out


def rule_count(lines: Sequence[str]) -> int | None:
    for line in lines:
        if line.upper().startswith("RRULE"):
            for part in _rule_parts(line)[1]:
                if part.upper().startswith("COUNT=") and part.split("=", 1)[1].isdigit():
                    return int(part.split("=", 1)[1])
    return None


def continue_recurrence(lines: Sequence[str], occurred: int) -> list[str]:
    """The rules for the rest of a series after ``occurred`` generated occurrences (COUNT reduced)."""
    out = []
    for line in lines:
        if line.upper().startswith("RRULE"):
            head, parts = _rule_parts(line)
            fixed = []
            for part in parts:
                if part.upper().startswith("COUNT=") and part.split("=", 1)[1].isdigit():
                    left = int(part.split("=", 1)[1]) - occurred
                    if left < 1:
                        raise RecurrenceError("the series has no occurrences left from there")
                    part = f"COUNT={left}"
                fixed.append(part)
            line = f"{head}:{';'.join(fixed)}"
        out.append(line)
    return out


def as_date(value: When) -> date:
    return value.date() if isinstance(value, datetime) else value
