"""A turn started before its store is open (what `pa ask` does): the request goes out at once, no event
reaches the front-end before the session and the user's message are written (with stdlib sqlite3),
and the ORM store opens only when the turn calls a tool."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from pa_cli.agent.events import Done, Error, SessionStarted, TextDelta
from pa_cli.agent.service import AgentService
from pa_cli.config import Settings, load_settings
from pa_cli.errors import StoreError
from pa_cli.store import light_write, open_store
from pa_cli.store.deferred import StoreOpening
from pa_cli.store.light import sqlite_path_of
from pa_cli.testing.fake_llm import FakeLLM
from pa_cli.tools.registry import ToolRegistry
from tests.agent.scripts import thinking


class HeldOpening(StoreOpening):
    """The real store opening, held until the test releases it (or failing, if told to)."""

    def __init__(self, settings: Settings, fail: bool = False) -> None:
        self.release = threading.Event()
        self.fail = fail
        super().__init__(settings, start=False)

    @property
    def started(self) -> bool:
        return self._started

    def _open(self) -> None:
        self.release.wait(30)
        if self.fail:
            self.future.set_exception(StoreError("the database is on fire"))
            return
        super()._open()


@pytest.fixture
def settings(fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name, value in fake_llm.env("openai-generic").items():
        monkeypatch.setenv(name, value)
    loaded = load_settings()
    with open_store(loaded) as store:  # an existing, migrated database with its local user
        store.users.local_user()
    return loaded


class HeldWrite:
    """Another writer holding the database's write lock (``BEGIN IMMEDIATE``) until released."""

    def __init__(self, settings: Settings) -> None:
        path = sqlite_path_of(settings.database_url)
        assert path is not None
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        self.conn.execute("COMMIT")
        self.conn.close()


def _roles(settings: Settings, session_id: str) -> list[tuple[str, str]]:
    with open_store(settings) as store:
        return [(m.role, m.content) for m in store.messages.list(session_id)]


async def test_events_wait_until_the_users_message_is_written(fake_llm: FakeLLM, settings: Settings) -> None:
    opening = HeldOpening(settings)
    service = AgentService(settings, opening, ToolRegistry.load(settings, include_mcp=False))
    fake_llm.reply_text(thinking("pong"), chunk_size=2)
    held = HeldWrite(settings)  # another process is writing: the turn's first rows must wait for it
    try:
        events = service.run("ping")
        first = asyncio.ensure_future(anext(events))
        await asyncio.to_thread(fake_llm.wait_for_requests, 1)  # the request went out meanwhile
        await asyncio.sleep(0.3)
        assert not first.done()
        assert "ping" in fake_llm.requests[0].prompt_text
    finally:
        held.release()
    started = await asyncio.wait_for(first, 30)
    assert isinstance(started, SessionStarted) and not started.resumed
    # The user's message is committed before the first event; the turn itself runs on without waiting
    # for its consumer, so the answer may be stored by now too.
    assert _roles(settings, started.session_id)[:1] == [("user", "ping")]
    rest = [event async for event in events]
    assert "".join(e.text for e in rest if isinstance(e, TextDelta)) == "pong"
    assert isinstance(rest[-1], Done)
    assert _roles(settings, started.session_id) == [("user", "ping"), ("assistant", "pong")]
    assert not opening.started  # a plain answer never opened the ORM store


async def test_a_plain_answer_never_opens_the_store(fake_llm: FakeLLM, settings: Settings) -> None:
    opening = HeldOpening(settings)  # never released: a turn that needed it would hang
    service = AgentService(settings, opening, ToolRegistry.load(settings, include_mcp=False))
    fake_llm.reply_text(thinking("pong"))
    events = await asyncio.wait_for(_collect(service.run("ping")), 30)
    assert isinstance(events[-1], Done) and events[-1].response == "pong"
    assert not opening.started
    assert _roles(settings, events[-1].session_id) == [("user", "ping"), ("assistant", "pong")]


