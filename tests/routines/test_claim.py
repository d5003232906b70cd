"""Exactly once, with a controllable clock: the claim in the database decides which worker runs a slot.

The runners here are real ``RoutineRunner`` objects, each on its own engine (as two workers or two
servers are), over one real SQLite file or one real PostgreSQL database; only the clock is a test's.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from pa_cli.config import Settings, load_settings
from pa_cli.routines.manage import add_routine
from pa_cli.routines.runner import RoutineRunner
from pa_cli.store import Store, open_store
from pa_cli.store.models import RoutineRun
from pa_cli.tools.registry import ToolRegistry

START = datetime(2026, 12, 1, 6, 59, tzinfo=UTC)


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def settings_in(zone: str = "Europe/Berlin") -> Settings:
    settings = load_settings()
    settings.user.timezone = zone
    return settings


def runner(settings: Settings, store: Store, clock: Clock, name: str) -> RoutineRunner:
    return RoutineRunner(settings, store, ToolRegistry.from_tools([]), now=clock, worker=name)


def all_runs(store: Store, routine_id: str) -> list[RoutineRun]:
    return list(reversed(store.routines.runs(routine_id, limit=1000)))


def test_a_run_missed_while_asleep_runs_once_on_wake_marked_late(store: Store) -> None:
    settings = settings_in()
    clock = Clock(START)
    routine = add_routine(
        settings,
        store,
        store.users.local_user().id,
        name="brief",
        when="daily 08:00",
        prompt="brief me",
        now=clock(),
    )
    clock.at = START + timedelta(days=3, hours=3)  # the laptop slept through three mornings
    first = runner(settings, store, clock, "a").claim()
    again = runner(settings, store, clock, "b").claim()
    assert len(first) == 1 and first[0].late
    assert again == []
    after = store.routines.get(routine.id)
    assert after is not None
    assert after.next_run_at.astimezone(settings_zone(settings)).isoformat() == "2026-12-05T08:00:00+01:00"


def settings_zone(settings: Settings):  # type: ignore[no-untyped-def]
    from pa_cli.agent.context import user_timezone

    return user_timezone(settings)


def test_a_run_on_time_is_not_late(store: Store) -> None:
    settings = settings_in()
    clock = Clock(START)
    add_routine(
        settings,
        store,
        store.users.local_user().id,
        name="brief",
        when="daily 08:00",
        prompt="brief me",
        now=clock(),
    )
    clock.at = datetime(2026, 12, 1, 7, 0, 20, tzinfo=UTC)  # 08:00:20 in Berlin
    [run] = runner(settings, store, clock, "a").claim()
    assert not run.late


def test_active_hours_hold_a_due_run_until_the_window_opens(store: Store) -> None:
    settings = settings_in()
    clock = Clock(START)
    add_routine(
        settings,
        store,
        store.users.local_user().id,
        name="early",
        when="daily 06:00",
        prompt="x",
        active_hours="08:00-20:00",
        now=clock(),
    )
    worker = runner(settings, store, clock, "a")
    clock.at = datetime(2026, 12, 2, 5, 0, 30, tzinfo=UTC)  # 06:00:30 Berlin: due, but outside the window
    assert worker.claim() == []
    clock.at = datetime(2026, 12, 2, 6, 59, tzinfo=UTC)  # 07:59 Berlin
    assert worker.claim() == []
    clock.at = datetime(2026, 12, 2, 7, 0, 5, tzinfo=UTC)  # 08:00:05 Berlin: the window opens
    assert len(worker.claim()) == 1
    assert worker.claim() == []


def test_a_paused_routine_does_not_run_and_resumes_without_replaying(store: Store) -> None:
    settings = settings_in()
    clock = Clock(START)
    routine = add_routine(
        settings,
        store,
        store.users.local_user().id,
        name="brief",
        when="daily 08:00",
        prompt="x",
        now=clock(),
    )
    store.routines.set_paused(routine.id, True)
    clock.at = START + timedelta(days=2)
    assert runner(settings, store, clock, "a").claim() == []


def race(stores: list[Store], settings: Settings, zone_cron: str) -> tuple[list[RoutineRun], str]:
    """Two workers, 50 ticks a minute apart, both claiming at once each tick: every slot once."""
    clock = Clock(START)
    uid = stores[0].users.local_user().id
    routine = add_routine(
        settings, stores[0], uid, name="every minute", when=zone_cron, prompt="x", now=clock()
    )
    workers = [runner(settings, s, clock, f"worker-{i}") for i, s in enumerate(stores)]
    claimed: list[RoutineRun] = []
    lock = threading.Lock()
    for tick in range(50):
        clock.at = START + timedelta(minutes=tick + 1, seconds=1)
        barrier = threading.Barrier(len(workers))

        def work(w: RoutineRunner, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            runs = w.claim()
            with lock:
                claimed.extend(runs)

        threads = [threading.Thread(target=work, args=(w,)) for w in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    return claimed, routine.id


def assert_each_slot_once(claimed: list[RoutineRun], stored: list[RoutineRun]) -> None:
    slots = [r.slot for r in claimed]
    assert len(claimed) == 50 and len(set(slots)) == 50
    assert sorted(r.slot for r in stored) == sorted(slots)
    assert {r.claimed_by for r in claimed} <= {"worker-0", "worker-1"}


def test_two_workers_on_one_sqlite_file_run_each_slot_exactly_once_over_50_ticks(store: Store) -> None:
    settings = settings_in()
    with open_store(settings) as second:
        claimed, routine_id = race([store, second], settings, "* * * * *")
    assert_each_slot_once(claimed, all_runs(store, routine_id))


@pytest.fixture
def two_servers(postgres_url: str) -> Iterator[list[Store]]:
    with open_store(url=postgres_url) as one, open_store(url=postgres_url) as two:
        assert one.dialect == "postgresql"
        yield [one, two]


def test_two_servers_on_one_postgresql_run_each_slot_exactly_once_over_50_ticks(
    two_servers: list[Store],
) -> None:
    settings = settings_in("America/New_York")
    claimed, routine_id = race(two_servers, settings, "* * * * *")
    assert_each_slot_once(claimed, all_runs(two_servers[0], routine_id))
