"""Free slots for a meeting: working hours in each person's zone, minus everyone's busy time, ranked.

Pure time arithmetic (no Google): ``calendar_find_time`` feeds it the free/busy answer. Working days
are walked as local dates in the user's zone and each day's hours are made aware with ``localize``,
so a slot is always at the wall-clock time it claims, across DST changes in any of the zones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from pa_cli.google.timeutil import localize

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: A slot leaving everyone at least this much from the edge of their working day ranks first.
COMFORT = timedelta(hours=1)

Span = tuple[datetime, datetime]


@dataclass(frozen=True)
class WorkingHours:
    start: time
    end: time
    days: frozenset[int]  # date.weekday(): Monday is 0

    @classmethod
    def parse(cls, start: str, end: str, days: list[str]) -> WorkingHours:
        hours = cls(
            time.fromisoformat(start), time.fromisoformat(end), frozenset(WEEKDAYS.index(d) for d in days)
        )
        if hours.end <= hours.start:
            raise ValueError(f"working hours end ({end}) must be after their start ({start})")
        return hours

    def day(self, day: date, zone: tzinfo) -> Span | None:
        """The working hours of ``day`` in ``zone`` as instants, or None on a day off."""
        if day.weekday() not in self.days:
            return None
        return (
            localize(datetime.combine(day, self.start), zone),
            localize(datetime.combine(day, self.end), zone),
        )

    def margin(self, span: Span, zone: tzinfo) -> timedelta | None:
        """How far ``span`` stays from the edges of the working day in ``zone``; None if outside it."""
        local = span[0].astimezone(zone)
        hours = self.day(local.date(), zone)
        if hours is None or span[0] < hours[0] or span[1] > hours[1]:
            return None
        return min(span[0] - hours[0], hours[1] - span[1])


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    margin: timedelta  # the smallest distance to anyone's working-day edge


def _overlaps(span: Span, busy: list[Span]) -> bool:
    return any(b_start < span[1] and span[0] < b_end for b_start, b_end in busy)


def _ceil(value: datetime, origin: datetime, step: timedelta) -> datetime:
    if value <= origin:
        return origin
    steps = -((origin - value) // step)
    return origin + steps * step


def free_slots(
    window: Span,
    duration: timedelta,
    busy: list[Span],
    hours: WorkingHours,
    zones: list[tzinfo],
    *,
    step: timedelta = timedelta(minutes=30),
) -> list[Slot]:
    """Every slot of ``duration`` in ``window`` inside everyone's working hours and nobody's busy time.

    ``zones[0]`` is the user's (days are walked in it); the others are the attendees' known zones.
    Candidates start on the ``step`` grid from the start of the user's working day.
    """
    user = zones[0]
    found: list[Slot] = []
    day = window[0].astimezone(user).date()
    last = window[1].astimezone(user).date()
    while day <= last:
        today = hours.day(day, user)
        day += timedelta(days=1)
        if today is None:
            continue
        start = _ceil(max(today[0], window[0]), today[0], step)
        while start + duration <= min(today[1], window[1]):
            span = (start, start + duration)
            start += step
            margins = [hours.margin(span, zone) for zone in zones]
            if any(m is None for m in margins) or _overlaps(span, busy):
                continue
            found.append(Slot(span[0], span[1], min(m for m in margins if m is not None)))
    return found


def rank(slots: list[Slot]) -> list[Slot]:
    """Slots comfortably inside everyone's day first (then the most comfortable), each group soonest first."""
    return sorted(slots, key=lambda s: (-min(s.margin, COMFORT), s.start.astimezone(UTC)))
