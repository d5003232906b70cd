"""/search TEXT: matching messages; choosing one opens its session."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, ListItem, ListView

if TYPE_CHECKING:
    from pa_cli.history import MessageView

EXCERPT = 160


class SearchHit(ListItem):
    def __init__(self, hit: MessageView) -> None:
        self.session_id = hit.session_id
        text = Text(f"{hit.role} · {hit.session_id[:8]}\n", style="dim")
        excerpt = " ".join(hit.content.split())
        text.append(excerpt[:EXCERPT] + ("..." if len(excerpt) > EXCERPT else ""))
        super().__init__(Label(text))


class SearchScreen(ModalScreen[str | None]):
    """Dismissed with the chosen message's session id, or None."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Close")]

    def __init__(self, query: str, hits: list[MessageView]) -> None:
        super().__init__(classes="search")
        self.query_text = query
        self.hits = hits

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            count = len(self.hits)
            yield Label(
                Text(f"Search {self.query_text!r}: {count} match{'es' if count != 1 else ''}"),
                classes="dialog-title",
            )
            if self.hits:
                yield ListView(*(SearchHit(hit) for hit in self.hits), id="search-results")
            else:
                yield Label("Nothing found.", id="search-empty")
        yield Footer()

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        event.stop()
        if isinstance(event.item, SearchHit):
            self.dismiss(event.item.session_id)
