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
