"""tools/google/calendar_plan.py in process: which events a delete or update touches, who is told, and
the exact helper rules (scope, attendees, instants, zones), with a stand-in Calendar API object.

test_calendar_time.py, test_calendar_tools.py and test_calendar_events.py run the tools against the fake
Calendar over HTTP; this pins the plan's branches cheaply (the module's first guard under mutation
testing). The stand-in answers ``events().get(...).execute()`` from a dict: a unit test.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from pa_cli.tools.base import ToolError
from pa_cli.tools.google import calendar_plan as cp
from pa_cli.tools.google.calendar_requests import Operation

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


class Events:
    def __init__(self, stored: dict[str, dict[str, Any]]) -> None:
        self.stored = stored
        self.asked: list[dict[str, Any]] = []

    def events(self) -> Events:
        return self

    def get(self, **kwargs: Any) -> Events:
        self.asked.append(kwargs)
        self._next = self.stored[kwargs["eventId"]]
        return self

    def execute(self) -> dict[str, Any]:
        return self._next


def _time(text: str) -> dict[str, str]:
    return {"dateTime": text, "timeZone": "Europe/Berlin"}


SINGLE = {
    "id": "e1",
    "etag": "t1",
    "summary": "Standup",
    "start": _time("2026-03-02T09:00:00+01:00"),
    "end": _time("2026-03-02T09:30:00+01:00"),
    "attendees": [{"email": "a@x.com"}, {"email": "B@x.com"}, {"displayName": "no mail"}],
}
SERIES = {
    "id": "s1",
    "etag": "ts",
    "summary": "Daily",
    "recurrence": ["RRULE:FREQ=DAILY;COUNT=5"],
    "start": _time("2026-03-02T09:00:00+01:00"),
    "end": _time("2026-03-02T09:30:00+01:00"),
    "attendees": [{"email": "a@x.com"}],
}
SECOND = {
    "id": "s1_20260303T080000Z",
    "etag": "ti",
    "summary": "Daily",
    "recurringEventId": "s1",
    "originalStartTime": _time("2026-03-03T09:00:00+01:00"),
    "start": _time("2026-03-03T09:00:00+01:00"),
    "end": _time("2026-03-03T09:30:00+01:00"),
    "attendees": [{"email": "A@X.com"}, {"email": "c@x.com"}],
}
FIRST = {**SECOND, "id": "s1_20260302T080000Z", "etag": "tf", "originalStartTime": SERIES["start"]}


def api() -> Events:
    return Events({e["id"]: e for e in (SINGLE, SERIES, SECOND, FIRST)})


# --- helpers ----------------------------------------------------------------------------------


def test_a_target_knows_whether_it_is_an_occurrence_or_a_series_and_their_etags() -> None:
    single = cp._target(api(), "work", "e1")
    assert (single.is_instance, single.is_series, single.series, single.etags()) == (
        False,
        False,
        None,
        {"e1": "t1"},
    )
    occurrence = cp._target(api(), "work", SECOND["id"])
    assert (occurrence.is_instance, occurrence.is_series) == (True, False)
    assert occurrence.series == SERIES and occurrence.master == SERIES
    assert occurrence.etags() == {SECOND["id"]: "ti", "s1": "ts"}
    series = cp._target(api(), "work", "s1")
    assert (series.is_instance, series.is_series, series.series, series.master) == (False, True, SERIES, None)
    no_etag = cp._Target("c", {"id": "x"}, {"etag": "y"})
    assert no_etag.etags() == {}


def test_the_scope_of_an_occurrence_a_series_and_a_single_event() -> None:
    occurrence = cp._target(api(), "c", SECOND["id"])
    assert cp._scope(occurrence, None) == "this"
    assert cp._scope(occurrence, "following") == "following"
    series = cp._target(api(), "c", "s1")
    assert cp._scope(series, None) == "all"
    assert cp._scope(series, "all") == "all"
    assert cp._scope(series, "following") == "all"
    # "this" as a request carries it (parsed, a new string object) is refused like the literal.
    for this in ("this", "".join(["th", "is"])):
        with pytest.raises(ToolError) as caught:
            cp._scope(series, this)  # type: ignore[arg-type]
        assert caught.value.message == (
            "event_id names the whole recurring series: to change one occurrence, use that occurrence's id "
            "from calendar_list_events; or use scope 'all'"
        )
    assert cp._scope(cp._target(api(), "c", "e1"), "this") is None


def test_everyone_is_notified_once_whatever_the_case_of_their_address() -> None:
    assert cp._notify(SERIES, None, SECOND, extra=["C@x.com", "d@x.com", "D@X.com"]) == [
        "a@x.com",
        "c@x.com",
        "d@x.com",
    ]
    assert cp._notify(None) == []
    assert cp._send_updates([]) == "none" and cp._send_updates(["a"]) == "all"
    assert cp._notify_line([]) == "  Attendees: none (nobody is notified)"
    assert cp._notify_line(["a@x.com", "b@x.com"]) == "  Attendees who will be notified: a@x.com, b@x.com"


def test_instants_are_compared_as_instants_and_dates_as_dates() -> None:
    nine_berlin = datetime(2026, 3, 2, 9, tzinfo=BERLIN)
    eight_utc = datetime(2026, 3, 2, 8, tzinfo=UTC)
    assert cp._same(nine_berlin, eight_utc) is True
    assert cp._same(nine_berlin, datetime(2026, 3, 2, 9, tzinfo=UTC)) is False
    assert cp._same(date(2026, 3, 2), date(2026, 3, 2)) is True
    assert cp._same(date(2026, 3, 2), nine_berlin) is False
    assert cp._same(None, None) is True
    assert cp._before(eight_utc, datetime(2026, 3, 2, 9, 0, 1, tzinfo=BERLIN)) is True
    assert cp._before(nine_berlin, eight_utc) is False
    assert cp._before(date(2026, 3, 1), date(2026, 3, 2)) is True
    assert cp._before(date(2026, 3, 2), date(2026, 3, 2)) is False
    assert cp._before(date(2026, 3, 3), date(2026, 3, 2)) is False
    assert cp._before(date(2026, 3, 1), nine_berlin) is False
    assert cp._before(nine_berlin, date(2026, 3, 3)) is False


def test_a_zone_move_keeps_the_wall_clock_time_and_refuses_a_gap() -> None:
    moved = cp._rezone(datetime(2026, 3, 2, 8, tzinfo=UTC), BERLIN, NEW_YORK)
    assert moved == datetime(2026, 3, 2, 9, tzinfo=NEW_YORK) and moved.fold == 0
    assert cp._rezone(date(2026, 3, 2), BERLIN, NEW_YORK) == date(2026, 3, 2)
    with pytest.raises(ToolError, match=r"^the new time falls in a DST gap: "):
        cp._wall_in(datetime(2026, 3, 29, 2, 30), BERLIN)


def test_the_zone_an_event_lives_in() -> None:
    assert cp.own_zone(SERIES, NEW_YORK) == BERLIN
    assert cp.own_zone({"start": {"dateTime": "2026-03-02T09:00:00Z"}}, NEW_YORK) == NEW_YORK


def test_a_move_to_another_zone_is_named_only_when_it_differs() -> None:
    assert cp._moved_zone(cp.UpdateFields(time_zone="America/New_York"), BERLIN) == NEW_YORK
    assert cp._moved_zone(cp.UpdateFields(time_zone="Europe/Berlin"), BERLIN) is None
    assert cp._moved_zone(cp.UpdateFields(), BERLIN) is None
    with pytest.raises(ToolError) as caught:
        cp._moved_zone(cp.UpdateFields(time_zone="Mars/Base"), BERLIN)
    assert caught.value.message == "time_zone: 'Mars/Base' is not an IANA time zone (e.g. Europe/Berlin)"


def test_changes_patch_only_what_differs_and_say_so() -> None:
    lines: list[str] = []
    fields = cp.UpdateFields(
        summary="Standup", location="Room 2", description="", attendees=["a@X.com", "b@x.com"], reminders=None
    )
    body, attendees = cp._changes({**SINGLE, "location": None}, fields, lines)
    assert body == {"location": "Room 2"}  # same title, same attendees (any case), empty description
    assert attendees is None
    assert lines == ["  Where: (none) -> Room 2"]
    lines = []
    body, attendees = cp._changes(
        {**SINGLE, "description": "old"},
        cp.UpdateFields(description="", attendees=["c@x.com"], reminders={"useDefault": True}),
        lines,
    )
    assert body["description"] == "" and body["reminders"] == {"useDefault": True}
    assert [a["email"] for a in body["attendees"]] == ["c@x.com"]
    assert attendees == ["c@x.com"]
    assert lines[0] == "  Description: old -> (none)"
    assert lines[2] == "  Attendees: a@x.com, B@x.com -> c@x.com"
    assert lines[1].startswith("  Reminders: ")


def test_finish_refuses_a_patch_that_changes_nothing() -> None:
    target = cp._target(api(), "work", "e1")
    with pytest.raises(ToolError) as caught:
        cp._finish(["x"], [Operation("patch", {"body": {}})], [], target)
    assert caught.value.message == "nothing to change: give at least one field that differs from the event"
    done = cp._finish(["x"], [Operation("patch", {"body": {"summary": "y"}})], ["a@x.com"], target)
    assert done.lines == ["x", "  Attendees who will be notified: a@x.com"]
    assert done.operations[0].kwargs["sendUpdates"] == "all"
    assert (done.etags, done.calendar_id) == ({"e1": "t1"}, "work")
    two = cp._finish(["x"], [Operation("delete", {}), Operation("patch", {"body": {}})], [], target)
    assert [op.kwargs["sendUpdates"] for op in two.operations] == ["none", "none"]


# --- delete -------------------------------------------------------------------------------------


def test_deleting_a_single_event_deletes_it_and_tells_its_attendees() -> None:
    plan = cp.plan_delete(api(), "work", "e1", None, BERLIN)
    assert plan.lines[0] == 'Delete calendar event "Standup" (calendar work)'
    assert plan.lines[1:] == [
        "  When: Mon 2026-03-02 09:00-09:30 CET (Europe/Berlin)",
        "  Attendees who will be notified: a@x.com, B@x.com",
    ]
    assert plan.operations == [
        Operation("delete", {"calendarId": "work", "eventId": "e1", "sendUpdates": "all"}, "t1")
    ]
    assert (plan.etags, plan.calendar_id) == ({"e1": "t1"}, "work")


def test_deleting_one_occurrence_deletes_only_it() -> None:
    plan = cp.plan_delete(api(), "work", SECOND["id"], None, BERLIN)
    assert plan.lines[2:] == [
        "  Repeats: RRULE:FREQ=DAILY;COUNT=5",
        "  Which: only this occurrence",
        "  Attendees who will be notified: A@X.com, c@x.com",
    ]
    assert plan.operations == [
        Operation("delete", {"calendarId": "work", "eventId": SECOND["id"], "sendUpdates": "all"}, "ti")
    ]
    assert plan.etags == {SECOND["id"]: "ti", "s1": "ts"}


def test_deleting_all_from_an_occurrence_deletes_the_series() -> None:
    plan = cp.plan_delete(api(), "work", SECOND["id"], "all", BERLIN)
    assert plan.lines[-2:] == [
        "  Which: every occurrence of the series",
        "  Attendees who will be notified: a@x.com, c@x.com",
    ]
    assert plan.operations == [
        Operation("delete", {"calendarId": "work", "eventId": "s1", "sendUpdates": "all"}, "ts")
    ]


def test_deleting_this_and_following_ends_the_series_before_the_occurrence() -> None:
    plan = cp.plan_delete(api(), "work", SECOND["id"], "following", BERLIN)
    assert plan.lines[-2] == "  Which: this and all following occurrences"
    [op] = plan.operations
    assert (op.method, op.if_match, op.kwargs["eventId"], op.kwargs["sendUpdates"]) == (
        "patch",
        "ts",
        "s1",
        "all",
    )
    # The series now ends one second before the occurrence (08:00 UTC on 3 March).
    assert op.kwargs["body"] == {"recurrence": ["RRULE:FREQ=DAILY;UNTIL=20260303T075959Z"]}


def test_deleting_following_from_the_first_occurrence_deletes_the_whole_series() -> None:
    plan = cp.plan_delete(api(), "work", FIRST["id"], "following", BERLIN)
    assert plan.operations == [
        Operation("delete", {"calendarId": "work", "eventId": "s1", "sendUpdates": "all"}, "ts")
    ]


def test_deleting_the_series_itself_deletes_it_all() -> None:
    plan = cp.plan_delete(api(), "work", "s1", None, BERLIN)
    assert plan.lines[-2] == "  Which: every occurrence of the series"
    assert [(op.method, op.kwargs["eventId"]) for op in plan.operations] == [("delete", "s1")]


def test_an_untitled_event_without_attendees_tells_nobody() -> None:
    lone = {
        "id": "u1",
        "start": _time("2026-03-02T09:00:00+01:00"),
        "end": _time("2026-03-02T10:00:00+01:00"),
    }
    plan = cp.plan_delete(Events({"u1": lone}), "primary", "u1", None, BERLIN)
    assert plan.lines[0] == 'Delete calendar event "(no title)" (calendar primary)'
    assert plan.lines[-1] == "  Attendees: none (nobody is notified)"
    assert plan.operations == [
        Operation("delete", {"calendarId": "primary", "eventId": "u1", "sendUpdates": "none"}, None)
    ]
    assert plan.etags == {}


# --- update: exact plans found unpinned by mutation testing -------------------------------------


def test_an_attendee_list_that_sorts_before_the_old_one_is_still_a_change() -> None:
    lines: list[str] = []
    body, attendees = cp._changes(
        {"attendees": [{"email": "b@x.com"}]}, cp.UpdateFields(attendees=["a@x.com"]), lines
    )
    assert [a["email"] for a in body["attendees"]] == ["a@x.com"]
    assert attendees == ["a@x.com"]
    assert lines == ["  Attendees: b@x.com -> a@x.com"]


def test_a_move_is_decided_by_the_zones_name_not_by_which_object_holds_it() -> None:
    """A zone equal by name but held by another object (not ZoneInfo's cached one) is no move."""
    own = ZoneInfo.no_cache("".join(["Europe/", "Berlin"]))
    assert cp._moved_zone(cp.UpdateFields(time_zone="Europe/Berlin"), own) is None


def test_a_series_rule_that_sorts_before_the_old_one_is_still_a_change() -> None:
    plan = cp.plan_update(
        api(), "work", "s1", cp.UpdateFields(recurrence=["RRULE:FREQ=DAILY;COUNT=3"]), "all", BERLIN
    )
    assert plan.lines[-2:] == [
        "  Repeats: RRULE:FREQ=DAILY;COUNT=3",
        "  Attendees who will be notified: a@x.com",
    ]
    assert [(op.method, op.kwargs, op.if_match) for op in plan.operations] == [
        (
            "patch",
            {
                "calendarId": "work",
                "eventId": "s1",
                "body": {"recurrence": ["RRULE:FREQ=DAILY;COUNT=3"]},
                "sendUpdates": "all",
            },
            "ts",
        )
    ]


def test_a_series_title_change_touches_no_time() -> None:
    plan = cp.plan_update(api(), "work", "s1", cp.UpdateFields(summary="Weekly"), "all", BERLIN)
    assert plan.lines[-2:] == ["  Title: Daily -> Weekly", "  Attendees who will be notified: a@x.com"]
    assert [(op.method, op.kwargs, op.if_match) for op in plan.operations] == [
        (
            "patch",
            {"calendarId": "work", "eventId": "s1", "body": {"summary": "Weekly"}, "sendUpdates": "all"},
            "ts",
        )
    ]


def test_the_same_start_and_end_given_again_are_no_time_change() -> None:
    fields = cp.UpdateFields(
        summary="Sync", start="2026-03-02T09:00:00+01:00", end="2026-03-02T09:30:00+01:00"
    )
    plan = cp.plan_update(api(), "work", "e1", fields, None, BERLIN)
    assert plan.lines[1:] == [
        "  When: Mon 2026-03-02 09:00-09:30 CET (Europe/Berlin)",
        "  Title: Standup -> Sync",
        "  Attendees who will be notified: a@x.com, B@x.com",
    ]
    assert plan.operations[0].kwargs["body"] == {"summary": "Sync"}


def test_moving_a_single_event_to_another_zone_keeps_both_wall_clock_times() -> None:
    plan = cp.plan_update(api(), "work", "e1", cp.UpdateFields(time_zone="America/New_York"), None, BERLIN)
    assert plan.operations[0].kwargs["body"] == {
        "start": {"dateTime": "2026-03-02T09:00:00-05:00", "timeZone": "America/New_York"},
        "end": {"dateTime": "2026-03-02T09:30:00-05:00", "timeZone": "America/New_York"},
    }
    assert plan.lines[2:4] == [
        "  Time zone: Europe/Berlin -> America/New_York (the wall-clock time is kept)",
        "  New time: Mon 2026-03-02 15:00-15:30 CET (Europe/Berlin), which is Mon 2026-03-02 09:00-09:30 EST "
        "(America/New_York) where the event is kept",
    ]


def test_a_whole_timed_series_cannot_become_all_day_from_one_occurrence() -> None:
    with pytest.raises(ToolError) as caught:
        cp.plan_update(
            api(),
            "work",
            "s1_20260303T080000Z",
            cp.UpdateFields(start="2026-03-05", end="2026-03-06"),
            "all",
            BERLIN,
        )
    assert caught.value.message == (
        "changing a whole series between all-day and timed is not supported: "
        "use scope 'following' from its first occurrence"
    )


def test_an_all_day_series_shifts_by_whole_days() -> None:
    assert cp._shift_series(date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 5), BERLIN, BERLIN) == date(
        2026, 3, 4
    )
    assert cp._shift_series(date(2026, 3, 2), date(2026, 3, 6), date(2026, 3, 5), BERLIN, BERLIN) == date(
        2026, 3, 1
    )


