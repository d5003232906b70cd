"""Turn events into terminal output: live Markdown and a tool spinner on a TTY, plain text in pipes."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from pa_cli.agent.events import (
    ApprovalRequired,
    Done,
    Error,
    Event,
    TextDelta,
    ToolCallFinished,
    ToolCallStarted,
)

if TYPE_CHECKING:
    from rich.live import Live


class TurnPrinter:
    """Prints one turn. ``rich`` is used only on a TTY; pipes get the text exactly as it streams."""

    def __init__(self, *, tty: bool, stream: bool, as_json: bool) -> None:
        self.tty, self.stream, self.as_json = tty, stream, as_json
        self.text: list[str] = []
        self.done: Done | None = None
        self.error: Error | None = None
        self.approvals: list[ApprovalRequired] = []
        self._live: Live | None = None
        self._running_tools: dict[str, str] = {}

    # --- events ----------------------------------------------------------------

    def handle(self, event: Event) -> None:
        if isinstance(event, TextDelta):
            self.text.append(event.text)
            if self.as_json or not self.stream:
                return
            if self.tty:
                self._live_update()
            else:
                sys.stdout.write(event.text)
                sys.stdout.flush()
        elif isinstance(event, ToolCallStarted):
            self._running_tools[event.call_id] = event.tool
            self._live_update()
        elif isinstance(event, ToolCallFinished):
            self._running_tools.pop(event.call_id, None)
            if self.tty and not self.as_json:
                mark = {"done": "✓", "failed": "✗", "denied": "✗", "awaiting_approval": "…"}[event.status]
                self._print_above(f"[dim]{mark} {event.tool}: {_escape(event.summary)}[/dim]")
            self._live_update()
        elif isinstance(event, ApprovalRequired):
            self.approvals.append(event)
        elif isinstance(event, Done):
            self.done = event
        elif isinstance(event, Error):
            self.error = event

    def close(self) -> None:
        """Finish the output: final Markdown on a TTY, a trailing newline in pipes, JSON if asked."""
        if self._live is not None:
            self._live.update(self._renderable(final=True))
            self._live.stop()
            self._live = None
        elif self.tty and not self.as_json and self.text and not self.stream:
            from rich.markdown import Markdown

            _console().print(Markdown("".join(self.text)))
        elif not self.tty and not self.as_json and self.text:
            if not self.stream:
                sys.stdout.write("".join(self.text))
            sys.stdout.write("\n")
            sys.stdout.flush()

    # --- approvals on a terminal -----------------------------------------------

    def pause(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    # --- rich helpers ------------------------------------------------------------

    def _live_update(self) -> None:
        if not self.tty or self.as_json:
            return
        if self._live is None:
            from rich.live import Live

            self._live = Live(self._renderable(), console=_console(), refresh_per_second=12, transient=False)
            self._live.start()
        else:
            self._live.update(self._renderable())

    def _renderable(self, final: bool = False) -> Any:
        from rich.console import Group
        from rich.markdown import Markdown
        from rich.spinner import Spinner

        parts: list[Any] = []
        if self.text and self.stream:
            parts.append(Markdown("".join(self.text)))
        if self._running_tools and not final:
            names = ", ".join(sorted(set(self._running_tools.values())))
            parts.append(Spinner("dots", text=f" running {names}"))
        return Group(*parts)

    def _print_above(self, markup: str) -> None:
        if self._live is not None:
            self._live.console.print(markup)
        else:
            _console().print(markup)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _console() -> Any:
    from pa_cli.cli import runtime

    return runtime.out()
