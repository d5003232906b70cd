"""What an update or delete of a (recurring) Calendar event will do: one plan for preview and run.

The preview renders the plan's lines; the run executes the plan's operations, frozen at preview time
(see ``calendar_requests``), so what the user approved is what happens. Recurring events: ``this`` changes one occurrence, ``all`` the whole
series, ``following`` ends the series before this occurrence and (for an update) starts a new series
from it. A series lives in its own zone (its ``start.timeZone``): times are computed there and the zone
is kept unless the user asks to move the series to another one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any, Literal

from pa_cli.google.timeutil import (
    When,
    event_zone,
    gap_message,
    parse_event_time,
    wall_clock_notes,
    zone_name,
    zone_named,
)
from pa_cli.tools.base import ToolError
from pa_cli.tools.google.calendar_events import (
    as_date,
    attendee_emails,
    copy_series_fields,
    elapsed,
    event_times,
    is_all_day,
    later,
    merge_attendees,
    new_span,
    span_text,
    time_body,
)
from pa_cli.tools.google.calendar_recurrence import (
    RecurrenceError,
    continue_recurrence,
    occurrence_starts,
    rule_occurrences,
    truncate_recurrence,
)
from pa_cli.tools.google.calendar_reminders import reminders_text
from pa_cli.tools.google.calendar_requests import CalendarPlan, Operation

Scope = Literal["this", "following", "all"]
_SCOPE_TEXT = {
    "this": "only this occurrence",
    "following": "this and all following occurrences",
    "all": "every occurrence of the series",
}


@dataclass
class UpdateFields:
    summary: str | None = None
    start: str | None = None
    end: str | None = None
    attendees: list[str] | None = None
    location: str | None = None
    description: str | None = None
    recurrence: list[str] | None = None
    #: Move the event (or series) to this IANA zone; None keeps the zone it lives in.
    time_zone: str | None = None
    #: The new ``reminders`` body (calendar_reminders.reminders_body); None keeps them.
    reminders: dict[str, Any] | None = None


@dataclass
class _Target:
    calendar_id: str
    event: dict[str, Any]
    master: dict[str, Any] | None  # the series, when ``event`` is one of its occurrences

    @property
    def is_instance(self) -> bool:
        return bool(self.event.get("recurringEventId"))

    @property
    def is_series(self) -> bool:
        return bool(self.event.get("recurrence"))

    @property
    def series(self) -> dict[str, Any] | None:
        return self.master if self.is_instance else self.event if self.is_series else None

    def etags(self) -> dict[str, str]:
        found = {}
        for event in (self.event, self.master):
            if event and event.get("id") and event.get("etag"):
                found[str(event["id"])] = str(event["etag"])
        return found


def _get(api: Any, calendar_id: str, event_id: str) -> dict[str, Any]:
    result: dict[str, Any] = api.events().get(calendarId=calendar_id, eventId=event_id).execute()
    return result


def _target(api: Any, calendar_id: str, event_id: str) -> _Target:
    event = _get(api, calendar_id, event_id)
    master = _get(api, calendar_id, event["recurringEventId"]) if event.get("recurringEventId") else None
    return _Target(calendar_id, event, master)


def _scope(target: _Target, asked: Scope | None) -> Scope | None:
    """The effective scope; None for a single (non-recurring) event."""
    if target.is_instance:
        return asked or "this"
    if target.is_series:
        if asked == "this":
            raise ToolError(
                "event_id names the whole recurring series: to change one occurrence, use that "
                "occurrence's id from calendar_list_events; or use scope 'all'"
            )
        return "all"
    return None


def _notify(*events: dict[str, Any] | None, extra: list[str] | None = None) -> list[str]:
    emails: list[str] = []
    for event in events:
        for email in attendee_emails(event or {}):
            if email.lower() not in {e.lower() for e in emails}:
                emails.append(email)
    for email in extra or []:
        if email.lower() not in {e.lower() for e in emails}:
            emails.append(email)
    return emails


def _send_updates(emails: list[str]) -> str:
    return "all" if emails else "none"


def _notify_line(emails: list[str]) -> str:
    if not emails:
        return "  Attendees: none (nobody is notified)"
    return f"  Attendees who will be notified: {', '.join(emails)}"


def own_zone(event: dict[str, Any], fallback: tzinfo) -> tzinfo:
    """The zone an event (or series) lives in: its ``start.timeZone``, else ``fallback``."""
    return event_zone(event.get("start")) or fallback


def _original_start(event: dict[str, Any], zone: tzinfo) -> When | None:
    """Where an occurrence sits in its series (Google's ``originalStartTime``), not where it was moved."""
    return parse_event_time(event.get("originalStartTime"), zone) or parse_event_time(
        event.get("start"), zone
    )


def _header(action: str, target: _Target, zone: tzinfo) -> list[str]:
    event = target.event
    start, end = event_times(event, zone)
    own = (event_zone(event.get("start")), event_zone(event.get("end")))
    lines = [
        f'{action} calendar event "{event.get("summary") or "(no title)"}" (calendar {target.calendar_id})',
        f"  When: {span_text(start, end, zone, own)}",
    ]
    series = target.series
    if series and series.get("recurrence"):
        lines.append(f"  Repeats: {'; '.join(series['recurrence'])}")
    return lines


def _rezone(value: When, old: tzinfo, new: tzinfo) -> When:
    """The same wall-clock time in another zone (a series moved to ``new`` keeps its 09:00)."""
    if not isinstance(value, datetime):
        return value
    return _wall_in(value.astimezone(old).replace(tzinfo=None), new)


def _wall_in(naive: datetime, zone: tzinfo) -> datetime:
    if (gap := gap_message(naive, zone)) is not None:
        raise ToolError(f"the new time falls in a DST gap: {gap}")
    return naive.replace(tzinfo=zone, fold=0)


def _same(a: When | None, b: When | None) -> bool:
    if isinstance(a, datetime) and isinstance(b, datetime):
        return a.timestamp() == b.timestamp()
    return a == b


def _time_change_line(old: list[When], new: list[When], zone: tzinfo, kept: tzinfo) -> str | None:
    """Say so when an occurrence's time changes (compared as instants, pairwise in order)."""
    pairs = list(zip(old, new, strict=False))
    changed = [(o, n) for o, n in pairs if not _same(o, n)]
    if not changed:
        return None
    before, after = changed[0]
    own = (kept, kept)
    return (
        f"  Occurrence times change ({len(changed)} of the next {len(pairs)}), e.g. "
        f"{span_text(before, None, zone, own)} -> {span_text(after, None, zone, own)}"
    )


def _series_occurrences(start: When | None, lines: list[str], zone: tzinfo, since: When | None) -> list[When]:
    if start is None or not lines:
        return []
    found = occurrence_starts(start, lines, zone, limit=400)
    if since is not None:
        found = [v for v in found if not _before(v, since)]
    return found[:60]


def _before(a: When, b: When) -> bool:
    if isinstance(a, datetime) and isinstance(b, datetime):
        return a.timestamp() < b.timestamp()
    if isinstance(a, datetime) or isinstance(b, datetime):
        return False
    return a < b


# --- delete --------------------------------------------------------------------


def plan_delete(api: Any, calendar_id: str, event_id: str, scope: Scope | None, zone: tzinfo) -> CalendarPlan:
    target = _target(api, calendar_id, event_id)
    effective = _scope(target, scope)
    lines = _header("Delete", target, zone)
    event, master = target.event, target.master
    if effective is None or effective == "this":
        notify = _notify(event)
        ops = [Operation("delete", {"calendarId": calendar_id, "eventId": event["id"]}, event.get("etag"))]
    else:
        series = master or event
        szone = own_zone(series, zone)
        notify = _notify(series, event)
        split = _original_start(event, szone) if target.is_instance else None
        series_start = parse_event_time(series.get("start"), szone)
        if effective == "following" and split is not None and not _same(split, series_start):
            rules = truncate_recurrence(series.get("recurrence") or [], split)
            ops = [
                Operation(
                    "patch",
                    {"calendarId": calendar_id, "eventId": series["id"], "body": {"recurrence": rules}},
                    series.get("etag"),
                )
            ]
        else:
            ops = [
                Operation("delete", {"calendarId": calendar_id, "eventId": series["id"]}, series.get("etag"))
            ]
    if effective:
        lines.append(f"  Which: {_SCOPE_TEXT[effective]}")
    lines.append(_notify_line(notify))
    for op in ops:
        op.kwargs["sendUpdates"] = _send_updates(notify)
    return CalendarPlan(lines, ops, target.etags(), calendar_id)


# --- update --------------------------------------------------------------------


def _changes(
    old: dict[str, Any], fields: UpdateFields, lines: list[str]
) -> tuple[dict[str, Any], list[str] | None]:
    """The non-time fields to patch, with preview lines; also the new attendee list if it changes."""
    body: dict[str, Any] = {}
    for name, label in (("summary", "Title"), ("location", "Where"), ("description", "Description")):
        value = getattr(fields, name)
        if value is not None and value != (old.get(name) or ""):
            body[name] = value
            lines.append(f"  {label}: {old.get(name) or '(none)'} -> {value or '(none)'}")
    if fields.reminders is not None and fields.reminders != old.get("reminders"):
        body["reminders"] = fields.reminders
        lines.append(
            f"  Reminders: {reminders_text(old.get('reminders'))} -> {reminders_text(fields.reminders)}"
        )
    new_attendees = None
    if fields.attendees is not None:
        before = attendee_emails(old)
        if [e.lower() for e in before] != [e.lower() for e in fields.attendees]:
            body["attendees"] = merge_attendees(old.get("attendees"), fields.attendees)
            new_attendees = list(fields.attendees)
            lines.append(
                f"  Attendees: {', '.join(before) or '(none)'} -> {', '.join(fields.attendees) or '(none)'}"
            )
    return body, new_attendees


def _moved_zone(fields: UpdateFields, own: tzinfo) -> tzinfo | None:
    """The zone the user asked to move the event to, if it is not the one it lives in."""
    asked = zone_named(fields.time_zone)
    if fields.time_zone and asked is None:
        raise ToolError(f"time_zone: {fields.time_zone!r} is not an IANA time zone (e.g. Europe/Berlin)")
    return asked if asked is not None and zone_name(asked) != zone_name(own) else None


def plan_update(
    api: Any, calendar_id: str, event_id: str, fields: UpdateFields, scope: Scope | None, zone: tzinfo
) -> CalendarPlan:
    target = _target(api, calendar_id, event_id)
    effective = _scope(target, scope)
    event, master = target.event, target.master
    lines = _header("Update", target, zone)
    if effective:
        lines.append(f"  Which: {_SCOPE_TEXT[effective]}")
    series = master or event
    own = own_zone(series if effective in ("all", "following") else event, zone)
    moved = _moved_zone(fields, own)
    keep = moved or own
    # Times without an offset are read in the user's zone, or in the zone the user moves the event to.
    current = event_times(event, zone)
    span = new_span(current, fields.start, fields.end, zone_named(fields.time_zone) or zone)
    if span is not None and _same(span[0], current[0]) and _same(span[1], current[1]):
        span = None
    if moved is not None:
        lines.append(f"  Time zone: {zone_name(own)} -> {zone_name(moved)} (the wall-clock time is kept)")
    notes = wall_clock_notes({"start": fields.start, "end": fields.end}, zone_named(fields.time_zone) or zone)
    lines += [f"  Note: {note}" for note in notes]

    if effective in (None, "this"):
        if fields.recurrence is not None and target.is_instance:
            raise ToolError("recurrence belongs to the whole series: use scope 'all' or 'following'")
        at = len(lines)
        body, new_attendees = _changes(event, fields, lines)
        times = span
        if times is None and current[0] is not None and current[1] is not None:
            if moved is not None:
                times = (_rezone(current[0], own, moved), _rezone(current[1], own, moved))
            elif fields.recurrence and not is_all_day(current[0]) and not event_zone(event.get("start")):
                # A series needs a zone (Google: "Missing time zone definition"): supply the user's.
                times = (current[0], current[1])
        if times is not None:
            body["start"], body["end"] = time_body(times[0], keep), time_body(times[1], keep)
            if span is not None or moved is not None:
                lines.insert(at, f"  New time: {span_text(*times, zone, (keep, keep))}")
        if fields.recurrence is not None and fields.recurrence != (event.get("recurrence") or []):
            body["recurrence"] = fields.recurrence
            lines.append(f"  Repeats: {'; '.join(fields.recurrence) or '(no longer repeats)'}")
        notify = _notify(event, extra=new_attendees)
        ops = [
            Operation(
                "patch", {"calendarId": calendar_id, "eventId": event["id"], "body": body}, event.get("etag")
            )
        ]
        return _finish(lines, ops, notify, target)

    split = _original_start(event, own) if target.is_instance else None
    series_start, series_end = event_times(series, own)
    if effective == "following" and split is not None and not _same(split, series_start):
        return _plan_split(target, series, split, fields, span, lines, zone, own, moved)

    at = len(lines)
    body, new_attendees = _changes(series, fields, lines)
    new_start: When | None = None
    new_end: When | None = None
    if span is not None:
        if target.is_instance:
            kinds = {is_all_day(v) for v in (series_start, current[0], span[0])}
            if series_start is None or series_end is None or current[0] is None or len(kinds) > 1:
                raise ToolError(
                    "changing a whole series between all-day and timed is not supported: "
                    "use scope 'following' from its first occurrence"
                )
            new_start = _shift_series(series_start, current[0], span[0], own, keep)
            new_end = later(new_start, elapsed(span[0], span[1]))
            lines[at:at] = [
                f"  New time: {span_text(span[0], span[1], zone, (keep, keep))}",
                "  (every occurrence moves the same way)",
                f"  First occurrence: {span_text(new_start, new_end, zone, (keep, keep))}",
            ]
        else:
            new_start, new_end = span
            lines.insert(at, f"  New time: {span_text(new_start, new_end, zone, (keep, keep))}")
    elif moved is not None and series_start is not None and series_end is not None:
        new_start, new_end = _rezone(series_start, own, moved), _rezone(series_end, own, moved)
        lines.insert(at, f"  New time: {span_text(new_start, new_end, zone, (keep, keep))}")
    if new_start is not None and new_end is not None:
        body["start"], body["end"] = time_body(new_start, keep), time_body(new_end, keep)
    rules = list(series.get("recurrence") or [])
    if fields.recurrence is not None and fields.recurrence != rules:
        body["recurrence"] = fields.recurrence
        lines.append(f"  Repeats: {'; '.join(fields.recurrence) or '(no longer repeats)'}")
    if new_start is not None or "recurrence" in body:
        note = _time_change_line(
            _series_occurrences(series_start, rules, own, None),
            _series_occurrences(new_start or series_start, body.get("recurrence", rules), keep, None),
            zone,
            keep,
        )
        if note:
            lines.append(note)
    notify = _notify(series, extra=new_attendees)
    ops = [
        Operation(
            "patch", {"calendarId": calendar_id, "eventId": series["id"], "body": body}, series.get("etag")
        )
    ]
    return _finish(lines, ops, notify, target)


def _shift_series(series_start: When, was: When, now: When, own: tzinfo, keep: tzinfo) -> When:
    """The series' new first start when one occurrence moves from ``was`` to ``now``: the same
    wall-clock shift, computed in the series' own zone (not the user's)."""
    if (
        not isinstance(series_start, datetime)
        or not isinstance(was, datetime)
        or not isinstance(now, datetime)
    ):
        return as_date(series_start) + (as_date(now) - as_date(was))  # all-day: whole days
    delta = now.astimezone(keep).replace(tzinfo=None) - was.astimezone(own).replace(tzinfo=None)
    return _wall_in(series_start.astimezone(own).replace(tzinfo=None) + delta, keep)


def _plan_split(
    target: _Target,
    series: dict[str, Any],
    split: When,
    fields: UpdateFields,
    span: tuple[When, When] | None,
    lines: list[str],
    zone: tzinfo,
    own: tzinfo,
    moved: tzinfo | None,
) -> CalendarPlan:
    """``following``: end the series before ``split`` and start a changed copy from there.

    The occurrences before the split are counted by their place in the series (``originalStartTime``),
    as RFC 5545 counts them (EXDATEs included), so the two series together have as many as before.
    """
    rules = list(series.get("recurrence") or [])
    keep = moved or own
    body = copy_series_fields(series)
    at = len(lines)
    changes, new_attendees = _changes(series, fields, lines)
    body.update(changes)
    series_start, series_end = event_times(series, own)
    if span is None:
        duration = elapsed(series_start, series_end) if series_start and series_end else timedelta(hours=1)
        first = _rezone(split, own, moved) if moved is not None else split
        span = (first, later(first, duration))
    else:
        lines.insert(at, f"  New time: {span_text(*span, zone, (keep, keep))}")
    body["start"], body["end"] = time_body(span[0], keep), time_body(span[1], keep)
    if fields.recurrence is not None:
        body["recurrence"] = fields.recurrence
        lines.append(f"  Repeats from then on: {'; '.join(fields.recurrence)}")
    else:
        assert series_start is not None
        occurred = len(rule_occurrences(series_start, rules, own, before=split))
        try:
            body["recurrence"] = continue_recurrence(rules, occurred)
        except RecurrenceError as exc:
            raise ToolError(str(exc)) from None
    note = _time_change_line(
        _series_occurrences(series_start, rules, own, split),
        _series_occurrences(span[0], body["recurrence"], keep, None),
        zone,
        keep,
    )
    if note:
        lines.append(note)
    lines.append(
        f"  (the series ends before {span_text(split, None, zone, (own, own))}; a new series starts there)"
    )
    notify = _notify(series, extra=new_attendees)
    cal = target.calendar_id
    # The new series first: should the second call fail, nothing is lost (only doubled).
    ops = [
        Operation("insert", {"calendarId": cal, "body": body}),
        Operation(
            "patch",
            {
                "calendarId": cal,
                "eventId": series["id"],
                "body": {"recurrence": truncate_recurrence(rules, split)},
            },
            series.get("etag"),
        ),
    ]
    return _finish(lines, ops, notify, target)


def _finish(lines: list[str], ops: list[Operation], notify: list[str], target: _Target) -> CalendarPlan:
    if len(ops) == 1 and ops[0].method == "patch" and not ops[0].kwargs["body"]:
        raise ToolError("nothing to change: give at least one field that differs from the event")
    lines.append(_notify_line(notify))
    for op in ops:
        op.kwargs["sendUpdates"] = _send_updates(notify)
    return CalendarPlan(lines, ops, target.etags(), target.calendar_id)
