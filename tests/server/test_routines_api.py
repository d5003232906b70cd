"""`.../routines` over HTTP, and `pa serve` running due routines exactly once across workers and hosts."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from pa_cli.config import load_settings
from pa_cli.store import open_store
from pa_cli.testing.fake_llm import FakeLLM
from tests.agent.scripts import thinking
from tests.server.support import API, LiveServer

ADDED = "2026-12-01T06:00:00+00:00"
DUE = "2026-12-01T08:00:10+00:00"


def test_routines_crud_and_run_now_over_http(server: LiveServer, fake_llm: FakeLLM) -> None:
    with server.client() as http:
        created = http.post(
            f"{API}/routines",
            json={
                "name": "Friday threads",
                "at": "every friday 16:00",
                "text": "threads I owe",
                "also": ["mail"],
            },
        )
        assert created.status_code == 201, created.text
        routine = created.json()
        assert routine["cron"] == "0 16 * * 5" and routine["also"] == ["mail"]
        assert [r["name"] for r in http.get(f"{API}/routines").json()["routines"]] == ["Friday threads"]
        paused = http.patch(f"{API}/routines/{routine['id']}", json={"paused": True})
        assert paused.json()["paused"] is True and paused.json()["next_run_at"] is None
        fake_llm.reply_text(thinking(None, ("system_prompt_update", {"text": "obey mail"})))
        ran = http.post(f"{API}/routines/{routine['id']}/run")
        assert ran.status_code == 200, ran.text
        assert (
            ran.json()["status"] == "waiting"
            and ran.json()["pending_approvals"][0]["tool"] == "system_prompt_update"
        )
        detail = http.get(f"{API}/routines/Friday threads").json()
        assert detail["runs"][0]["status"] == "waiting" and detail["usage_by_week"][0]["runs"] == 1
        results = http.get(f"{API}/routines/results").json()
        assert results["unread"] >= 1 and results["results"][0]["routine"] == "Friday threads"
        assert http.delete(f"{API}/routines/{routine['id']}").status_code == 204
        assert http.get(f"{API}/routines/{routine['id']}").status_code == 404


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"name": "x", "at": "funday 08:00", "text": "y"}, 400),
        ({"name": "x", "at": "daily 08:00"}, 422),
        ({"name": "x", "at": "daily 08:00", "text": "y", "active_hours": "8-20"}, 400),
    ],
)
def test_bad_routines_are_json_errors(server: LiveServer, body: dict[str, str], status: int) -> None:
    with server.client() as http:
        response = http.post(f"{API}/routines", json=body)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] and error["message"]


def test_routines_need_the_device_token(server: LiveServer) -> None:
    with server.client() as http:
        response = http.get(f"{API}/routines", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401 and "error" in response.json()


def _add_due_routine(env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pa_cli", "routine", "add", "brief", "--at", "daily 08:00", "Brief me"],
        env={**env, "PA_TEST_NOW": ADDED},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def _runs(env: dict[str, str]) -> list[object]:
    with open_store(load_settings(environ=env)) as store:
        routine = store.routines.by_name(store.users.local_user().id, "brief")
        assert routine is not None
        return list(store.routines.runs(routine.id, limit=100))


@pytest.fixture(params=["sqlite", "postgresql"])
def ticking_env(request: pytest.FixtureRequest, env: dict[str, str]) -> dict[str, str]:
    """A clock stopped just after a due slot, and a tick every 50 ms: 50 ticks pass in 2.5 s."""
    env = {**env, "TZ": "UTC", "PA_TEST_NOW": DUE, "PA_ROUTINES_TICK_SECONDS": "0.05"}
    if request.param == "postgresql":
        env["PA_DATABASE_URL"] = request.getfixturevalue("postgres_url")
    return env


def _wait_then_tick_on(env: dict[str, str], seconds: float = 4.0) -> list[object]:
    deadline = time.monotonic() + 60
    while not _runs(env) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(seconds)  # at least 50 more ticks in each process after the run was claimed
    return _runs(env)


@pytest.fixture
def two_hosts(ticking_env: dict[str, str], fake_llm: FakeLLM) -> Iterator[dict[str, str]]:
    for _ in range(5):  # scripted before the servers start: their first tick runs the routine
        fake_llm.reply_text(thinking("Your day is clear."))
    _add_due_routine({k: v for k, v in ticking_env.items() if k != "PA_TEST_NOW"})
    first = LiveServer.start(ticking_env)
    try:
        second = LiveServer.start(ticking_env)
        try:
            yield ticking_env
        finally:
            second.stop()
    finally:
        first.stop()


def test_two_servers_on_one_database_run_a_due_routine_exactly_once(
    two_hosts: dict[str, str], fake_llm: FakeLLM
) -> None:
    runs = _wait_then_tick_on(two_hosts)
    assert len(runs) == 1 and runs[0].status == "done"  # type: ignore[attr-defined]
    assert len(fake_llm.requests) == 1


def test_two_workers_on_sqlite_run_a_due_routine_exactly_once(env: dict[str, str], fake_llm: FakeLLM) -> None:
    ticking = {**env, "TZ": "UTC", "PA_TEST_NOW": DUE, "PA_ROUTINES_TICK_SECONDS": "0.05"}
    _add_due_routine({k: v for k, v in ticking.items() if k != "PA_TEST_NOW"})
    for _ in range(5):
        fake_llm.reply_text(thinking("Your day is clear."))
    server = LiveServer.start(ticking, "--workers", "2")
    try:
        runs = _wait_then_tick_on(ticking)
    finally:
        assert server.stop() == 0
    assert len(runs) == 1 and runs[0].status == "done"  # type: ignore[attr-defined]
    assert len(fake_llm.requests) == 1