def test_a_series_is_expanded_to_its_first_400_occurrences_then_cut_at_60() -> None:
    from datetime import timedelta

    start = datetime(2025, 1, 1, 9, tzinfo=BERLIN)
    found = cp._series_occurrences(start, ["RRULE:FREQ=DAILY"], BERLIN, start + timedelta(days=341))
    assert (len(found), found[0], found[-1]) == (59, start + timedelta(days=341), start + timedelta(days=399))
    assert len(cp._series_occurrences(start, ["RRULE:FREQ=DAILY"], BERLIN, None)) == 60


def test_a_series_rule_that_sorts_after_the_old_one_is_a_change_and_the_same_rule_is_none() -> None:
    plan = cp.plan_update(
        api(), "work", "s1", cp.UpdateFields(recurrence=["RRULE:FREQ=DAILY;COUNT=7"]), "all", BERLIN
    )
    assert plan.operations[0].kwargs["body"] == {"recurrence": ["RRULE:FREQ=DAILY;COUNT=7"]}
    with pytest.raises(ToolError, match=r"^nothing to change: "):
        cp.plan_update(
            api(), "work", "s1", cp.UpdateFields(recurrence=["RRULE:FREQ=DAILY;COUNT=5"]), "all", BERLIN
        )


def test_one_occurrence_is_moved_from_the_zone_it_lives_in_not_the_series_zone() -> None:
    """An occurrence kept in New York, of a series kept in Berlin: "this" reads the occurrence's zone."""
    in_new_york = {
        **SECOND,
        "start": {"dateTime": "2026-03-03T09:00:00-05:00", "timeZone": "America/New_York"},
        "end": {"dateTime": "2026-03-03T09:30:00-05:00", "timeZone": "America/New_York"},
    }
    stored = Events({e["id"]: e for e in (SERIES, in_new_york)})
    plan = cp.plan_update(
        stored, "work", SECOND["id"], cp.UpdateFields(time_zone="Europe/Berlin"), "this", BERLIN
    )
    assert "  Time zone: America/New_York -> Europe/Berlin (the wall-clock time is kept)" in plan.lines
    assert plan.operations[0].kwargs["body"] == {
        "start": {"dateTime": "2026-03-03T09:00:00+01:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2026-03-03T09:30:00+01:00", "timeZone": "Europe/Berlin"},
    }


