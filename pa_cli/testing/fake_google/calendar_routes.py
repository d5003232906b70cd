"""Calendar v3 REST routes under /calendar/v3/: events list/get/insert/patch/update/delete/instances,
freeBusy, plus the calendar, calendarList and timezone-setting reads."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from pa_cli.testing.fake_google.calendar_state import CalendarData, Event, Occurrence
from pa_cli.testing.fake_google.recurrence import (
    RecurrenceError,
    format_datetime,
    format_utc_millis,
    parse_rfc3339,
    zone,
)
from pa_cli.testing.fake_google.responses import (
    CALENDAR_FREEBUSY_SCOPES,
    CALENDAR_READ_SCOPES,
    CALENDAR_WRITE_SCOPES,
    ApiError,
    bad_request,
    json_body,
    page_offset,
    page_size,
    page_token,
)

if TYPE_CHECKING:
    from pa_cli.testing.fake_google.server import FakeGoogle

Window = tuple[datetime | None, datetime | None]


def _time_param(value: Any, name: str) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        return parse_rfc3339(str(value))
    except ValueError as exc:
        raise bad_request(
            f"Bad Request: {name} must be an RFC 3339 timestamp with a UTC offset.", "badRequest"
        ) from exc


def _zone_param(value: str | None) -> tzinfo | None:
    if not value:
        return None
    try:
        return zone(value)
    except RecurrenceError as exc:
        raise bad_request(f"Invalid time zone: {value}", "invalid") from exc


def _send_updates(request: Request) -> str | None:
    value = request.query_params.get("sendUpdates")
    if value is None and "sendNotifications" in request.query_params:
        value = "all" if request.query_params["sendNotifications"].lower() == "true" else "none"
    if value not in (None, "all", "externalOnly", "none"):
        raise bad_request(f"Invalid value for sendUpdates: {value}", "invalidParameter")
    return value


def _overlaps(occurrence: Occurrence, window: Window) -> bool:
    low, high = window
    return (low is None or occurrence.end > low) and (high is None or occurrence.start < high)


def _text_match(event: Event, q: str) -> bool:
    fields = [str(event.get(key, "")) for key in ("summary", "description", "location")]
    for person in event.get("attendees") or []:
        fields += [str(person.get("email", "")), str(person.get("displayName", ""))]
    haystack = " ".join(fields).lower()
    return all(word in haystack for word in q.lower().split())


def _render(event: Event, tz: tzinfo | None) -> Event:
    """The event as returned; with a timeZone parameter, timed fields are shown in that zone."""
    if tz is None:
        return event
    shown = copy.deepcopy(event)
    for key in ("start", "end", "originalStartTime"):
        side = shown.get(key)
        if isinstance(side, dict) and "dateTime" in side:
            side["dateTime"] = format_datetime(datetime.fromisoformat(side["dateTime"]).astimezone(tz))
    return shown


def calendar_routes(fake: FakeGoogle) -> list[BaseRoute]:
    def access(request: Request, scopes: frozenset[str]) -> None:
        fake.oauth.check_access(request.headers.get("authorization"), scopes)

    def occurrences(
        calendar: CalendarData,
        events: Iterable[Event],
        window: Window,
        *,
        single: bool,
        deleted: bool,
        q: str,
    ) -> list[Occurrence]:
        found: list[Occurrence] = []

        def consider(event: Event) -> None:
            if event.get("status") == "cancelled" and not deleted:
                return
            occurrence = fake.calendar.occurrence(calendar, event)
            if _overlaps(occurrence, window) and (not q or _text_match(event, q)):
                found.append(occurrence)

        for event in events:
            master_id = event.get("recurringEventId")
            if master_id and master_id in calendar.events and single:
                continue  # an exception: it takes its instance's place in the expansion below
            if event.get("recurrence") and event.get("status") != "cancelled":
                instances = fake.calendar.expand(calendar, event, window)
                if single:
                    for instance in instances:
                        consider(instance)
                elif (not q or _text_match(event, q)) and any(
                    _overlaps(fake.calendar.occurrence(calendar, i), window) for i in instances
                ):
                    found.append(fake.calendar.occurrence(calendar, event))
            else:
                consider(event)
        return found

    def events_page(request: Request, calendar: CalendarData, found: list[Occurrence]) -> dict[str, Any]:
        tz = _zone_param(request.query_params.get("timeZone"))
        order = request.query_params.get("orderBy")
        single = request.query_params.get("singleEvents", "false").lower() == "true"
        if order == "startTime":
            if not single:
                raise bad_request(
                    "The requested ordering is not available for the particular query.", "badRequest"
                )
            found.sort(key=lambda o: (o.start, o.event["id"]))
        elif order == "updated":
            found.sort(key=lambda o: str(o.event.get("updated", "")))
        elif order is not None:
            raise bad_request(f"Invalid value for orderBy: {order}", "invalidParameter")
        offset = page_offset(request.query_params.get("pageToken"))
        size = page_size(request, 250, 2500)
        body: dict[str, Any] = {
            "kind": "calendar#events",
            "etag": f'"{len(calendar.events)}"',
            "summary": calendar.summary,
            "description": "",
            "updated": format_utc_millis(datetime.now(UTC)),
            "timeZone": request.query_params.get("timeZone") or calendar.time_zone,
            "accessRole": "owner",
            "defaultReminders": [{"method": "popup", "minutes": 10}],
            "items": [_render(o.event, tz) for o in found[offset : offset + size]],
        }
        if offset + size < len(found):
            body["nextPageToken"] = page_token(offset + size)
        return body

    def window_of(request: Request) -> Window:
        params = request.query_params
        return _time_param(params.get("timeMin"), "timeMin"), _time_param(params.get("timeMax"), "timeMax")

    async def list_events(request: Request) -> Response:
        with fake.lock:
            access(request, CALENDAR_READ_SCOPES)
            calendar = fake.calendar.calendar(request.path_params["calendar_id"])
            params = request.query_params
            found = occurrences(
                calendar,
                list(calendar.events.values()),
                window_of(request),
                single=params.get("singleEvents", "false").lower() == "true",
                deleted=params.get("showDeleted", "false").lower() == "true",
                q=params.get("q", ""),
            )
            return JSONResponse(events_page(request, calendar, found))

    async def instances(request: Request) -> Response:
        with fake.lock:
            access(request, CALENDAR_READ_SCOPES)
            calendar = fake.calendar.calendar(request.path_params["calendar_id"])
            master = fake.calendar.get(calendar.id, request.path_params["event_id"])
            if not master.get("recurrence"):
                raise bad_request("The event is not recurring.", "badRequest")
            deleted = request.query_params.get("showDeleted", "false").lower() == "true"
            found = [
                fake.calendar.occurrence(calendar, e)
                for e in fake.calendar.expand(calendar, master, window_of(request))
                if deleted or e.get("status") != "cancelled"
            ]
            found = [o for o in found if _overlaps(o, window_of(request))]
            return JSONResponse(events_page(request, calendar, found))

    async def get_event(request: Request) -> Response:
        with fake.lock:
            access(request, CALENDAR_READ_SCOPES)
            event = fake.calendar.get(request.path_params["calendar_id"], request.path_params["event_id"])
            return JSONResponse(_render(event, _zone_param(request.query_params.get("timeZone"))))

    async def insert_event(request: Request) -> Response:
        body = await json_body(request)
        with fake.lock:
            access(request, CALENDAR_WRITE_SCOPES)
            event = fake.calendar.insert(request.path_params["calendar_id"], body, _send_updates(request))
            return JSONResponse(event)

    async def write_event(request: Request) -> Response:
        body = await json_body(request)
        with fake.lock:
            access(request, CALENDAR_WRITE_SCOPES)
            event = fake.calendar.write(
                request.path_params["calendar_id"],
                request.path_params["event_id"],
                body,
                _send_updates(request),
                patch=request.method == "PATCH",
                if_match=request.headers.get("if-match"),
            )
            return JSONResponse(event)

    async def delete_event(request: Request) -> Response:
        with fake.lock:
            access(request, CALENDAR_WRITE_SCOPES)
            fake.calendar.delete(
                request.path_params["calendar_id"],
                request.path_params["event_id"],
                _send_updates(request),
                request.headers.get("if-match"),
            )
            return Response(status_code=204)

    async def free_busy(request: Request) -> Response:
        body = await json_body(request)
        with fake.lock:
            access(request, CALENDAR_FREEBUSY_SCOPES)
            low, high = (
                _time_param(body.get("timeMin"), "timeMin"),
                _time_param(body.get("timeMax"), "timeMax"),
            )
            if low is None or high is None:
                raise bad_request("Missing timeMin or timeMax.", "required")
            if high <= low:
                raise bad_request("The specified time range is empty.", "timeRangeEmpty")
            tz = _zone_param(body.get("timeZone")) or UTC
            calendars: dict[str, Any] = {}
            for item in body.get("items") or []:
                calendar_id = str(item.get("id", "")) if isinstance(item, dict) else ""
                try:
                    calendar = fake.calendar.calendar(calendar_id)
                except ApiError:
                    calendars[calendar_id] = {
                        "errors": [{"domain": "global", "reason": "notFound"}],
                        "busy": [],
                    }
                    continue
                found = occurrences(
                    calendar, list(calendar.events.values()), (low, high), single=True, deleted=False, q=""
                )
                spans = sorted(
                    (max(o.start, low), min(o.end, high))
                    for o in found
                    if o.event.get("transparency") != "transparent"
                )
                merged: list[list[datetime]] = []
                for start, end in spans:
                    if merged and start <= merged[-1][1]:
                        merged[-1][1] = max(merged[-1][1], end)
                    else:
                        merged.append([start, end])
                calendars[calendar_id] = {
                    "busy": [
                        {"start": format_datetime(s.astimezone(tz)), "end": format_datetime(e.astimezone(tz))}
                        for s, e in merged
                    ]
                }
            return JSONResponse(
                {
                    "kind": "calendar#freeBusy",
                    "timeMin": format_utc_millis(low),
                    "timeMax": format_utc_millis(high),
                    "calendars": calendars,
                }
            )

    def calendar_entry(calendar: CalendarData) -> dict[str, Any]:
        return {
            "kind": "calendar#calendarListEntry",
            "id": calendar.id,
            "summary": calendar.summary,
            "timeZone": calendar.time_zone,
            "accessRole": "owner",
            "primary": calendar.id == fake.user_email,
        }

    async def get_calendar(request: Request) -> Response:
        with fake.lock:
            access(request, CALENDAR_READ_SCOPES)
            calendar = fake.calendar.calendar(request.path_params["calendar_id"])
            entry = calendar_entry(calendar)
            return JSONResponse(
                {k: entry[k] for k in ("id", "summary", "timeZone")} | {"kind": "calendar#calendar"}
            )

    async def calendar_list(request: Request) -> Response:
        with fake.lock:
            access(request, CALENDAR_READ_SCOPES)
            items = [calendar_entry(calendar) for calendar in fake.calendar.calendars.values()]
            return JSONResponse({"kind": "calendar#calendarList", "items": items})

    async def timezone_setting(request: Request) -> Response:
        with fake.lock:
            access(request, CALENDAR_READ_SCOPES)
            value = fake.calendar.calendar("primary").time_zone
            return JSONResponse({"kind": "calendar#setting", "id": "timezone", "value": value})

    prefix = "/calendar/v3/calendars/{calendar_id}"
    return [
        Route("/calendar/v3/freeBusy", free_busy, methods=["POST"]),
        Route("/calendar/v3/users/me/calendarList", calendar_list, methods=["GET"]),
        Route("/calendar/v3/users/me/settings/timezone", timezone_setting, methods=["GET"]),
        Route(prefix, get_calendar, methods=["GET"]),
        Route(prefix + "/events", list_events, methods=["GET"]),
        Route(prefix + "/events", insert_event, methods=["POST"]),
        Route(prefix + "/events/{event_id}", get_event, methods=["GET"]),
        Route(prefix + "/events/{event_id}", write_event, methods=["PUT", "PATCH"]),
        Route(prefix + "/events/{event_id}", delete_event, methods=["DELETE"]),
        Route(prefix + "/events/{event_id}/instances", instances, methods=["GET"]),
    ]
