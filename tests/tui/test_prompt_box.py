"""The message box shows all of its placeholder, wrapped where the terminal is narrow, never cut."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.content import Content

from pa_cli.tui.widgets.prompt import PLACEHOLDER

if TYPE_CHECKING:
    from pa_cli.tui.app import ChatApp

MakeApp = Callable[..., "ChatApp"]


async def test_an_empty_box_is_as_tall_as_its_wrapped_placeholder_and_one_line_once_typed_in(
    make_app: MakeApp,
) -> None:
    app = make_app(show_sidebar=False)
    async with app.run_test(size=(50, 20)) as pilot:
        await pilot.pause()
        prompt = app.prompt
        wrapped = Content.from_text(PLACEHOLDER).wrap(prompt.content_size.width)
        assert len(wrapped) == 2
        assert prompt.content_size.height == 2
        lines = [prompt.render_line(y).text.rstrip() for y in range(prompt.content_size.height)]
        assert " ".join(lines) == PLACEHOLDER

        prompt.insert("hi")
        await pilot.pause()
        assert prompt.content_size.height == 1

        prompt.clear()
        await pilot.pause()
        assert prompt.content_size.height == 2

        prompt.sent = ["hello"]  # Up recalls a sent message into the empty box, Down leaves it empty again
        prompt.focus()
        await pilot.press("up")
        await pilot.pause()
        assert (prompt.text, prompt.content_size.height) == ("hello", 1)
        await pilot.press("down")
        await pilot.pause()
        assert (prompt.text, prompt.content_size.height) == ("", 2)


async def test_at_80_columns_the_placeholder_takes_one_line(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.prompt.content_size.height == 1
        assert app.prompt.render_line(0).text.strip() == PLACEHOLDER
