"""server/sse.py in process: the exact SSE encoding, every way a live stream and a replay end.

The HTTP tests (test_streams.py, test_slow_client.py) show them through a real server; these pin each
branch exactly and cheaply (a real SQLite store for the replay, real LiveTurn and Follower objects).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from pa_cli.agent.events import Done, Error, TextDelta
from pa_cli.server import sse
from pa_cli.server.live import SHUTDOWN_ERROR, Follower, LiveTurn
from pa_cli.store import Store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    from pa_cli.store import open_store

    opened = open_store(url=f"sqlite:///{tmp_path_factory.mktemp('sse') / 'pa.db'}")
    try:
        yield opened
    finally:
        opened.close()


def _wire(event: Any) -> str:
    return event.encode().decode()


async def _all(events: AsyncIterator[Any]) -> list[tuple[str | None, str | None, str]]:
    return [(e.id, e.event, e.data) async for e in events]


def test_encode_writes_compact_unicode_json_with_its_id() -> None:
    event = sse.encode(42, "token", {"text": 'é "q"', "n": [1, 2]})
    assert _wire(event) == 'id: 42\nevent: token\ndata: {"text":"é \\"q\\"","n":[1,2]}\n\n'
    assert _wire(sse.encode(None, "error", {"code": "x"})) == 'event: error\ndata: {"code":"x"}\n\n'
    assert _wire(sse.encode(0, "done", {})) == "id: 0\nevent: done\ndata: {}\n\n"


def test_the_timing_constants() -> None:
    assert (sse.PING_SECONDS, sse.SHUTDOWN_GRACE_SECONDS, sse.REPLAY_POLL_SECONDS) == (15.0, 12.0, 0.2)
    assert sse.REVOKED == {
        "code": "token_revoked",
        "message": "the token was revoked; this stream ends (the turn goes on)",
    }


def _session(store: Store) -> str:
    return store.sessions.create(store.users.local_user().id).id


def _store_events(store: Store, sid: str, turn: str, *types: str) -> list[int]:
    return [store.events.append(sid, turn, t, {"n": n}) for n, t in enumerate(types)]


async def test_replay_sends_what_follows_last_id_and_stops_at_the_end(store: Store) -> None:
    sid = _session(store)
    ids = _store_events(store, sid, "t1", "token", "token", "done", "token")
    got = await _all(sse.replay(store, sid, "t1", ids[0], "token", Follower(), idle_limit=5))
    assert got == [(str(ids[1]), "token", '{"n":1}'), (str(ids[2]), "done", '{"n":2}')]
    errored = _store_events(store, sid, "t2", "token", "error", "token")
    got = await _all(sse.replay(store, sid, "t2", 0, "", Follower(), idle_limit=5))
    assert [g[1] for g in got] == ["token", "error"]
    assert got[-1][0] == str(errored[1])


async def test_replay_after_the_end_sends_nothing_more(store: Store) -> None:
    sid = _session(store)
    ids = _store_events(store, sid, "t", "token", "done")
    for last_type in ("done", "error"):
        assert await _all(sse.replay(store, sid, "t", ids[1], last_type, Follower(), idle_limit=5)) == []


async def test_replay_of_a_revoked_or_stopping_follower_ends_with_its_error(store: Store) -> None:
    sid = _session(store)
    ids = _store_events(store, sid, "t", "token")
    revoked = Follower()
    revoked.revoke()
    got = await _all(sse.replay(store, sid, "t", 0, "", revoked, idle_limit=5))
    assert got == [
        (str(ids[0]), "token", '{"n":0}'),
        (
            None,
            "error",
            '{"code":"token_revoked","message":"the token was revoked; this stream ends (the turn goes on)"}',
        ),
    ]
    stopping = Follower()
    stopping.set()
    got = await _all(sse.replay(store, sid, "t", ids[0], "token", stopping, idle_limit=5))
    assert [(g[0], g[1]) for g in got] == [(None, "error")]
    assert '"code":"server_shutdown"' in got[0][2]
    assert SHUTDOWN_ERROR.message in got[0][2]


async def test_replay_waits_for_events_stored_by_another_worker(store: Store) -> None:
    sid = _session(store)
    first = store.events.append(sid, "t", "token", {"n": 0})

    async def elsewhere() -> int:
        await asyncio.sleep(0.3)  # after at least one empty poll
        store.events.append(sid, "t", "token", {"n": 1})
        await asyncio.sleep(0.3)
        return store.events.append(sid, "t", "done", {"n": 2})

    writer = asyncio.create_task(elsewhere())
    got = await _all(sse.replay(store, sid, "t", first, "token", Follower(), idle_limit=30))
    done_id = await writer
    assert [(g[1], g[2]) for g in got] == [("token", '{"n":1}'), ("done", '{"n":2}')]
    assert got[-1][0] == str(done_id)


async def test_replay_gives_up_after_the_idle_limit(store: Store) -> None:
    sid = _session(store)
    ids = _store_events(store, sid, "t", "token")
    got = await _all(sse.replay(store, sid, "t", ids[0], "token", Follower(), idle_limit=0.4))
    assert got == [
        (
            None,
            "error",
            '{"code":"turn_unavailable","message":"no further events for this turn arrived; it may have been '
            'lost (the server that ran it stopped?)"}',
        )
    ]


@pytest.mark.parametrize(("limit", "polls"), [(0, 1), (0.2, 2), (0.3, 3), (0.4, 3)])
async def test_replay_polls_every_fifth_of_a_second_until_the_limit(
    store: Store, monkeypatch: pytest.MonkeyPatch, limit: float, polls: int
) -> None:
    """A limit of 0 gives up at the first empty poll; each poll adds 0.2 s of idleness."""
    sid = _session(store)
    ids = _store_events(store, sid, "t", "token")
    calls: list[int] = []
    after = store.events.after

    def counting(*args: Any) -> Any:
        calls.append(1)
        return after(*args)

    monkeypatch.setattr(store.events, "after", counting)
    got = await _all(sse.replay(store, sid, "t", ids[0], "token", Follower(), idle_limit=limit))
    assert [g[1] for g in got] == ["error"]
    assert len(calls) == polls


async def test_after_events_the_idle_count_starts_again_from_zero(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One event follows, then nothing: the same two empty polls of a 0.2 s limit as from the start
    (not more: a count reset below zero would keep a dead turn's client waiting longer)."""
    sid = _session(store)
    ids = _store_events(store, sid, "t", "token", "token")
    calls: list[int] = []
    after = store.events.after

    def counting(*args: Any) -> Any:
        calls.append(1)
        return after(*args)

    monkeypatch.setattr(store.events, "after", counting)
    got = await _all(sse.replay(store, sid, "t", ids[0], "token", Follower(), idle_limit=0.2))
    assert [g[1] for g in got] == ["token", "error"]
    assert len(calls) == 3  # the poll that found the event, then two empty ones


