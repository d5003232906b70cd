"""Calendar events as data: formatting for the LLM and previews, recurrence rules, request bodies.

Pure functions: no network, no Google libraries.
"""

from __future__ import annotations

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
from pa_cli.tools.google.calendar_recurrence import (
    RecurrenceError,
    continue_recurrence,
    rule_count,
    truncate_recurrence,
    validate_recurrence,
)

#: How a time argument is read, for the tools' argument descriptions.
TIME_HELP = "ISO 8601; without an offset it is read in the user's time zone; a date alone means all day"

__all__ = [
    "RecurrenceError",
    "continue_recurrence",
    "rule_count",
    "truncate_recurrence",
    "validate_recurrence",
]

MAX_DESCRIPTION_CHARS = 4_000
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
        finish = later(begin, elapsed(cur_start, cur_end))
    else:
        finish = later(begin, timedelta(days=1) if is_all_day(begin) else timedelta(hours=1))
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


def elapsed(start: When, end: When) -> timedelta:
    """Real time between two values (aware datetimes compared as instants, not as wall clocks)."""
    if isinstance(start, datetime) and isinstance(end, datetime):
        return end.astimezone(UTC) - start.astimezone(UTC)
    return as_date(end) - as_date(start)


def later(value: When, delta: timedelta) -> When:
    """``value`` plus real time ``delta``, shown in ``value``'s zone (dates: plus whole days)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return (value.astimezone(UTC) + delta).astimezone(value.tzinfo)
    return value + delta


def time_body(value: When, zone: tzinfo) -> dict[str, str]:
    return event_time_body(value, zone)


def _in(value: When | None, zone: tzinfo) -> When | None:
    return value.astimezone(zone) if isinstance(value, datetime) else value


def span_text(
    start: When | None,
    end: When | None,
    zone: tzinfo,
    own: tuple[tzinfo | None, tzinfo | None] = (None, None),
) -> str:
    """The span in the user's ``zone`` (named), and in the event's own zones when they differ.

    ``own`` is the zone of the start and of the end as the event keeps them (its ``timeZone`` fields);
    when they differ from each other, each end is named.
    """
    if is_all_day(start) or start is None:
        return format_span(start, end)
    name = zone_name(zone) or str(zone)
    text = f"{format_span(_in(start, zone), _in(end, zone))} ({name})"
    start_zone, end_zone = own[0] or zone, own[1] or own[0] or zone
    start_name, end_name = zone_name(start_zone), zone_name(end_zone)
    if start_name == end_name == name:
        return text
    if start_name == end_name:
        return f"{text}, which is {format_span(_in(start, start_zone), _in(end, end_zone))} ({start_name}) where the event is kept"
    first = f"{format_span(_in(start, start_zone), None)} ({start_name})"
    last = f"{format_span(_in(end, end_zone), None)} ({end_name})" if end is not None else "(no end)"
    return f"{text}: from {first} to {last}"


def as_date(value: When) -> date:
    return value.date() if isinstance(value, datetime) else value
