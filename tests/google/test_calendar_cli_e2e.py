"""Calendar time through the real `pa`: `pa tools run calendar_... --args ...`, then `pa approve ID`,
against the fake Google on loopback, whose request log shows exactly what reached it."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from pa_cli.testing.fake_google import FakeGoogle
from tests.conftest import PaRunner
from tests.google.test_cli_e2e import authorize, google  # noqa: F401 (the fixture)

pytestmark = pytest.mark.slow
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def cal(pa: PaRunner, google: FakeGoogle) -> FakeGoogle:  # noqa: F811
    assert pa("config", "set", "user.timezone", "Europe/Berlin").returncode == 0
    authorize(pa, google, "calendar")
    return google


def run_tool(pa: PaRunner, name: str, arguments: dict[str, Any]) -> tuple[str, str]:
    """`pa tools run` of a side effect: it waits for approval; returns (approval id, preview)."""
    result = pa("tools", "run", name, "--args", json.dumps(arguments))
    assert result.returncode == 4, result.stderr  # 4: the call waits for approval
    match = re.search(r"run `pa approve (\S+)`", result.stderr)
    assert match, result.stderr
    return match[1], result.stderr


def pending() -> list[str]:
    """Ids of the approvals waiting in the test's own database (PA_HOME)."""
    from pa_cli.config import load_settings
    from pa_cli.store import open_store

    store = open_store(load_settings())
    try:
        return [a.id for a in store.approvals.list_pending(store.users.local_user().id)]
    finally:
        store.close()


def writes(fake: FakeGoogle) -> list[tuple[str, Any]]:
    return [(r.method, r.json) for r in fake.calendar_writes()]


def test_approval_sends_the_previewed_instant_after_the_zone_changed(pa: PaRunner, cal: FakeGoogle) -> None:
    approval, preview = run_tool(
        pa, "calendar_create_event",
        {"summary": "Call", "start": "2026-10-27T10:00", "end": "2026-10-27T11:00", "attendees": ["ann@example.com"]},
    )  # fmt: skip
    assert "When: Tue 2026-10-27 10:00-11:00 CET (Europe/Berlin)" in preview
    assert "Attendees who will be notified: ann@example.com" in preview
    assert pending() == [approval]
    assert writes(cal) == []
    assert pa("config", "set", "user.timezone", "America/New_York").returncode == 0

    approved = pa("approve", approval)

    assert approved.returncode == 0, approved.stderr
    [(method, body)] = writes(cal)
    assert method == "POST"
    assert body["start"] == {"dateTime": "2026-10-27T10:00:00+01:00", "timeZone": "Europe/Berlin"}
    assert datetime.fromisoformat(body["end"]["dateTime"]) == datetime(2026, 10, 27, 10, 0, tzinfo=UTC)
    assert body["attendees"] == [{"email": "ann@example.com"}]
    assert cal.calendar_writes()[0].params["sendUpdates"] == "all"


def test_an_offset_from_the_llm_is_previewed_in_local_time(pa: PaRunner, cal: FakeGoogle) -> None:
    approval, preview = run_tool(
        pa, "calendar_create_event",
        {"summary": "Call", "start": "2026-10-27T10:00:00+02:00", "end": "2026-10-27T11:00:00+02:00"},
    )  # fmt: skip
    assert "When: Tue 2026-10-27 09:00-10:00 CET (Europe/Berlin)" in preview
    assert pa("approve", approval).returncode == 0
    [(_, body)] = writes(cal)
    assert body["start"]["dateTime"] == "2026-10-27T09:00:00+01:00"


BAD_RULES = [
    ("RRULE:FREQ=WEEKLY;BYDAY=XX", "BYDAY 'XX' is not a weekday"),
    ("RRULE:FREQ=WEEKLY;INTERVAL=0", "INTERVAL must be a whole number of at least 1"),
    ("RRULE:FREQ=WEEKLY;COUNT=-1", "COUNT must be a whole number of at least 1"),
    ("RRULE:FREQ=WEEKLY;UNTIL=notadate", "UNTIL must be YYYYMMDD"),
    ("RRULE:FREQ=WEEKLY;COUNT=2;UNTIL=20261231T000000Z", "COUNT and UNTIL cannot both be given"),
    ("RRULE:FREQ=WEEKLY;SOON=1", "unknown part SOON"),
    ("EXDATE:2026-13-01", "is not YYYYMMDD"),
    ("RDATE;TZID=Nowhere/Land:20261010T090000", "unknown time zone"),
]


def test_a_bad_rule_is_a_usage_error_before_any_approval(pa: PaRunner, cal: FakeGoogle) -> None:
    base = {"summary": "x", "start": "2026-10-06T10:00", "end": "2026-10-06T11:00"}
    good = pa(
        "tools",
        "run",
        "calendar_create_event",
        "--args",
        json.dumps({**base, "recurrence": ["RRULE:FREQ=WEEKLY"]}),
    )
    assert good.returncode == 4 and len(pending()) == 1  # a good rule waits for approval
    for recurrence, reason in BAD_RULES:
        result = pa(
            "tools",
            "run",
            "calendar_create_event",
            "--args",
            json.dumps({**base, "recurrence": [recurrence]}),
        )
        assert result.returncode == 2, (recurrence, result.stderr)
        assert result.stderr.startswith("error: ") and reason in result.stderr, (recurrence, result.stderr)
        assert "Traceback" not in result.stderr
    assert len(pending()) == 1
    assert writes(cal) == []


