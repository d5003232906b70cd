"""What an update or delete of a (recurring) Calendar event will do: one plan for preview and run.

The preview renders the plan's lines; the run executes the plan's operations, so
what the user approved is what happens. Recurring events: ``this`` changes one
occurrence, ``all`` the whole series, ``following`` ends the series before this
occurrence and (for an update) starts a new series from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any, Literal

from pa_cli.google.timeutil import When, parse_event_time, rfc3339
from pa_cli.tools.base import ToolError
from pa_cli.tools.google.calendar_events import (
    attendee_emails,
    continue_recurrence,
    copy_series_fields,
    event_times,
    is_all_day,
    merge_attendees,
    new_span,
    rule_count,
    span_text,
    time_body,
    truncate_recurrence,
)

Scope = Literal["this", "following", "all"]
_SCOPE_TEXT = {
    "this": "only this occurrence",
    "following": "this and all following occurrences",
    "all": "every occurrence of the series",
}


@dataclass
class Operation:
    method: Literal["patch", "insert", "delete"]
    kwargs: dict[str, Any]


@dataclass
class CalendarPlan:
    lines: list[str]
    operations: list[Operation] = field(default_factory=list)

    def preview(self) -> str:
        return "\n".join(self.lines)


@dataclass
class UpdateFields:
    summary: str | None = None
    start: str | None = None
    end: str | None = None
    attendees: list[str] | None = None
    location: str | None = None
    description: str | None = None
    recurrence: list[str] | None = None


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


def _original_start(event: dict[str, Any], zone: tzinfo) -> When | None:
    return parse_event_time(event.get("originalStartTime"), zone) or parse_event_time(
        event.get("start"), zone
    )


def _occurred_before(api: Any, target: _Target, split: When, zone: tzinfo) -> int:
    """How many occurrences of the series come before ``split`` (for COUNT rules)."""
    assert target.master is not None
    if isinstance(split, datetime):
        time_max = rfc3339(split)
    else:
        time_max = rfc3339(datetime(split.year, split.month, split.day, tzinfo=zone))
    count, token = 0, None
    while True:
        params: dict[str, Any] = {
            "calendarId": target.calendar_id,
            "eventId": target.master["id"],
            "timeMax": time_max,
            "showDeleted": True,
            "maxResults": 250,
        }
        if token:
            params["pageToken"] = token
        page = api.events().instances(**params).execute()
        count += len(page.get("items") or [])
        token = page.get("nextPageToken")
        if not token:
            return count


def _header(action: str, target: _Target, zone: tzinfo) -> list[str]:
    event = target.event
    start, end = event_times(event, zone)
    lines = [
        f'{action} calendar event "{event.get("summary") or "(no title)"}" (calendar {target.calendar_id})',
        f"  When: {span_text(start, end, zone)}",
    ]
    series = target.master if target.is_instance else event if target.is_series else None
    if series and series.get("recurrence"):
        lines.append(f"  Repeats: {'; '.join(series['recurrence'])}")
    return lines


# --- delete --------------------------------------------------------------------


def plan_delete(api: Any, calendar_id: str, event_id: str, scope: Scope | None, zone: tzinfo) -> CalendarPlan:
    target = _target(api, calendar_id, event_id)
    effective = _scope(target, scope)
    lines = _header("Delete", target, zone)
    event, master = target.event, target.master
    if effective is None or effective == "this":
        notify = _notify(event)
        ops = [Operation("delete", {"calendarId": calendar_id, "eventId": event["id"]})]
    else:
        series = master or event
        notify = _notify(series, event)
        split = _original_start(event, zone) if target.is_instance else None
        series_start = parse_event_time(series.get("start"), zone)
        if effective == "following" and split is not None and split != series_start:
            rules = truncate_recurrence(series.get("recurrence") or [], split)
            ops = [
                Operation(
                    "patch",
                    {"calendarId": calendar_id, "eventId": series["id"], "body": {"recurrence": rules}},
                )
            ]
        else:
            ops = [Operation("delete", {"calendarId": calendar_id, "eventId": series["id"]})]
    if effective:
        lines.append(f"  Which: {_SCOPE_TEXT[effective]}")
    lines.append(_notify_line(notify))
    for op in ops:
        op.kwargs["sendUpdates"] = _send_updates(notify)
    return CalendarPlan(lines, ops)


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


def plan_update(
    api: Any, calendar_id: str, event_id: str, fields: UpdateFields, scope: Scope | None, zone: tzinfo
) -> CalendarPlan:
    target = _target(api, calendar_id, event_id)
    effective = _scope(target, scope)
    event, master = target.event, target.master
    lines = _header("Update", target, zone)
    if effective:
        lines.append(f"  Which: {_SCOPE_TEXT[effective]}")
    current = event_times(event, zone)
    span = new_span(current, fields.start, fields.end, zone)
    if span is not None and span != current:
        lines.append(f"  New time: {span_text(*span, zone)}")
    else:
        span = None

    if effective in (None, "this"):
        if fields.recurrence is not None and target.is_instance:
            raise ToolError("recurrence belongs to the whole series: use scope 'all' or 'following'")
        body, new_attendees = _changes(event, fields, lines)
        if span is not None:
            body["start"], body["end"] = time_body(span[0], zone), time_body(span[1], zone)
        if fields.recurrence is not None and fields.recurrence != (event.get("recurrence") or []):
            body["recurrence"] = fields.recurrence
            lines.append(f"  Repeats: {'; '.join(fields.recurrence) or '(no longer repeats)'}")
        notify = _notify(event, extra=new_attendees)
        ops = [Operation("patch", {"calendarId": calendar_id, "eventId": event["id"], "body": body})]
        return _finish(lines, ops, notify)

    series = master or event
    split = _original_start(event, zone) if target.is_instance else None
    series_start, series_end = event_times(series, zone)
    if effective == "following" and split is not None and split != series_start:
        return _plan_split(api, target, series, split, fields, span, lines, zone)

    body, new_attendees = _changes(series, fields, lines)
    if span is not None:
        if target.is_instance:
            kinds = {is_all_day(v) for v in (series_start, current[0], span[0])}
            if series_start is None or series_end is None or current[0] is None or len(kinds) > 1:
                raise ToolError(
                    "changing a whole series between all-day and timed is not supported: "
                    "use scope 'following' from its first occurrence"
                )
            delta: timedelta = span[0] - current[0]
            new_start = series_start + delta
            new_end = new_start + (span[1] - span[0])
            lines.append("  (every occurrence moves the same way)")
        else:
            new_start, new_end = span
        body["start"], body["end"] = time_body(new_start, zone), time_body(new_end, zone)
    if fields.recurrence is not None and fields.recurrence != (series.get("recurrence") or []):
        body["recurrence"] = fields.recurrence
        lines.append(f"  Repeats: {'; '.join(fields.recurrence) or '(no longer repeats)'}")
    notify = _notify(series, extra=new_attendees)
    ops = [Operation("patch", {"calendarId": calendar_id, "eventId": series["id"], "body": body})]
    return _finish(lines, ops, notify)


def _plan_split(
    api: Any,
    target: _Target,
    series: dict[str, Any],
    split: When,
    fields: UpdateFields,
    span: tuple[When, When] | None,
    lines: list[str],
    zone: tzinfo,
) -> CalendarPlan:
    """``following``: end the series before ``split`` and start a changed copy from there."""
    rules = list(series.get("recurrence") or [])
    body = copy_series_fields(series)
    changes, new_attendees = _changes(series, fields, lines)
    body.update(changes)
    if span is None:
        series_start, series_end = event_times(series, zone)
        duration = (series_end - series_start) if series_start and series_end else timedelta(hours=1)
        span = (split, split + duration)
    body["start"], body["end"] = time_body(span[0], zone), time_body(span[1], zone)
    if fields.recurrence is not None:
        body["recurrence"] = fields.recurrence
        lines.append(f"  Repeats from then on: {'; '.join(fields.recurrence)}")
    else:
        count = rule_count(rules)
        occurred = _occurred_before(api, target, split, zone) if count is not None else 0
        body["recurrence"] = continue_recurrence(rules, occurred)
    lines.append(f"  (the series ends before {span_text(split, None, zone)}; a new series starts there)")
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
        ),
    ]
    return _finish(lines, ops, notify)


def _finish(lines: list[str], ops: list[Operation], notify: list[str]) -> CalendarPlan:
    if len(ops) == 1 and ops[0].method == "patch" and not ops[0].kwargs["body"]:
        raise ToolError("nothing to change: give at least one field that differs from the event")
    lines.append(_notify_line(notify))
    for op in ops:
        op.kwargs["sendUpdates"] = _send_updates(notify)
    return CalendarPlan(lines, ops)


def execute_plan(api: Any, plan: CalendarPlan) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    for op in plan.operations:
        method = getattr(api.events(), op.method)
        response = method(**op.kwargs).execute()
        results.append({"method": op.method, "event": response or {"id": op.kwargs.get("eventId")}})
    return results