async def test_events_arriving_reset_the_idle_count(store: Store) -> None:
    sid = _session(store)
    first = store.events.append(sid, "t", "token", {"n": 0})

    async def trickle() -> None:
        for n in range(1, 4):
            await asyncio.sleep(0.3)  # each gap is longer than the limit alone would allow in total
            store.events.append(sid, "t", "token", {"n": n})
        await asyncio.sleep(0.3)
        store.events.append(sid, "t", "done", {"n": 4})

    writer = asyncio.create_task(trickle())
    got = await _all(sse.replay(store, sid, "t", first, "token", Follower(), idle_limit=0.6))
    await writer
    assert [g[1] for g in got] == ["token", "token", "token", "done"]


class _Runner:
    """The one thing live_events asks of the runner: shutdown() stores each turn's end."""

    def __init__(self, turn: LiveTurn) -> None:
        self.turn = turn
        self.shutdowns = 0

    async def shutdown(self) -> None:
        self.shutdowns += 1
        self.turn.publish((99, SHUTDOWN_ERROR))


def _turn(*items: tuple[int | None, Any]) -> LiveTurn:
    turn = LiveTurn("s", "t", None)
    for item in items:
        turn.publish(item)
    return turn


async def test_live_events_from_a_position_to_the_terminal_event() -> None:
    turn = _turn((1, TextDelta(text="a")), (2, TextDelta(text="b")), (3, Done(response="ab", session_id="s")))
    got = await _all(sse.live_events(_Runner(turn), turn, 1, Follower()))  # type: ignore[arg-type]
    assert [(g[0], g[1]) for g in got] == [("2", "token"), ("3", "done")]
    assert got[0][2] == '{"text":"b"}'


