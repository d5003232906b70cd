"""How the conversation renders each kind of agent event (events fed directly, no LLM)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.widgets.markdown import MarkdownFence

from pa_cli.agent.events import Done, Error, PlanUpdated, TextDelta, ToolCallFinished, ToolCallStarted
from pa_cli.tui.screens.approval import key_facts
from pa_cli.tui.widgets.chat_items import SPINNER, AssistantMessage, Notice, ToolCallBlock
from pa_cli.tui.widgets.plan import PlanPanel
from tests.tui.conftest import wait_until

if TYPE_CHECKING:
    from pa_cli.tui.app import ChatApp

MakeApp = Callable[..., "ChatApp"]


async def test_text_deltas_append_to_one_markdown_answer_with_highlighted_code(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test() as pilot:
        conversation = app.conversation
        for piece in ["Here is ", "**code**:\n\n```py", "thon\nprint('hi')\n", "```\n"]:
            await conversation.apply(TextDelta(text=piece))
        answer = conversation.query_one(AssistantMessage)
        assert answer.streaming
        await conversation.apply(Done(response=answer.received, session_id="s"))
        await pilot.pause()
        assert not answer.streaming
        assert answer.source == "Here is **code**:\n\n```python\nprint('hi')\n```\n"
        fence = answer.query_one(MarkdownFence)
        assert fence.lexer == "python" and fence.code.strip() == "print('hi')"


async def test_fragments_that_arrive_while_the_answer_renders_are_joined(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test():
        answer = AssistantMessage()
        await app.conversation.mount(answer)
        appended: list[str] = []
        original = answer.append

        def counting_append(markdown: str) -> Any:
            appended.append(markdown)
            return original(markdown)

        answer.append = counting_append  # type: ignore[method-assign]
        pieces = [f"word{i} " for i in range(300)]
        for piece in pieces:
            await answer.write(piece)
        await answer.finish()
        assert answer.source == "".join(pieces)
        assert "".join(appended) == "".join(pieces)
        assert len(appended) < 30  # one append per refresh, not one per fragment


async def test_tool_call_block_shows_a_running_indicator_then_its_result(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test() as pilot:
        conversation = app.conversation
        await conversation.apply(ToolCallStarted(call_id="c1", tool="fs_read", arguments={"path": "/a.md"}))
        block = conversation.query_one(ToolCallBlock)
        assert block.title[0] in SPINNER and "fs_read · running" in block.title
        assert block.has_class("-running") and block.collapsed
        first = block.title
        await pilot.pause(0.25)
        assert block.title != first  # the spinner turns
        await conversation.apply(
            ToolCallFinished(call_id="c1", tool="fs_read", ok=True, summary="read /a.md (3 bytes)")
        )
        assert block.title == "✓ fs_read · done: read /a.md (3 bytes)"
        block.collapsed = False
        await pilot.pause()
        shown = [str(w.render()) for w in block.query("Static")]
        assert any('"path": "/a.md"' in text for text in shown)
        assert any("result: read /a.md (3 bytes)" in text for text in shown)


async def test_text_after_a_tool_call_starts_a_new_answer_below_it(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test():
        conversation = app.conversation
        await conversation.apply(TextDelta(text="Let me look."))
        await conversation.apply(ToolCallStarted(call_id="c1", tool="fs_list", arguments={}))
        await conversation.apply(ToolCallFinished(call_id="c1", tool="fs_list", ok=True, summary="2 files"))
        await conversation.apply(TextDelta(text="Two files."))
        kinds = [type(w).__name__ for w in conversation.children]
        assert kinds[-3:] == ["AssistantMessage", "ToolCallBlock", "AssistantMessage"]


async def test_plan_updates_replace_the_checklist(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test() as pilot:
        panel = app.query_one(PlanPanel)
        assert not panel.display
        steps = [{"title": "draft", "status": "in_progress"}, {"title": "send", "status": "pending"}]
        plan = await app.conversation.apply(PlanUpdated(steps=steps))
        assert plan is not None
        panel.show_steps(plan.steps)
        await pilot.pause()
        assert panel.display and str(panel.render()) == "Plan 0/2\n[>] draft\n[ ] send"
        panel.show_steps([{"title": "draft", "status": "done"}, {"title": "send", "status": "in_progress"}])
        await pilot.pause()
        assert str(panel.render()) == "Plan 1/2\n[x] draft\n[>] send"


async def test_errors_are_readable_notices_with_what_to_do(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test() as pilot:
        conversation = app.conversation
        await conversation.apply(TextDelta(text="partial"))
        await conversation.apply(
            Error(
                code="authorization_needed", message="gmail is not authorized: run `pa tools authorize gmail`"
            )
        )
        await pilot.pause()
        notice = conversation.query(Notice).last()
        assert notice.kind == "error"
        assert notice.text.startswith("Authorization needed: gmail is not authorized")
        assert "/authorize gmail" in notice.text
        assert conversation.query_one(AssistantMessage).has_class("-incomplete")
        await wait_until(pilot, lambda: app.screen is not None)


def test_approval_facts_for_mail_and_events_are_what_a_person_checks() -> None:
    mail = key_facts("gmail_send", {"to": ["a@x.org"], "subject": "Hi", "body": "line one\nline two"})
    assert mail == [("To", "a@x.org"), ("Subject", "Hi")]  # the body: whole, in the preview below
    event = key_facts("calendar_create_event", {"summary": "Lunch", "start": "2025-01-01T12:00:00+01:00"})
    assert event == [
        ("Title", "Lunch"),
        ("Start", "2025-01-01T12:00:00+01:00"),
        ("Attendees", "(none notified)"),
    ]
    assert key_facts("system_prompt_update", {"text": "x"}) == []
