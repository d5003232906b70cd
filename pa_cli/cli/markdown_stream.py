"""Streamed Markdown on a terminal, without losing a word.

A Rich ``Live`` can only redraw what is still on the screen: a whole answer kept live scrolls out
of its reach and its lines are lost or repeated. So the answer is cut, at the source, into finished
blocks (a block followed by another one; a list item followed by another item), which are printed
once and for good, and the unfinished tail, the only part that stays live. Each piece is parsed on
its own, so every word is rendered exactly once, wrapped at the width of the moment.

Raw HTML is text here: a line that starts with a tag (``<tool>``, ``<data source="mail">``, which
models echo from pa's prompts) would otherwise open a CommonMark HTML block that Rich drops.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from markdown_it import MarkdownIt
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.control import Control
from rich.live_render import LiveRender
from rich.markdown import ListElement, Markdown, MarkdownElement
from rich.segment import ControlType, Segment

_LISTS = ("bullet_list_open", "ordered_list_open")


def parser() -> MarkdownIt:
    """Rich's own parser (CommonMark, tables, strikethrough) with raw HTML read as text."""
    return MarkdownIt("commonmark", {"html": False}).enable("strikethrough").enable("table")


class _AlignedList(ListElement):
    """Rich's list, with numbers at least two digits wide: an ordered list printed item by item keeps
    one column (Rich sizes it from the last number of what it renders)."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.list_type == "bullet_list_open":
            yield from super().__rich_console__(console, options)
            return
        number = 1 if self.list_start is None else self.list_start
        last_number = max(number + len(self.items), 10)
        for index, item in enumerate(self.items):
            yield from item.render_number(console, options, number + index, last_number)


class TextMarkdown(Markdown):
    """Rich Markdown whose raw HTML is shown as the text it is."""

    elements: ClassVar[dict[str, type[MarkdownElement]]] = {
        **Markdown.elements,
        "bullet_list_open": _AlignedList,
        "ordered_list_open": _AlignedList,
    }

    def __init__(self, markup: str) -> None:
        super().__init__("")
        self.markup = markup
        self.parsed = parser().parse(markup)


@dataclass
class Piece:
    """Markdown source to render on its own."""

    source: str
    #: True when it continues the previous piece's block (a list cut between two items): no blank line before it.
    continues: bool = False


class MarkdownSplitter:
    """Cuts streamed Markdown into finished pieces and an unfinished tail."""

    def __init__(self) -> None:
        self._parser = parser()
        self._text = ""
        self._continues = False

    def feed(self, text: str) -> Piece | None:
        """Add streamed text; the source that became finished, if any."""
        self._text += text
        cut, inside_list = self._finished_end()
        if cut == 0:
            return None
        piece = Piece(self._text[:cut], self._continues)
        self._text, self._continues = self._text[cut:], inside_list
        return piece

    @property
    def tail(self) -> Piece:
        return Piece(self._text, self._continues)

    def finish(self) -> Piece | None:
        """Everything not yet given out, as finished (the answer is complete or the output pauses)."""
        piece = self.tail if self._text.strip() else None
        self._text, self._continues = "", False
        return piece

    def _finished_end(self) -> tuple[int, bool]:
        """Where the finished source ends (0: nothing finished), and whether the cut is inside a list."""
        tokens = self._parser.parse(self._text)
        starts = [i for i, t in enumerate(tokens) if t.level == 0 and t.nesting >= 0 and t.map is not None]
        if not starts:
            return 0, False
        last = tokens[starts[-1]]
        assert last.map is not None
        line, inside_list = last.map[0], False
        if last.type in _LISTS:
            items = [
                t
                for t in tokens[starts[-1] :]
                if t.type == "list_item_open" and t.level == 1 and t.map is not None
            ]
            if len(items) >= 2:
                item_map = items[-1].map
                assert item_map is not None
                line, inside_list = item_map[0], True
        return _offset_of_line(self._text, line), inside_list


def _offset_of_line(text: str, line: int) -> int:
    offset = 0
    for _ in range(line):
        found = text.find("\n", offset)
        if found < 0:
            return len(text)
        offset = found + 1
    return offset


class Trimmed:
    """Renders a renderable without blank lines around it (Rich puts one before and after a list)."""

    def __init__(self, renderable: RenderableType) -> None:
        self.renderable = renderable

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = console.render_lines(self.renderable, options, pad=False)
        while lines and _blank(lines[-1]):
            lines.pop()
        while lines and _blank(lines[0]):
            lines.pop(0)
        for line in lines:
            yield from _rstrip(line)
            yield Segment.line()


class LastLines:
    """Renders only the last lines of a renderable (trailing spaces dropped): the live tail stays small."""

    def __init__(self, renderable: RenderableType, max_lines: int) -> None:
        self.renderable, self.max_lines = renderable, max_lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = console.render_lines(self.renderable, options, pad=False)
        while lines and _blank(lines[-1]):
            lines.pop()
        while lines and _blank(lines[0]):
            lines.pop(0)
        for line in lines[-self.max_lines :] if self.max_lines > 0 else []:
            yield from _rstrip(line)
            yield Segment.line()


def _blank(line: list[Segment]) -> bool:
    return not "".join(s.text for s in line if not s.control).strip()


def _rstrip(line: list[Segment]) -> list[Segment]:
    line = list(line)
    while line and not line[-1].control and not line[-1].text.strip():
        line.pop()
    if line and not line[-1].control:
        last = line[-1]
        line[-1] = Segment(last.text.rstrip(), last.style)
    return line


class ReflowLiveRender(LiveRender):
    """A LiveRender that finds its top again after the terminal was resized.

    Terminals that reflow (tmux, VTE, kitty, iTerm2, ...) rewrap lines wider than the new width onto
    several rows; Rich's LiveRender would move up one row per line and leave the rest on screen.
    This one remembers the width of each line it drew and counts rows at the width of the moment.
    """

    def __init__(self, renderable: RenderableType, console: Console) -> None:
        super().__init__(renderable, vertical_overflow="crop")
        self._console = console
        self._widths: list[int] = []

    def _rows(self) -> int:
        width = max(1, self._console.width)
        return sum(max(1, math.ceil(w / width)) for w in self._widths)

    def position_cursor(self) -> Control:
        if self._shape is None:
            return Control()
        rows = self._rows()
        return Control(
            ControlType.CARRIAGE_RETURN,
            (ControlType.ERASE_IN_LINE, 2),
            *(((ControlType.CURSOR_UP, 1), (ControlType.ERASE_IN_LINE, 2)) * (rows - 1)),
        )

    def restore_cursor(self) -> Control:
        if self._shape is None:
            return Control()
        return Control(
            ControlType.CARRIAGE_RETURN,
            *((ControlType.CURSOR_UP, 1), (ControlType.ERASE_IN_LINE, 2)) * self._rows(),
        )

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        style = console.get_style(self.style)
        lines = console.render_lines(self.renderable, options, style=style, pad=False)
        lines = lines[: options.size.height]
        self._shape = Segment.get_shape(lines) if lines else (0, 0)
        self._widths = [Segment.get_line_length(line) for line in lines]
        new_line = Segment.line()
        for index, line in enumerate(lines):
            yield from line
            if index < len(lines) - 1:
                yield new_line
