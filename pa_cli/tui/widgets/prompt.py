"""The message box: multi-line, Enter sends, history with up/down."""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.widgets import TextArea

NEWLINE_KEYS = frozenset({"shift+enter", "ctrl+j", "alt+enter", "ctrl+enter"})
#: One line beside the sessions list at 100 columns; wrapped, never cut, where it is narrower.
PLACEHOLDER = "Message pa (Enter to send, Shift+Enter for a new line, /help)"


class PromptInput(TextArea):
    """Enter sends; Shift+Enter (or Ctrl+J) starts a new line; Up/Down at the edges walk the history."""

    # Enter is handled in _on_key, in order with the typed characters (a priority binding would run
    # before keys still queued for this widget: "hello" + Enter read in one go would send "").
    # The binding is there for the footer.
    BINDINGS = [Binding("enter", "send", "Send")]

    class Submitted(Message):
        def __init__(self, prompt: PromptInput, text: str) -> None:
            super().__init__()
            self.prompt = prompt
            self.text = text

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            "",
            id=id,
            soft_wrap=True,
            show_line_numbers=False,
            tab_behavior="focus",
            compact=True,
            placeholder=PLACEHOLDER,
        )
        self.sent: list[str] = []
        self._history_index: int | None = None
        self._draft = ""
        self._had_text = False

    def on_mount(self) -> None:
        if self.app.is_headless:  # tests and snapshots: a steady cursor
            self.cursor_blink = False

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """Empty, the box is as tall as its placeholder wrapped to its width (TextArea draws the
        placeholder wrapped, but sizes the box by the empty text's one line: the rest was cut)."""
        height = super().get_content_height(container, viewport, width)
        if self.text or not self.placeholder:
            return height
        return max(height, len(Content.from_text(self.placeholder).wrap(width)))

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        if bool(self.text) != self._had_text:  # the placeholder came or went: its height too
            self._had_text = bool(self.text)
            self.refresh(layout=True)

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.action_send()
            return
        if event.key in NEWLINE_KEYS:
            event.stop()
            event.prevent_default()
            self.action_newline()
            return
        if event.key == "up" and self.cursor_at_first_line and self._history_back():
            event.stop()
            event.prevent_default()
            return
        if event.key == "down" and self.cursor_at_last_line and self._history_forward():
            event.stop()
            event.prevent_default()
            return
        await super()._on_key(event)

    def action_newline(self) -> None:
        start, end = self.selection
        self.replace("\n", start, end, maintain_selection_offset=False)

    def action_send(self) -> None:
        text = self.text
        if not text.strip():
            return
        if not self.sent or self.sent[-1] != text:
            self.sent.append(text)
        self._history_index = None
        self._draft = ""
        self.clear()
        self.post_message(self.Submitted(self, text))

    def _show(self, text: str) -> None:
        self.load_text(text)
        self.move_cursor(self.document.end)

    def _history_back(self) -> bool:
        if not self.sent:
            return False
        if self._history_index is None:
            self._draft = self.text
            self._history_index = len(self.sent)
        if self._history_index == 0:
            return True
        self._history_index -= 1
        self._show(self.sent[self._history_index])
        return True

    def _history_forward(self) -> bool:
        if self._history_index is None:
            return False
        self._history_index += 1
        if self._history_index >= len(self.sent):
            self._history_index = None
            self._show(self._draft)
        else:
            self._show(self.sent[self._history_index])
        return True
