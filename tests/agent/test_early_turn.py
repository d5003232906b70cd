"""A turn started before its store is open (what `pa ask` does): the request goes out at once, and no
event reaches the front-end before the session and the user's message are written."""

from __future__ import annotations

import asyncio
import threading

import pytest

from pa_cli.agent.events import Done, SessionStarted, TextDelta
from pa_cli.agent.service import AgentService
from pa_cli.config import Settings, load_settings
from pa_cli.errors import StoreError
from pa_cli.store import open_store
from pa_cli.store.deferred import StoreOpening
from pa_cli.testing.fake_llm import FakeLLM
from pa_cli.tools.registry import ToolRegistry
from tests.agent.scripts import thinking


class HeldOpening(StoreOpening):
    """The real store opening, held until the test releases it (or failing, if told to)."""

    def __init__(self, settings: Settings, fail: bool = False) -> None:
        self.release = threading.Event()
        self.fail = fail
        super().__init__(settings, start=False)

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


async def test_events_wait_until_the_users_message_is_written(fake_llm: FakeLLM, settings: Settings) -> None:
    opening = HeldOpening(settings)
    service = AgentService(settings, opening, ToolRegistry.load(settings, include_mcp=False))
    fake_llm.reply_text(thinking("pong"), chunk_size=2)
    events = service.run("ping")
    first = asyncio.ensure_future(anext(events))
    await asyncio.to_thread(fake_llm.wait_for_requests, 1)  # the request went out, the store still closed
    await asyncio.sleep(0.3)
    assert not first.done()
    assert "ping" in fake_llm.requests[0].prompt_text
    opening.release.set()
    started = await asyncio.wait_for(first, 30)
    assert isinstance(started, SessionStarted) and not started.resumed
    stored = service.store.messages.list(started.session_id)
    # The user's message is committed before the first event; the turn itself runs on without waiting
    # for its consumer, so the answer may be stored by now too.
    assert [(m.role, m.content) for m in stored][:1] == [("user", "ping")]
    rest = [event async for event in events]
    assert "".join(e.text for e in rest if isinstance(e, TextDelta)) == "pong"
    assert isinstance(rest[-1], Done)
    stored = service.store.messages.list(started.session_id)
    assert [(m.role, m.content) for m in stored] == [("user", "ping"), ("assistant", "pong")]


async def test_a_store_that_fails_to_open_ends_the_turn_with_its_error(
    fake_llm: FakeLLM, settings: Settings
) -> None:
    opening = HeldOpening(settings, fail=True)
    service = AgentService(settings, opening, ToolRegistry.load(settings, include_mcp=False))
    fake_llm.reply_text(thinking("pong"))
    opening.release.set()
    with pytest.raises(StoreError, match="on fire"):
        async for _ in service.run("ping"):
            raise AssertionError("an event was shown for a turn whose message was never written")
