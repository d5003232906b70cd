"""calendar_list_calendars, events across selected calendars, calendar_respond, calendar_find_time and
reminders, against the fake Calendar over loopback (every request checked against Calendar v3 discovery)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from pa_cli.tools.base import ToolError
from pa_cli.tools.google.calendar import CalendarCreateEvent, CalendarListEvents, CalendarUpdateEvent
from pa_cli.tools.google.calendar_find_time import CalendarFindTime
from pa_cli.tools.google.calendar_lists import CalendarListCalendars
from pa_cli.tools.google.calendar_respond import CalendarRespond
from tests.google.support import GoogleRig

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
TEAM = "team@group.calendar.example.com"


@pytest.fixture
def cal(rig: GoogleRig) -> GoogleRig:
    rig.reload({"user.timezone": "Europe/Paris"})
    rig.grant("calendar")
    return rig


def _invite(cal: GoogleRig) -> str:
    event = cal.fake.add_event(
        "Offsite planning",
        datetime(2030, 3, 5, 10, 0, tzinfo=PARIS),
        datetime(2030, 3, 5, 11, 0, tzinfo=PARIS),
        time_zone="Europe/Paris",
        attendees=["lee@example.com", cal.fake.user_email, "ann@example.com"],
        organizer="lee@example.com",
    )
    return str(event["id"])


def _me(cal: GoogleRig, event_id: str) -> dict[str, object]:
    [me] = [a for a in cal.fake.event(event_id)["attendees"] if a.get("self")]
    return me


def test_calendars_are_listed_with_the_selected_ones_marked(cal: GoogleRig) -> None:
    cal.fake.add_calendar(TEAM, "Team", "Europe/Paris")
    cal.reload({"user.timezone": "Europe/Paris", "calendar.calendars": ["primary", TEAM]})
    result = cal.run(CalendarListCalendars())
    found = {c["id"]: c for c in result.content["calendars"]}
    assert found[TEAM]["summary"] == "Team" and found[TEAM]["selected"]
    assert found[cal.fake.user_email]["primary"] and found[cal.fake.user_email]["selected"]
    assert result.untrusted


def test_events_are_listed_across_the_selected_calendars_in_time_order(cal: GoogleRig) -> None:
    cal.fake.add_calendar(TEAM, "Team", "Europe/Paris")
    cal.fake.add_event(
        "Mine", datetime(2030, 3, 5, 11, 0, tzinfo=PARIS), datetime(2030, 3, 5, 12, 0, tzinfo=PARIS)
    )
    cal.fake.add_event(
        "Team sync", datetime(2030, 3, 5, 9, 0, tzinfo=PARIS), datetime(2030, 3, 5, 10, 0, tzinfo=PARIS),
        calendar_id=TEAM,
    )  # fmt: skip
    window = {"time_min": "2030-03-05", "time_max": "2030-03-05"}
    only_primary = cal.run(CalendarListEvents(), **window).content
    assert [e["summary"] for e in only_primary["events"]] == ["Mine"]  # the default: primary only
    cal.reload({"user.timezone": "Europe/Paris", "calendar.calendars": ["primary", TEAM]})
    both = cal.run(CalendarListEvents(), **window).content
    assert [(e["summary"], e["calendar_id"]) for e in both["events"]] == [
        ("Team sync", TEAM),
        ("Mine", "primary"),
    ]
    assert both["calendar_ids"] == ["primary", TEAM]
    one = cal.run(CalendarListEvents(), calendar_id=TEAM, **window).content
    assert [e["summary"] for e in one["events"]] == ["Team sync"]


def test_respond_previews_title_local_time_organizer_and_answer_then_patches_only_self(
    cal: GoogleRig,
) -> None:
    event_id = _invite(cal)
    tool = CalendarRespond()
    args = tool.args_model.model_validate(
        {"event_id": event_id, "response": "tentative", "note": "Maybe late"}
    )
    prepared = asyncio.run(tool.prepare(args, cal.ctx()))
    assert prepared.preview.splitlines() == [
        'RSVP to "Offsite planning": answer tentatively (maybe) (tentative)',
        "  When: Tue 2030-03-05 10:00-11:00 CET (Europe/Paris)",
        "  Organizer: lee@example.com (notified of your answer)",
        "  Your answer now: needsAction -> tentative",
        "  Note to the organizer: Maybe late",
    ]
    assert cal.fake.event_changes == []  # a preview changes nothing
    result = asyncio.run(tool.run_prepared(args, prepared.frozen, cal.ctx()))
    assert result.content["response"] == "tentative"
    [change] = cal.fake.event_changes
    assert (change.action, change.send_updates) == ("patch", "all")
    assert _me(cal, event_id)["responseStatus"] == "tentative"
    assert _me(cal, event_id)["comment"] == "Maybe late"
    others = {
        a["email"]: a["responseStatus"] for a in cal.fake.event(event_id)["attendees"] if not a.get("self")
    }
    assert others == {"lee@example.com": "accepted", "ann@example.com": "needsAction"}
    assert cal.fake.event(event_id)["organizer"]["email"] == "lee@example.com"


def test_respond_keeps_attendee_answers_that_changed_after_the_preview(cal: GoogleRig) -> None:
    event_id = _invite(cal)
    tool = CalendarRespond()
    args = tool.args_model.model_validate({"event_id": event_id, "response": "declined"})
    prepared = asyncio.run(tool.prepare(args, cal.ctx()))
    attendees = cal.fake.event(event_id)["attendees"]
    cal.fake.edit_event(
        event_id,
        attendees=[
            a | {"responseStatus": "declined"} if a["email"] == "ann@example.com" else a for a in attendees
        ],
    )
    asyncio.run(tool.run_prepared(args, prepared.frozen, cal.ctx()))
    statuses = {a["email"]: a["responseStatus"] for a in cal.fake.event(event_id)["attendees"]}
    assert statuses[cal.fake.user_email] == "declined" and statuses["ann@example.com"] == "declined"


def test_respond_refuses_events_without_an_invitation(cal: GoogleRig) -> None:
    mine = cal.fake.add_event(
        "My own", datetime(2030, 3, 5, 10, 0, tzinfo=PARIS), datetime(2030, 3, 5, 11, 0, tzinfo=PARIS),
        attendees=["ann@example.com", cal.fake.user_email],
    )  # fmt: skip
    alone = cal.fake.add_event(
        "Solo", datetime(2030, 3, 5, 12, 0, tzinfo=PARIS), datetime(2030, 3, 5, 13, 0, tzinfo=PARIS)
    )
    with pytest.raises(ToolError, match="you organize this event"):
        cal.preview(CalendarRespond(), event_id=mine["id"], response="accepted")
    with pytest.raises(ToolError, match="not among the attendees"):
        cal.preview(CalendarRespond(), event_id=alone["id"], response="accepted")
    with pytest.raises(ValidationError):
        CalendarRespond().args_model.model_validate({"event_id": mine["id"], "response": "maybe"})
    assert cal.fake.event_changes == []


def test_find_time_ranks_slots_in_both_working_days_across_the_dst_gap(cal: GoogleRig) -> None:
    cal.fake.add_calendar("sam@example.com", "Sam", "America/New_York")
    cal.fake.add_event(  # Sam is busy at his 09:00 on Friday
        "Sam busy", datetime(2026, 10, 30, 9, 0, tzinfo=NEW_YORK), datetime(2026, 10, 30, 10, 0, tzinfo=NEW_YORK),
        calendar_id="sam@example.com",
    )  # fmt: skip
    result = cal.run(
        CalendarFindTime(),
        attendees=["sam@example.com"],
        duration_minutes=60,
        time_min="2026-10-30",
        time_max="2026-11-02",
        attendee_time_zones={"sam@example.com": "America/New_York"},
        max_results=10,
    ).content
    whens = [s["when"] for s in result["slots"]]
    # Sam (New York, still on summer time) starts work at 14:00 Paris time that Friday but is busy at
    # his 09:00; on Monday, both on winter time, the overlap is 15:00-17:00. Ranked: a full hour
    # from everyone's edge first (Fri 15:00 is 10:00 for Sam, an hour before Paris closes).
    assert whens[0] == "Fri 2026-10-30 15:00-16:00 CET"
    assert sorted(whens) == sorted([
        "Fri 2026-10-30 15:00-16:00 CET", "Fri 2026-10-30 15:30-16:30 CET", "Fri 2026-10-30 16:00-17:00 CET",
        "Mon 2026-11-02 15:00-16:00 CET", "Mon 2026-11-02 15:30-16:30 CET", "Mon 2026-11-02 16:00-17:00 CET",
    ])  # fmt: skip
    assert result["slots"][0]["for_attendees"] == {"sam@example.com": "Fri 2026-10-30 10:00-11:00 EDT"}
    [query] = [r for r in cal.fake.api_requests if r.path == "/calendar/v3/freeBusy"]
    assert query.json["items"] == [{"id": "primary"}, {"id": "sam@example.com"}]
    assert query.json["timeZone"] == "Europe/Paris"


def test_find_time_says_whose_busy_time_it_could_not_read(cal: GoogleRig) -> None:
    result = cal.run(
        CalendarFindTime(), attendees=["stranger@example.com"], duration_minutes=30,
        time_min="2030-03-04", time_max="2030-03-04",
    ).content  # fmt: skip
    assert result["busy_unknown_for"] == ["stranger@example.com"]
    assert result["slots"][0]["when"] == "Mon 2030-03-04 10:00-10:30 CET"


def test_reminders_are_set_on_create_and_changed_on_update(cal: GoogleRig) -> None:
    tool = CalendarCreateEvent()
    arguments = {
        "summary": "Dentist", "start": "2030-03-05T10:00", "end": "2030-03-05T11:00",
        "reminders": [{"method": "popup", "minutes": 10}, {"method": "email", "minutes": 1440}],
    }  # fmt: skip
    assert "  Reminders: popup 10 minutes before, email 1 day before" in cal.preview(tool, **arguments)
    created = cal.run(tool, **arguments).content["event"]
    stored = cal.fake.event(created["id"])
    assert stored["reminders"] == {
        "useDefault": False,
        "overrides": [{"method": "popup", "minutes": 10}, {"method": "email", "minutes": 1440}],
    }
    preview = cal.preview(CalendarUpdateEvent(), event_id=created["id"], reminders=[])
    assert "  Reminders: popup 10 minutes before, email 1 day before -> none" in preview
    cal.run(CalendarUpdateEvent(), event_id=created["id"], reminders=[])
    assert cal.fake.event(created["id"])["reminders"] == {"useDefault": False, "overrides": []}
    with pytest.raises(ValidationError):
        tool.args_model.model_validate(arguments | {"reminders": [{"minutes": 5}] * 6})
    with pytest.raises(ValidationError):
        tool.args_model.model_validate(arguments | {"reminders": [{"method": "sms", "minutes": 5}]})
