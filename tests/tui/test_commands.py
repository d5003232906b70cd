"""Slash commands, sessions and the message box, driven through Pilot against a real store."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.widgets import ListView, Markdown, TextArea

from pa_cli.tui.commands import SlashCommand, parse
from pa_cli.tui.screens.info import InfoScreen
from pa_cli.tui.screens.search import SearchScreen
from pa_cli.tui.screens.system_prompt import SystemPromptScreen
from pa_cli.tui.widgets.chat_items import AssistantMessage, Notice, ToolCallBlock, UserMessage
from tests.tui.conftest import type_and_send, wait_until

if TYPE_CHECKING:
    from pa_cli.store import Store
    from pa_cli.tui.app import ChatApp

MakeApp = Callable[..., "ChatApp"]


def _seed_session(store: Store, title: str, question: str, answer: str) -> str:
    user = store.users.local_user()
    session = store.sessions.create(user.id, title=title)
    store.messages.add(session.id, "user", question)
    store.messages.add(session.id, "assistant", answer)
    return str(session.id)


def _notices(app: ChatApp) -> list[str]:
    return [n.text for n in app.conversation.query(Notice)]


def _markdown_source(screen: Any) -> str:
    return "\n".join(m.source for m in screen.query(Markdown))


def test_slash_commands_parse_with_their_argument() -> None:
    assert parse("/search  dentist  appointment ") == SlashCommand("search", "dentist  appointment")
    assert parse("/NEW") == SlashCommand("new", "")
    assert parse("hello /new") is None
    assert parse("//not a command") is None


async def test_help_command_and_f1_open_the_help_screen(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test() as pilot:
        await type_and_send(pilot, "/help")
        await wait_until(pilot, lambda: isinstance(app.screen, InfoScreen))
        assert "/authorize gmail" in _markdown_source(app.screen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, InfoScreen)
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, InfoScreen))


async def test_tools_command_lists_the_builtin_tools_and_what_needs_approval(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test() as pilot:
        await type_and_send(pilot, "/tools")
        await wait_until(pilot, lambda: isinstance(app.screen, InfoScreen))
        source = _markdown_source(app.screen)
        assert "`fs_write`" in source and "`plan_update`" in source
        assert "| `system_prompt_update` | yes (asks first) |" in source


async def test_system_command_shows_the_prompt_and_saves_an_edit(make_app: MakeApp, store: Store) -> None:
    app = make_app()
    async with app.run_test() as pilot:
        await type_and_send(pilot, "/system")
        await wait_until(pilot, lambda: isinstance(app.screen, SystemPromptScreen))
        editor = app.screen.query_one(TextArea)
        assert editor.text.startswith("You are pa")
        editor.load_text("Answer like a pirate.")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "System prompt saved." in _notices(app))
    user = store.users.local_user()
    assert store.agent_configs.get(user.id).system_prompt == "Answer like a pirate."


async def test_system_command_cancel_changes_nothing(make_app: MakeApp, store: Store) -> None:
    app = make_app()
    async with app.run_test() as pilot:
        await type_and_send(pilot, "/system")
        await wait_until(pilot, lambda: isinstance(app.screen, SystemPromptScreen))
        app.screen.query_one(TextArea).load_text("something else")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, SystemPromptScreen))
    assert store.agent_configs.get(store.users.local_user().id).system_prompt is None


async def test_search_command_finds_an_old_message_and_opens_its_session(
    make_app: MakeApp, store: Store
) -> None:
    _seed_session(store, "Groceries", "what do I need from the shop", "milk and eggs")
    wanted = _seed_session(store, "Dentist", "when is my dentist appointment", "Tuesday at 10:00")
    app = make_app()
    async with app.run_test() as pilot:
        await type_and_send(pilot, "/search dentist")
        await wait_until(pilot, lambda: isinstance(app.screen, SearchScreen))
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        assert {hit.session_id for hit in screen.hits} == {wanted}
        screen.query_one(ListView).focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.session_id == wanted and app.conversation.query(AssistantMessage))
        assert [u.text for u in app.conversation.query(UserMessage)] == ["when is my dentist appointment"]
        assert app.conversation.query_one(AssistantMessage).received == "Tuesday at 10:00"


async def test_search_without_text_says_how_to_use_it(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test() as pilot:
        await type_and_send(pilot, "/search")
        await wait_until(pilot, lambda: "Usage: /search TEXT" in _notices(app))


async def test_unknown_command_is_a_notice_not_a_message(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test() as pilot:
        await type_and_send(pilot, "/frobnicate")
        await wait_until(
            pilot, lambda: any(n.startswith("Unknown command /frobnicate") for n in _notices(app))
        )
        assert not app.conversation.query(UserMessage)
        assert app.turn is None


async def test_sessions_command_shows_the_sidebar_and_switches_session(
    make_app: MakeApp, store: Store
) -> None:
    first = _seed_session(store, "First chat", "question one", "answer one")
    second = _seed_session(store, "Second chat", "question two", "answer two")
    app = make_app(session_id=first, show_sidebar=False)
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: app.conversation.query(AssistantMessage))
        assert not app.sidebar.display
        await type_and_send(pilot, "/sessions")
        await wait_until(pilot, lambda: app.sidebar.display and len(app.sidebar.session_ids) == 2)
        assert app.sidebar.session_ids == [second, first]  # newest first
        assert isinstance(app.focused, ListView)
        await pilot.press("up")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.session_id == second)
        await wait_until(
            pilot, lambda: [u.text for u in app.conversation.query(UserMessage)] == ["question two"]
        )
        assert app.sub_title == "Second chat"


async def test_new_command_and_ctrl_n_start_an_empty_session(make_app: MakeApp, store: Store) -> None:
    existing = _seed_session(store, "Old", "old question", "old answer")
    app = make_app(session_id=existing)
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: app.conversation.query(UserMessage))
        await type_and_send(pilot, "/new")
        await wait_until(pilot, lambda: not app.conversation.query(UserMessage))
        assert app.session_id is None
        app.open_session(existing)
        await wait_until(pilot, lambda: app.conversation.query(UserMessage))
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: not app.conversation.query(UserMessage))
        assert app.session_id is None


async def test_resuming_a_session_shows_its_transcript_tool_calls_and_plan(
    make_app: MakeApp, store: Store
) -> None:
    user = store.users.local_user()
    session = store.sessions.create(user.id, title="Notes")
    store.messages.add(session.id, "user", "save a note")
    store.messages.add(
        session.id,
        "tool",
        "wrote /notes.md",
        tool_name="fs_write",
        tool_call_id="c1",
        data={"arguments": {"path": "/notes.md", "content": "hi"}, "ok": True, "state": "done"},
    )
    store.messages.add(session.id, "assistant", "Saved **/notes.md**.")
    store.plans.set(session.id, [{"title": "write the note", "status": "done"}])
    app = make_app(session_id=session.id)
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: app.conversation.query(ToolCallBlock))
        block = app.conversation.query_one(ToolCallBlock)
        assert (block.tool, block.status, block.summary) == ("fs_write", "done", "wrote /notes.md")
        assert block.arguments == {"path": "/notes.md", "content": "hi"}
        plan = app.query_one("#plan")
        assert plan.display and "[x] write the note" in str(plan.render())


async def test_unknown_session_is_a_readable_notice(make_app: MakeApp) -> None:
    app = make_app(session_id="doesnotexist")
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: any("no session" in n for n in _notices(app)))
        assert app.session_id is None


async def test_enter_sends_and_shift_enter_adds_a_line(make_app: MakeApp) -> None:
    app = make_app()
    sent: list[str] = []

    async def record(command: Any) -> None:
        sent.append(command.name)

    async with app.run_test() as pilot:
        prompt = app.prompt
        prompt.focus()
        await pilot.press("a", "shift+enter", "b")
        assert prompt.text == "a\nb"
        app.run_command = record  # type: ignore[method-assign]
        prompt.load_text("/new")
        await pilot.press("enter")
        await pilot.pause()
        assert sent == ["new"] and prompt.text == ""


async def test_up_and_down_walk_through_sent_messages(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test() as pilot:
        prompt = app.prompt
        for text in ("/help", "/tools"):
            await type_and_send(pilot, text)
            while not isinstance(app.screen, InfoScreen):
                await pilot.pause(0.02)
            await pilot.press("escape")
            await pilot.pause()
        prompt.focus()
        await pilot.press(*"draft")
        await pilot.press("up")
        assert prompt.text == "/tools"
        await pilot.press("up")
        assert prompt.text == "/help"
        await pilot.press("down", "down")
        assert prompt.text == "draft"


async def test_no_color_is_respected(make_app: MakeApp) -> None:
    app = make_app()  # the test environment sets NO_COLOR=1
    async with app.run_test():
        assert app.no_color


async def test_everything_fits_in_80_by_24(make_app: MakeApp, store: Store) -> None:
    session = _seed_session(store, "Long", "question", "\n\n".join(f"paragraph {i}" for i in range(40)))
    app = make_app(session_id=session)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.conversation.query(AssistantMessage))
        assert not app.sidebar.display  # too narrow for the sidebar by default
        screen = app.screen.region
        for widget in (app.conversation, app.prompt, app.query_one("Footer")):
            assert screen.contains_region(widget.region), widget
        assert app.prompt.region.height >= 3
        assert app.conversation.region.height >= 12
    wide = make_app(session_id=session)
    async with wide.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert wide.sidebar.display


async def test_sidebar_leaves_out_direct_tool_runs(make_app: MakeApp, store: Store) -> None:
    chat = _seed_session(store, "A real chat", "question", "answer")
    run = store.sessions.create(store.users.local_user().id, title="pa tools run fs_write", kind="tool_run")
    store.messages.add(run.id, "user", "pa tools run fs_write")
    app = make_app(session_id=chat, show_sidebar=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.sidebar.display and len(app.sidebar.session_ids) >= 1)
        await pilot.pause()
        assert app.sidebar.session_ids == [chat]
