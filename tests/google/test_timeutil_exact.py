"""Exact cases of the calendar time rules that mutation testing found unpinned."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pa_cli.google import timeutil
from pa_cli.google.timeutil import iso_local, parse_when, system_zone

PARIS = ZoneInfo("Europe/Paris")


def test_a_space_separated_time_is_a_time_not_a_date() -> None:
    assert parse_when("2025-03-11 10:00", PARIS) == datetime(2025, 3, 11, 10, 0, tzinfo=PARIS)


def test_a_space_separated_time_with_an_offset_keeps_the_offset() -> None:
    parsed = parse_when("2025-03-11 10:00 +01:00", PARIS)
    assert parsed == datetime(2025, 3, 11, 10, 0, tzinfo=timezone(timedelta(hours=1)))


def test_iso_local_writes_dates_and_times_and_keeps_none() -> None:
    assert iso_local(date(2025, 3, 14)) == "2025-03-14"
    assert iso_local(datetime(2025, 3, 14, 12, 30, tzinfo=PARIS)) == "2025-03-14T12:30:00+01:00"
    assert iso_local(None) is None


@pytest.fixture
def no_tz_link(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine whose /etc/localtime is not a link into zoneinfo."""

    def no_link(path: str) -> str:
        raise OSError(path)

    monkeypatch.setattr(os, "readlink", no_link)


def _etc_timezone(monkeypatch: pytest.MonkeyPatch, name: str | None) -> None:
    real = Path.read_text

    def read_text(self: Path, *args: object, **kwargs: object) -> str:
        if str(self) == "/etc/timezone":
            if name is None:
                raise OSError("no /etc/timezone")
            return name + "\n"
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", read_text)


def test_system_zone_falls_back_to_etc_timezone(monkeypatch: pytest.MonkeyPatch, no_tz_link: None) -> None:
    monkeypatch.delenv("TZ", raising=False)
    _etc_timezone(monkeypatch, "Asia/Tokyo")
    assert system_zone() == ZoneInfo("Asia/Tokyo")


@pytest.mark.parametrize("bad_tz", ["Mars/Olympus_Mons", "/etc/passwd"])  # unknown zone; not a zone key
def test_an_unusable_tz_variable_falls_through_to_the_next_source(
    monkeypatch: pytest.MonkeyPatch, no_tz_link: None, bad_tz: str
) -> None:
    monkeypatch.setenv("TZ", bad_tz)
    _etc_timezone(monkeypatch, "America/Lima")
    assert system_zone() == ZoneInfo("America/Lima")


def test_zone_lookup_refuses_both_kinds_of_bad_names() -> None:
    assert timeutil._zone("Mars/Olympus_Mons") is None
    assert timeutil._zone("../../etc/passwd") is None


def test_an_all_day_event_with_an_end_not_after_its_start_shows_one_day() -> None:
    from pa_cli.google.timeutil import format_span

    assert format_span(date(2025, 3, 11), date(2025, 3, 11)) == "Tue 2025-03-11 (all day)"
    assert format_span(date(2025, 3, 11), date(2025, 3, 13)) == "Tue 2025-03-11 - Wed 2025-03-12 (all day)"


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (datetime(2025, 3, 11, 10, 0, tzinfo=PARIS), date(2025, 3, 12)),
        (date(2025, 3, 11), datetime(2025, 3, 12, 10, 0, tzinfo=PARIS)),
    ],
)
def test_a_range_mixing_a_date_and_a_time_is_a_usage_error(start: date, end: date) -> None:
    from pa_cli.errors import UsageError
    from pa_cli.google.timeutil import check_range

    with pytest.raises(UsageError, match="both be dates"):
        check_range(start, end)


def test_the_last_fallback_is_the_clocks_own_offset_not_utc(
    monkeypatch: pytest.MonkeyPatch, no_tz_link: None
) -> None:
    """No IANA name anywhere (TZ holds a POSIX rule, no link, no /etc/timezone): the zone the C library
    reads from TZ, as a fixed offset, rather than UTC."""
    import time

    monkeypatch.setenv("TZ", "JST-9")
    _etc_timezone(monkeypatch, None)
    time.tzset()
    try:
        zone = system_zone()
    finally:
        monkeypatch.undo()
        time.tzset()
    assert zone.utcoffset(None) == timedelta(hours=9)
    assert zone.tzname(None) == "JST"


def test_a_span_keeps_each_label_when_the_abbreviation_stays_but_the_offset_changes() -> None:
    """Moscow kept the name MSK through both its 2011 (+03 -> +04) and 2014 (+04 -> +03) changes."""
    from pa_cli.google.timeutil import format_span

    moscow = ZoneInfo("Europe/Moscow")
    back = (datetime(2014, 10, 26, 0, 30, tzinfo=moscow), datetime(2014, 10, 26, 3, 0, tzinfo=moscow))
    assert format_span(*back) == "Sun 2014-10-26 00:30 MSK - 03:00 MSK"
    forward = (datetime(2011, 3, 27, 0, 30, tzinfo=moscow), datetime(2011, 3, 27, 4, 0, tzinfo=moscow))
    assert format_span(*forward) == "Sun 2011-03-27 00:30 MSK - 04:00 MSK"