def test_a_whole_series_without_an_end_is_not_moved_from_one_occurrence() -> None:
    """Google gives every event an end; should one lack it, pa refuses rather than guess a length."""
    no_end = {k: v for k, v in SERIES.items() if k != "end"}
    stored = Events({e["id"]: e for e in (no_end, SECOND)})
    fields = cp.UpdateFields(start="2026-03-03T10:00:00+01:00", end="2026-03-03T10:30:00+01:00")
    with pytest.raises(
        ToolError, match=r"^changing a whole series between all-day and timed is not supported"
    ):
        cp.plan_update(stored, "work", SECOND["id"], fields, "all", BERLIN)


def test_splitting_a_series_after_its_last_occurrence_is_a_tool_error() -> None:
    """COUNT=5 from 2 March: an occurrence on 7 March (moved there) leaves nothing to continue."""
    late = {**SECOND, "id": "s1_20260307T080000Z", "originalStartTime": _time("2026-03-07T09:00:00+01:00")}
    stored = Events({e["id"]: e for e in (SERIES, late)})
    with pytest.raises(ToolError) as caught:
        cp.plan_update(stored, "work", late["id"], cp.UpdateFields(summary="Later"), "following", BERLIN)
    assert caught.value.message == "the series has no occurrences left from there"


def test_a_new_time_given_with_a_zone_move_is_read_in_the_new_zone_and_kept() -> None:
    fields = cp.UpdateFields(start="2026-03-02T10:00", end="2026-03-02T10:30", time_zone="America/New_York")
    plan = cp.plan_update(api(), "work", "e1", fields, None, BERLIN)
    assert plan.operations[0].kwargs["body"] == {
        "start": {"dateTime": "2026-03-02T10:00:00-05:00", "timeZone": "America/New_York"},
        "end": {"dateTime": "2026-03-02T10:30:00-05:00", "timeZone": "America/New_York"},
    }


