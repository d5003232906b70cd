"""Schedules: readable syntax to cron, and the next run on the user's wall clock across DST changes."""

from __future__ import annotations

import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from pa_cli.errors import UsageError
from pa_cli.routines.schedule import ActiveHours, next_run, to_cron

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("when", "cron"),
    [
        ("weekdays 08:00", "0 8 * * 1-5"),
        ("daily 07:30", "30 7 * * *"),
        ("mon,wed 09:00", "0 9 * * 1,3"),
        ("every friday 16:00", "0 16 * * 5"),
        ("Mondays and Thursdays 7:05", "5 7 * * 1,4"),
        ("weekends 10:00", "0 10 * * 0,6"),
        ("hourly", "0 * * * *"),
        ("*/15 9-17 * * 1-5", "*/15 9-17 * * 1-5"),
    ],
)
def test_readable_schedules_become_cron_expressions(when: str, cron: str) -> None:
    assert to_cron(when) == cron


@pytest.mark.parametrize(
    "when", ["", "funday 08:00", "weekdays 8am", "daily 24:00", "61 * * * *", "0 8 * * 9"]
)
def test_bad_schedules_are_usage_errors_that_show_the_syntax(when: str) -> None:
    with pytest.raises(UsageError):
        to_cron(when)


def _local_runs(cron: str, zone: ZoneInfo, start: datetime, count: int) -> list[datetime]:
    runs, after = [], start
    for _ in range(count):
        after = next_run(cron, zone, after)
        runs.append(after.astimezone(zone))
    return runs


@pytest.mark.parametrize(
    ("zone", "before_spring", "before_autumn"),
    [
        (BERLIN, datetime(2026, 3, 27, 9, tzinfo=BERLIN), datetime(2026, 10, 23, 9, tzinfo=BERLIN)),
        (NEW_YORK, datetime(2026, 3, 6, 9, tzinfo=NEW_YORK), datetime(2026, 10, 30, 9, tzinfo=NEW_YORK)),
    ],
)
def test_eight_oclock_stays_eight_oclock_local_on_both_sides_of_each_dst_change(
    zone: ZoneInfo, before_spring: datetime, before_autumn: datetime
) -> None:
    for start in (before_spring, before_autumn):
        runs = _local_runs("0 8 * * *", zone, start, 4)
        assert [(r.hour, r.minute) for r in runs] == [(8, 0)] * 4
        offsets = {r.utcoffset() for r in runs}
        assert len(offsets) == 2  # the change happened in between, the wall clock stayed put
        utc = [r.astimezone(ZoneInfo("UTC")) for r in runs]  # same-zone subtraction is wall-clock time
        gaps = [(b - a).total_seconds() / 3600 for a, b in itertools.pairwise(utc)]
        assert sorted(set(gaps)) in ([23.0, 24.0], [24.0, 25.0])


def test_weekdays_skip_the_weekend_of_the_berlin_change() -> None:
    runs = _local_runs("0 8 * * 1-5", BERLIN, datetime(2026, 3, 27, 9, tzinfo=BERLIN), 2)
    assert [r.date().isoformat() for r in runs] == ["2026-03-30", "2026-03-31"]
    assert runs[0].utcoffset() is not None and runs[0].utcoffset().total_seconds() == 7200  # CEST


@pytest.mark.parametrize(
    ("zone", "day"),
    [(BERLIN, datetime(2026, 3, 29, tzinfo=BERLIN)), (NEW_YORK, datetime(2026, 3, 8, tzinfo=NEW_YORK))],
)
def test_a_time_in_the_spring_forward_gap_runs_at_the_first_instant_after_it(
    zone: ZoneInfo, day: datetime
) -> None:
    """02:30 does not exist that day: the run happens once, at 03:00 local (as Debian's cron does)."""
    runs = _local_runs("30 2 * * *", zone, day.replace(hour=0), 2)
    assert (runs[0].date(), runs[0].hour, runs[0].minute) == (day.date(), 3, 0)
    assert (runs[1].hour, runs[1].minute) == (2, 30)  # the next day is normal again


def test_a_time_that_happens_twice_when_clocks_fall_back_runs_once() -> None:
    runs = _local_runs("30 1 * * *", NEW_YORK, datetime(2026, 11, 1, 0, tzinfo=NEW_YORK), 2)
    assert runs[0].date().isoformat() == "2026-11-01" and runs[0].hour == 1
    assert runs[1].date().isoformat() == "2026-11-02"


def test_active_hours_hold_outside_the_window_and_may_cross_midnight() -> None:
    day = ActiveHours.parse("08:00-20:00")
    assert not day.contains(datetime(2026, 12, 1, 7, 59, tzinfo=BERLIN), BERLIN)
    assert day.contains(datetime(2026, 12, 1, 8, 0, tzinfo=BERLIN), BERLIN)
    assert not day.contains(datetime(2026, 12, 1, 20, 0, tzinfo=BERLIN), BERLIN)
    night = ActiveHours.parse("22:00-06:00")
    assert night.contains(datetime(2026, 12, 1, 23, 0, tzinfo=BERLIN), BERLIN)
    assert night.contains(datetime(2026, 12, 2, 5, 0, tzinfo=BERLIN), BERLIN)
    assert not night.contains(datetime(2026, 12, 2, 12, 0, tzinfo=BERLIN), BERLIN)
    for bad in ("8-20", "08:00", "08:00-08:00", "25:00-26:00"):
        with pytest.raises(UsageError):
            ActiveHours.parse(bad)
