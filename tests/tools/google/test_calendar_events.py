"""Pure calendar helpers: recurrence rewriting for 'following', kept durations, attendee merging."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from pa_cli.errors import UsageError
from pa_cli.tools.google.calendar_events import (
    continue_recurrence,
    event_data,
    merge_attendees,
    new_span,
    parse_span,
    rule_count,
    truncate_recurrence,
    validate_recurrence,
)

BERLIN = ZoneInfo("Europe/Berlin")


def test_truncating_a_series_replaces_count_with_an_until_just_before_the_split() -> None:
    split = datetime(2030, 3, 19, 9, 0, tzinfo=BERLIN)
    rules = ["RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=6", "EXDATE;TZID=Europe/Berlin:20300312T090000"]
    assert truncate_recurrence(rules, split) == [
        "RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL=20300319T075959Z",
        "EXDATE;TZID=Europe/Berlin:20300312T090000",
    ]
    assert truncate_recurrence(["RRULE:FREQ=DAILY;UNTIL=20300401"], date(2030, 3, 10)) == [
        "RRULE:FREQ=DAILY;UNTIL=20300309"
    ]


def test_the_rest_of_a_counted_series_keeps_the_remaining_count() -> None:
    rules = ["RRULE:FREQ=WEEKLY;COUNT=6;BYDAY=TU"]
    assert rule_count(rules) == 6
    assert continue_recurrence(rules, 2) == ["RRULE:FREQ=WEEKLY;COUNT=4;BYDAY=TU"]
    with pytest.raises(ValueError, match="no occurrences left"):
        continue_recurrence(rules, 6)  # never an extra occurrence
    assert rule_count(["RRULE:FREQ=DAILY"]) is None


def test_moving_the_start_keeps_the_duration() -> None:
    start = datetime(2030, 3, 5, 9, tzinfo=BERLIN)
    moved = new_span((start, start + timedelta(minutes=45)), "2030-03-05T14:00", None, BERLIN)
    assert moved == (datetime(2030, 3, 5, 14, tzinfo=BERLIN), datetime(2030, 3, 5, 14, 45, tzinfo=BERLIN))
    assert new_span((start, start + timedelta(hours=1)), None, None, BERLIN) is None
    to_all_day = new_span((start, start + timedelta(hours=1)), "2030-03-06", None, BERLIN)
    assert to_all_day == (date(2030, 3, 6), date(2030, 3, 7))
    with pytest.raises(UsageError, match="end must be after start"):
        new_span((start, start + timedelta(hours=1)), None, "2030-03-05T08:00", BERLIN)


def test_a_one_day_all_day_event_may_end_on_its_start_date() -> None:
    assert parse_span("2030-03-05", "2030-03-05", BERLIN) == (date(2030, 3, 5), date(2030, 3, 6))
    assert parse_span("2030-03-05", "2030-03-08", BERLIN) == (date(2030, 3, 5), date(2030, 3, 8))


def test_attendees_who_stay_keep_their_answers() -> None:
    existing: list[dict[str, Any]] = [
        {"email": "Ann@example.com", "responseStatus": "accepted", "self": False},
        {"email": "ben@example.com", "responseStatus": "declined"},
    ]
    assert merge_attendees(existing, ["ann@example.com", "cy@example.com"]) == [
        {"email": "Ann@example.com", "responseStatus": "accepted"},
        {"email": "cy@example.com"},
    ]


def test_recurrence_lines_are_checked() -> None:
    assert validate_recurrence([" RRULE:FREQ=DAILY;COUNT=3 "]) == ["RRULE:FREQ=DAILY;COUNT=3"]
    assert validate_recurrence(["EXDATE:20300101"]) == ["EXDATE:20300101"]
    for bad in ["FREQ=DAILY", "RRULE:FREQ=HOURLYISH", "RRULE:FREQ=DAILY\nX-EVIL:1"]:
        with pytest.raises(ValueError):
            validate_recurrence([bad])


def test_event_data_for_a_timed_event_from_another_zone() -> None:
    event = {
        "id": "e1",
        "summary": "Call",
        "start": {"dateTime": "2030-07-01T09:00:00-04:00", "timeZone": "America/New_York"},
        "end": {"dateTime": "2030-07-01T10:00:00-04:00", "timeZone": "America/New_York"},
        "attendees": [{"email": "a@example.com", "responseStatus": "accepted"}],
        "recurrence": ["RRULE:FREQ=DAILY"],
    }
    data = event_data(event, BERLIN)
    assert data["start"] == "2030-07-01T15:00:00+02:00"
    assert data["when"] == "Mon 2030-07-01 15:00-16:00 CEST"
    assert data["all_day"] is False
    assert data["recurrence"] == ["RRULE:FREQ=DAILY"]