def test_splitting_a_series_without_an_end_gives_the_new_series_an_hour() -> None:
    no_end = {k: v for k, v in SERIES.items() if k != "end"}
    stored = Events({e["id"]: e for e in (no_end, SECOND)})
    plan = cp.plan_update(stored, "work", SECOND["id"], cp.UpdateFields(summary="Later"), "following", BERLIN)
    body = plan.operations[0].kwargs["body"]
    assert (body["start"], body["end"]) == (
        {"dateTime": "2026-03-03T09:00:00+01:00", "timeZone": "Europe/Berlin"},
        {"dateTime": "2026-03-03T10:00:00+01:00", "timeZone": "Europe/Berlin"},
    )
    assert body["recurrence"] == ["RRULE:FREQ=DAILY;COUNT=4"]


def test_an_event_without_a_start_or_without_rules_has_no_series_occurrences() -> None:
    start = datetime(2025, 1, 1, 9, tzinfo=BERLIN)
    assert cp._series_occurrences(start, [], BERLIN, None) == []
    assert cp._series_occurrences(None, ["RRULE:FREQ=DAILY"], BERLIN, None) == []
    assert cp._series_occurrences(start, ["RRULE:FREQ=DAILY;COUNT=2"], BERLIN, None) == [
        start,
        datetime(2025, 1, 2, 9, tzinfo=BERLIN),
    ]


