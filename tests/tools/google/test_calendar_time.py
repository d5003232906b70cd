"""Calendar time that is always right: previews in local time, series in their own zone, RFC 5545
counts, and approvals that run what they showed (prepare / run_prepared) against the fake Calendar."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from pa_cli.errors import UsageError
from pa_cli.tools.base import PreparedCall, Tool, ToolError, ToolResult
from pa_cli.tools.google.calendar import (
    CalendarCreateEvent,
    CalendarDeleteEvent,
    CalendarListEvents,
    CalendarUpdateEvent,
)
from pa_cli.tools.google.calendar_requests import CHANGED_SINCE
from tests.google.support import GoogleRig

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def cal(rig: GoogleRig) -> GoogleRig:
    rig.reload({"user.timezone": "Europe/Berlin"})
    rig.grant("calendar")
    return rig


def prepare(cal: GoogleRig, tool: Tool, **arguments: Any) -> PreparedCall:
    return asyncio.run(tool.prepare(tool.args_model.model_validate(arguments), cal.ctx()))


def run_prepared(cal: GoogleRig, tool: Tool, prepared: PreparedCall, **arguments: Any) -> ToolResult:
    args = tool.args_model.model_validate(arguments)
    return asyncio.run(tool.run_prepared(args, prepared.frozen, cal.ctx()))


def sent(cal: GoogleRig) -> list[tuple[str, Any]]:
    """(method, JSON body) of every Calendar write the fake received."""
    return [(r.method, r.json) for r in cal.fake.calendar_writes()]


def _instant(side: dict[str, str]) -> datetime:
    return datetime.fromisoformat(side["dateTime"]).astimezone(UTC)


def _ny_weekly(cal: GoogleRig, rule: str = "RRULE:FREQ=WEEKLY;BYDAY=TU") -> str:
    event = cal.fake.add_event(
        "NY sync",
        datetime(2026, 3, 3, 9, 0, tzinfo=NEW_YORK),
        datetime(2026, 3, 3, 9, 30, tzinfo=NEW_YORK),
        time_zone="America/New_York",
        recurrence=[rule],
        attendees=["nyc@example.com"],
    )
    return str(event["id"])


# --- 1. previews in the user's zone ------------------------------------------------------------


def test_an_offset_time_is_previewed_and_sent_in_local_time(cal: GoogleRig) -> None:
    # 27 October is after the EU fall back: +02:00 is not Berlin's offset that day.
    prepared = prepare(
        cal, CalendarCreateEvent(), summary="Call", start="2026-10-27T10:00:00+02:00", end="2026-10-27T11:00:00+02:00"
    )  # fmt: skip
    assert "  When: Tue 2026-10-27 09:00-10:00 CET (Europe/Berlin)\n" in prepared.preview
    assert cal.fake.calendar_writes() == []
    run_prepared(cal, CalendarCreateEvent(), prepared, summary="Call", start="x", end="y")
    [(method, body)] = sent(cal)
    assert method == "POST"
    assert body["start"] == {"dateTime": "2026-10-27T09:00:00+01:00", "timeZone": "Europe/Berlin"}
    assert body["end"] == {"dateTime": "2026-10-27T10:00:00+01:00", "timeZone": "Europe/Berlin"}


def test_a_utc_time_is_previewed_in_local_time(cal: GoogleRig) -> None:
    preview = cal.preview(
        CalendarCreateEvent(), summary="x", start="2026-06-05T08:00Z", end="2026-06-05T09:00Z"
    )
    assert "  When: Fri 2026-06-05 10:00-11:00 CEST (Europe/Berlin)\n" in preview


def test_a_span_across_the_fall_back_names_each_end_with_its_own_zone(cal: GoogleRig) -> None:
    preview = cal.preview(
        CalendarCreateEvent(), summary="Night", start="2026-10-25T01:30", end="2026-10-25T03:30"
    )
    assert "  When: Sun 2026-10-25 01:30 CEST - 03:30 CET (Europe/Berlin)\n" in preview


def test_a_time_in_the_spring_forward_gap_is_a_usage_error_in_words(cal: GoogleRig) -> None:
    with pytest.raises(UsageError) as refused:
        cal.preview(CalendarCreateEvent(), summary="x", start="2026-03-29T02:30", end="2026-03-29T04:00")
    assert refused.value.message == (
        "start: 02:30 does not exist on 29 March 2026 in Europe/Berlin: clocks jump from 02:00 to 03:00"
    )


def test_a_time_that_happens_twice_is_explained_in_the_preview(cal: GoogleRig) -> None:
    preview = cal.preview(
        CalendarCreateEvent(), summary="x", start="2026-10-25T02:30", end="2026-10-25T04:00"
    )
    assert (
        "  Note: start: 02:30 happens twice on 25 October 2026 in Europe/Berlin: clocks go back from 03:00 "
        "to 02:00; the first one is meant (CEST, UTC+02:00), give the offset +01:00 for the second\n"
    ) in preview
    assert "  When: Sun 2026-10-25 02:30 CEST - 04:00 CET (Europe/Berlin)\n" in preview


@pytest.mark.parametrize("text", ["20260605", "2026-06-05"])
def test_a_date_in_either_iso_form_is_an_all_day_event(cal: GoogleRig, text: str) -> None:
    prepared = prepare(cal, CalendarCreateEvent(), summary="Trip", start=text, end=text)
    assert "  When: Fri 2026-06-05 (all day)\n" in prepared.preview
    run_prepared(cal, CalendarCreateEvent(), prepared, summary="Trip", start=text, end=text)
    [(_, body)] = sent(cal)
    assert (body["start"], body["end"]) == ({"date": "2026-06-05"}, {"date": "2026-06-06"})


def test_an_event_kept_in_another_zone_is_previewed_in_both(cal: GoogleRig) -> None:
    event = cal.fake.add_event(
        "NY call", datetime(2026, 3, 10, 9, 0, tzinfo=NEW_YORK), datetime(2026, 3, 10, 10, 0, tzinfo=NEW_YORK),
        time_zone="America/New_York",
    )  # fmt: skip
    preview = cal.preview(CalendarDeleteEvent(), event_id=event["id"])
    assert preview.splitlines()[1] == (
        "  When: Tue 2026-03-10 14:00-15:00 CET (Europe/Berlin), which is "
        "Tue 2026-03-10 09:00-10:00 EDT (America/New_York) where the event is kept"
    )


def test_an_event_whose_start_and_end_zones_differ_names_each(cal: GoogleRig) -> None:
    body = {
        "summary": "Flight",
        "start": {"dateTime": "2026-06-05T18:00:00-04:00", "timeZone": "America/New_York"},
        "end": {"dateTime": "2026-06-06T07:00:00+01:00", "timeZone": "Europe/London"},
    }
    with cal.fake.lock:
        event = cal.fake.calendar.insert("primary", body, record=False)
    preview = cal.preview(CalendarDeleteEvent(), event_id=event["id"])
    assert preview.splitlines()[1] == (
        "  When: Sat 2026-06-06 00:00-08:00 CEST (Europe/Berlin): "
        "from Fri 2026-06-05 18:00 EDT (America/New_York) to Sat 2026-06-06 07:00 BST (Europe/London)"
    )


# --- 2. series live in their own zone ------------------------------------------------------------


def test_moving_all_of_a_new_york_series_from_one_occurrence_lands_where_the_preview_said(
    cal: GoogleRig,
) -> None:
    series = _ny_weekly(cal)
    instance = f"{series}_20260317T130000Z"  # 09:00 EDT on 17 March = 14:00 in Berlin (still CET)
    arguments = {"event_id": instance, "start": "2026-03-17T15:00", "scope": "all"}
    prepared = prepare(cal, CalendarUpdateEvent(), **arguments)
    lines = prepared.preview.splitlines()
    assert (
        "  New time: Tue 2026-03-17 15:00-15:30 CET (Europe/Berlin), which is Tue 2026-03-17 10:00-10:30 EDT (America/New_York) where the event is kept"
        in lines
    )
    assert (
        "  First occurrence: Tue 2026-03-03 16:00-16:30 CET (Europe/Berlin), which is Tue 2026-03-03 10:00-10:30 EST (America/New_York) where the event is kept"
        in lines
    )
    assert any(line.startswith("  Occurrence times change (") for line in lines)

    run_prepared(cal, CalendarUpdateEvent(), prepared, **arguments)

    [(method, body)] = sent(cal)
    assert method == "PATCH"
    assert body["start"] == {"dateTime": "2026-03-03T10:00:00-05:00", "timeZone": "America/New_York"}
    listed = cal.run(CalendarListEvents(), time_min="2026-03-17", time_max="2026-03-18").content["events"]
    assert [e["start"] for e in listed] == ["2026-03-17T15:00:00+01:00"]  # what the preview showed


def test_a_title_only_this_and_following_keeps_the_series_zone_and_times(cal: GoogleRig) -> None:
    series = _ny_weekly(cal)
    instance = f"{series}_20260310T130000Z"  # the second occurrence, after the US switch to EDT
    arguments = {"event_id": instance, "summary": "NY sync v2", "scope": "following"}
    prepared = prepare(cal, CalendarUpdateEvent(), **arguments)
    assert "Occurrence times change" not in prepared.preview

    run_prepared(cal, CalendarUpdateEvent(), prepared, **arguments)

    (_, new_series), (_, truncated) = sent(cal)
    assert new_series["start"] == {"dateTime": "2026-03-10T09:00:00-04:00", "timeZone": "America/New_York"}
    assert truncated == {"recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL=20260310T125959Z"]}
    listed = cal.run(CalendarListEvents(), time_min="2026-03-01", time_max="2026-04-08").content["events"]
    in_new_york = [
        datetime.fromisoformat(e["start"]).astimezone(NEW_YORK).strftime("%m-%d %H:%M") for e in listed
    ]
    assert in_new_york == [
        "03-03 09:00",
        "03-10 09:00",
        "03-17 09:00",
        "03-24 09:00",
        "03-31 09:00",
        "04-07 09:00",
    ]


def test_the_preview_says_when_occurrence_times_change(cal: GoogleRig) -> None:
    series = _ny_weekly(cal)
    preview = cal.preview(CalendarUpdateEvent(), event_id=series, start="2026-03-03T08:30-05:00")
    assert (
        "  Occurrence times change (60 of the next 60), e.g. "
        "Tue 2026-03-03 15:00 CET (Europe/Berlin), which is Tue 2026-03-03 09:00 EST (America/New_York) "
        "where the event is kept -> "
        "Tue 2026-03-03 14:30 CET (Europe/Berlin), which is Tue 2026-03-03 08:30 EST (America/New_York) "
        "where the event is kept"
    ) in preview.splitlines()


def test_a_series_moves_to_another_zone_only_when_asked(cal: GoogleRig) -> None:
    series = _ny_weekly(cal)
    prepared = prepare(cal, CalendarUpdateEvent(), event_id=series, time_zone="Europe/Berlin")
    assert "  Time zone: America/New_York -> Europe/Berlin (the wall-clock time is kept)" in prepared.preview
    run_prepared(cal, CalendarUpdateEvent(), prepared, event_id=series, time_zone="Europe/Berlin")
    [(_, body)] = sent(cal)
    assert body["start"] == {"dateTime": "2026-03-03T09:00:00+01:00", "timeZone": "Europe/Berlin"}


def test_adding_a_recurrence_to_an_event_stored_with_an_offset_supplies_the_zone(cal: GoogleRig) -> None:
    event = cal.fake.add_event("Gym", "2026-06-01T18:00:00+02:00", "2026-06-01T19:00:00+02:00")
    assert "timeZone" not in event["start"]
    cal.run(CalendarUpdateEvent(), event_id=event["id"], recurrence=["RRULE:FREQ=WEEKLY;COUNT=3"])
    stored = cal.fake.event(event["id"])
    assert stored["start"] == {"dateTime": "2026-06-01T18:00:00+02:00", "timeZone": "Europe/Berlin"}
    assert stored["recurrence"] == ["RRULE:FREQ=WEEKLY;COUNT=3"]


# --- 3. splits and counts -------------------------------------------------------------------------


def test_splitting_a_counted_series_after_a_moved_occurrence_keeps_the_count(cal: GoogleRig) -> None:
    event = cal.fake.add_event(
        "Course", datetime(2030, 3, 5, 9, 0, tzinfo=BERLIN), datetime(2030, 3, 5, 10, 0, tzinfo=BERLIN),
        time_zone="Europe/Berlin", recurrence=["RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=6"],
    )  # fmt: skip
    series = event["id"]
    cal.run(
        CalendarUpdateEvent(), event_id=f"{series}_20300319T080000Z", start="2030-03-27T09:00"
    )  # #3 past #4
    cal.run(
        CalendarUpdateEvent(), event_id=f"{series}_20300326T080000Z", summary="Course B", scope="following"
    )

    listed = cal.run(CalendarListEvents(), time_min="2030-03-01", time_max="2030-06-01").content["events"]
    assert [(e["summary"], e["start"][:10]) for e in listed] == [
        ("Course", "2030-03-05"),
        ("Course", "2030-03-12"),
        ("Course B", "2030-03-26"),
        ("Course", "2030-03-27"),  # the moved third one stays where it was moved
        ("Course B", "2030-04-02"),
        ("Course B", "2030-04-09"),
    ]
    (_, _), (_, new_series), (_, _) = sent(cal)
    assert new_series["recurrence"] == ["RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=3"]


def test_an_excluded_occurrence_still_counts_towards_count(cal: GoogleRig) -> None:
    event = cal.fake.add_event(
        "Course", datetime(2030, 3, 5, 9, 0, tzinfo=BERLIN), datetime(2030, 3, 5, 10, 0, tzinfo=BERLIN),
        time_zone="Europe/Berlin",
        recurrence=["RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=5", "EXDATE;TZID=Europe/Berlin:20300312T090000"],
    )  # fmt: skip
    cal.run(CalendarUpdateEvent(), event_id=f"{event['id']}_20300319T080000Z", summary="B", scope="following")
    listed = cal.run(CalendarListEvents(), time_min="2030-03-01", time_max="2030-06-01").content["events"]
    assert [e["start"][:10] for e in listed] == ["2030-03-05", "2030-03-19", "2030-03-26", "2030-04-02"]


# --- 5. an approval runs what it previewed --------------------------------------------------------


def test_the_run_sends_the_previewed_instant_even_after_the_users_zone_changed(cal: GoogleRig) -> None:
    arguments = {
        "summary": "Call",
        "start": "2026-10-27T10:00",
        "end": "2026-10-27T11:00",
        "attendees": ["a@example.com"],
    }
    prepared = prepare(cal, CalendarCreateEvent(), **arguments)
    assert "  When: Tue 2026-10-27 10:00-11:00 CET (Europe/Berlin)\n" in prepared.preview
    cal.reload({"user.timezone": "America/New_York"})  # the laptop travelled
    changed = {**arguments, "attendees": ["b@example.com"]}  # and nothing is re-read from the arguments

    run_prepared(cal, CalendarCreateEvent(), prepared, **changed)

    [(_, body)] = sent(cal)
    assert _instant(body["start"]) == datetime(2026, 10, 27, 9, 0, tzinfo=UTC)
    assert body["attendees"] == [{"email": "a@example.com"}]
    assert cal.fake.calendar_writes()[0].params["sendUpdates"] == "all"


def test_an_event_edited_since_the_preview_is_refused(cal: GoogleRig) -> None:
    event = cal.fake.add_event("Review", "2030-03-06T14:00:00+01:00", "2030-03-06T15:00:00+01:00")
    prepared = prepare(cal, CalendarUpdateEvent(), event_id=event["id"], summary="Design review")
    cal.fake.edit_event(event["id"], attendees=[{"email": "new@example.com"}])  # someone else, elsewhere

    with pytest.raises(ToolError) as refused:
        run_prepared(cal, CalendarUpdateEvent(), prepared, event_id=event["id"], summary="Design review")

    assert refused.value.message == CHANGED_SINCE
    assert cal.fake.calendar_writes() == []
    assert cal.fake.event(event["id"])["summary"] == "Review"


def test_an_unchanged_event_is_written_with_if_match(cal: GoogleRig) -> None:
    event = cal.fake.add_event("Review", "2030-03-06T14:00:00+01:00", "2030-03-06T15:00:00+01:00")
    prepared = prepare(cal, CalendarDeleteEvent(), event_id=event["id"])
    run_prepared(cal, CalendarDeleteEvent(), prepared, event_id=event["id"])
    [write] = cal.fake.calendar_writes()
    assert (write.method, write.if_match, write.status) == ("DELETE", event["etag"], 204)


def test_the_fake_refuses_a_conditional_write_with_a_stale_etag(cal: GoogleRig) -> None:
    from pa_cli.tools.google.calendar_requests import CalendarPlan, execute_plan

    event = cal.fake.add_event("Review", "2030-03-06T14:00:00+01:00", "2030-03-06T15:00:00+01:00")
    prepared = prepare(cal, CalendarDeleteEvent(), event_id=event["id"])
    assert prepared.frozen is not None
    plan = CalendarPlan.from_frozen(prepared.frozen)
    plan.etags = {}  # skip the read-back check: the conditional write alone must refuse
    cal.fake.edit_event(event["id"], summary="Renamed")

    from pa_cli.google.runtime import call_google

    with pytest.raises(ToolError, match="changed since you approved"):
        asyncio.run(call_google(cal.ctx(), "calendar", (), lambda api: execute_plan(api, plan)))
    assert [(w.method, w.status) for w in cal.fake.calendar_writes()] == [("DELETE", 412)]


# --- 6. all-day items by local date ------------------------------------------------------------------


def test_today_lists_only_the_all_day_events_of_the_users_own_date(cal: GoogleRig) -> None:
    cal.fake.add_calendar("team@example.com", "Team", "Pacific/Auckland")
    for day in (date(2026, 6, 4), date(2026, 6, 5), date(2026, 6, 6)):
        cal.fake.add_event(
            f"Holiday {day.day}", day, date.fromordinal(day.toordinal() + 1), calendar_id="team@example.com"
        )
    listed = cal.run(
        CalendarListEvents(), time_min="2026-06-05", time_max="2026-06-05", calendar_id="team@example.com"
    ).content["events"]
    assert [e["summary"] for e in listed] == ["Holiday 5"]


def test_a_new_event_can_live_in_another_zone_and_is_previewed_in_both(cal: GoogleRig) -> None:
    arguments = {
        "summary": "NY call",
        "start": "2026-03-10T09:00",
        "end": "2026-03-10T10:00",
        "time_zone": "America/New_York",
    }
    prepared = prepare(cal, CalendarCreateEvent(), **arguments)
    assert prepared.preview.splitlines()[1] == (
        "  When: Tue 2026-03-10 14:00-15:00 CET (Europe/Berlin), which is "
        "Tue 2026-03-10 09:00-10:00 EDT (America/New_York) where the event is kept"
    )
    run_prepared(cal, CalendarCreateEvent(), prepared, **arguments)
    [(_, body)] = sent(cal)
    assert body["start"] == {"dateTime": "2026-03-10T09:00:00-04:00", "timeZone": "America/New_York"}


def test_a_span_whose_wall_clock_goes_back_is_created_as_the_instants_it_shows(cal: GoogleRig) -> None:
    arguments = {"summary": "x", "start": "2026-10-25T02:45+02:00", "end": "2026-10-25T02:15+01:00"}
    prepared = prepare(cal, CalendarCreateEvent(), **arguments)
    assert "  When: Sun 2026-10-25 02:45 CEST - 02:15 CET (Europe/Berlin)\n" in prepared.preview
    run_prepared(cal, CalendarCreateEvent(), prepared, **arguments)
    [write] = cal.fake.calendar_writes()
    assert write.status == 200
    assert _instant(write.json["end"]) - _instant(write.json["start"]) == timedelta(minutes=30)


def test_moving_an_event_to_a_time_that_happens_twice_says_which_one(cal: GoogleRig) -> None:
    event = cal.fake.add_event("Night shift", "2026-10-24T22:00:00+02:00", "2026-10-24T23:00:00+02:00")
    preview = cal.preview(CalendarUpdateEvent(), event_id=event["id"], start="2026-10-25T02:30")
    assert "  Note: start: 02:30 happens twice on 25 October 2026 in Europe/Berlin" in preview
    assert "  New time: Sun 2026-10-25 02:30 CEST - 02:30 CET (Europe/Berlin)\n" in preview
