"""The calendar tools for work (entry point ``google_calendar_work``): calendars, RSVP, find a time."""

from __future__ import annotations

from pa_cli.tools.base import Tool
from pa_cli.tools.google.calendar_find_time import CalendarFindTime
from pa_cli.tools.google.calendar_lists import CalendarListCalendars
from pa_cli.tools.google.calendar_respond import CalendarRespond

CALENDAR_WORK_TOOLS: tuple[type[Tool], ...] = (CalendarListCalendars, CalendarRespond, CalendarFindTime)