def test_only_an_empty_patch_is_nothing_to_change() -> None:
    target = cp._target(api(), "work", "e1")
    done = cp._finish(["x"], [Operation("insert", {"calendarId": "work", "body": {}})], [], target)
    assert [op.method for op in done.operations] == ["insert"]


def test_a_scope_read_from_a_request_is_compared_by_value() -> None:
    """The scope comes from parsed JSON (a new string object, not the literal): "following" still ends
    the series before the occurrence instead of deleting all of it."""
    plan = cp.plan_delete(api(), "work", SECOND["id"], "".join(["fol", "lowing"]), BERLIN)  # type: ignore[arg-type]
    assert [(op.method, op.kwargs["eventId"]) for op in plan.operations] == [("patch", "s1")]
    assert plan.operations[0].kwargs["body"] == {"recurrence": ["RRULE:FREQ=DAILY;UNTIL=20260303T075959Z"]}


def test_an_empty_rule_list_for_a_single_event_is_nothing_to_change() -> None:
    with pytest.raises(ToolError, match=r"^nothing to change: "):
        cp.plan_update(api(), "work", "e1", cp.UpdateFields(recurrence=[]), None, BERLIN)


def test_the_new_series_of_a_split_keeps_the_series_length() -> None:
    plan = cp.plan_update(api(), "work", SECOND["id"], cp.UpdateFields(summary="Later"), "following", BERLIN)
    body = plan.operations[0].kwargs["body"]
    assert (body["start"]["dateTime"], body["end"]["dateTime"]) == (
        "2026-03-03T09:00:00+01:00",
        "2026-03-03T09:30:00+01:00",
    )


