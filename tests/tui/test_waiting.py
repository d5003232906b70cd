"""`pa chat` shows a retry after an LLM error as a quiet notice, and the answer still arrives."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pa_cli.agent.events import Waiting
from pa_cli.tui.bridge import AgentEvent
from pa_cli.tui.widgets.chat_items import AssistantMessage, Notice
from tests.tui.conftest import thinking, type_and_send, wait_until

if TYPE_CHECKING:
    from textual.message import Message

    from pa_cli.agent.service import AgentService
    from pa_cli.testing.fake_llm import FakeLLM
    from pa_cli.tui.app import ChatApp

MakeApp = Callable[..., "ChatApp"]


async def test_a_retry_shows_a_notice_and_the_answer_follows(
    agent: AgentService, llm_env: FakeLLM, make_app: MakeApp
) -> None:
    llm_env.fail(503)
    llm_env.script(thinking("Here after one retry."))
    seen: list[Waiting] = []

    def hook(message: Message) -> None:
        if isinstance(message, AgentEvent) and isinstance(message.event, Waiting):
            seen.append(message.event)

    app = make_app()
    async with app.run_test(message_hook=hook) as pilot:
        await type_and_send(pilot, "hello?")
        await wait_until(pilot, lambda: app.turn is None)
        notices: list[Any] = [n.text for n in app.conversation.query(Notice)]
        assert len(seen) == 1 and seen[0].reason == "HTTP 503 from the LLM"
        assert [t for t in notices if t.startswith("retrying in ")] == [
            f"retrying in {seen[0].retry_in:.0f} s after HTTP 503 from the LLM"
        ]
        assert app.conversation.query_one(AssistantMessage).received == "Here after one retry."
