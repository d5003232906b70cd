"""Calendar events as data: formatting for the LLM and previews, recurrence rules, request bodies.

Pure functions: no network, no Google libraries.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from pa_cli.errors import UsageError
from pa_cli.google.timeutil import (
    When,
    check_range,
    event_time_body,
    format_span,
    iso_local,
    parse_event_time,
    parse_when,
    zone_name,
)

MAX_DESCRIPTION_CHARS = 4_000
_RECURRENCE_RE = re.compile(r"^(RRULE|EXRULE|RDATE|EXDATE)[:;]", re.IGNORECASE)
_FREQ_RE = re.compile(r"(^|;)FREQ=(SECONDLY|MINUTELY|HOURLY|DAILY|WEEKLY|MONTHLY|YEARLY)(;|$)", re.IGNORECASE)
_COPIED_FIELDS = (
    "summary",
    "description",
    "location",
    "colorId",
    "transparency",
    "visibility",
    "reminders",
    "guestsCanInviteOthers",
    "guestsCanModify",
    "guestsCanSeeOtherGuests",
)
_ATTENDEE_FIELDS = ("email", "displayName", "optional", "responseStatus", "comment", "additionalGuests")


def is_all_day(value: When | None) -> bool:
    return value is not None and not isinstance(value, datetime)


def event_times(event: dict[str, Any], zone: tzinfo) -> tuple[When | None, When | None]:
    return parse_event_time(event.get("start"), zone), parse_event_time(event.get("end"), zone)


def attendee_emails(event: dict[str, Any]) -> list[str]:
    return [str(a["email"]) for a in event.get("attendees") or [] if a.get("email")]


def event_data(event: dict[str, Any], zone: tzinfo) -> dict[str, Any]:
    """A Calendar event for the LLM, times in the user's zone (all-day events as dates)."""
    start, end = event_times(event, zone)
    description = event.get("description") or ""
    data: dict[str, Any] = {
        "id": event.get("id"),
        "summary": event.get("summary") or "(no title)",
        "start": iso_local(start),
        "end": iso_local(end),
        "all_day": is_all_day(start),
        "when": format_span(start, end),
        "location": event.get("location"),
        "description": description[:MAX_DESCRIPTION_CHARS],
        "attendees": [
            {"email": a.get("email"), "response": a.get("responseStatus")}
            for a in event.get("attendees") or []
            if a.get("email")
        ],
        "organizer": (event.get("organizer") or {}).get("email"),
        "status": event.get("status"),
    }
    if event.get("recurringEventId"):
        data["recurring_event_id"] = event["recurringEventId"]
    if event.get("recurrence"):
        data["recurrence"] = list(event["recurrence"])
    if event.get("htmlLink"):
        data["html_link"] = event["htmlLink"]
    return data


def busy_data(period: dict[str, Any], zone: tzinfo) -> dict[str, Any]:
    start = parse_event_time({"dateTime": period.get("start")}, zone)
    end = parse_event_time({"dateTime": period.get("end")}, zone)
    return {"start": iso_local(start), "end": iso_local(end), "when": format_span(start, end)}


# --- inputs ---------------------------------------------------------------


def validate_recurrence(lines: Sequence[str]) -> list[str]:
    """RFC 5545 recurrence lines as Calendar takes them: ``RRULE:FREQ=WEEKLY;BYDAY=TU`` etc."""
    checked: list[str] = []
    for raw in lines:
        line = raw.strip()
        if "\n" in line or "\r" in line or not _RECURRENCE_RE.match(line):
            raise ValueError(f"{raw!r} is not a recurrence line (RRULE:, EXRULE:, RDATE: or EXDATE:)")
        if line.upper().startswith("RRULE") and not _FREQ_RE.search(line.split(":", 1)[-1]):
            raise ValueError(f"{raw!r}: an RRULE needs FREQ=DAILY|WEEKLY|MONTHLY|YEARLY|...")
        checked.append(line)
    return checked


def parse_span(start: str, end: str, zone: tzinfo) -> tuple[When, When]:
    """Start and end of a new event; an all-day end equal to the start means one day."""
    begin = parse_when(start, zone, field="start")
    finish = parse_when(end, zone, field="end")
    if is_all_day(begin) and is_all_day(finish) and finish == begin:
        finish = begin + timedelta(days=1)
    check_range(begin, finish)
    return begin, finish


def new_span(
    current: tuple[When | None, When | None], start: str | None, end: str | None, zone: tzinfo
) -> tuple[When, When] | None:
    """The event's new start/end from optional inputs; a moved start keeps the duration."""
    if start is None and end is None:
        return None
    cur_start, cur_end = current
    begin = parse_when(start, zone, field="start") if start else cur_start
    if begin is None:
        raise UsageError("start: the event has no start time to keep")
    if end:
        finish: When = parse_when(end, zone, field="end")
    elif cur_start is not None and cur_end is not None and is_all_day(cur_start) == is_all_day(begin):
        finish = begin + (cur_end - cur_start)
    else:
        finish = begin + (timedelta(days=1) if is_all_day(begin) else timedelta(hours=1))
    if is_all_day(begin) and is_all_day(finish) and finish == begin:
        finish = begin + timedelta(days=1)
    check_range(begin, finish)
    return begin, finish


def merge_attendees(existing: list[dict[str, Any]] | None, emails: Sequence[str]) -> list[dict[str, Any]]:
    """The new attendee list, keeping what Calendar knows about people who stay (their answers)."""
    known = {str(a.get("email", "")).lower(): a for a in existing or [] if a.get("email")}
    merged = []
    for email in emails:
        old = known.get(email.lower())
        merged.append({k: v for k, v in old.items() if k in _ATTENDEE_FIELDS} if old else {"email": email})
    return merged


def copy_series_fields(master: dict[str, Any]) -> dict[str, Any]:
    body = {key: master[key] for key in _COPIED_FIELDS if key in master}
    if master.get("attendees"):
        body["attendees"] = merge_attendees(master["attendees"], attendee_emails(master))
    return body


def _until(split: When) -> str:
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
                if part.upper().startswith("COUNT="):
                    try:
                        return int(part.split("=", 1)[1])
                    except ValueError:
                        return None
    return None


def continue_recurrence(lines: Sequence[str], occurred: int) -> list[str]:
    """The rules for the rest of a series after ``occurred`` occurrences (COUNT reduced)."""
    out = []
    for line in lines:
        if line.upper().startswith("RRULE"):
            head, parts = _rule_parts(line)
            fixed = []
            for part in parts:
                if part.upper().startswith("COUNT="):
                    with contextlib.suppress(ValueError):
                        part = f"COUNT={max(1, int(part.split('=', 1)[1]) - occurred)}"
                fixed.append(part)
            line = f"{head}:{';'.join(fixed)}"
        out.append(line)
    return out


def time_body(value: When, zone: tzinfo) -> dict[str, str]:
    return event_time_body(value, zone)


def span_text(start: When | None, end: When | None, zone: tzinfo) -> str:
    name = zone_name(zone)
    text = format_span(start, end)
    return f"{text} ({name})" if name and not is_all_day(start) else text


def shift(value: When, delta: timedelta) -> When:
    return value + delta


def as_date(value: When) -> date:
    return value.date() if isinstance(value, datetime) else value
