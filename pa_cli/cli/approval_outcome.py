"""What `pa approve` / `pa deny` say about the decided call: what ran and its result."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pa_cli.agent.events import Event, ToolCallFinished


def one_line(text: str, width: int = 200) -> str:
    """Text from outside (a tool summary, a preview) as one line with no control characters."""
    from pa_cli.sanitize import clean_line

    flat = " ".join(clean_line(text).split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


@dataclass
class DecidedCall:
    """Watches a resumed turn's events for the first finished call (the decided one) and reports it.

    ``announce`` False leaves the reporting to someone else (the terminal printer shows it already).
    """

    announce: bool = True
    finished: ToolCallFinished | None = None

    async def watch(self, events: AsyncIterator[Event]) -> AsyncIterator[Event]:
        from pa_cli.agent.events import ToolCallFinished

        async for event in events:
            if self.finished is None and isinstance(event, ToolCallFinished):
                self.finished = event
                if self.announce:
                    self.report()
            yield event

    def report(self) -> None:
        """One line on stderr: `ran fs_write: wrote /a.md`, `fs_write failed: ...`, `denied: ...`."""
        call = self.finished
        if call is None:
            return
        summary = one_line(call.summary)
        if call.status == "denied":
            line = f"denied: {call.tool} did not run"
        elif call.ok:
            line = f"ran {call.tool}: {summary}" if summary else f"ran {call.tool}"
        else:
            line = f"{call.tool} failed: {summary}"
        sys.stderr.write(line + "\n")
