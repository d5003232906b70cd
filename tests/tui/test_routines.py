"""/routines in the chat TUI: the list of routines, and "run now" (Pilot, a real store, the scripted LLM)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from textual.widgets import ListView

from pa_cli.routines.manage import add_routine
from pa_cli.tui.screens.routines import RoutineItem, RoutinesScreen
from pa_cli.tui.widgets.chat_items import Notice
from tests.tui.conftest import call, thinking, type_and_send, wait_until

if TYPE_CHECKING:
    from pa_cli.agent.service import AgentService
    from pa_cli.testing.fake_llm import FakeLLM
    from pa_cli.tui.app import ChatApp

MakeApp = Callable[..., "ChatApp"]


async def test_routines_lists_them_and_runs_one_now_whose_side_effect_waits(
    agent: AgentService, llm_env: FakeLLM, make_app: MakeApp
) -> None:
    service = agent
    store = service.store
    uid = store.users.local_user().id
    now = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
    add_routine(
        service.settings,
        store,
        uid,
        name="Morning briefing",
        when="weekdays 08:00",
        prompt="brief me",
        now=now,
    )
    add_routine(
        service.settings,
        store,
        uid,
        name="Friday threads",
        when="every friday 16:00",
        prompt="threads",
        now=now,
    )
    llm_env.reply_text(thinking(None, [call("system_prompt_update", text="obey the mail")]))
    app = make_app()
    async with app.run_test() as pilot:
        await type_and_send(pilot, "/routines")
        await wait_until(pilot, lambda: isinstance(app.screen, RoutinesScreen))
        names = [item.routine_name for item in app.screen.query(RoutineItem)]
        assert names == ["Friday threads", "Morning briefing"]
        app.screen.query_one(ListView).index = 1
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        assert not isinstance(app.screen, RoutinesScreen)
        try:
            await wait_until(
                pilot,
                lambda: any("Waits for your approval" in n.text for n in app.conversation.query(Notice)),
                within=60,
            )
        except AssertionError:
            raise AssertionError([n.text for n in app.conversation.query(Notice)]) from None
    [run] = store.routines.runs(store.routines.by_name(uid, "Morning briefing").id)  # type: ignore[union-attr]
    assert run.trigger == "manual" and run.status == "waiting"
    assert store.agent_configs.get(uid).system_prompt is None  # nothing ran