def test_a_span_ending_on_an_earlier_day_names_the_ends_day() -> None:
    """Google may store an event whose end is before its start; the line must not hide it."""
    from pa_cli.google.timeutil import format_span

    start = datetime(2025, 3, 11, 10, 0, tzinfo=PARIS)
    end = datetime(2025, 3, 10, 9, 0, tzinfo=PARIS)
    assert format_span(start, end) == "Tue 2025-03-11 10:00 CET - Mon 2025-03-10 09:00 CET"


def test_rfc3339_writes_aware_times_and_refuses_naive_ones() -> None:
    from pa_cli.google.timeutil import rfc3339

    assert rfc3339(datetime(2025, 3, 11, 10, 0, tzinfo=PARIS)) == "2025-03-11T10:00:00+01:00"
    with pytest.raises(ValueError, match=r"^naive datetime$"):
        rfc3339(datetime(2025, 3, 11, 10, 0))


def test_event_zone_reads_the_named_zone_of_a_start_or_end_object() -> None:
    from pa_cli.google.timeutil import event_zone

    assert event_zone({"dateTime": "2025-03-11T10:00:00", "timeZone": "Asia/Tokyo"}) == ZoneInfo("Asia/Tokyo")
    assert event_zone({"dateTime": "2025-03-11T10:00:00+01:00"}) is None
    assert event_zone({}) is None
    assert event_zone(None) is None


def test_an_all_day_range_must_go_forward_too() -> None:
    from pa_cli.errors import UsageError
    from pa_cli.google.timeutil import check_range

    check_range(date(2025, 3, 11), date(2025, 3, 12))
    with pytest.raises(UsageError, match=r"^event: end must be after start$"):
        check_range(date(2025, 3, 12), date(2025, 3, 11))


def test_wall_clock_notes_name_each_input_that_happens_twice_and_skip_the_rest() -> None:
    from pa_cli.google.timeutil import wall_clock_notes

    notes = wall_clock_notes(  # the inputs skipped come first: each is skipped, not the end of the list
        {
            "none": None,
            "day": "2025-10-26",  # a date
            "bad": "soonTlater",  # not a time: skipped, not an error (parse_when reports it)
            "end": "2025-10-26T02:45+01:00",  # has an offset: not ambiguous
            "other": "2025-10-26T04:00",  # once
            "start": "2025-10-26T02:30",  # happens twice in Paris
        },
        PARIS,
    )
    assert notes == [
        "start: 02:30 happens twice on 26 October 2025 in Europe/Paris: clocks go back from 03:00 to "
        "02:00; the first one is meant (CEST, UTC+02:00), give the offset +01:00 for the second"
    ]


def test_an_all_day_value_without_an_end_is_one_day() -> None:
    from pa_cli.google.timeutil import format_span

    assert format_span(date(2025, 3, 11), None) == "Tue 2025-03-11 (all day)"


def test_a_span_labels_both_ends_when_their_abbreviations_differ_at_the_same_offset() -> None:
    """Paris (CET) and Lagos (WAT) are both UTC+01:00 in winter."""
    from pa_cli.google.timeutil import format_span

    lagos = ZoneInfo("Africa/Lagos")
    paris_to_lagos = (datetime(2025, 3, 11, 10, 0, tzinfo=PARIS), datetime(2025, 3, 11, 11, 0, tzinfo=lagos))
    assert format_span(*paris_to_lagos) == "Tue 2025-03-11 10:00 CET - 11:00 WAT"
    lagos_to_paris = (datetime(2025, 3, 11, 10, 0, tzinfo=lagos), datetime(2025, 3, 11, 11, 0, tzinfo=PARIS))
    assert format_span(*lagos_to_paris) == "Tue 2025-03-11 10:00 WAT - 11:00 CET"
    # The same name and offset from a ZoneInfo and a fixed zone (two offset objects, equal): one label.
    cet = timezone(timedelta(hours=1), "CET")
    paris_to_fixed = (datetime(2025, 3, 11, 10, 0, tzinfo=PARIS), datetime(2025, 3, 11, 11, 0, tzinfo=cet))
    assert format_span(*paris_to_fixed) == "Tue 2025-03-11 10:00-11:00 CET"


def test_a_range_that_ends_when_it_starts_is_refused() -> None:
    from pa_cli.errors import UsageError
    from pa_cli.google.timeutil import check_range

    for instant in (date(2025, 3, 11), datetime(2025, 3, 11, 10, 0, tzinfo=PARIS)):
        with pytest.raises(UsageError, match=r"^event: end must be after start$"):
            check_range(instant, instant)


@pytest.mark.parametrize("text", ["2025-3-1T9", "2025031 10", "0311T100"])  # 8 or 10 characters
def test_a_short_text_with_a_time_separator_is_a_bad_time_not_a_bad_date(text: str) -> None:
    from pa_cli.errors import UsageError

    with pytest.raises(UsageError) as caught:
        parse_when(text, PARIS, field="start")
    assert caught.value.message == (
        f"start: {text!r} is not an ISO 8601 time (e.g. 2025-03-11T10:00 or 2025-03-11T10:00+01:00)"
    )
