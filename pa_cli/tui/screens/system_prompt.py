"""/system: show and edit the system prompt."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Label, TextArea


class SystemPromptScreen(ModalScreen[str | None]):
    """Dismissed with the new prompt (empty or the default text: use the default) or None (cancelled)."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "dismiss(None)", "Cancel"),
    ]

    def __init__(self, current: str | None, default: str) -> None:
        super().__init__(classes="system-prompt")
        self.current = current
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            note = "custom" if self.current else "the default (save an empty text to go back to it)"
            yield Label(f"System prompt: {note}", classes="dialog-title")
            yield TextArea(self.current or self.default, id="system-prompt-text", soft_wrap=True)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", id="save", variant="primary")
                yield Button("Cancel (esc)", id="cancel")
        yield Footer()

    def on_mount(self) -> None:
        editor = self.query_one(TextArea)
        editor.cursor_blink = not self.app.is_headless
        editor.focus()

    def action_save(self) -> None:
        text = self.query_one(TextArea).text.strip()
        self.dismiss("" if text == self.default.strip() else text)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        else:
            self.dismiss(None)
