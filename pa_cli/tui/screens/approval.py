"""The approval modal: what will happen, exactly, and approve / deny. Nothing runs without it.

The whole preview is what a person approves: when it does not fit, it scrolls, and Approve (button
and `y`) stays disabled until its end has been on screen. Deny and Escape work at any time, and the
focus starts on Deny.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, SelectionList, Static

from pa_cli.sanitize import clean, clean_line

if TYPE_CHECKING:
    from pa_cli.agent.state import ApprovalRequest

#: The body is not among a mail's facts: the preview below them shows it whole, as it will go out.
MAIL_FIELDS: tuple[tuple[str, str], ...] = (
    ("to", "To"),
    ("cc", "Cc"),
    ("subject", "Subject"),
)
EVENT_FIELDS: tuple[tuple[str, str], ...] = (
    ("summary", "Title"),
    ("start", "Start"),
    ("end", "End"),
    ("attendees", "Attendees"),
    ("location", "Location"),
    ("scope", "Applies to"),
)


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
            facts.append((label, _value(arguments[key])))
    if tool.startswith("calendar_") and "attendees" not in arguments and tool != "calendar_delete_event":
        facts.append(("Attendees", "(none notified)"))
    return facts


class ApprovalScreen(ModalScreen[bool]):
    """Dismissed with True (approve) or False (deny)."""

    BINDINGS = [
        Binding("y", "decide(True)", "Approve"),
        Binding("n,escape", "decide(False)", "Deny"),
        Binding("down,j", "scroll_body(1)", "Scroll", show=False),
        Binding("up,k", "scroll_body(-1)", "Scroll up", show=False),
        Binding("pagedown,space", "page_body(1)", "Page down", show=False),
        Binding("pageup", "page_body(-1)", "Page up", show=False),
        Binding("end", "body_end", "End", show=False),
    ]

    def __init__(self, request: ApprovalRequest) -> None:
        super().__init__(classes="approval")
        self.request = request
        self.withdrawn = False
        self.seen_to_end = False
        """Whether the end of the preview has been on screen: Approve works only then."""

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
                        table.append(clean_line(value))
                        if index < len(facts) - 1:
                            table.append("\n")
                    yield Static(table, id="approval-facts")
                yield Static(Text(clean(request.preview)), id="approval-preview")
            if request.choices:
                yield Label(
                    Text(f"Runs on the ticked ones ({len(request.choices)}); space unticks:"),
                    id="approval-choices-title",
                )
                yield SelectionList[str](
                    *[
                        (clean_line(f"{label}  [{item_id}]"), item_id, True)
                        for item_id, label in request.choices
                    ],
                    id="approval-choices",
                )
            yield Label(
                Text("Scroll to the end (↓, PgDn, End) to approve; n or Esc denies."), id="approval-hint"
            )
            with Horizontal(id="approval-buttons"):
                yield Button("Approve (y)", id="approve", variant="success", disabled=True)
                yield Button("Deny (n)", id="deny", variant="error")

    @property
    def body(self) -> VerticalScroll:
        return self.query_one("#approval-body", VerticalScroll)

    def on_mount(self) -> None:
        self.query_one("#deny", Button).focus()
        self.watch(self.body, "scroll_y", self._check_seen, init=False)
        self.call_after_refresh(self._check_seen)

    def on_resize(self) -> None:
        self.call_after_refresh(self._check_seen)

    def _check_seen(self, *_: object) -> None:
        body = self.body
        if self.seen_to_end or body.size.height == 0:
            return
        hint = self.query_one("#approval-hint", Label)
        if body.scroll_y >= body.max_scroll_y:
            self.seen_to_end = True
            self.query_one("#approve", Button).disabled = False
            hint.display = False
        else:
            hint.display = True

    def action_scroll_body(self, lines: int) -> None:
        self.body.scroll_relative(y=lines, animate=False)

    def action_page_body(self, pages: int) -> None:
        body = self.body
        body.scroll_relative(y=pages * max(1, body.scrollable_content_region.height - 1), animate=False)

    def action_body_end(self) -> None:
        self.body.scroll_end(animate=False)

    def action_decide(self, approved: bool) -> None:
        if approved and not self.seen_to_end:
            self.notify("Scroll to the end of the preview before approving.", severity="warning")
            return
        if approved and self.request.choices:
            ticked = set(self.query_one("#approval-choices", SelectionList).selected)
            if not ticked:
                self.notify("Nothing is ticked: deny instead (n).", severity="warning")
                return
            self.request.deselected[:] = [i for i, _ in self.request.choices if i not in ticked]
        self.dismiss(approved)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_decide(event.button.id == "approve")
