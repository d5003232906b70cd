"""calendar_list_calendars: the calendars the user can see (Calendar v3 ``calendarList.list``),
marking the ones selected for calendar_list_events (setting ``calendar.calendars``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from pa_cli.google.runtime import call_google
from pa_cli.google.scopes import CALENDAR_READONLY
from pa_cli.tools.base import Tool, ToolArgs, ToolContext, ToolResult

MAX_CALENDARS = 250


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
