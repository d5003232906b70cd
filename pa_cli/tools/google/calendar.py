"""Calendar tools: calendar_free_busy and three side effects (calendar_create_event,
calendar_update_event, calendar_delete_event); calendar_list_events lives in calendar_lists.

Times are never naive: inputs without an offset are read in the user's zone,
output and previews are in the user's local time, all-day events stay dates.
Previews name the attendees who will be notified and, for recurring events,
which occurrences change.
"""

from __future__ import annotations

from abc import abstractmethod
from datetime import tzinfo
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from pa_cli.errors import UsageError
from pa_cli.google.credentials import require_authorized
from pa_cli.google.runtime import call_google
from pa_cli.google.scopes import CALENDAR_EVENTS, CALENDAR_READONLY
from pa_cli.google.timeutil import (
    parse_bound,
    parse_event_time,
    rfc3339,
    user_zone,
    wall_clock_notes,
    zone_name,
    zone_named,
)
from pa_cli.tools.base import PreparedCall, Tool, ToolArgs, ToolContext, ToolError, ToolResult
from pa_cli.tools.google.calendar_events import (
    TIME_HELP,
    busy_data,
    event_data,
    parse_span,
    span_text,
    time_body,
    validate_recurrence,
)
from pa_cli.tools.google.calendar_lists import CalendarListEvents
from pa_cli.tools.google.calendar_plan import Scope, UpdateFields, plan_delete, plan_update
from pa_cli.tools.google.calendar_reminders import (
    MAX_OVERRIDES,
    REMINDERS_HELP,
    Reminder,
    reminders_body,
    reminders_text,
)
from pa_cli.tools.google.calendar_requests import CalendarPlan, execute_plan
from pa_cli.tools.google.mime import address_only, validate_address

PRIMARY = "primary"


