"""Free-slot arithmetic of calendar_find_time: working hours in several zones, busy time, DST, ranking."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pa_cli.tools.google.calendar_slots import WorkingHours, free_slots, rank

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
HOURS = WorkingHours.parse("09:00", "17:00", ["mon", "tue", "wed", "thu", "fri"])
HOUR = timedelta(hours=1)


def _local(slot_start: datetime, zone: ZoneInfo) -> str:
    return slot_start.astimezone(zone).strftime("%a %H:%M %Z")


def test_only_the_overlap_of_both_working_days_is_offered_across_the_dst_gap_week() -> None:
    # Europe left summer time on Sun 2026-10-25, New York only on Sun 2026-11-01: for that week
    # Paris is 5 hours ahead of New York, then 6 again. Fri 30 Oct and Mon 2 Nov.
    window = (datetime(2026, 10, 30, 0, 0, tzinfo=PARIS), datetime(2026, 11, 3, 0, 0, tzinfo=PARIS))
    slots = free_slots(window, HOUR, [], HOURS, [PARIS, NEW_YORK])
    starts = [_local(s.start, PARIS) for s in slots]
    assert starts == [
        "Fri 14:00 CET", "Fri 14:30 CET", "Fri 15:00 CET", "Fri 15:30 CET", "Fri 16:00 CET",
        "Mon 15:00 CET", "Mon 15:30 CET", "Mon 16:00 CET",
    ]  # fmt: skip
    assert _local(slots[0].start, NEW_YORK) == "Fri 09:00 EDT"
    assert _local(slots[5].start, NEW_YORK) == "Mon 09:00 EST"


def test_busy_time_of_anyone_removes_the_slots_it_touches() -> None:
    window = (datetime(2026, 11, 2, 0, 0, tzinfo=PARIS), datetime(2026, 11, 3, 0, 0, tzinfo=PARIS))
    busy = [(datetime(2026, 11, 2, 9, 30, tzinfo=NEW_YORK), datetime(2026, 11, 2, 10, 0, tzinfo=NEW_YORK))]
    slots = free_slots(window, HOUR, busy, HOURS, [PARIS, NEW_YORK])
    assert [_local(s.start, PARIS) for s in slots] == ["Mon 16:00 CET"]


def test_weekends_and_the_window_bounds_are_respected_in_the_users_zone() -> None:
    window = (datetime(2026, 10, 31, 0, 0, tzinfo=PARIS), datetime(2026, 11, 2, 10, 15, tzinfo=PARIS))
    slots = free_slots(window, HOUR, [], HOURS, [PARIS])
    assert [_local(s.start, PARIS) for s in slots] == ["Mon 09:00 CET"]  # Sat/Sun off; 10:00 would end 11:00


def test_a_start_inside_the_day_rounds_up_to_the_half_hour_grid() -> None:
    window = (datetime(2026, 11, 2, 13, 10, tzinfo=PARIS), datetime(2026, 11, 2, 15, 0, tzinfo=PARIS))
    slots = free_slots(window, HOUR, [], HOURS, [PARIS])
    assert [_local(s.start, PARIS) for s in slots] == ["Mon 13:30 CET", "Mon 14:00 CET"]


def test_ranking_puts_slots_away_from_the_edges_of_the_day_first_then_the_soonest() -> None:
    window = (datetime(2026, 11, 2, 0, 0, tzinfo=PARIS), datetime(2026, 11, 4, 0, 0, tzinfo=PARIS))
    ranked = rank(free_slots(window, HOUR, [], HOURS, [PARIS, NEW_YORK]))
    assert [s.start.astimezone(PARIS).strftime("%a %H:%M") for s in ranked] == [
        "Mon 15:30", "Tue 15:30", "Mon 15:00", "Mon 16:00", "Tue 15:00", "Tue 16:00",
    ]  # fmt: skip
    assert ranked[0].margin == timedelta(minutes=30)


def test_working_hours_must_end_after_they_start() -> None:
    try:
        WorkingHours.parse("18:00", "09:00", ["mon"])
    except ValueError as exc:
        assert "must be after" in str(exc)
    else:
        raise AssertionError("accepted hours that end before they start")
