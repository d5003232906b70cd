"""Calendar times: never naive, user's zone for offset-less input, DST, all-day dates, local display."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pa_cli.config import load_settings
from pa_cli.errors import UsageError
from pa_cli.google import timeutil
from pa_cli.google.timeutil import (
    check_range,
    event_time_body,
    format_span,
    parse_bound,
    parse_event_time,
    parse_when,
    user_zone,
    zone_name,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def test_input_without_an_offset_is_read_in_the_users_zone() -> None:
    value = parse_when("2025-01-15T10:00", BERLIN)
    assert isinstance(value, datetime)
    assert value.utcoffset() == timedelta(hours=1)
    assert value.astimezone(UTC).hour == 9


def test_input_with_an_offset_keeps_its_instant() -> None:
    value = parse_when("2025-01-15T10:00:00Z", BERLIN)
    assert isinstance(value, datetime)
    assert value == datetime(2025, 1, 15, 10, tzinfo=UTC)
    assert parse_when("2025-01-15T10:00-05:00", BERLIN) == datetime(2025, 1, 15, 15, tzinfo=UTC)


def test_a_date_alone_is_an_all_day_value() -> None:
    assert parse_when("2025-07-04", BERLIN) == date(2025, 7, 4)


def test_summer_time_applies_to_naive_input_in_summer() -> None:
    value = parse_when("2025-07-15T10:00", BERLIN)
    assert isinstance(value, datetime)
    assert value.utcoffset() == timedelta(hours=2)


def test_a_time_in_the_spring_forward_gap_is_refused_in_words() -> None:
    with pytest.raises(UsageError) as refused:
        parse_when("2026-03-29T02:30", BERLIN, field="start")
    assert refused.value.message == (
        "start: 02:30 does not exist on 29 March 2026 in Europe/Berlin: clocks jump from 02:00 to 03:00"
    )
    assert parse_when("2026-03-29T02:30+01:00", BERLIN) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_an_ambiguous_fall_back_time_takes_the_first_occurrence() -> None:
    value = parse_when("2025-11-02T01:30", NEW_YORK)  # 01:30 happens twice
    assert isinstance(value, datetime)
    assert value.utcoffset() == timedelta(hours=-4)


@pytest.mark.parametrize("text", ["tomorrow", "2025-13-01", "2025-02-30T10:00", ""])
def test_unparseable_times_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError):
        parse_when(text, BERLIN, field="start")


def test_range_bounds_from_dates_cover_whole_local_days() -> None:
    assert parse_bound("2025-03-10", BERLIN) == datetime(2025, 3, 10, tzinfo=BERLIN)
    assert parse_bound("2025-03-10", BERLIN, end=True) == datetime(2025, 3, 11, tzinfo=BERLIN)


def test_event_bodies_keep_dates_for_all_day_and_name_the_zone_for_times() -> None:
    assert event_time_body(date(2025, 3, 10), BERLIN) == {"date": "2025-03-10"}
    value = parse_when("2025-03-10T09:00", BERLIN)
    assert event_time_body(value, BERLIN) == {
        "dateTime": "2025-03-10T09:00:00+01:00",
        "timeZone": "Europe/Berlin",
    }
    fixed = timezone(timedelta(hours=5, minutes=30))
    assert event_time_body(datetime(2025, 3, 10, 9, tzinfo=fixed), fixed) == {
        "dateTime": "2025-03-10T03:30:00+00:00",
        "timeZone": "UTC",
    }


def test_api_times_are_shown_in_the_users_local_time() -> None:
    start = parse_event_time(
        {"dateTime": "2025-03-10T09:00:00-04:00", "timeZone": "America/New_York"}, BERLIN
    )
    assert start == datetime(2025, 3, 10, 14, tzinfo=BERLIN)
    assert isinstance(start, datetime) and start.tzinfo == BERLIN
    naive_with_zone = parse_event_time(
        {"dateTime": "2025-03-10T09:00:00", "timeZone": "America/New_York"}, BERLIN
    )
    assert naive_with_zone == datetime(2025, 3, 10, 14, tzinfo=BERLIN)
    assert parse_event_time({"date": "2025-03-10"}, BERLIN) == date(2025, 3, 10)
    assert parse_event_time(None, BERLIN) is None


def test_spans_read_naturally_and_all_day_ends_are_exclusive() -> None:
    start = datetime(2025, 3, 11, 10, tzinfo=BERLIN)
    assert format_span(start, start + timedelta(hours=1)) == "Tue 2025-03-11 10:00-11:00 CET"
    assert (
        format_span(start, start + timedelta(hours=16))
        == "Tue 2025-03-11 10:00 CET - Wed 2025-03-12 02:00 CET"
    )
    assert format_span(date(2025, 3, 11), date(2025, 3, 12)) == "Tue 2025-03-11 (all day)"
    assert format_span(date(2025, 3, 11), date(2025, 3, 14)) == "Tue 2025-03-11 - Thu 2025-03-13 (all day)"
    summer = datetime(2025, 7, 1, 9, tzinfo=BERLIN)
    assert format_span(summer, summer + timedelta(minutes=30)) == "Tue 2025-07-01 09:00-09:30 CEST"


def test_ranges_must_be_of_one_kind_and_forward() -> None:
    with pytest.raises(UsageError, match="both be dates"):
        check_range(date(2025, 3, 11), datetime(2025, 3, 12, tzinfo=UTC))
    with pytest.raises(UsageError, match="end must be after start"):
        check_range(datetime(2025, 3, 12, tzinfo=UTC), datetime(2025, 3, 11, tzinfo=UTC))


def test_the_users_zone_comes_from_settings_else_the_system(monkeypatch: pytest.MonkeyPatch) -> None:
    assert zone_name(user_zone(load_settings({"user.timezone": "Asia/Tokyo"}))) == "Asia/Tokyo"
    monkeypatch.setenv("TZ", "America/Chicago")
    assert zone_name(user_zone(load_settings())) == "America/Chicago"


def test_the_system_zone_is_found_from_etc_localtime(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TZ", raising=False)
    monkeypatch.setattr(
        "pa_cli.google.timeutil.os.readlink", lambda path: "/usr/share/zoneinfo/Europe/Lisbon"
    )
    assert zone_name(timeutil.system_zone()) == "Europe/Lisbon"


def test_the_us_spring_forward_gap_is_explained_in_new_york_time() -> None:
    assert timeutil.gap_message(datetime(2026, 3, 8, 2, 30), NEW_YORK) == (
        "02:30 does not exist on 8 March 2026 in America/New_York: clocks jump from 02:00 to 03:00"
    )
    assert timeutil.gap_message(datetime(2026, 3, 8, 3, 0), NEW_YORK) is None


def test_a_fall_back_time_that_happens_twice_is_explained() -> None:
    assert timeutil.overlap_message(datetime(2026, 11, 1, 1, 30), NEW_YORK) == (
        "01:30 happens twice on 1 November 2026 in America/New_York: clocks go back from 02:00 to 01:00; "
        "the first one is meant (EDT, UTC-04:00), give the offset -05:00 for the second"
    )
    assert timeutil.overlap_message(datetime(2026, 11, 1, 2, 30), NEW_YORK) is None
    assert timeutil.wall_clock_notes({"start": "2026-11-01T01:30-05:00", "end": None}, NEW_YORK) == []


@pytest.mark.parametrize("text", ["20260605", "2026-06-05"])
def test_a_basic_or_extended_date_is_all_day(text: str) -> None:
    assert parse_when(text, BERLIN) == date(2026, 6, 5)


def test_a_span_across_a_dst_change_labels_each_end() -> None:
    start = parse_when("2026-10-25T02:30+02:00", BERLIN).astimezone(BERLIN)  # type: ignore[union-attr]
    end = parse_when("2026-10-25T03:30", BERLIN)
    assert timeutil.format_span(start, end) == "Sun 2026-10-25 02:30 CEST - 03:30 CET"
    second = parse_when("2026-10-25T02:15+01:00", BERLIN).astimezone(BERLIN)  # type: ignore[union-attr]
    assert timeutil.format_span(start, second) == "Sun 2026-10-25 02:30 CEST - 02:15 CET"
    timeutil.check_range(start, second)  # 45 real minutes, though the wall clock went back
    with pytest.raises(UsageError, match="end must be after start"):
        timeutil.check_range(second, start)
