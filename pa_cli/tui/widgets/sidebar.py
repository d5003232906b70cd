"""The sessions sidebar: newest first; choosing one opens it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Label, ListItem, ListView

from pa_cli.sanitize import clean_line

if TYPE_CHECKING:
    from pa_cli.history import SessionSummary


class SessionItem(ListItem):
    def __init__(self, summary: SessionSummary, *, current: bool) -> None:
        self.session_id = summary.id
        label = Text(clean_line(summary.title), no_wrap=True, overflow="ellipsis")
        label.append(f"\n{summary.messages} message{'' if summary.messages == 1 else 's'}", style="dim")
        super().__init__(Label(label), classes="-current" if current else "")


class SessionsSidebar(Vertical):
    """A toggleable list of sessions."""

    class Chosen(Message):
        def __init__(self, session_id: str) -> None:
            super().__init__()
            self.session_id = session_id

    def compose(self) -> ComposeResult:
        yield Label("Sessions", classes="sidebar-title")
        yield ListView(id="session-list")

    async def show_sessions(self, sessions: list[SessionSummary], current: str | None) -> None:
        view = self.query_one(ListView)
        await view.clear()
        await view.extend(SessionItem(s, current=s.id == current) for s in sessions)
        for index, summary in enumerate(sessions):
            if summary.id == current:
                view.index = index
                break

    @property
    def session_ids(self) -> list[str]:
        return [item.session_id for item in self.query(SessionItem)]

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        event.stop()
        if isinstance(event.item, SessionItem):
            self.post_message(self.Chosen(event.item.session_id))
