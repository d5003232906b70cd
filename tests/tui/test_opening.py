"""The chat app before its service is open: the screen works, what needs the service waits for it."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from pa_cli.agent.opening import ServiceOpening
from pa_cli.testing.fake_llm import Reply
from pa_cli.tui.widgets.chat_items import AssistantMessage, Notice, UserMessage
from tests.tui.conftest import thinking, type_and_send, wait_until

if TYPE_CHECKING:
    from pa_cli.agent.service import AgentService
    from pa_cli.testing.fake_llm import FakeLLM


def _gated_opening(gate: threading.Event) -> ServiceOpening:
    """The real ``AgentService.open`` on this test's home, once ``gate`` is set."""

    def open_service() -> AgentService:
        from pa_cli.agent.service import AgentService
        from pa_cli.config import load_settings

        assert gate.wait(30)
        return AgentService.open(load_settings())

    return ServiceOpening(open_service)


async def test_a_message_sent_before_the_service_is_open_is_shown_then_run_once_it_is(
    llm_env: FakeLLM,
) -> None:
    from pa_cli.tui.app import ChatApp

    llm_env.script(Reply(text=thinking("It waited for the store."), chunk_size=4))
    gate = threading.Event()
    opening = _gated_opening(gate)
    app = ChatApp(opening, open_browser=False)
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: app.prompt.has_focus)
        await type_and_send(pilot, "sent early")
        await pilot.pause(0.3)
        assert [m.text for m in app.conversation.query(UserMessage)] == ["sent early"]
        assert app.busy and not opening.done
        assert llm_env.requests == []  # nothing goes out before the service (and its store) is open

        gate.set()
        await wait_until(pilot, lambda: app.turn is None)
        answers = [a.received for a in app.conversation.query(AssistantMessage)]
        assert answers == ["It waited for the store."]
        service = opening.future.result()
        assert app.session_id is not None
        stored = [(m.role, m.content) for m in service.store.messages.list(app.session_id)]
        assert stored == [("user", "sent early"), ("assistant", "It waited for the store.")]
        await wait_until(pilot, lambda: len(app.sidebar.query("SessionItem")) == 1)  # listed once open
    service.store.close()


async def test_stopping_a_message_that_waits_for_the_service_sends_nothing(llm_env: FakeLLM) -> None:
    from pa_cli.tui.app import ChatApp

    gate = threading.Event()
    opening = _gated_opening(gate)
    app = ChatApp(opening, open_browser=False)
    async with app.run_test() as pilot:
        await type_and_send(pilot, "never mind")
        await pilot.pause(0.2)
        assert app.busy
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.turn is None)
        assert any("Stopped" in n.text for n in app.conversation.query(Notice))
        gate.set()
        await wait_until(pilot, lambda: opening.done)
        await pilot.pause(0.3)
        assert llm_env.requests == []
    opening.future.result().store.close()


async def test_a_service_that_cannot_open_says_why_once_and_again_to_a_message(
    llm_env: FakeLLM,
) -> None:
    from pa_cli.errors import StoreError
    from pa_cli.tui.app import ChatApp

    def refuse() -> AgentService:
        raise StoreError("the database is from the future", hint="upgrade pa")

    opening = ServiceOpening(refuse)
    app = ChatApp(opening, open_browser=False, show_sidebar=True)
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: opening.failed)

        def errors() -> list[str]:
            return [n.text for n in app.conversation.query(Notice) if n.kind == "error"]

        await wait_until(pilot, lambda: errors())
        await pilot.pause(0.3)
        assert errors() == ["the database is from the future\nupgrade pa"]  # once, not once per reader

        await type_and_send(pilot, "hello?")
        await wait_until(pilot, lambda: app.turn is None)
        assert errors()[-1] == "Error: the database is from the future (upgrade pa)"
        assert llm_env.requests == []