def test_reminders_equal_to_the_old_ones_are_no_change_whatever_object_holds_them() -> None:
    lines: list[str] = []
    stored = {"reminders": {"useDefault": False, "overrides": [{"method": "popup", "minutes": 10}]}}
    asked = json.loads(json.dumps(stored["reminders"]))  # as parsed from a request: equal, not the same
    body, _ = cp._changes(stored, cp.UpdateFields(reminders=asked), lines)
    assert (body, lines) == ({}, [])


def test_a_single_event_made_recurring_says_how_it_repeats() -> None:
    plan = cp.plan_update(
        api(), "work", "e1", cp.UpdateFields(recurrence=["RRULE:FREQ=WEEKLY;COUNT=3"]), None, BERLIN
    )
    assert "  Repeats: RRULE:FREQ=WEEKLY;COUNT=3" in plan.lines
    assert plan.operations[0].kwargs["body"]["recurrence"] == ["RRULE:FREQ=WEEKLY;COUNT=3"]


def test_finish_takes_a_plan_without_operations() -> None:
    done = cp._finish(["x"], [], [], cp._target(api(), "work", "e1"))
    assert (done.lines, done.operations) == (["x", "  Attendees: none (nobody is notified)"], [])


def test_scopes_read_from_a_request_pick_the_same_plans_as_the_literals() -> None:
    """ "this" and "following" parsed from a request (new string objects) are compared by value."""
    this, following = "".join(["th", "is"]), "".join(["fol", "lowing"])
    deleted = cp.plan_delete(api(), "work", SECOND["id"], this, BERLIN)  # type: ignore[arg-type]
    assert [(op.method, op.kwargs["eventId"]) for op in deleted.operations] == [("delete", SECOND["id"])]
    split = cp.plan_update(api(), "work", SECOND["id"], cp.UpdateFields(summary="Later"), following, BERLIN)  # type: ignore[arg-type]
    assert [op.method for op in split.operations] == ["insert", "patch"]
