"""Property: the instant a preview shows is the instant sent to Google, in many zones, around both DST
changes of 2026 (EU: 29 March, 25 October; US: 8 March, 1 November), for every way to write a time."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pa_cli.errors import UsageError
from pa_cli.tools.base import ToolError
from pa_cli.tools.google.calendar import (
    CalendarCreateEvent,
    CalendarUpdateEvent,
    CreateEventArgs,
    create_preview,
    create_request,
)
from tests.google.support import GoogleRig

ZONES = [
    "Europe/Berlin", "Europe/London", "Europe/Helsinki", "Europe/Lisbon", "America/New_York",
    "America/Chicago", "America/Los_Angeles", "America/St_Johns", "America/Sao_Paulo", "America/Havana",
    "Asia/Kolkata", "Asia/Tokyo", "Asia/Kathmandu", "Australia/Sydney", "Australia/Lord_Howe",
    "Pacific/Auckland", "Pacific/Chatham", "UTC",
]  # fmt: skip
DST_DAYS = [date(2026, 3, 29), date(2026, 10, 25), date(2026, 3, 8), date(2026, 11, 1)]
_WHEN = re.compile(
    r"^  When: \w{3} (?P<d1>\d{4}-\d\d-\d\d) (?P<t1>\d\d:\d\d)(?:-(?P<t2a>\d\d:\d\d))? (?P<z1>\S+)"
    r"(?: - (?:\w{3} (?P<d2>\d{4}-\d\d-\d\d) )?(?P<t2>\d\d:\d\d) (?P<z2>\S+))? \((?P<zone>[^)]+)\)"
)

wall_times = st.builds(
    lambda day, shift, minute: (
        datetime.combine(day + timedelta(days=shift), datetime.min.time()) + timedelta(minutes=minute)
    ),
    st.sampled_from(DST_DAYS),
    st.sampled_from([-1, 0, 0, 0, 1]),
    st.one_of(st.integers(0, 5 * 60 // 15).map(lambda q: q * 15), st.integers(0, 24 * 60 - 1)),
)


def _resolve(day: str, clock: str, abbreviation: str, zone: tzinfo) -> datetime:
    """The one instant a shown wall-clock time and zone abbreviation can mean (it must be one)."""
    wall = datetime.fromisoformat(f"{day}T{clock}")
    found = {
        wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        for fold in (0, 1)
        if wall.replace(tzinfo=zone, fold=fold).tzname() == abbreviation
        and wall.replace(tzinfo=zone, fold=fold).astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall
    }
    assert len(found) == 1, f"{day} {clock} {abbreviation} is not one instant in {zone}"
    return found.pop()


def shown_span(preview: str) -> tuple[datetime, datetime]:
    """Start and end instants as a person reads them off the preview's "When:" line."""
    line = next(line for line in preview.splitlines() if line.startswith("  When: "))
    match = _WHEN.match(line)
    assert match, line
    zone = ZoneInfo(match["zone"])
    start = _resolve(match["d1"], match["t1"], match["z1"], zone)
    if match["t2a"]:
        end = _resolve(match["d1"], match["t2a"], match["z1"], zone)
    else:
        end = _resolve(match["d2"] or match["d1"], match["t2"], match["z2"], zone)
    return start, end


def sent_instant(side: dict[str, str]) -> datetime:
    value = datetime.fromisoformat(side["dateTime"])
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(side["timeZone"]))
    return value.astimezone(UTC)


def _text(wall: datetime, form: str, zone: ZoneInfo) -> str:
    if form == "naive":
        return wall.strftime("%Y-%m-%dT%H:%M")
    real = wall.replace(tzinfo=zone, fold=1 if form == "second" else 0)
    if form == "utc":
        return real.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return real.isoformat()


def _meant(text: str, zone: ZoneInfo) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(UTC)


@settings(max_examples=600, deadline=None, database=None)
@given(
    zone_name=st.sampled_from(ZONES),
    wall=wall_times,
    form=st.sampled_from(["naive", "offset", "second", "utc"]),
    minutes=st.integers(15, 6 * 60),
)
def test_the_instant_shown_is_the_instant_in_the_request(
    zone_name: str, wall: datetime, form: str, minutes: int
) -> None:
    zone = ZoneInfo(zone_name)
    start = _text(wall, form, zone)
    end_instant = _meant(start, zone) + timedelta(minutes=minutes) if form != "naive" else None
    end = (
        end_instant.isoformat()
        if end_instant
        else (wall + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M")
    )
    args = CreateEventArgs(summary="x", start=start, end=end)
    try:
        request = create_request(args, zone)
    except UsageError as refused:
        assert form == "naive" and "does not exist on" in refused.message, refused.message
        return
    shown = shown_span(create_preview(request, zone))
    sent = sent_instant(request["body"]["start"]), sent_instant(request["body"]["end"])
    assert shown == sent
    assert sent[0] == _meant(start, zone)
    assert request["body"]["start"]["timeZone"] == zone_name


@pytest.fixture
def cal(rig: GoogleRig) -> GoogleRig:
    rig.grant("calendar")
    return rig


def _prepare_and_run(cal: GoogleRig, tool: Any, **arguments: Any) -> tuple[str, dict[str, Any]]:
    args = tool.args_model.model_validate(arguments)
    prepared = asyncio.run(tool.prepare(args, cal.ctx()))
    before = len(cal.fake.calendar_writes())
    asyncio.run(tool.run_prepared(args, prepared.frozen, cal.ctx()))
    write = cal.fake.calendar_writes()[before]
    assert write.status == 200
    return prepared.preview, write.json


@settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(zone_name=st.sampled_from(ZONES), wall=wall_times, minutes=st.integers(15, 6 * 60))
def test_what_the_fake_google_receives_is_what_the_preview_showed(
    cal: GoogleRig, zone_name: str, wall: datetime, minutes: int
) -> None:
    zone = ZoneInfo(zone_name)
    cal.reload({"user.timezone": zone_name})
    first = wall.replace(tzinfo=zone)
    start = first.isoformat()  # with an offset: never refused
    end = (first.astimezone(UTC) + timedelta(minutes=minutes)).isoformat()
    preview, body = _prepare_and_run(cal, CalendarCreateEvent(), summary="x", start=start, end=end)
    assert shown_span(preview) == (sent_instant(body["start"]), sent_instant(body["end"]))

    event_id = cal.fake.event_changes[-1].event_id
    moved = (wall + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")  # no offset: read in the user's zone
    try:
        preview, body = _prepare_and_run(cal, CalendarUpdateEvent(), event_id=event_id, start=moved)
    except UsageError as refused:
        assert "does not exist on" in refused.message
        return
    except ToolError as unchanged:  # the same instant (a start given inside a gap): nothing to send
        assert unchanged.message.startswith("nothing to change")
        assert _meant(moved, zone) == _meant(start, zone)
        return
    new_time = next(line for line in preview.splitlines() if line.startswith("  New time: "))
    assert shown_span(new_time.replace("New time", "When", 1)) == (
        sent_instant(body["start"]),
        sent_instant(body["end"]),
    )
    assert sent_instant(body["start"]) == _meant(moved, zone)
