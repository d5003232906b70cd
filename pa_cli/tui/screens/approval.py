"""The approval modal: what will happen, exactly, and approve / deny. Nothing runs without it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

if TYPE_CHECKING:
    from pa_cli.agent.state import ApprovalRequest

MAIL_FIELDS: tuple[tuple[str, str], ...] = (
    ("to", "To"),
    ("cc", "Cc"),
    ("subject", "Subject"),
    ("body", "Body"),
)
EVENT_FIELDS: tuple[tuple[str, str], ...] = (
    ("summary", "Title"),
    ("start", "Start"),
    ("end", "End"),
    ("attendees", "Attendees"),
    ("location", "Location"),
    ("scope", "Applies to"),
)
BODY_EXCERPT = 60


def _value(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(none)"
    return str(value)


def key_facts(tool: str, arguments: dict[str, Any]) -> list[tuple[str, str]]:
    """The fields a person checks first, by kind of action (the full preview follows)."""
    if tool.startswith("gmail_"):
        fields = MAIL_FIELDS
    elif tool.startswith("calendar_"):
        fields = EVENT_FIELDS
    else:
        return []
    facts = []
    for key, label in fields:
        if key in arguments and arguments[key] not in (None, "", []):
            text = _value(arguments[key])
            if key == "body":
                lines = len(text.splitlines())
                text = " ".join(text.split())
                if len(text) > BODY_EXCERPT:
                    text = text[:BODY_EXCERPT].rstrip() + "..."
                if lines > 1:
                    text += f" ({lines} lines)"
            facts.append((label, text))
    if tool.startswith("calendar_") and "attendees" not in arguments and tool != "calendar_delete_event":
        facts.append(("Attendees", "(none notified)"))
    return facts


class ApprovalScreen(ModalScreen[bool]):
    """Dismissed with True (approve) or False (deny)."""

    BINDINGS = [
        Binding("y", "decide(True)", "Approve"),
        Binding("n,escape", "decide(False)", "Deny"),
    ]

    def __init__(self, request: ApprovalRequest) -> None:
        super().__init__(classes="approval")
        self.request = request
        self.withdrawn = False

    def withdraw(self) -> None:
        """The turn stopped: close now, or as soon as the screens above this one close."""
        self.withdrawn = True
        if self.is_current:
            self.dismiss(False)

    def on_screen_resume(self) -> None:
        if self.withdrawn:
            self.dismiss(False)

    def compose(self) -> ComposeResult:
        request = self.request
        with Vertical(id="approval-dialog"):
            yield Label(Text(f"Approve {request.tool}?"), id="approval-title")
            with VerticalScroll(id="approval-body"):
                facts = key_facts(request.tool, request.arguments)
                if facts:
                    table = Text()
                    for index, (label, value) in enumerate(facts):
                        table.append(f"{label}: ", style="bold")
                        table.append(value)
                        if index < len(facts) - 1:
                            table.append("\n")
                    yield Static(table, id="approval-facts")
                yield Static(Text(request.preview), id="approval-preview")
            with Horizontal(id="approval-buttons"):
                yield Button("Approve (y)", id="approve", variant="success")
                yield Button("Deny (n)", id="deny", variant="error")

    def on_mount(self) -> None:
        self.query_one("#deny", Button).focus()

    def action_decide(self, approved: bool) -> None:
        self.dismiss(approved)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "approve")