async def test_live_events_follow_a_running_turn() -> None:
    turn = _turn((1, TextDelta(text="a")))
    follower = Follower()

    async def later() -> None:
        await asyncio.sleep(0.05)
        turn.publish((2, TextDelta(text="b")))
        await asyncio.sleep(0.05)
        turn.publish((3, Error(code="internal", message="boom")))

    task = asyncio.create_task(later())
    got = await _all(sse.live_events(_Runner(turn), turn, 0, follower))  # type: ignore[arg-type]
    await task
    assert [(g[0], g[1]) for g in got] == [("1", "token"), ("2", "token"), ("3", "error")]


async def test_live_events_of_a_revoked_follower_end_with_token_revoked() -> None:
    turn = _turn((1, TextDelta(text="a")))
    follower = Follower()
    follower.revoke()
    got = await _all(sse.live_events(_Runner(turn), turn, 0, follower))  # type: ignore[arg-type]
    assert got[-1][:2] == (None, "error")
    assert '"code":"token_revoked"' in got[-1][2]
    assert turn.ended is False  # the turn goes on


async def test_live_events_on_shutdown_stop_the_turn_then_send_its_end() -> None:
    turn = _turn((1, TextDelta(text="a")))
    follower = Follower()
    follower.set()
    runner = _Runner(turn)
    got = await _all(sse.live_events(runner, turn, 0, follower))  # type: ignore[arg-type]
    assert runner.shutdowns == 1
    assert follower.shutting_down is False
    assert [(g[0], g[1]) for g in got] == [("1", "token"), ("99", "error")]
    assert '"code":"server_shutdown"' in got[-1][2]


async def test_live_events_of_a_turn_that_ended_without_a_terminal_event_just_stop() -> None:
    turn = _turn((1, TextDelta(text="a")))
    turn.ended = True
    got = await _all(sse.live_events(_Runner(turn), turn, 0, Follower()))  # type: ignore[arg-type]
    assert [(g[0], g[1]) for g in got] == [("1", "token")]
    # An event whose storing failed (id None) is still sent, without an id.
    broken = _turn((None, TextDelta(text="x")), (5, Done(response="x", session_id="s")))
    got = await _all(sse.live_events(_Runner(broken), broken, 0, Follower()))  # type: ignore[arg-type]
    assert [(g[0], g[1]) for g in got] == [(None, "token"), ("5", "done")]


def test_the_response_is_an_uncached_event_stream_with_pings() -> None:
    async def nothing() -> AsyncIterator[Any]:
        return
        yield

    follower = Follower()
    response = sse.sse_response(nothing(), follower, 7.5)
    assert response.media_type == "text/event-stream"
    assert response.headers["cache-control"] == "no-store"
    assert response.ping_interval == 7.5
    assert response.sep == "\n"
    assert response._shutdown_grace_period == 12.0  # sse-starlette keeps them private
    assert response._shutdown_event is follower


def test_the_stream_routes_document_a_200_event_stream(tmp_path: Any) -> None:
    from pa_cli.config import load_settings
    from pa_cli.server.app import create_app

    schema = create_app(load_settings()).openapi()
    streams = [
        operation
        for path, item in schema["paths"].items()
        for operation in item.values()
        if path.endswith("/stream")
    ]
    assert streams
    for operation in streams:
        documented = operation["responses"]["200"]
        assert "text/event-stream" in documented["content"]
        assert "Last-Event-ID" in documented["description"]  # the 200 is the one that says how to resume
