"""The session's plan (``plan_update``) as a checklist that updates live."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from pa_cli.sanitize import clean_line

MARKS = {"done": "[x]", "completed": "[x]", "in_progress": "[>]", "skipped": "[-]", "cancelled": "[-]"}


def checklist(steps: list[dict[str, str]]) -> Text:
    text = Text()
    done = sum(1 for s in steps if s.get("status") in ("done", "completed"))
    text.append(f"Plan {done}/{len(steps)}\n", style="bold")
    for index, step in enumerate(steps):
        status = step.get("status", "pending")
        mark = MARKS.get(status, "[ ]")
        style = "dim" if status in ("done", "completed", "skipped", "cancelled") else ""
        if status == "in_progress":
            style = "bold"
        text.append(f"{mark} {clean_line(step.get('title', ''))}", style=style)
        if index < len(steps) - 1:
            text.append("\n")
    return text


class PlanPanel(Static):
    """Hidden while the session has no plan."""

    def __init__(self) -> None:
        super().__init__("", id="plan")
        self.steps: list[dict[str, str]] = []
        self.display = False

    def show_steps(self, steps: list[dict[str, str]]) -> None:
        self.steps = list(steps)
        self.display = bool(steps)
        self.update(checklist(self.steps) if steps else "")
