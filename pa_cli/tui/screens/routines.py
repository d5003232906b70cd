"""/routines: your routines with their next run; Enter or R runs the chosen one now."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, ListItem, ListView


class RoutineItem(ListItem):
    def __init__(self, view: dict[str, Any]) -> None:
        self.routine_name = str(view["name"])
        state = "paused" if view["paused"] else f"next {str(view['next_run_at'])[:16].replace('T', ' ')}"
        text = Text(self.routine_name, style="bold")
        text.append(f"  {view['schedule']} · {state}", style="dim")
        super().__init__(Label(text))


class RoutinesScreen(ModalScreen[str | None]):
    """Dismissed with the name of the routine to run now, or None."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Close"), Binding("r", "run_now", "Run now")]

    def __init__(self, routines: list[dict[str, Any]]) -> None:
        super().__init__(classes="search")
        self.routines = routines

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Routines (Enter or R: run now)", classes="dialog-title")
            if self.routines:
                yield ListView(*(RoutineItem(v) for v in self.routines), id="routine-list")
            else:
                yield Label(
                    'No routines yet: `pa routine add NAME --at "weekdays 08:00" "..."`', id="routines-empty"
                )
        yield Footer()

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        event.stop()
        if isinstance(event.item, RoutineItem):
            self.dismiss(event.item.routine_name)

    def action_run_now(self) -> None:
        items = self.query(ListView)
        if items and isinstance(items.first().highlighted_child, RoutineItem):
            child = items.first().highlighted_child
            assert isinstance(child, RoutineItem)
            self.dismiss(child.routine_name)
