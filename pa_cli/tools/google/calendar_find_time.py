"""calendar_find_time: ranked free slots for a meeting with several people (read-only).

One Calendar v3 ``freebusy.query`` over the user's selected calendars (``calendar.calendars``) and the
attendees' addresses; the free slots lie inside the working hours (``calendar.work_start``,
``work_end``, ``work_days``) in the user's zone and, for each attendee whose zone is given, in theirs.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, tzinfo
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from pa_cli.errors import UsageError
from pa_cli.google.runtime import call_google
from pa_cli.google.scopes import CALENDAR_READONLY
from pa_cli.google.timeutil import (
    format_span,
    iso_local,
    now,
    parse_bound,
    rfc3339,
    user_zone,
    zone_name,
    zone_named,
)
from pa_cli.tools.base import Tool, ToolArgs, ToolContext, ToolResult
from pa_cli.tools.google.calendar_slots import Slot, WorkingHours, free_slots, rank
from pa_cli.tools.google.mime import address_only, validate_address

DEFAULT_RANGE = timedelta(days=7)
MAX_RANGE = timedelta(days=31)
_TIME_HELP = "ISO 8601; without an offset it is read in the user's time zone; a date alone means that day"


def _addresses(values: list[str]) -> list[str]:
    return [address_only(validate_address(v)) for v in values]


def _zones(values: dict[str, str] | None) -> dict[str, str] | None:
    for person, name in (values or {}).items():
        if zone_named(name) is None:
            raise ValueError(f"{person}: {name!r} is not an IANA time zone (e.g. America/New_York)")
    return {address_only(k).lower(): v for k, v in values.items()} if values else None


class FindTimeArgs(ToolArgs):
    attendees: Annotated[list[str], AfterValidator(_addresses)] = Field(
        min_length=1, max_length=20, description="email addresses of the people to meet"
    )
    duration_minutes: int = Field(ge=5, le=600, description="length of the meeting in minutes")
    time_min: str | None = Field(None, description=f"earliest start (default: now); {_TIME_HELP}")
    time_max: str | None = Field(
        None, description=f"latest end (default: 7 days later, at most 31); {_TIME_HELP}"
    )
    attendee_time_zones: Annotated[dict[str, str] | None, AfterValidator(_zones)] = Field(
        None,
        description="IANA zones of attendees, e.g. {'sam@example.com': 'America/New_York'}: their "
        "working hours are then respected too",
    )
    max_results: int = Field(5, ge=1, le=20, description="how many slots to return")


def _window(args: FindTimeArgs, zone: tzinfo) -> tuple[datetime, datetime]:
    start = parse_bound(args.time_min, zone, field="time_min") if args.time_min else now(zone)
    end = (
        parse_bound(args.time_max, zone, end=True, field="time_max")
        if args.time_max
        else start + DEFAULT_RANGE
    )
    if end <= start:
        raise UsageError("time_max must be after time_min")
    if end - start > MAX_RANGE:
        raise UsageError("the range is longer than 31 days: ask for a shorter one")
    return start, end


def _slot_data(slot: Slot, number: int, zone: tzinfo, others: Mapping[str, tzinfo]) -> dict[str, Any]:
    start, end = slot.start.astimezone(zone), slot.end.astimezone(zone)
    data: dict[str, Any] = {
        "rank": number,
        "start": iso_local(start),
        "end": iso_local(end),
        "when": format_span(start, end),
    }
    if others:
        data["for_attendees"] = {
            who: format_span(slot.start.astimezone(z), slot.end.astimezone(z)) for who, z in others.items()
        }
    return data


def find_time(
    api: Any, args: FindTimeArgs, zone: tzinfo, calendars: list[str], hours: WorkingHours
) -> dict[str, Any]:
    start, end = _window(args, zone)
    ids = list(dict.fromkeys([*calendars, *args.attendees]))
    body: dict[str, Any] = {
        "timeMin": rfc3339(start),
        "timeMax": rfc3339(end),
        "items": [{"id": i} for i in ids],
    }
    if zone_name(zone):
        body["timeZone"] = zone_name(zone)
    answer = api.freebusy().query(body=body).execute()
    busy: list[tuple[datetime, datetime]] = []
    unknown: list[str] = []
    for cid, data in (answer.get("calendars") or {}).items():
        if data.get("errors"):
            unknown.append(cid)
        busy += [
            (datetime.fromisoformat(p["start"]), datetime.fromisoformat(p["end"]))
            for p in data.get("busy") or []
        ]
    others = {who: z for who, name in (args.attendee_time_zones or {}).items() if (z := zone_named(name))}
    slots = rank(
        free_slots(
            (start, end), timedelta(minutes=args.duration_minutes), busy, hours, [zone, *others.values()]
        )
    )
    result: dict[str, Any] = {
        "time_zone": zone_name(zone),
        "time_min": start.isoformat(),
        "time_max": end.isoformat(),
        "working_hours": f"{hours.start:%H:%M}-{hours.end:%H:%M}",
        "slots": [_slot_data(s, n, zone, others) for n, s in enumerate(slots[: args.max_results], 1)],
        "free_slots_found": len(slots),
        "ranking": "slots at least an hour from the edge of everyone's working day first, then the soonest",
    }
    if unknown:
        result["busy_unknown_for"] = unknown
        result["note"] = "the free/busy of these calendars could not be read: they may be busy in these slots"
    return result


class CalendarFindTime(Tool):
    name = "calendar_find_time"
    description = (
        "Find free slots for a meeting with several people: everyone's free/busy within working hours in "
        "the user's time zone (and the attendees' zones when given), ranked best first, in local time."
    )
    args_model = FindTimeArgs
    service = "calendar"
    requires = (CALENDAR_READONLY,)
    untrusted_output = True

    async def run(self, args: FindTimeArgs, ctx: ToolContext) -> ToolResult:
        zone = user_zone(ctx.settings)
        cal = ctx.settings.calendar
        try:
            hours = WorkingHours.parse(cal.work_start, cal.work_end, list(cal.work_days))
        except ValueError as exc:
            raise UsageError(f"calendar.work_start/work_end: {exc}") from None
        result = await call_google(
            ctx, "calendar", self.requires, lambda api: find_time(api, args, zone, list(cal.calendars), hours)
        )
        count = len(result["slots"])
        return ToolResult(
            content=result,
            summary=f"{count} free slot{'s' if count != 1 else ''}",
            untrusted=True,
        )