def test_a_time_in_the_gap_is_refused_in_words(pa: PaRunner, cal: FakeGoogle) -> None:
    arguments = {"summary": "x", "start": "2026-03-29T02:30", "end": "2026-03-29T04:00"}
    result = pa("tools", "run", "calendar_create_event", "--args", json.dumps(arguments))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: start: 02:30 does not exist on 29 March 2026 in Europe/Berlin: clocks jump from 02:00 to 03:00"
    )
    assert pending() == []


def test_an_event_edited_since_the_preview_is_not_changed(pa: PaRunner, cal: FakeGoogle) -> None:
    event = cal.add_event("Review", "2026-06-03T14:00:00+02:00", "2026-06-03T15:00:00+02:00")
    approval, preview = run_tool(
        pa, "calendar_update_event", {"event_id": event["id"], "start": "2026-06-03T16:00"}
    )
    assert "New time: Wed 2026-06-03 16:00-17:00 CEST (Europe/Berlin)" in preview
    cal.edit_event(event["id"], summary="Review (moved by Ann)")

    approved = pa("approve", approval, "--json")

    assert json.loads(approved.stdout)["response"] == (
        "the event changed since you approved; ask again for a fresh preview"
    )
    assert writes(cal) == []
    assert cal.event(event["id"])["start"]["dateTime"] == "2026-06-03T14:00:00+02:00"


def test_this_and_following_of_a_new_york_series_keeps_its_zone(pa: PaRunner, cal: FakeGoogle) -> None:
    series = cal.add_event(
        "NY sync", datetime(2026, 3, 3, 9, 0, tzinfo=NEW_YORK), datetime(2026, 3, 3, 9, 30, tzinfo=NEW_YORK),
        time_zone="America/New_York", recurrence=["RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=6"],
    )  # fmt: skip
    approval, preview = run_tool(
        pa, "calendar_update_event",
        {"event_id": f"{series['id']}_20260310T130000Z", "summary": "NY sync v2", "scope": "following"},
    )  # fmt: skip
    assert "Occurrence times change" not in preview
    assert pa("approve", approval).returncode == 0
    (_, inserted), (_, patched) = writes(cal)
    assert inserted["start"] == {"dateTime": "2026-03-10T09:00:00-04:00", "timeZone": "America/New_York"}
    assert inserted["recurrence"] == ["RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=5"]
    assert patched == {"recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL=20260310T125959Z"]}


def approve(pa: PaRunner, approval: str) -> None:
    approved = pa("approve", approval, "--json")
    assert approved.returncode == 0, approved.stderr
    assert "changed since" not in approved.stdout


def listed(pa: PaRunner, **arguments: str) -> list[dict[str, Any]]:
    result = pa("tools", "run", "calendar_list_events", "--args", json.dumps(arguments), "--json")
    assert result.returncode == 0, result.stderr
    return list(json.loads(result.stdout)["content"]["events"])


def test_splitting_a_counted_series_after_a_moved_occurrence_keeps_six(pa: PaRunner, cal: FakeGoogle) -> None:
    series = cal.add_event(
        "Course", "2030-03-05T09:00:00+01:00", "2030-03-05T10:00:00+01:00",
        time_zone="Europe/Berlin", recurrence=["RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=6"],
    )["id"]  # fmt: skip
    moved, _ = run_tool(
        pa, "calendar_update_event", {"event_id": f"{series}_20300319T080000Z", "start": "2030-03-27T09:00"}
    )
    approve(pa, moved)
    split, _ = run_tool(
        pa, "calendar_update_event",
        {"event_id": f"{series}_20300326T080000Z", "summary": "Course B", "scope": "following"},
    )  # fmt: skip
    approve(pa, split)

    events = listed(pa, time_min="2030-03-01", time_max="2030-06-01")
    assert [(e["summary"], e["start"][:10]) for e in events] == [
        ("Course", "2030-03-05"),
        ("Course", "2030-03-12"),
        ("Course B", "2030-03-26"),
        ("Course", "2030-03-27"),
        ("Course B", "2030-04-02"),
        ("Course B", "2030-04-09"),
    ]


def test_today_lists_only_all_day_events_of_the_users_date(pa: PaRunner, cal: FakeGoogle) -> None:
    cal.add_calendar("team@example.com", "Team", "Pacific/Auckland")
    for day in ("2026-06-04", "2026-06-05", "2026-06-06"):
        following = f"2026-06-{int(day[-2:]) + 1:02d}"
        cal.add_event(f"Holiday {day[-2:]}", day, following, calendar_id="team@example.com")
    events = listed(pa, time_min="2026-06-05", time_max="2026-06-05", calendar_id="team@example.com")
    assert [(e["summary"], e["when"]) for e in events] == [("Holiday 05", "Fri 2026-06-05 (all day)")]