async def test_a_tool_call_opens_the_store_and_its_rows_follow_the_turns(
    fake_llm: FakeLLM, settings: Settings
) -> None:
    opening = HeldOpening(settings)
    service = AgentService(settings, opening, ToolRegistry.load(settings, include_mcp=False))
    fake_llm.reply_text(thinking(None, ("plan_update", {"steps": [{"title": "pack"}]})))
    fake_llm.reply_text(thinking("planned"))
    events = service.run("plan my trip")
    started = await anext(events)  # the user's message is written without the ORM
    assert isinstance(started, SessionStarted)
    await asyncio.to_thread(fake_llm.wait_for_requests, 1)
    rest = asyncio.ensure_future(_collect(events))
    await asyncio.to_thread(_wait_until, lambda: opening.started)  # the tool call asks for the store
    assert not rest.done()
    opening.release.set()
    done = (await asyncio.wait_for(rest, 30))[-1]
    assert isinstance(done, Done) and done.response == "planned" and done.tools_used == ["plan_update"]
    assert [role for role, _ in _roles(settings, started.session_id)] == ["user", "tool", "assistant"]


async def test_the_store_starts_opening_as_soon_as_the_reply_shows_a_tool_call(
    fake_llm: FakeLLM, settings: Settings
) -> None:
    """Not once the reply is complete: the ORM's import overlaps the rest of the model's reply.

    The first reply is cut right after its tool call began (no complete reply ever arrives); the retry
    waits 20 s for its first byte. Only the partial reply can have started the store meanwhile."""
    opening = HeldOpening(settings)
    service = AgentService(settings, opening, ToolRegistry.load(settings, include_mcp=False))
    reply = thinking(None, ("plan_update", {"steps": [{"title": "pack a long list of things"}]}))
    fake_llm.reply_text(reply, chunk_size=8, drop_after_chunks=len(reply) // 8 - 2)
    fake_llm.reply_text(reply, delay_before_ms=20_000)
    events = service.run("plan my trip")
    rest = asyncio.ensure_future(_collect(events))
    try:
        await asyncio.to_thread(_wait_until, lambda: opening.started, 15)
        assert len(fake_llm.requests) <= 2 and not rest.done()
    finally:
        rest.cancel()
        opening.release.set()
        with contextlib.suppress(asyncio.CancelledError):
            await rest


async def test_a_first_write_that_fails_ends_the_turn_with_its_error(
    fake_llm: FakeLLM, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(light_write, "BUSY_TIMEOUT_MS", 200)
    opening = HeldOpening(settings)
    service = AgentService(settings, opening, ToolRegistry.load(settings, include_mcp=False))
    fake_llm.reply_text(thinking("pong"))
    held = HeldWrite(settings)  # and it does not let go within the busy timeout
    try:
        with pytest.raises(StoreError, match="could not write to the database: database is locked"):
            async for _ in service.run("ping"):
                raise AssertionError("an event was shown for a turn whose message was never written")
    finally:
        held.release()
    with open_store(settings) as store:
        assert store.sessions.list(store.users.local_user().id) == []
    assert not opening.started


async def test_a_store_that_fails_to_open_for_a_tool_ends_the_turn_with_its_error(
    fake_llm: FakeLLM, settings: Settings
) -> None:
    opening = HeldOpening(settings, fail=True)
    opening.release.set()
    service = AgentService(settings, opening, ToolRegistry.load(settings, include_mcp=False))
    fake_llm.reply_text(thinking(None, ("plan_update", {"steps": [{"title": "pack"}]})))
    events = await asyncio.wait_for(_collect(service.run("plan my trip")), 30)
    assert isinstance(events[0], SessionStarted)
    assert [(e.code, e.message) for e in events if isinstance(e, Error)] == [
        ("store_error", "the database is on fire")
    ]
    assert not [e for e in events if isinstance(e, Done)]
    assert _roles(settings, events[0].session_id) == [("user", "plan my trip")]  # the question is kept


async def _collect(events: AsyncIterator[object]) -> list[Any]:
    return [event async for event in events]


def _wait_until(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)
