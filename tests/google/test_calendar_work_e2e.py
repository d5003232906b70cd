"""Calendar for work through the real `pa` against the fake Google on loopback (every request checked
against Calendar v3 discovery by the fixture): an RSVP approved and one refused, a slot found for
Paris and New York across the DST gap week, events across two selected calendars, a reminder set."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from pa_cli.testing.fake_google import FakeGoogle
from tests.conftest import PaRunner
from tests.google.test_calendar_cli_e2e import pending, run_tool
from tests.google.test_cli_e2e import authorize, google  # noqa: F401 (the fixture)

pytestmark = pytest.mark.slow
PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
TEAM = "team@group.calendar.example.com"


@pytest.fixture
def cal(pa: PaRunner, google: FakeGoogle) -> FakeGoogle:  # noqa: F811
    assert pa("config", "set", "user.timezone", "Europe/Paris").returncode == 0
    authorize(pa, google, "calendar")
    return google


def read(pa: PaRunner, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = pa("tools", "run", tool, "--args", json.dumps(arguments), "--json")
    assert result.returncode == 0, result.stderr
    content: dict[str, Any] = json.loads(result.stdout)["content"]
    return content


def _invite(cal: FakeGoogle) -> dict[str, Any]:
    return cal.add_event(
        "Offsite planning",
        datetime(2026, 10, 27, 10, 0, tzinfo=PARIS),
        datetime(2026, 10, 27, 11, 0, tzinfo=PARIS),
        time_zone="Europe/Paris",
        attendees=["lee@example.com", cal.user_email],
        organizer="lee@example.com",
    )


def _my_answer(cal: FakeGoogle, event_id: str) -> str:
    [me] = [a for a in cal.event(event_id)["attendees"] if a.get("self")]
    return str(me["responseStatus"])


def test_an_approved_rsvp_patches_my_answer_and_notifies_the_organizer(pa: PaRunner, cal: FakeGoogle) -> None:
    event = _invite(cal)
    approval, preview = run_tool(
        pa, "calendar_respond", {"event_id": event["id"], "response": "accepted", "note": "See you there"}
    )
    assert 'RSVP to "Offsite planning": accept (accepted)' in preview
    assert "When: Tue 2026-10-27 10:00-11:00 CET (Europe/Paris)" in preview
    assert "Organizer: lee@example.com (notified of your answer)" in preview
    assert "Note to the organizer: See you there" in preview
    assert _my_answer(cal, event["id"]) == "needsAction"

    approved = pa("approve", approval)

    assert approved.returncode == 0, approved.stderr
    [write] = cal.calendar_writes()
    assert write.method == "PATCH" and write.params["sendUpdates"] == "all"
    assert [a["email"] for a in write.json["attendees"]] == ["lee@example.com", cal.user_email]
    assert _my_answer(cal, event["id"]) == "accepted"
    assert pending() == []


def test_a_refused_rsvp_leaves_the_event_unchanged(pa: PaRunner, cal: FakeGoogle) -> None:
    event = _invite(cal)
    before = cal.event(event["id"])
    approval, _ = run_tool(pa, "calendar_respond", {"event_id": event["id"], "response": "declined"})

    denied = pa("deny", approval)

    assert denied.returncode == 0, denied.stderr
    assert cal.calendar_writes() == []
    assert cal.event(event["id"]) == before
    assert pending() == []


def test_a_slot_is_found_for_paris_and_new_york_in_the_dst_gap_week(pa: PaRunner, cal: FakeGoogle) -> None:
    cal.add_calendar("sam@example.com", "Sam", "America/New_York")
    cal.add_event(  # Sam's Friday 09:00 is taken
        "Sam busy", datetime(2026, 10, 30, 9, 0, tzinfo=NEW_YORK), datetime(2026, 10, 30, 10, 0, tzinfo=NEW_YORK),
        calendar_id="sam@example.com",
    )  # fmt: skip
    cal.add_event(  # and so is my Monday 15:00
        "Mine", datetime(2026, 11, 2, 15, 0, tzinfo=PARIS), datetime(2026, 11, 2, 16, 0, tzinfo=PARIS)
    )
    found = read(
        pa, "calendar_find_time",
        {"attendees": ["sam@example.com"], "duration_minutes": 60, "time_min": "2026-10-30",
         "time_max": "2026-11-02", "attendee_time_zones": {"sam@example.com": "America/New_York"}},
    )  # fmt: skip
    assert [s["when"] for s in found["slots"]] == [
        "Fri 2026-10-30 15:00-16:00 CET",  # Sam's 10:00 (EDT until Sunday): an hour from both edges
        "Fri 2026-10-30 15:30-16:30 CET",
        "Fri 2026-10-30 16:00-17:00 CET",
        "Mon 2026-11-02 16:00-17:00 CET",  # Sam's 10:00 EST: New York has left summer time too
    ]
    assert found["slots"][-1]["for_attendees"] == {"sam@example.com": "Mon 2026-11-02 10:00-11:00 EST"}
    assert found["working_hours"] == "09:00-17:00"
    assert cal.calendar_writes() == []


def test_events_are_listed_across_two_selected_calendars(pa: PaRunner, cal: FakeGoogle) -> None:
    cal.add_calendar(TEAM, "Team", "Europe/Paris")
    cal.add_event(
        "Mine", datetime(2026, 10, 27, 11, 0, tzinfo=PARIS), datetime(2026, 10, 27, 12, 0, tzinfo=PARIS)
    )
    cal.add_event(
        "Team sync", datetime(2026, 10, 27, 9, 0, tzinfo=PARIS), datetime(2026, 10, 27, 10, 0, tzinfo=PARIS),
        calendar_id=TEAM,
    )  # fmt: skip
    calendars = read(pa, "calendar_list_calendars", {})["calendars"]
    assert {c["id"]: c["selected"] for c in calendars} == {cal.user_email: True, TEAM: False}
    assert pa("config", "set", "calendar.calendars", json.dumps(["primary", TEAM])).returncode == 0

    events = read(pa, "calendar_list_events", {"time_min": "2026-10-27", "time_max": "2026-10-27"})["events"]

    assert [(e["summary"], e["calendar_id"], e["when"]) for e in events] == [
        ("Team sync", TEAM, "Tue 2026-10-27 09:00-10:00 CET"),
        ("Mine", "primary", "Tue 2026-10-27 11:00-12:00 CET"),
    ]


def test_a_reminder_is_set_on_a_new_event(pa: PaRunner, cal: FakeGoogle) -> None:
    approval, preview = run_tool(
        pa, "calendar_create_event",
        {"summary": "Dentist", "start": "2026-10-27T10:00", "end": "2026-10-27T11:00",
         "reminders": [{"method": "popup", "minutes": 30}]},
    )  # fmt: skip
    assert "Reminders: popup 30 minutes before" in preview
    assert pa("approve", approval).returncode == 0
    [write] = cal.calendar_writes()
    assert write.json["reminders"] == {"useDefault": False, "overrides": [{"method": "popup", "minutes": 30}]}
    [stored] = [e for e in cal.events() if e["summary"] == "Dentist"]
    assert stored["reminders"]["overrides"] == [{"method": "popup", "minutes": 30}]


def test_a_bad_setting_or_argument_is_a_one_line_usage_error(pa: PaRunner, cal: FakeGoogle) -> None:
    bad = pa("config", "set", "calendar.work_days", '["mon", "someday"]')
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    wrong = pa(
        "tools", "run", "calendar_respond", "--args", json.dumps({"event_id": "x", "response": "maybe"})
    )
    assert wrong.returncode == 2 and wrong.stderr.startswith("error: "), wrong.stderr
    assert "Traceback" not in wrong.stderr
