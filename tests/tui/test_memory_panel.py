"""The memory panel (F2, shown in the footer): every remembered fact, to read, edit, pin and forget.

Driven through Pilot against a real store; what the panel shows is read from the rendered
screen (the SVG screenshot's text), not from widget state.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.widgets import DataTable, Input
from textual.widgets.data_table import RowKey

from pa_cli.tui.screens.memory import MemoryScreen
from tests.tui.conftest import wait_until

if TYPE_CHECKING:
    from pa_cli.agent.service import AgentService
    from pa_cli.store import Memory
    from pa_cli.tui.app import ChatApp

MakeApp = Callable[..., "ChatApp"]
_TEXT = re.compile(r"<text[^>]*>(.*?)</text>", re.DOTALL)


def on_screen(app: ChatApp) -> str:
    """The text on the terminal screen, as rendered."""
    svg = app.export_screenshot()
    return html.unescape("".join(_TEXT.findall(svg))).replace("\xa0", " ")


async def test_f2_opens_the_memory_panel_where_facts_are_edited_pinned_and_forgotten(
    make_app: MakeApp, service: AgentService
) -> None:
    store = service.store
    uid = store.users.local_user().id
    sam = store.memories.add(uid, "My manager is Sam")
    store.memories.add(uid, "Lunch is at noon", taint="this session read mail from mallory@evil.example")
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        assert "Memory" in on_screen(app)  # the footer names the key
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, MemoryScreen) and app.screen.memories)
        await wait_until(pilot, lambda: "Memory: 2 facts" in on_screen(app))
        shown = on_screen(app)
        assert "My manager is Sam" in shown and "Lunch is at noon" in shown and "untrusted" in shown

        screen = app.screen
        assert isinstance(screen, MemoryScreen)
        row = next(i for i, m in enumerate(screen.memories) if m.id == sam.id)
        screen.query_one("#memory-table").move_cursor(row=row)  # type: ignore[attr-defined]
        await pilot.press("e")
        editor = screen.query_one("#memory-edit", Input)
        await wait_until(pilot, lambda: editor.has_focus and editor.value == "My manager is Sam")
        await pilot.press("ctrl+a", "ctrl+k")
        await pilot.press(*"My manager is Priya")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "My manager is Priya" in on_screen(app))
        edited = store.memories.get(uid, sam.id)
        assert edited is not None and edited.text == "My manager is Priya"

        await pilot.press("p")
        await wait_until(pilot, lambda: (m := store.memories.get(uid, sam.id)) is not None and m.pinned)
        await wait_until(pilot, lambda: "pinned" in on_screen(app))

        row = next(i for i, m in enumerate(screen.memories) if m.id == sam.id)
        screen.query_one("#memory-table").move_cursor(row=row)  # type: ignore[attr-defined]
        await pilot.press("d")
        await wait_until(pilot, lambda: store.memories.get(uid, sam.id) is None)
        await wait_until(pilot, lambda: "Memory: 1 fact" in on_screen(app))
        assert "Priya" not in on_screen(app)

        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, MemoryScreen))


async def test_the_panel_says_when_nothing_is_remembered(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f2")
        await wait_until(pilot, lambda: "Memory: 0 facts. Nothing yet." in on_screen(app))


LONG = "The offsite is the Q3 planning week in Lisbon, 14-18 September, with the whole platform team"


async def test_a_resize_rewraps_the_facts_it_holds_without_reading_the_database_again(
    make_app: MakeApp, service: AgentService
) -> None:
    store = service.store
    store.memories.add(store.users.local_user().id, LONG)
    app = make_app()
    async with app.run_test(size=(140, 30)) as pilot:
        await pilot.press("f2")
        await wait_until(pilot, lambda: "Memory: 1 fact" in on_screen(app))
        screen = app.screen
        assert isinstance(screen, MemoryScreen)
        table = screen.query_one("#memory-table", DataTable)
        row = RowKey(screen.memories[0].id)
        wide = table.get_row_height(row)
        reads: list[int] = []
        book_list = screen.book.list

        def counted(limit: int | None = None) -> list[Memory]:
            reads.append(1)
            return book_list(limit)

        screen.book.list = counted  # type: ignore[method-assign]

        await pilot.resize_terminal(70, 30)
        await wait_until(pilot, lambda: table.get_row_height(row) > wide)
        await pilot.pause()
        shown = on_screen(app)
        assert "platform team" in shown, shown  # the fact's end is on screen, not cut
        assert reads == []  # re-wrapped from the rows it held
