"""calendar_respond: answer an invitation (accepted, declined, tentative), a side effect.

The answer is a Calendar v3 ``events.patch`` of the attendee entry marked ``self`` (its
``responseStatus``, and ``comment`` for the note), with ``sendUpdates=all`` so the organizer hears
of it. The preview names the event, its time in the user's zone, the organizer and the answer; at
run time the event is read again and only the user's own entry changes, so attendees another
client changed since the preview are not overwritten.
"""

from __future__ import annotations

import copy
from datetime import tzinfo
from typing import Any, Literal

from pydantic import Field

from pa_cli.google.runtime import call_google
from pa_cli.google.scopes import CALENDAR_EVENTS
from pa_cli.google.timeutil import event_zone, user_zone, zone_name, zone_named
from pa_cli.tools.base import PreparedCall, Tool, ToolArgs, ToolContext, ToolError, ToolResult
from pa_cli.tools.google.calendar_events import event_data, event_times, span_text

PRIMARY = "primary"
Response = Literal["accepted", "declined", "tentative"]
_WORDS = {"accepted": "accept", "declined": "decline", "tentative": "answer tentatively (maybe)"}


class RespondArgs(ToolArgs):
    event_id: str = Field(description="the event (or one occurrence) id from calendar_list_events")
    response: Response = Field(description="accepted, declined or tentative")
    note: str | None = Field(None, max_length=1000, description="a short note to the organizer")
    calendar_id: str | None = Field(None, description="calendar id (default: primary)")


def _self_entry(event: dict[str, Any]) -> dict[str, Any]:
    for attendee in event.get("attendees") or []:
        if attendee.get("self"):
            return dict(attendee)
    raise ToolError(
        f"you are not among the attendees of {event.get('summary') or 'this event'!r}: "
        "there is no invitation to answer"
    )


def with_response(event: dict[str, Any], response: str, note: str | None) -> list[dict[str, Any]]:
    """The event's attendee list with only the user's own entry (``self``) answering."""
    attendees = copy.deepcopy(event.get("attendees") or [])
    for attendee in attendees:
        if attendee.get("self"):
            attendee["responseStatus"] = response
            if note is not None:
                attendee["comment"] = note
    return attendees


def respond_preview(event: dict[str, Any], response: str, note: str | None, zone: tzinfo) -> str:
    start, end = event_times(event, zone)
    own = (event_zone(event.get("start")), event_zone(event.get("end")))
    organizer = event.get("organizer") or {}
    who = organizer.get("displayName") or organizer.get("email") or "(unknown)"
    if organizer.get("displayName") and organizer.get("email"):
        who = f"{organizer['displayName']} <{organizer['email']}>"
    before = _self_entry(event).get("responseStatus") or "needsAction"
    lines = [
        f'RSVP to "{event.get("summary") or "(no title)"}": {_WORDS[response]} ({response})',
        f"  When: {span_text(start, end, zone, own)}",
        f"  Organizer: {who} (notified of your answer)",
        f"  Your answer now: {before} -> {response}",
    ]
    if event.get("recurringEventId"):
        lines.append("  Which: this occurrence only")
    if note:
        lines.append(f"  Note to the organizer: {note}")
    return "\n".join(lines)


def _prepare(api: Any, args: RespondArgs, zone: tzinfo) -> tuple[str, dict[str, Any]]:
    calendar = args.calendar_id or PRIMARY
    event = api.events().get(calendarId=calendar, eventId=args.event_id).execute()
    if event.get("status") == "cancelled":
        raise ToolError("this event was cancelled: there is nothing to answer")
    entry = _self_entry(event)
    if entry.get("organizer"):
        raise ToolError("you organize this event: there is no invitation to answer")
    frozen = {
        "kind": "calendar_respond",
        "calendar_id": calendar,
        "event_id": args.event_id,
        "response": args.response,
        "note": args.note,
        "user_zone": zone_name(zone),
    }
    return respond_preview(event, args.response, args.note, zone), frozen


def _execute(api: Any, request: dict[str, Any]) -> dict[str, Any]:
    events = api.events()
    event = events.get(calendarId=request["calendar_id"], eventId=request["event_id"]).execute()
    _self_entry(event)
    body = {"attendees": with_response(event, request["response"], request.get("note"))}
    patched: dict[str, Any] = events.patch(
        calendarId=request["calendar_id"], eventId=request["event_id"], body=body, sendUpdates="all"
    ).execute()
    return patched


class CalendarRespond(Tool):
    name = "calendar_respond"
    description = (
        "Answer a calendar invitation (needs approval): accepted, declined or tentative, with an "
        "optional note to the organizer, who is notified."
    )
    args_model = RespondArgs
    service = "calendar"
    side_effect = True
    requires = (CALENDAR_EVENTS,)

    async def prepare(self, args: RespondArgs, ctx: ToolContext) -> PreparedCall:
        zone = user_zone(ctx.settings)
        preview, frozen = await call_google(
            ctx, "calendar", self.requires, lambda api: _prepare(api, args, zone)
        )
        return PreparedCall(preview=preview, frozen=frozen)

    async def preview(self, args: RespondArgs, ctx: ToolContext) -> str:
        return (await self.prepare(args, ctx)).preview

    async def run(self, args: RespondArgs, ctx: ToolContext) -> ToolResult:
        return await self.run_prepared(args, None, ctx)

    async def run_prepared(
        self, args: RespondArgs, frozen: dict[str, Any] | None, ctx: ToolContext
    ) -> ToolResult:
        request = frozen if frozen is not None else (await self.prepare(args, ctx)).frozen
        if not request or request.get("kind") != "calendar_respond":
            raise ToolError("this approval holds no calendar answer: ask again for a fresh preview")
        zone = zone_named(request.get("user_zone")) or user_zone(ctx.settings)
        patched = await call_google(ctx, "calendar", self.requires, lambda api: _execute(api, request))
        return ToolResult(
            content={"event": event_data(patched, zone), "response": request["response"]},
            summary=f"answered {request['response']}: {patched.get('summary') or '(no title)'}",
            resource_ids=[f"event:{patched.get('id')}"],
        )
