"""Whole turns through the real agent (AgentService, BAML, tools, store) against the scripted LLM server."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from textual.message import Message
from textual.widgets.markdown import MarkdownFence

from pa_cli.agent.events import PlanUpdated, TextDelta
from pa_cli.testing.fake_llm import Reply
from pa_cli.tui.bridge import AgentEvent
from pa_cli.tui.screens.approval import ApprovalScreen
from pa_cli.tui.widgets.chat_items import AssistantMessage, Notice, ToolCallBlock, UserMessage
from pa_cli.tui.widgets.plan import PlanPanel
from tests.tui.conftest import call, thinking, type_and_send, wait_until

if TYPE_CHECKING:
    from pa_cli.agent.service import AgentService
    from pa_cli.testing.fake_llm import FakeLLM
    from pa_cli.tui.app import ChatApp

MakeApp = Callable[..., "ChatApp"]
LONG_ANSWER = " ".join(f"word{i}" for i in range(400))


def _events(app: ChatApp, kind: type[Any]) -> Callable[[Message], None]:
    seen: list[Any] = []
    app._seen = seen  # type: ignore[attr-defined]

    def hook(message: Message) -> None:
        if isinstance(message, AgentEvent) and isinstance(message.event, kind):
            seen.append(message.event)

    return hook


def _messages(agent: AgentService, session_id: str | None) -> list[tuple[str, str, str]]:
    assert session_id is not None
    return [(m.role, m.status, m.content) for m in agent.store.messages.list(session_id)]


def _notices(app: ChatApp) -> list[Notice]:
    return list(app.conversation.query(Notice))


async def _finish_turn(pilot: Any, app: ChatApp) -> None:
    await wait_until(pilot, lambda: app.turn is None)


async def test_a_message_gets_a_streamed_markdown_answer(
    agent: AgentService, llm_env: FakeLLM, make_app: MakeApp
) -> None:
    answer = "Here is **the plan**:\n\n```python\nprint('hello')\n```\n\nDone."
    llm_env.script(Reply(text=thinking(answer), chunk_size=6, delay_between_chunks_ms=60))
    app = make_app()
    async with app.run_test(message_hook=_events(app, TextDelta)) as pilot:
        await type_and_send(pilot, "show me some code")
        await _finish_turn(pilot, app)
        shown = app.conversation.query_one(AssistantMessage)
        assert shown.source == answer
        assert shown.query_one(MarkdownFence).lexer == "python"
        assert len(app._seen) > 3  # type: ignore[attr-defined]  # it arrived in pieces, as it was written
        assert [u.text for u in app.conversation.query(UserMessage)] == ["show me some code"]
        assert not [n for n in _notices(app) if n.kind == "error"]
        assert _messages(agent, app.session_id)[-2:] == [
            ("user", "complete", "show me some code"),
            ("assistant", "complete", answer),
        ]
        await wait_until(pilot, lambda: app.sidebar.session_ids == [app.session_id])  # the new session listed


async def test_a_tool_call_appears_as_a_block_with_arguments_and_result(
    agent: AgentService, llm_env: FakeLLM, make_app: MakeApp
) -> None:
    llm_env.script(
        thinking(None, [call("fs_write", path="/notes/todo.md", content="buy milk")]),
        thinking("Saved your note."),
    )
    app = make_app()
    async with app.run_test() as pilot:
        await type_and_send(pilot, "note: buy milk")
        await _finish_turn(pilot, app)
        block = app.conversation.query_one(ToolCallBlock)
        assert block.tool == "fs_write" and block.status == "done"
        assert block.arguments == {"path": "/notes/todo.md", "content": "buy milk"}
        assert block.summary and block.title.startswith("✓ fs_write · done")
        assert app.conversation.query(AssistantMessage).last().source == "Saved your note."
    user_id = agent.store.users.local_user().id
    stored = agent.store.vfs.read(user_id, "/notes/todo.md")
    assert stored is not None and stored.content == "buy milk"


async def test_the_plan_shows_as_a_checklist_that_updates_live(
    agent: AgentService, llm_env: FakeLLM, make_app: MakeApp
) -> None:
    llm_env.script(
        thinking(
            None,
            [call("plan_update", steps=[{"title": "draft", "status": "in_progress"}, {"title": "send"}])],
        ),
        thinking(
            None, [call("plan_update", steps=[{"title": "draft", "status": "done"}, {"title": "send"}])]
        ),
        thinking("Planned."),
    )
    app = make_app()
    shown: list[str] = []
    async with app.run_test(message_hook=_events(app, PlanUpdated)) as pilot:
        panel = app.query_one(PlanPanel)
        original = panel.show_steps

        def record(steps: list[dict[str, str]]) -> None:
            original(steps)
            shown.append(str(panel.render()))

        panel.show_steps = record  # type: ignore[method-assign]
        await type_and_send(pilot, "plan it")
        await _finish_turn(pilot, app)
        assert len(app._seen) == 2  # type: ignore[attr-defined]
        assert shown == ["Plan 0/2\n[>] draft\n[ ] send", "Plan 1/2\n[x] draft\n[ ] send"]
        assert panel.display


@pytest.mark.parametrize("approve", [True, False], ids=["approved", "denied"])
async def test_a_side_effect_waits_for_the_approval_modal(
    approve: bool, agent: AgentService, llm_env: FakeLLM, make_app: MakeApp
) -> None:
    llm_env.script(
        thinking(None, [call("system_prompt_update", text="Answer in French.")]),
        thinking("Done." if approve else "I left it as it was."),
    )
    app = make_app()
    user_id = agent.store.users.local_user().id
    async with app.run_test() as pilot:
        await type_and_send(pilot, "always answer in French")
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalScreen))
        screen = app.screen
        assert isinstance(screen, ApprovalScreen)
        assert screen.request.tool == "system_prompt_update"
        assert "Answer in French." in screen.request.preview
        assert agent.store.agent_configs.get(user_id).system_prompt is None  # nothing ran yet
        assert app.conversation.query_one(ToolCallBlock).status == "awaiting_approval"
        await pilot.press("y" if approve else "n")
        await _finish_turn(pilot, app)
        block = app.conversation.query_one(ToolCallBlock)
        assert block.status == ("done" if approve else "denied")
        approval = agent.store.approvals.get(screen.request.id)
        assert approval is not None and approval.status == ("executed" if approve else "denied")
    expected = "Answer in French." if approve else None
    assert agent.store.agent_configs.get(user_id).system_prompt == expected


async def test_stop_mid_stream_keeps_the_session_consistent(
    agent: AgentService, llm_env: FakeLLM, make_app: MakeApp
) -> None:
    llm_env.script(Reply(text=thinking(LONG_ANSWER), chunk_size=8, delay_between_chunks_ms=15))
    app = make_app()
    async with app.run_test() as pilot:
        await type_and_send(pilot, "tell me a long story")
        await wait_until(pilot, lambda: len(getattr(app.conversation.answer, "received", "")) > 20)
        await pilot.press("escape")
        await _finish_turn(pilot, app)
        session_id = app.session_id
        partial = app.conversation.query_one(AssistantMessage)
        assert partial.has_class("-incomplete")
        assert 0 < len(partial.received) < len(LONG_ANSWER)
        assert any(n.text.startswith("Stopped.") for n in _notices(app))
        stored = _messages(agent, session_id)
        assert stored[0] == ("user", "complete", "tell me a long story")
        role, status, content = stored[-1]
        assert (role, status) == ("assistant", "incomplete") and LONG_ANSWER.startswith(content)

        llm_env.script(thinking("Short version: they lived happily."))
        await type_and_send(pilot, "shorter please")
        await _finish_turn(pilot, app)
        assert app.session_id == session_id
        assert app.conversation.query(AssistantMessage).last().source == "Short version: they lived happily."
        assert "tell me a long story" in llm_env.last_request.prompt_text  # the history went along
        assert _messages(agent, session_id)[-1] == (
            "assistant",
            "complete",
            "Short version: they lived happily.",
        )


async def test_sending_while_a_turn_runs_is_refused_with_a_notice(
    agent: AgentService, llm_env: FakeLLM, make_app: MakeApp
) -> None:
    llm_env.script(Reply(text=thinking(LONG_ANSWER), chunk_size=8, delay_between_chunks_ms=10))
    app = make_app()
    async with app.run_test() as pilot:
        await type_and_send(pilot, "first")
        await wait_until(pilot, lambda: app.conversation.answer is not None)
        await type_and_send(pilot, "second")
        assert any("A turn is running" in n.text for n in _notices(app))
        await pilot.press("escape")
        await _finish_turn(pilot, app)
        assert [u.text for u in app.conversation.query(UserMessage)] == ["first"]


async def test_switching_sessions_continues_the_chosen_one(
    agent: AgentService, llm_env: FakeLLM, make_app: MakeApp
) -> None:
    llm_env.script(thinking("Paris."), thinking("Rome."), thinking("About 2.1 million."))
    app = make_app(show_sidebar=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await type_and_send(pilot, "capital of France?")
        await _finish_turn(pilot, app)
        first = app.session_id
        await pilot.press("ctrl+n")
        await type_and_send(pilot, "capital of Italy?")
        await _finish_turn(pilot, app)
        second = app.session_id
        assert first and second and first != second
        await wait_until(pilot, lambda: app.sidebar.session_ids == [second, first])
        app.sidebar.query_one("#session-list").focus()
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: app.session_id == first)
        await wait_until(
            pilot, lambda: [u.text for u in app.conversation.query(UserMessage)] == ["capital of France?"]
        )
        await type_and_send(pilot, "how many people live there?")
        await _finish_turn(pilot, app)
        assert app.session_id == first
        assert "capital of France?" in llm_env.last_request.prompt_text
        assert "capital of Italy?" not in llm_env.last_request.prompt_text
        assert [m[2] for m in _messages(agent, first)] == [
            "capital of France?",
            "Paris.",
            "how many people live there?",
            "About 2.1 million.",
        ]


@pytest.mark.parametrize("settings_overrides", [{"llm.max_retries": 0}], ids=["no-retries"])
@pytest.mark.parametrize(
    ("status", "title"),
    [(503, "The LLM is unavailable: "), (429, "Rate limited: ")],
    ids=["llm-down", "rate-limited"],
)
async def test_llm_failures_are_readable_notices_and_the_app_keeps_working(
    status: int,
    title: str,
    settings_overrides: dict[str, Any],
    llm_env: FakeLLM,
    agent: AgentService,
    make_app: MakeApp,
) -> None:
    llm_env.fail(status, times=10, retry_after=0)
    app = make_app()
    async with app.run_test() as pilot:
        await type_and_send(pilot, "hello?")
        await _finish_turn(pilot, app)
        errors = [n for n in _notices(app) if n.kind == "error"]
        assert len(errors) == 1
        assert errors[0].text.startswith(title), errors[0].text
        assert "Traceback" not in errors[0].text
        llm_env.reset()
        llm_env.script(thinking("I am back."))
        await type_and_send(pilot, "hello again?")
        await _finish_turn(pilot, app)
        assert app.conversation.query(AssistantMessage).last().source == "I am back."


async def test_stopping_while_the_approval_modal_is_open_closes_it_and_runs_nothing(
    agent: AgentService, llm_env: FakeLLM, make_app: MakeApp
) -> None:
    llm_env.script(thinking(None, [call("system_prompt_update", text="Never mind.")]))
    app = make_app()
    user_id = agent.store.users.local_user().id
    async with app.run_test() as pilot:
        await type_and_send(pilot, "change the prompt")
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalScreen))
        app.action_stop()  # what Esc does on the main screen (on the modal, Esc means deny)
        await _finish_turn(pilot, app)
        await wait_until(pilot, lambda: not isinstance(app.screen, ApprovalScreen))
        assert any(n.text.startswith("Stopped.") for n in _notices(app))
        assert app.conversation.query_one(ToolCallBlock).status == "failed"
        await type_and_send(pilot, "/help")  # the app still answers
        await wait_until(pilot, lambda: app.screen.id == "help")
    assert agent.store.agent_configs.get(user_id).system_prompt is None


async def test_two_side_effects_in_one_step_get_one_modal_each(
    agent: AgentService, llm_env: FakeLLM, make_app: MakeApp
) -> None:
    llm_env.script(
        thinking(
            None, [call("system_prompt_update", text="First."), call("system_prompt_update", text="Second.")]
        ),
        thinking("One of them ran."),
    )
    app = make_app()
    user_id = agent.store.users.local_user().id
    async with app.run_test() as pilot:
        await type_and_send(pilot, "try two prompts")
        await wait_until(pilot, lambda: len(app.screen_stack) == 3)  # the chat and two modals
        top = app.screen
        assert isinstance(top, ApprovalScreen)
        approved_text = top.request.arguments["text"]
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalScreen) and app.screen is not top)
        await pilot.press("n")
        await _finish_turn(pilot, app)
        statuses = sorted(block.status for block in app.conversation.query(ToolCallBlock))
        assert statuses == ["denied", "done"]
    assert agent.store.agent_configs.get(user_id).system_prompt == approved_text
