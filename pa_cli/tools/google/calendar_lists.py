"""Listings: calendar_list_calendars, the calendars the user can see (Calendar v3 ``calendarList.list``),
marking the ones selected (setting ``calendar.calendars``); and the events of those selected calendars,
merged, for calendar_list_events (``events.list``). Times are shown in the user's local time."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from pydantic import Field

from pa_cli.errors import UsageError
from pa_cli.google.runtime import call_google
from pa_cli.google.scopes import CALENDAR_READONLY
from pa_cli.google.timeutil import now, parse_bound, parse_event_time, rfc3339, user_zone, zone_name
from pa_cli.tools.base import Tool, ToolArgs, ToolContext, ToolResult
from pa_cli.tools.google.calendar_events import TIME_HELP, event_data

MAX_CALENDARS = 250
MAX_EVENTS = 100
DEFAULT_RANGE = timedelta(days=7)


class ListCalendarsArgs(ToolArgs):
    show_hidden: bool = Field(False, description="include calendars hidden in the user's list")


def list_calendars(api: Any, show_hidden: bool, selected: list[str]) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"maxResults": MAX_CALENDARS, "showHidden": show_hidden}
    found: list[dict[str, Any]] = []
    while True:
        page = api.calendarList().list(**params).execute()
        for entry in page.get("items") or []:
            primary = bool(entry.get("primary"))
            found.append(
                {
                    "id": entry.get("id"),
                    "summary": entry.get("summaryOverride") or entry.get("summary"),
                    "primary": primary,
                    "time_zone": entry.get("timeZone"),
                    "access_role": entry.get("accessRole"),
                    "selected": entry.get("id") in selected or (primary and "primary" in selected),
                }
            )
        token = page.get("nextPageToken")
        if not token or len(found) >= MAX_CALENDARS:
            return found
        params["pageToken"] = token


class CalendarListCalendars(Tool):
    name = "calendar_list_calendars"
    description = (
        "List the user's calendars (id, name, time zone, access), marking those selected for "
        "calendar_list_events (the setting calendar.calendars)."
    )
    args_model = ListCalendarsArgs
    service = "calendar"
    requires = (CALENDAR_READONLY,)
    untrusted_output = True

    async def run(self, args: ListCalendarsArgs, ctx: ToolContext) -> ToolResult:
        selected = list(ctx.settings.calendar.calendars)
        calendars = await call_google(
            ctx, "calendar", self.requires, lambda api: list_calendars(api, args.show_hidden, selected)
        )
        return ToolResult(
            content={"calendars": calendars, "selected": selected},
            summary=f"{len(calendars)} calendar{'s' if len(calendars) != 1 else ''}",
            untrusted=True,
        )


class ListEventsArgs(ToolArgs):
    time_min: str | None = Field(None, description=f"start of the range (default: now); {TIME_HELP}")
    time_max: str | None = Field(None, description=f"end of the range (default: 7 days later); {TIME_HELP}")
    calendar_id: str | None = Field(
        None, description="one calendar id (default: every selected calendar, setting calendar.calendars)"
    )
    query: str | None = Field(None, description="free-text search in the events")


def list_selected(api: Any, args: ListEventsArgs, zone: tzinfo, selected: list[str]) -> dict[str, Any]:
    """The events of ``calendar_id``, or of every selected calendar (``calendar.calendars``) merged."""
    if args.calendar_id or len(selected) == 1:
        one = _list(api, args, zone, args.calendar_id or selected[0])
        for event in one["events"]:
            event["calendar_id"] = one["calendar_id"]
        return one
    lists = [_list(api, args, zone, calendar) for calendar in selected]
    merged = [e | {"calendar_id": part["calendar_id"]} for part in lists for e in part["events"]]
    merged.sort(key=lambda e: (str(e["start"]), e["calendar_id"]))
    return lists[0] | {
        "calendar_id": None,
        "calendar_ids": selected,
        "events": merged[:MAX_EVENTS],
        "truncated": any(part["truncated"] for part in lists) or len(merged) > MAX_EVENTS,
    }


def _list(api: Any, args: ListEventsArgs, zone: tzinfo, calendar: str) -> dict[str, Any]:
    start = parse_bound(args.time_min, zone, field="time_min") if args.time_min else now(zone)
    end = (
        parse_bound(args.time_max, zone, end=True, field="time_max")
        if args.time_max
        else start + DEFAULT_RANGE
    )
    if end <= start:
        raise UsageError("time_max must be after time_min")
    params: dict[str, Any] = {
        "calendarId": calendar,
        "timeMin": rfc3339(start),
        "timeMax": rfc3339(end),
        "singleEvents": True,
        "orderBy": "startTime",
        "maxResults": min(250, MAX_EVENTS),
    }
    if args.query:
        params["q"] = args.query
    if zone_name(zone):
        params["timeZone"] = zone_name(zone)
    events: list[dict[str, Any]] = []
    truncated = False
    days = _local_days(start, end, zone)
    while True:
        page = api.events().list(**params).execute()
        events.extend(
            event_data(e, zone)
            for e in page.get("items") or []
            if e.get("status") != "cancelled" and _on_local_days(e, days, zone)
        )
        token = page.get("nextPageToken")
        if len(events) >= MAX_EVENTS:
            truncated = bool(token) or len(events) > MAX_EVENTS
            events = events[:MAX_EVENTS]
            break
        if not token:
            break
        params["pageToken"] = token
    return {
        "calendar_id": calendar,
        "time_zone": zone_name(zone),
        "time_min": start.isoformat(),
        "time_max": end.isoformat(),
        "events": events,
        "truncated": truncated,
    }


def _local_days(start: datetime, end: datetime, zone: tzinfo) -> tuple[date, date]:
    """The first and last local date the range touches in the user's zone."""
    last = (end - timedelta(microseconds=1)).astimezone(zone)
    return start.astimezone(zone).date(), last.date()


def _on_local_days(event: dict[str, Any], days: tuple[date, date], zone: tzinfo) -> bool:
    """All-day events are dates: keep one only when its dates meet the range's local dates.

    Google places an all-day event in the calendar's zone; when that differs from the user's, the
    neighbouring day's all-day events overlap the range in time but are not on the user's day.
    """
    first = parse_event_time(event.get("start"), zone)
    if first is None or isinstance(first, datetime):
        return True
    after = parse_event_time(event.get("end"), zone)
    last = after - timedelta(days=1) if isinstance(after, date) and not isinstance(after, datetime) else first
    return first <= days[1] and max(first, last) >= days[0]


class CalendarListEvents(Tool):
    name = "calendar_list_events"
    description = (
        "List calendar events in a time range (default: the next 7 days) across the user's selected "
        "calendars (each event names its calendar_id), in the user's local time; "
        "all-day events are dates; recurring events appear as single occurrences."
    )
    args_model = ListEventsArgs
    service = "calendar"
    requires = (CALENDAR_READONLY,)
    untrusted_output = True

    async def run(self, args: ListEventsArgs, ctx: ToolContext) -> ToolResult:
        zone = user_zone(ctx.settings)
        selected = list(ctx.settings.calendar.calendars)
        result = await call_google(
            ctx, "calendar", self.requires, lambda api: list_selected(api, args, zone, selected)
        )
        count = len(result["events"])
        return ToolResult(
            content=result,
            summary=f"{count} event{'s' if count != 1 else ''}",
            resource_ids=[f"event:{e['id']}" for e in result["events"]],
            untrusted=True,
        )
