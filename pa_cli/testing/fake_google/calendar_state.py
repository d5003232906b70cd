"""The fake Calendar's data: calendars, events (with recurring series and their exceptions), changes."""

from __future__ import annotations

import copy
import itertools
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from pa_cli.testing.fake_google.recurrence import (
    Moment,
    RecurrenceError,
    format_datetime,
    format_utc_millis,
    instance_suffix,
    occurrences,
    parse_instance_suffix,
    parse_recurrence,
    to_instant,
    zone,
)
from pa_cli.testing.fake_google.responses import ApiError, bad_request, not_found

Event = dict[str, Any]
_READ_ONLY = {"kind", "etag", "htmlLink", "created", "updated", "creator", "iCalUID", "organizer"}
_ID_PATTERN = re.compile(r"[a-v0-9]{5,1024}")
_BASE32HEX = "0123456789abcdefghijklmnopqrstuv"
_etags = itertools.count(1)
_RESPONSES = ("needsAction", "declined", "tentative", "accepted")


def _check_reminders(reminders: Any) -> None:
    """Google's own rules for ``reminders``: overrides only without useDefault, at most 5, in range."""
    if reminders is None:
        return
    overrides = reminders.get("overrides") or []
    if reminders.get("useDefault") and overrides:
        raise bad_request(
            "Cannot specify both default reminders and overrides at the same time.",
            "cannotUseDefaultRemindersAndSpecifyOverride",
        )
    if len(overrides) > 5:
        raise bad_request("Too many reminders.", "tooManyReminders")
    for override in overrides:
        if override.get("method") not in ("email", "popup"):
            raise bad_request("Invalid reminder method.", "invalid")
        minutes = override.get("minutes")
        if not isinstance(minutes, int) or not 0 <= minutes <= 40320:
            raise bad_request("Invalid reminder minutes value.", "invalid")


@dataclass
class CalendarData:
    id: str
    summary: str
    time_zone: str
    events: dict[str, Event] = field(default_factory=dict)  # masters, single events, exceptions


@dataclass(frozen=True)
class EventChange:
    """A write the client made: action is insert, patch, update or delete."""

    action: str
    calendar_id: str
    event_id: str
    send_updates: str | None
    event: Event


@dataclass(frozen=True)
class Occurrence:
    """One concrete event in time: a single event, an exception, or an expanded instance."""

    event: Event
    start: datetime
    end: datetime


def new_event_id() -> str:
    return "".join(secrets.choice(_BASE32HEX) for _ in range(26))


def _now() -> str:
    return format_utc_millis(datetime.now(UTC))


def _etag() -> str:
    return f'"{int(datetime.now(UTC).timestamp() * 1000)}{next(_etags):04d}"'


def _moment(side: dict[str, Any]) -> Moment:
    if "date" in side:
        return date.fromisoformat(side["date"])
    value = datetime.fromisoformat(side["dateTime"])
    return value.astimezone(zone(side["timeZone"])) if "timeZone" in side else value


def _side_for(value: Moment, tz_name: str | None) -> dict[str, Any]:
    if not isinstance(value, datetime):
        return {"date": value.isoformat()}
    side: dict[str, Any] = {"dateTime": format_datetime(value)}
    if tz_name:
        side["timeZone"] = tz_name
    return side