def _addresses(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [address_only(validate_address(v)) for v in values]


def _recurrence(values: list[str] | None) -> list[str] | None:
    return None if values is None else validate_recurrence(values)


def _time_zone(value: str | None) -> str | None:
    if value is not None and zone_named(value) is None:
        raise ValueError(f"{value!r} is not an IANA time zone (e.g. Europe/Berlin)")
    return value


Attendees = Annotated[list[str] | None, AfterValidator(_addresses)]
Recurrence = Annotated[list[str] | None, AfterValidator(_recurrence)]
TimeZone = Annotated[str | None, AfterValidator(_time_zone)]


class FreeBusyArgs(ToolArgs):
    time_min: str = Field(description=f"start of the range; {TIME_HELP}")
    time_max: str = Field(description=f"end of the range; {TIME_HELP}")
    calendar_ids: list[str] | None = Field(None, description="calendar ids or addresses (default: primary)")


class CreateEventArgs(ToolArgs):
    summary: str = Field(description="title")
    start: str = Field(description=f"start; {TIME_HELP}")
    end: str = Field(
        description="end; for all-day events the day after the last day (or the same day for a "
        f"one-day event); {TIME_HELP}"
    )
    attendees: Attendees = Field(None, description="email addresses to invite (they are notified)")
    location: str | None = None
    description: str | None = None
    recurrence: Recurrence = Field(None, description="RFC 5545 lines, e.g. ['RRULE:FREQ=WEEKLY;BYDAY=TU']")
    reminders: list[Reminder] | None = Field(None, max_length=MAX_OVERRIDES, description=REMINDERS_HELP)
    calendar_id: str | None = Field(None, description="calendar id (default: primary)")
    time_zone: TimeZone = Field(
        None,
        description="IANA zone the event lives in and times without an offset are read in "
        "(default: the user's zone)",
    )


class UpdateEventArgs(ToolArgs):
    event_id: str = Field(description="the event (or one occurrence) id from calendar_list_events")
    summary: str | None = None
    start: str | None = Field(
        None, description=f"new start (the duration is kept if end is not given); {TIME_HELP}"
    )
    end: str | None = Field(None, description=f"new end; {TIME_HELP}")
    attendees: Attendees = Field(None, description="the full new list of attendees")
    location: str | None = None
    description: str | None = None
    recurrence: Recurrence = Field(None, description="new RFC 5545 recurrence lines for the series")
    reminders: list[Reminder] | None = Field(None, max_length=MAX_OVERRIDES, description=REMINDERS_HELP)
    calendar_id: str | None = None
    time_zone: TimeZone = Field(
        None,
        description="only to move the event (or series) to another IANA zone, keeping its wall-clock "
        "time; by default it stays in the zone it lives in",
    )
    scope: Scope | None = Field(
        None,
        description="for a recurring event: this (one occurrence, default for an occurrence), "
        "following (this and later ones) or all (the whole series)",
    )


class DeleteEventArgs(ToolArgs):
    event_id: str = Field(description="the event (or one occurrence) id from calendar_list_events")
    calendar_id: str | None = None
    scope: Scope | None = Field(
        None, description="for a recurring event: this, following or all (see calendar_update_event)"
    )


def _free_busy(api: Any, args: FreeBusyArgs, zone: tzinfo) -> dict[str, Any]:
    start = parse_bound(args.time_min, zone, field="time_min")
    end = parse_bound(args.time_max, zone, end=True, field="time_max")
    if end <= start:
        raise UsageError("time_max must be after time_min")
    ids = args.calendar_ids or [PRIMARY]
    body: dict[str, Any] = {
        "timeMin": rfc3339(start),
        "timeMax": rfc3339(end),
        "items": [{"id": cid} for cid in ids],
    }
    if zone_name(zone):
        body["timeZone"] = zone_name(zone)
    response = api.freebusy().query(body=body).execute()
    calendars: dict[str, Any] = {}
    for cid, data in (response.get("calendars") or {}).items():
        entry: dict[str, Any] = {"busy": [busy_data(p, zone) for p in data.get("busy") or []]}
        if data.get("errors"):
            entry["errors"] = [e.get("reason") for e in data["errors"]]
        calendars[cid] = entry
    return {
        "time_zone": zone_name(zone),
        "time_min": start.isoformat(),
        "time_max": end.isoformat(),
        "calendars": calendars,
    }


class CalendarFreeBusy(Tool):
    name = "calendar_free_busy"
    description = "Busy periods of one or more calendars between time_min and time_max, in local time."
    args_model = FreeBusyArgs
    service = "calendar"
    requires = (CALENDAR_READONLY,)
    untrusted_output = True

    async def run(self, args: FreeBusyArgs, ctx: ToolContext) -> ToolResult:
        zone = user_zone(ctx.settings)
        result = await call_google(ctx, "calendar", self.requires, lambda api: _free_busy(api, args, zone))
        busy = sum(len(c["busy"]) for c in result["calendars"].values())
        return ToolResult(
            content=result,
            summary=f"{busy} busy period{'s' if busy != 1 else ''}",
            untrusted=True,
        )


def _event_zone(args: CreateEventArgs, zone: tzinfo) -> tzinfo:
    return zone_named(args.time_zone) or zone


def create_request(args: CreateEventArgs, zone: tzinfo) -> dict[str, Any]:
    """The whole insert request, resolved: the event's times in its zone, attendees, sendUpdates."""
    own = _event_zone(args, zone)
    start, end = parse_span(args.start, args.end, own)
    body: dict[str, Any] = {
        "summary": args.summary,
        "start": time_body(start, own),
        "end": time_body(end, own),
    }
    if args.attendees:
        body["attendees"] = [{"email": email} for email in args.attendees]
    if args.location:
        body["location"] = args.location
    if args.description:
        body["description"] = args.description
    if args.recurrence:
        body["recurrence"] = list(args.recurrence)
    if args.reminders is not None:
        body["reminders"] = reminders_body(args.reminders)
    return {
        "kind": "calendar_insert",
        "calendar_id": args.calendar_id or PRIMARY,
        "body": body,
        "send_updates": "all" if args.attendees else "none",
        "notes": wall_clock_notes({"start": args.start, "end": args.end}, own),
    }


def create_preview(request: dict[str, Any], zone: tzinfo) -> str:
    """The preview, rendered from the request that will be sent (so the two cannot disagree)."""
    body = request["body"]
    start = parse_event_time(body["start"], zone)
    end = parse_event_time(body["end"], zone)
    own = (zone_named(body["start"].get("timeZone")), zone_named(body["end"].get("timeZone")))
    lines = [
        f'Create calendar event "{body["summary"]}" (calendar {request["calendar_id"]})',
        f"  When: {span_text(start, end, zone, own)}",
    ]
    lines += [f"  Note: {note}" for note in request.get("notes") or []]
    if body.get("recurrence"):
        lines.append(f"  Repeats: {'; '.join(body['recurrence'])}")
    if body.get("location"):
        lines.append(f"  Where: {body['location']}")
    if "reminders" in body:
        lines.append(f"  Reminders: {reminders_text(body['reminders'])}")
    emails = [a["email"] for a in body.get("attendees") or []]
    if emails and request["send_updates"] != "none":
        lines.append(f"  Attendees who will be notified: {', '.join(emails)}")
    elif emails:
        lines.append(f"  Attendees (not notified): {', '.join(emails)}")
    else:
        lines.append("  Attendees: none (nobody is notified)")
    if body.get("description"):
        lines.append(f"  Description: {body['description']}")
    return "\n".join(lines)


class CalendarCreateEvent(Tool):
    name = "calendar_create_event"
    description = (
        "Create a calendar event (needs approval). Attendees get invitations. recurrence takes RRULE "
        "lines. A date alone (YYYY-MM-DD) makes an all-day event."
    )
    args_model = CreateEventArgs
    service = "calendar"
    side_effect = True
    requires = (CALENDAR_EVENTS,)

    async def prepare(self, args: CreateEventArgs, ctx: ToolContext) -> PreparedCall:
        require_authorized(ctx.settings, ctx.store, ctx.user_id, "calendar", self.requires)
        zone = user_zone(ctx.settings)
        request = create_request(args, zone)
        request["user_zone"] = zone_name(zone)
        return PreparedCall(preview=create_preview(request, zone), frozen=request)

    async def preview(self, args: CreateEventArgs, ctx: ToolContext) -> str:
        return (await self.prepare(args, ctx)).preview

    async def run(self, args: CreateEventArgs, ctx: ToolContext) -> ToolResult:
        return await self.run_prepared(args, None, ctx)

    async def run_prepared(
        self, args: CreateEventArgs, frozen: dict[str, Any] | None, ctx: ToolContext
    ) -> ToolResult:
        request = frozen if frozen is not None else (await self.prepare(args, ctx)).frozen
        if not request or request.get("kind") != "calendar_insert":
            raise ToolError("this approval holds no calendar request: ask again for a fresh preview")
        zone = zone_named(request.get("user_zone")) or user_zone(ctx.settings)
        params = {
            "calendarId": request["calendar_id"],
            "body": request["body"],
            "sendUpdates": request["send_updates"],
        }
        created = await call_google(
            ctx, "calendar", self.requires, lambda api: api.events().insert(**params).execute()
        )
        return ToolResult(
            content={"event": event_data(created, zone)},
            summary=f"event created: {request['body']['summary']}",
            resource_ids=[f"event:{created.get('id')}"],
        )


def _fields(args: UpdateEventArgs) -> UpdateFields:
    return UpdateFields(
        summary=args.summary,
        start=args.start,
        end=args.end,
        attendees=args.attendees,
        location=args.location,
        description=args.description,
        recurrence=args.recurrence,
        time_zone=args.time_zone,
        reminders=None if args.reminders is None else reminders_body(args.reminders),
    )


class _PlannedTool(Tool):
    """Update and delete: ``prepare`` reads the event and freezes the plan; the run executes it as is."""

    verb: str = ""

    @abstractmethod
    def _plan(self, api: Any, args: Any, zone: tzinfo) -> CalendarPlan:
        """Read the event(s) and plan the requests (update and delete each say how)."""

    async def prepare(self, args: Any, ctx: ToolContext) -> PreparedCall:
        zone = user_zone(ctx.settings)
        plan = await call_google(ctx, "calendar", self.requires, lambda api: self._plan(api, args, zone))
        frozen = plan.frozen() | {"user_zone": zone_name(zone)}
        return PreparedCall(preview=plan.preview(), frozen=frozen)

    async def preview(self, args: Any, ctx: ToolContext) -> str:
        return (await self.prepare(args, ctx)).preview

    async def run(self, args: Any, ctx: ToolContext) -> ToolResult:
        return await self.run_prepared(args, None, ctx)

    async def run_prepared(self, args: Any, frozen: dict[str, Any] | None, ctx: ToolContext) -> ToolResult:
        data = frozen if frozen is not None else (await self.prepare(args, ctx)).frozen
        plan = CalendarPlan.from_frozen(data or {})
        zone = zone_named((data or {}).get("user_zone")) or user_zone(ctx.settings)
        results = await call_google(ctx, "calendar", self.requires, lambda api: execute_plan(api, plan))
        content: dict[str, Any] = {"changes": plan.preview()}
        if self.verb == "Update":
            content["events"] = [event_data(r["event"], zone) for r in results if r["method"] != "delete"]
        return ToolResult(
            content=content,
            summary=plan.lines[0].replace(self.verb, self.verb.lower() + "d", 1),
            resource_ids=[f"event:{r['event'].get('id')}" for r in results],
        )


class CalendarUpdateEvent(_PlannedTool):
    name = "calendar_update_event"
    description = (
        "Change a calendar event (needs approval): only the fields given change. For a recurring event, "
        "scope says which occurrences: this, following or all."
    )
    args_model = UpdateEventArgs
    service = "calendar"
    side_effect = True
    requires = (CALENDAR_EVENTS,)
    verb = "Update"

    def _plan(self, api: Any, args: UpdateEventArgs, zone: tzinfo) -> CalendarPlan:
        return plan_update(api, args.calendar_id or PRIMARY, args.event_id, _fields(args), args.scope, zone)


class CalendarDeleteEvent(_PlannedTool):
    name = "calendar_delete_event"
    description = (
        "Delete a calendar event (needs approval); attendees are notified. For a recurring event, scope "
        "says which occurrences: this, following or all."
    )
    args_model = DeleteEventArgs
    service = "calendar"
    side_effect = True
    requires = (CALENDAR_EVENTS,)
    verb = "Delete"

    def _plan(self, api: Any, args: DeleteEventArgs, zone: tzinfo) -> CalendarPlan:
        return plan_delete(api, args.calendar_id or PRIMARY, args.event_id, args.scope, zone)


CALENDAR_TOOLS: tuple[type[Tool], ...] = (
    CalendarListEvents,
    CalendarFreeBusy,
    CalendarCreateEvent,
    CalendarUpdateEvent,
    CalendarDeleteEvent,
)
