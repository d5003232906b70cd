"""Schedules: the readable syntax people write, the cron expression it means, and the next run.

``weekdays 08:00``, ``daily 07:30``, ``mon,wed 09:00``, ``every friday 16:00``,
``weekends 10:00``, ``hourly`` become a five-field cron expression; a cron
expression is accepted as it is. The next run is computed by cronsim (a small,
maintained, typed cron evaluator with no dependencies) on the wall clock of the
user's IANA zone, so 08:00 stays 08:00 local on both sides of a DST change. A
time that does not exist on the day clocks spring forward (02:30 in
Europe/Berlin on the last Sunday of March) runs at the first instant after the
gap (03:00 local); a time that happens twice when clocks fall back runs once,
at its first occurrence. cronsim behaves like Debian's cron here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from pa_cli.errors import UsageError

DAYS = {
    "sun": 0,
    "sunday": 0,
    "sundays": 0,
    "mon": 1,
    "monday": 1,
    "mondays": 1,
    "tue": 2,
    "tues": 2,
    "tuesday": 2,
    "tuesdays": 2,
    "wed": 3,
    "wednesday": 3,
    "wednesdays": 3,
    "thu": 4,
    "thur": 4,
    "thurs": 4,
    "thursday": 4,
    "thursdays": 4,
    "fri": 5,
    "friday": 5,
    "fridays": 5,
    "sat": 6,
    "saturday": 6,
    "saturdays": 6,
}
GROUPS = {
    "daily": "*",
    "day": "*",
    "everyday": "*",
    "weekdays": "1-5",
    "weekday": "1-5",
    "weekends": "0,6",
    "weekend": "0,6",
}
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
EXAMPLES = '"weekdays 08:00", "daily 07:30", "mon,wed 09:00", "every friday 16:00" or a cron expression'


def _cron_error(cron: str) -> str | None:
    from cronsim import CronSim, CronSimError

    try:
        CronSim(cron, datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC")))
    except CronSimError as exc:
        return str(exc)
    return None


def to_cron(when: str) -> str:
    """The cron expression (minute hour day month weekday) that ``when`` means; UsageError if none."""
    text = " ".join(when.strip().lower().split())
    if not text:
        raise UsageError(f"the schedule is empty; write {EXAMPLES}")
    if text == "hourly":
        return "0 * * * *"
    fields = text.split(" ")
    if len(fields) == 5 and not _TIME.match(fields[-1]):
        problem = _cron_error(text)
        if problem is not None:
            raise UsageError(f"{when!r} is not a valid cron expression ({problem})")
        return text
    match = _TIME.match(fields[-1])
    if match is None:
        raise UsageError(f"{when!r} has no time of day (HH:MM); write {EXAMPLES}")
    hour, minute = int(match.group(1)), int(match.group(2))
    words = [
        w
        for w in " ".join(fields[:-1]).replace(",", " ").split(" ")
        if w and w not in ("every", "at", "on", "and")
    ]
    days = _days(words, when)
    return f"{minute} {hour} * * {days}"


def _days(words: list[str], when: str) -> str:
    if not words:
        return "*"
    if len(words) == 1 and words[0] in GROUPS:
        return GROUPS[words[0]]
    numbers: list[int] = []
    for word in words:
        if word not in DAYS:
            raise UsageError(f"{when!r}: {word!r} is not a day; write {EXAMPLES}")
        if DAYS[word] not in numbers:
            numbers.append(DAYS[word])
    return ",".join(str(n) for n in sorted(numbers))


def next_run(cron: str, zone: ZoneInfo, after: datetime) -> datetime:
    """The first instant strictly after ``after`` that ``cron`` names on ``zone``'s wall clock (aware)."""
    from cronsim import CronSim

    start = after.astimezone(zone)
    return next(CronSim(cron, start))


def describe(cron: str) -> str:
    """The cron expression in words ("At 08:00 on every day-of-week from Monday through Friday")."""
    from cronsim import CronSim

    try:
        return CronSim(cron, datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC"))).explain()
    except (ValueError, KeyError, IndexError):  # explain() does not cover every expression
        return cron


@dataclass(frozen=True)
class ActiveHours:
    """``HH:MM-HH:MM`` in the user's zone; a window may cross midnight (22:00-06:00)."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> ActiveHours:
        parts = text.replace(" ", "").split("-")
        if len(parts) != 2 or not all(_TIME.match(p) for p in parts):
            raise UsageError(f"active hours {text!r} are not HH:MM-HH:MM, such as 08:00-20:00")
        start, end = (time(int(p.split(":")[0]), int(p.split(":")[1])) for p in parts)
        if start == end:
            raise UsageError(f"active hours {text!r} are empty: start and end are the same")
        return cls(start, end)

    def contains(self, moment: datetime, zone: ZoneInfo) -> bool:
        local = moment.astimezone(zone).time().replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"
