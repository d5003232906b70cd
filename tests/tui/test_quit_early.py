"""Quitting before the opening started (before the first refresh's callback) still ends the app."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from pa_cli.agent.opening import ServiceOpening
from pa_cli.agent.service import AgentService


async def test_quit_before_the_opening_started_ends_and_leaves_it_opened(
    service: AgentService, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pa_cli.tui.app import ChatApp

    opening = ServiceOpening(lambda: service)
    original = ChatApp.call_after_refresh

    def never_start(self: ChatApp, callback: Callable[..., Any], *args: Any) -> bool:
        if callback == opening.start:  # as if ctrl+q came before the first refresh's callbacks
            return True
        return original(self, callback, *args)

    monkeypatch.setattr(ChatApp, "call_after_refresh", never_start)
    app = ChatApp(opening, open_browser=False)

    async def run_and_quit() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            assert not opening.done  # the sessions reader is waiting for it
            await pilot.press("ctrl+q")

    await asyncio.wait_for(run_and_quit(), timeout=30)  # hung for ever: the reader's thread never ended
    assert opening.done and opening.result() is service
