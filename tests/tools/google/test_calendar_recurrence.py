"""Recurrence rules: validated before any approval (dateutil plus RFC 5545 checks), counted as RFC 5545
counts, expanded in the series' own zone."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from pa_cli.tools.google.calendar import CreateEventArgs
from pa_cli.tools.google.calendar_recurrence import (
    RecurrenceError,
    occurrence_starts,
    rule_occurrences,
    truncate_recurrence,
    validate_recurrence,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("RRULE:FREQ=WEEKLY;BYDAY=XX", "BYDAY 'XX' is not a weekday"),
        ("RRULE:FREQ=WEEKLY;INTERVAL=0", "INTERVAL must be a whole number of at least 1, not 0"),
        ("RRULE:FREQ=WEEKLY;COUNT=-1", "COUNT must be a whole number of at least 1, not -1"),
        ("RRULE:FREQ=WEEKLY;UNTIL=notadate", "UNTIL must be YYYYMMDD or YYYYMMDDTHHMMSSZ, not NOTADATE"),
        ("RRULE:FREQ=WEEKLY;COUNT=3;UNTIL=20300101T000000Z", "COUNT and UNTIL cannot both be given"),
        ("RRULE:FREQ=WEEKLY;COLOUR=RED", "unknown part COLOUR"),
        ("RRULE:FREQ=WEEKLY;BYDAY=2TU", "a numbered BYDAY (2TU) needs FREQ=MONTHLY or YEARLY"),
        ("RRULE:FREQ=MONTHLY;BYDAY=0TU", "BYDAY 0TU is out of range"),
        ("RRULE:FREQ=WEEKLY;COUNT=2;COUNT=3", "COUNT is given twice"),
        ("RRULE:COUNT=3", "a rule needs FREQ"),
        ("RRULE:FREQ=FORTNIGHTLY", "FREQ=FORTNIGHTLY is not one of"),
        ("RRULE:FREQ=MONTHLY;BYMONTHDAY=40", "BYMONTHDAY value 40 is out of range"),
        ("RRULE:FREQ=YEARLY;BYMONTH=13", "BYMONTH value 13 is out of range"),
        ("EXDATE:2030031X", "is not YYYYMMDD"),
        ("EXDATE:tomorrow", "is not YYYYMMDD"),
        ("EXDATE:20300231T090000Z", "20300231T090000Z"),
        ("RDATE;TZID=Mars/Olympus:20300305T090000", "unknown time zone 'Mars/Olympus'"),
        ("RDATE;VALUE=DATE:20300305T090000Z", "VALUE=DATE does not match"),
        ("EXDATE:", "no dates given"),
        ("X-RULE:FREQ=DAILY", "is not a recurrence line"),
    ],
)
def test_a_bad_recurrence_line_is_refused_with_the_reason(line: str, reason: str) -> None:
    with pytest.raises(RecurrenceError) as refused:
        validate_recurrence([line])
    assert reason in str(refused.value)
    assert repr(line) in str(refused.value) or "recurrence line" in str(refused.value)


def test_good_lines_pass_and_only_one_rrule_is_allowed() -> None:
    good = [
        "RRULE:FREQ=MONTHLY;BYDAY=-1FR;INTERVAL=2;BYMONTHDAY=-1,15;BYSETPOS=-1",
        "EXDATE;TZID=America/New_York:20300305T090000,20300312T090000",
        "RDATE;VALUE=DATE:20300401",
        "EXDATE:20300101T080000Z",
    ]
    assert validate_recurrence(good) == good
    with pytest.raises(RecurrenceError, match="only one RRULE"):
        validate_recurrence(["RRULE:FREQ=DAILY", "RRULE:FREQ=WEEKLY"])


def test_the_arguments_model_refuses_a_bad_rule_before_anything_runs() -> None:
    base = {"summary": "x", "start": "2030-04-01T10:00", "end": "2030-04-01T11:00"}
    with pytest.raises(ValueError, match="COUNT and UNTIL cannot both be given"):
        CreateEventArgs.model_validate(
            {**base, "recurrence": ["RRULE:FREQ=DAILY;COUNT=2;UNTIL=20300501T000000Z"]}
        )


def test_count_counts_excluded_occurrences_and_ignores_where_exceptions_moved() -> None:
    start = datetime(2030, 3, 5, 9, 0, tzinfo=BERLIN)
    rules = ["RRULE:FREQ=WEEKLY;COUNT=6", "EXDATE;TZID=Europe/Berlin:20300312T090000"]
    before = rule_occurrences(start, rules, BERLIN, before=datetime(2030, 3, 26, 9, 0, tzinfo=BERLIN))
    assert [d.day for d in before] == [5, 12, 19]  # type: ignore[union-attr]
    assert len(rule_occurrences(start, rules, BERLIN)) == 6


def test_occurrences_keep_their_wall_clock_time_in_the_series_zone_across_dst() -> None:
    start = datetime(2026, 3, 3, 9, 0, tzinfo=NEW_YORK)
    found = occurrence_starts(start, ["RRULE:FREQ=WEEKLY;COUNT=3"], NEW_YORK)
    assert [(v.hour, v.utcoffset().total_seconds() / 3600) for v in found] == [(9, -5), (9, -4), (9, -4)]  # type: ignore[union-attr]


def test_occurrences_take_rdate_and_drop_exdate() -> None:
    rules = ["RRULE:FREQ=DAILY;COUNT=3", "EXDATE;VALUE=DATE:20300302", "RDATE;VALUE=DATE:20300310"]
    found = occurrence_starts(date(2030, 3, 1), rules, BERLIN)
    assert found == [date(2030, 3, 1), date(2030, 3, 3), date(2030, 3, 10)]


def test_until_of_a_split_timed_series_is_in_utc_one_second_before() -> None:
    split = datetime(2026, 11, 3, 9, 0, tzinfo=NEW_YORK)  # after the US fall back: UTC-5
    assert truncate_recurrence(["RRULE:FREQ=WEEKLY;COUNT=9"], split) == [
        "RRULE:FREQ=WEEKLY;UNTIL=20261103T135959Z"
    ]
    assert truncate_recurrence(["RRULE:FREQ=DAILY"], date(2026, 11, 3)) == ["RRULE:FREQ=DAILY;UNTIL=20261102"]