@dataclass
class CalendarStore:
    user_email: str
    default_time_zone: str = "UTC"
    calendars: dict[str, CalendarData] = field(default_factory=dict)
    changes: list[EventChange] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.user_email not in self.calendars:
            self.add_calendar(self.user_email, self.user_email, self.default_time_zone)

    def add_calendar(
        self, calendar_id: str, summary: str | None = None, time_zone: str | None = None
    ) -> CalendarData:
        calendar = CalendarData(calendar_id, summary or calendar_id, time_zone or self.default_time_zone)
        self.calendars[calendar_id] = calendar
        return calendar

    def calendar(self, calendar_id: str) -> CalendarData:
        found = self.calendars.get(self.user_email if calendar_id == "primary" else calendar_id)
        if found is None:
            raise not_found("Not Found")
        return found

    # -- validation -------------------------------------------------------------------------------

    def _normalise_side(self, event: Event, name: str, recurring: bool) -> Moment:
        side = event.get(name)
        if not isinstance(side, dict) or not (side.get("date") or side.get("dateTime")):
            raise bad_request(f"Missing {name} time.", "required")
        if side.get("date") and side.get("dateTime"):
            raise bad_request(f"Invalid {name} time.", "invalid")
        tz_name = side.get("timeZone")
        if tz_name:
            try:
                tz = zone(tz_name)
            except RecurrenceError as exc:
                raise bad_request(f"Invalid time zone definition for {name} time.", "invalid") from exc
        try:
            if side.get("date"):
                event[name] = {"date": date.fromisoformat(side["date"]).isoformat()}
                return date.fromisoformat(side["date"])
            value = datetime.fromisoformat(side["dateTime"])
        except (TypeError, ValueError) as exc:
            raise bad_request(f"Invalid {name} time.", "invalid") from exc
        if not tz_name and (value.tzinfo is None or recurring):
            raise bad_request(f"Missing time zone definition for {name} time.", "required")
        value = value.replace(tzinfo=tz) if value.tzinfo is None else value
        value = value.astimezone(tz) if tz_name else value
        event[name] = _side_for(value, tz_name)
        return value

    def _normalise(self, calendar: CalendarData, body: Event, base: Event | None = None) -> Event:
        event = copy.deepcopy(base) if base else {}
        event.update({key: copy.deepcopy(value) for key, value in body.items() if key not in _READ_ONLY})
        recurrence = event.get("recurrence") or []
        if not isinstance(recurrence, list) or not all(isinstance(line, str) for line in recurrence):
            raise bad_request("Invalid recurrence rule.", "invalid")
        try:
            parse_recurrence(recurrence)
        except RecurrenceError as exc:
            raise bad_request("Invalid recurrence rule.", "invalid") from exc
        start = self._normalise_side(event, "start", bool(recurrence))
        end = self._normalise_side(event, "end", bool(recurrence))
        if isinstance(start, datetime) != isinstance(end, datetime):
            raise bad_request("The start and end times must both be dates or both be date-times.", "invalid")
        tz = zone(calendar.time_zone)
        if to_instant(end, tz) <= to_instant(start, tz):
            raise bad_request("The specified time range is empty.", "timeRangeEmpty")
        _check_reminders(event.get("reminders"))
        now = _now()
        me = {"email": self.user_email, "self": True}
        organizer = (base or {}).get("organizer") or me
        organizer_email = str(organizer.get("email", "")).lower()
        attendees = event.get("attendees") or []
        for attendee in attendees:
            if not isinstance(attendee, dict) or "@" not in str(attendee.get("email", "")):
                raise bad_request("Invalid attendee email.", "invalid")
            status = attendee.setdefault(
                "responseStatus",
                "accepted" if attendee["email"].lower() == organizer_email else "needsAction",
            )
            if status not in _RESPONSES:
                raise bad_request(f"Invalid attendee responseStatus: {status}", "invalid")
            if attendee["email"].lower() == self.user_email.lower():
                attendee["self"] = True
            if attendee["email"].lower() == organizer_email:
                attendee["organizer"] = True
        event.update(
            {
                "kind": "calendar#event",
                "etag": _etag(),
                "status": event.get("status", "confirmed"),
                "htmlLink": f"https://calendar.fake-google.test/event?eid={event['id']}",
                "created": event.get("created", now),
                "updated": now,
                "creator": (base or {}).get("creator") or me,
                "organizer": organizer,
                "iCalUID": event.get("iCalUID", f"{event['id']}@google.com"),
                "sequence": event.get("sequence", -1) + 1,
                "reminders": event.get("reminders", {"useDefault": True}),
                "eventType": event.get("eventType", "default"),
            }
        )
        if base and "created" in base:
            event["created"], event["iCalUID"] = base["created"], base["iCalUID"]
        return event

    # -- occurrences ----------------------------------------------------------------------------

    def occurrence(self, calendar: CalendarData, event: Event) -> Occurrence:
        tz = zone(calendar.time_zone)
        return Occurrence(
            event, to_instant(_moment(event["start"]), tz), to_instant(_moment(event["end"]), tz)
        )

    def _instance(self, master: Event, original: Moment) -> Event:
        start = _moment(master["start"])
        end = _moment(master["end"])
        # Shallow on purpose: instances are only rendered or deep-copied before any change.
        instance = {key: value for key, value in master.items() if key != "recurrence"}
        tz_name = master["start"].get("timeZone")
        end_tz_name = master["end"].get("timeZone")
        if isinstance(original, datetime) and isinstance(start, datetime) and isinstance(end, datetime):
            shifted = original + (end - start)
            new_end: Moment = shifted.astimezone(zone(end_tz_name)) if end_tz_name else shifted
        else:
            new_end = original + (end - start)
        instance.update(
            {
                "id": f"{master['id']}_{instance_suffix(original)}",
                "recurringEventId": master["id"],
                "originalStartTime": _side_for(original, tz_name),
                "start": _side_for(original, tz_name),
                "end": _side_for(new_end, end_tz_name),
            }
        )
        return instance

    def expand(
        self, calendar: CalendarData, master: Event, window: tuple[datetime | None, datetime | None]
    ) -> Iterator[Event]:
        """The master's instances overlapping the window, with stored exceptions in their place."""
        recurrence = parse_recurrence(master.get("recurrence") or [])
        assert recurrence is not None
        tz = zone(calendar.time_zone)
        low, high = window
        first = _moment(master["start"])
        length = to_instant(_moment(master["end"]), tz) - to_instant(first, tz)
        for original in occurrences(
            first, recurrence, lambda m: high is not None and to_instant(m, tz) >= high
        ):
            instance_id = f"{master['id']}_{instance_suffix(original)}"
            exception = calendar.events.get(instance_id)
            if exception is not None:
                yield exception
            elif low is None or to_instant(original, tz) + length > low:
                yield self._instance(master, original)

    def find_instance(self, calendar: CalendarData, event_id: str) -> Event | None:
        master_id, _, suffix = event_id.rpartition("_")
        master = calendar.events.get(master_id)
        original = parse_instance_suffix(suffix)
        if master is None or original is None or not master.get("recurrence"):
            return None
        recurrence = parse_recurrence(master["recurrence"])
        assert recurrence is not None
        tz = zone(calendar.time_zone)
        target = to_instant(original, tz)
        for moment in occurrences(_moment(master["start"]), recurrence, lambda m: to_instant(m, tz) > target):
            if instance_suffix(moment) == suffix:
                return self._instance(master, moment)
        return None

    # -- reads and writes -----------------------------------------------------------------------

    def get(self, calendar_id: str, event_id: str) -> Event:
        calendar = self.calendar(calendar_id)
        event = calendar.events.get(event_id) or self.find_instance(calendar, event_id)
        if event is None:
            raise not_found("Not Found")
        return event

    def _record(self, action: str, calendar: CalendarData, event: Event, send_updates: str | None) -> None:
        self.changes.append(EventChange(action, calendar.id, event["id"], send_updates, copy.deepcopy(event)))

    def insert(
        self,
        calendar_id: str,
        body: Event,
        send_updates: str | None = None,
        *,
        record: bool = True,
        organizer: Event | None = None,
    ) -> Event:
        """A new event; ``organizer`` (tests only) makes it an invitation from someone else."""
        calendar = self.calendar(calendar_id)
        event_id = body.get("id") or new_event_id()
        if not isinstance(event_id, str) or not _ID_PATTERN.fullmatch(event_id):
            raise bad_request("Invalid resource id value.", "invalid")
        if event_id in calendar.events:
            raise ApiError(409, "The requested identifier already exists.", reason="duplicate")
        event = self._normalise(
            calendar, {**body, "id": event_id}, base={"organizer": organizer} if organizer else None
        )
        calendar.events[event_id] = event
        if record:
            self._record("insert", calendar, event, send_updates)
        return event

    @staticmethod
    def _check_etag(current: Event, if_match: str | None) -> None:
        """A conditional write (``If-Match``) to an event whose etag moved on: 412, as Google answers."""
        if if_match is not None and if_match != "*" and if_match != current.get("etag"):
            raise ApiError(412, "Precondition Failed", reason="conditionNotMet")

    def write(
        self,
        calendar_id: str,
        event_id: str,
        body: Event,
        send_updates: str | None,
        *,
        patch: bool,
        if_match: str | None = None,
    ) -> Event:
        calendar = self.calendar(calendar_id)
        current = self.get(calendar_id, event_id)
        self._check_etag(current, if_match)
        if current.get("status") == "cancelled" and event_id in calendar.events:
            raise ApiError(410, "Resource has been deleted", reason="deleted")
        if patch:
            merged = copy.deepcopy(current)
            for key, value in body.items():
                if (
                    isinstance(value, dict)
                    and isinstance(merged.get(key), dict)
                    and key not in ("start", "end")
                ):
                    merged[key] = {**merged[key], **value}
                else:
                    merged[key] = value
        else:
            keep = ("recurringEventId", "originalStartTime")
            merged = {key: current[key] for key in keep if key in current} | dict(body)
        merged["id"] = event_id
        event = self._normalise(
            calendar,
            merged,
            base={k: current[k] for k in ("created", "iCalUID", "sequence", "creator", "organizer")},
        )
        calendar.events[event_id] = event
        self._record("patch" if patch else "update", calendar, event, send_updates)
        return event

    def delete(
        self, calendar_id: str, event_id: str, send_updates: str | None = None, if_match: str | None = None
    ) -> None:
        calendar = self.calendar(calendar_id)
        event = self.get(calendar_id, event_id)
        self._check_etag(event, if_match)
        if event.get("status") == "cancelled":
            raise ApiError(410, "Resource has been deleted", reason="deleted")
        if event_id not in calendar.events:  # an instance of a series: store a cancelled exception
            event = {
                key: event[key] for key in ("id", "recurringEventId", "originalStartTime", "start", "end")
            }
        event["status"] = "cancelled"
        event["updated"] = _now()
        calendar.events[event_id] = event
        for other in calendar.events.values():
            if other.get("recurringEventId") == event_id:
                other["status"] = "cancelled"
        self._record("delete", calendar, event, send_updates)
