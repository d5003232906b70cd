"""The memory panel (F2): every remembered fact, to read, edit, pin or forget.

Database work runs in threads (``asyncio.to_thread``); the table is reloaded after each change,
and re-laid out from the rows it holds when the terminal is resized.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Input, Label

if TYPE_CHECKING:
    from pa_cli.memory.book import MemoryBook
    from pa_cli.store import Memory

#: The marks come before the fact, so they stay on screen however long the fact is.
_COLUMNS = ("id", "", "fact")
_ID_WIDTH = 12
_MARKS_WIDTH = len("pinned untrusted")
#: Cell padding (one column each side of each of the three cells) and the vertical scrollbar.
_CHROME = 3 * 2 + 2


class MemoryScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("e", "edit", "Edit"),
        Binding("d", "forget", "Forget"),
        Binding("p", "pin", "Pin/unpin"),
        Binding("escape", "close", "Close"),
    ]

    def __init__(self, book: MemoryBook) -> None:
        super().__init__(classes="memory")
        self.book = book
        self.memories: list[Memory] = []
        self.editing: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="memory-dialog"):
            yield Label("Memory", classes="dialog-title", id="memory-title")
            table: DataTable[Text] = DataTable(id="memory-table", cursor_type="row", zebra_stripes=True)
            yield table
            yield Input(id="memory-edit", placeholder="the fact; Enter saves, Esc cancels")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        self.query_one(Input).display = False
        table.focus()
        self.reload()

    @property
    def current(self) -> Memory | None:
        table = self.query_one(DataTable)
        if not self.memories or table.cursor_row < 0 or table.cursor_row >= len(self.memories):
            return None
        return self.memories[table.cursor_row]

    @work(group="memory", exclusive=True, exit_on_error=False)
    async def reload(self) -> None:
        try:
            self.memories = await asyncio.to_thread(self.book.list)
        except Exception as exc:
            self.notify(f"Could not read memories: {exc}", severity="error")
            return
        self._lay_out()

    def _lay_out(self) -> None:
        """Fill the table from ``self.memories``, each fact wrapped to the table's current width."""
        table = self.query_one(DataTable)
        row = table.cursor_row
        # Columns are rebuilt so their widths fit the new texts: a cleared table keeps the old
        # widths, and an edited fact that grew was shown cut ("My manager is Pri").
        table.clear(columns=True)
        width = self._fact_width()
        table.add_column(_COLUMNS[0], width=_ID_WIDTH)
        table.add_column(_COLUMNS[1], width=_MARKS_WIDTH)
        table.add_column(_COLUMNS[2], width=width)
        for memory in self.memories:
            marks = " ".join(m for m, on_ in (("pinned", memory.pinned), ("untrusted", memory.taint)) if on_)
            fact = Text(memory.text)
            # A fact is wrapped over as many lines as it needs: a person must read all of it.
            lines = len(fact.wrap(self.app.console, width))
            table.add_row(
                Text(memory.id), Text(marks, style="dim"), fact, height=max(1, lines), key=memory.id
            )
        if self.memories:
            table.move_cursor(row=min(max(row, 0), len(self.memories) - 1))
        state = "" if self.book.enabled else " (off: memory.enabled = false)"
        count = len(self.memories)
        self.query_one("#memory-title", Label).update(
            f"Memory{state}: {count} fact{'s' if count != 1 else ''}" + ("" if count else ". Nothing yet.")
        )

    def _fact_width(self) -> int:
        table = self.query_one(DataTable)
        available = table.size.width or self.app.size.width
        return max(16, available - _ID_WIDTH - _MARKS_WIDTH - _CHROME)

    def on_resize(self) -> None:
        # The rows are the same: only their wrapping changes. After the refresh, the table has its new width.
        if self.memories:
            self.call_after_refresh(self._lay_out)

    def action_edit(self) -> None:
        memory = self.current
        if memory is None:
            return
        self.editing = memory.id
        editor = self.query_one(Input)
        editor.value = memory.text
        editor.display = True
        editor.focus()

    @on(Input.Submitted, "#memory-edit")
    def _edit_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.editing is not None:
            self.change("edit", self.editing, event.value)
        self._close_editor()

    def _close_editor(self) -> None:
        self.editing = None
        editor = self.query_one(Input)
        editor.display = False
        self.query_one(DataTable).focus()

    def action_forget(self) -> None:
        memory = self.current
        if memory is not None and self.editing is None:
            self.change("forget", memory.id)

    def action_pin(self) -> None:
        memory = self.current
        if memory is not None and self.editing is None:
            self.change("pin", memory.id, "" if memory.pinned else "pin")

    def action_close(self) -> None:
        if self.editing is not None:
            self._close_editor()
            return
        self.dismiss(None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Edit, forget and pin act on a row; while the editor is open, keys belong to it."""
        if action in ("edit", "forget", "pin"):
            return self.editing is None and bool(self.memories)
        return True

    @work(group="memory-change", exit_on_error=False)
    async def change(self, what: str, memory_id: str, value: str = "") -> None:
        try:
            if what == "edit":
                await asyncio.to_thread(self.book.edit, memory_id, value)
                self.notify("Saved.")
            elif what == "forget":
                await asyncio.to_thread(self.book.forget, memory_id)
                self.notify("Forgotten.")
            else:
                await asyncio.to_thread(self.book.pin, memory_id, bool(value))
        except Exception as exc:
            message = getattr(exc, "message", None) or type(exc).__name__
            self.notify(f"Could not change the memory: {message}", severity="error")
        self.reload()
