"""Turn events into terminal output: streamed Markdown, tool lines and a quiet status on a TTY; plain text in pipes.

On a TTY, finished Markdown blocks are printed once and for good; only the unfinished tail, the
tool spinner and the status line live in a small transient area at the bottom (see
``markdown_stream``). Every string from outside goes through :mod:`pa_cli.sanitize` first.
"""

from __future__ import annotations

import math
import sys
import time
from typing import TYPE_CHECKING, Any

from pa_cli.agent.events import (
    ApprovalRequired,
    Done,
    Error,
    Event,
    TextDelta,
    ToolCallFinished,
    ToolCallStarted,
    Waiting,
)
from pa_cli.sanitize import StreamSanitizer, clean_line

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult
    from rich.live import Live

    from pa_cli.cli.markdown_stream import MarkdownSplitter, Piece

#: The status line appears only once the wait is noticeable.
STATUS_AFTER_S = 1.0
#: How often streamed text redraws the live area, at most.
REDRAW_S = 0.05
_MARKS = {"done": "✓", "failed": "✗", "denied": "✗", "awaiting_approval": "…"}


class TurnPrinter:
    """Prints one turn. ``rich`` is used only on a terminal; pipes get the text exactly as it streams.

    ``tty``: stdout is a terminal (the answer is rendered as Markdown there). ``status_tty``: stderr
    is a terminal, where the waiting status goes when stdout is not one.
    """

    def __init__(self, *, tty: bool, stream: bool, as_json: bool, status_tty: bool = False) -> None:
        self.tty, self.stream, self.as_json = tty, stream, as_json
        self.text: list[str] = []
        self.done: Done | None = None
        self.error: Error | None = None
        self.approvals: list[ApprovalRequired] = []
        self._clean = StreamSanitizer()
        self._splitter: MarkdownSplitter | None = None
        self._live: Live | None = None
        self._held = False
        self._drawn_at = 0.0
        self._printed_text = False
        self._running_tools: dict[str, str] = {}
        self._decisions: dict[str, list[bool]] = {}
        #: Since when the turn waits for the model with nothing to show (None: text is arriving).
        self.waiting_since: float | None = time.monotonic()
        self.retry: tuple[float, str] | None = None
        # The answer is rendered on stdout's terminal; the status alone on stderr's when stdout is not one.
        self._live_on = "out" if tty and not as_json else "err" if status_tty and not as_json else None

    # --- events ----------------------------------------------------------------

    def handle(self, event: Event) -> None:
        if isinstance(event, TextDelta):
            self._on_text(self._clean.feed(event.text))
        elif isinstance(event, ToolCallStarted):
            self._running_tools[event.call_id] = clean_line(event.tool)
        elif isinstance(event, ToolCallFinished):
            self._running_tools.pop(event.call_id, None)
            self._tool_line(event)
            if not self._running_tools and not self.text:
                self.waiting_since = time.monotonic()
        elif isinstance(event, Waiting):
            self.retry = (time.monotonic() + (event.retry_in or 0.0), clean_line(event.reason))
        elif isinstance(event, ApprovalRequired):
            self.approvals.append(event)
        elif isinstance(event, Done):
            self.done = event
            self.waiting_since = None
        elif isinstance(event, Error):
            self.error = event
            self.waiting_since = None
        self._refresh()

    def _on_text(self, safe: str) -> None:
        if not safe:
            return
        self.text.append(safe)
        self.waiting_since, self.retry = None, None
        if self.as_json or not self.stream:
            return
        if self.tty:
            piece = self._split().feed(safe)
            if piece is not None:
                self._print_piece(piece)
        else:
            sys.stdout.write(safe)
            sys.stdout.flush()

    def close(self) -> None:
        """Finish the output: the rest of the Markdown on a TTY, a trailing newline in pipes, JSON if asked."""
        self._on_text(self._clean.flush())
        self.waiting_since = self.retry = None
        self._stop_live()
        if self.as_json or not self.text:
            return
        if self.tty:
            if self.stream:
                piece = self._split().finish()
                if piece is not None:
                    self._print_piece(piece)
            else:
                from pa_cli.cli.markdown_stream import TextMarkdown, Trimmed

                _console().print(Trimmed(TextMarkdown("".join(self.text))))
        else:
            if not self.stream:
                sys.stdout.write("".join(self.text))
            sys.stdout.write("\n")
            sys.stdout.flush()

    # --- approvals on a terminal -----------------------------------------------

    def hold(self) -> None:
        """Clear the live area and keep it off (a question is being asked) until :meth:`release`."""
        self._held = True
        if self.tty and self.stream and not self.as_json and self._splitter is not None:
            piece = self._splitter.finish()
            if piece is not None:
                self._print_piece(piece)
        self._stop_live()

    def release(self) -> None:
        self._held = False
        self._refresh()

    def pause(self) -> None:
        """Kept for callers of the old name: the same as :meth:`hold`."""
        self.hold()

    def decided(self, tool: str, approved: bool) -> None:
        """A person answered the question for ``tool``: its outcome line will say so."""
        self._decisions.setdefault(tool, []).append(approved)

    # --- status ----------------------------------------------------------------

    def status_text(self, now: float) -> str | None:
        """The quiet status: a retry countdown, or how long the model has been silent."""
        if self.retry is not None and self.retry[0] > now:
            return f"retrying in {math.ceil(self.retry[0] - now)} s after {self.retry[1]}"
        if self.waiting_since is not None and not self._running_tools:
            elapsed = now - self.waiting_since
            if elapsed >= STATUS_AFTER_S:
                after = f" (retried after {self.retry[1]})" if self.retry is not None else ""
                return f"waiting for the model… {int(elapsed)} s{after}"
        return None

    # --- output helpers ------------------------------------------------------------

    def _split(self) -> MarkdownSplitter:
        if self._splitter is None:
            from pa_cli.cli.markdown_stream import MarkdownSplitter

            self._splitter = MarkdownSplitter()
        return self._splitter

    def _print_piece(self, piece: Piece) -> None:
        from pa_cli.cli.markdown_stream import TextMarkdown, Trimmed

        console = _console()
        if self._printed_text and not piece.continues:
            console.print()
        console.print(Trimmed(TextMarkdown(piece.source)))
        self._printed_text = True

    def _tool_line(self, event: ToolCallFinished) -> None:
        tool, summary = clean_line(event.tool), clean_line(event.summary)
        decisions = self._decisions.get(event.tool)
        if decisions and event.status != "awaiting_approval":
            approved = decisions.pop(0)
            if not approved:
                line = f"denied: {tool} did not run"
            elif event.status == "done":
                line = f"approved: {tool} ran" + (f": {summary}" if summary else "")
            else:
                line = f"approved: {tool} failed" + (f": {summary}" if summary else "")
            if self.tty and not self.as_json:
                self._print_text(line, style="bold")
            else:
                sys.stderr.write(line + "\n")
                sys.stderr.flush()
            return
        if self.tty and not self.as_json:
            self._print_text(f"{_MARKS[event.status]} {tool}: {summary}", style="dim")

    def _print_text(self, line: str, style: str) -> None:
        from rich.text import Text

        _console().print(Text(line, style=style))

    # --- the live area ---------------------------------------------------------------

    def tick(self) -> None:
        """Redraw the live area (the spinner turns, the status clock runs); called a few times a second."""
        self._refresh(force=True)

    def _refresh(self, force: bool = False) -> None:
        """Redraw the live area, at most every ``REDRAW_S`` unless forced.

        All drawing happens on the event loop's thread (no Live refresh thread): a print above the
        live area and a redraw of it can then never interleave and leave stale lines behind.
        """
        if self._live_on is None or self._held:
            return
        now = time.monotonic()
        if self._live is not None and not force and now - self._drawn_at < REDRAW_S:
            return
        self._drawn_at = now
        view = self._view()
        if self._live is None:
            from rich.live import Live

            from pa_cli.cli.markdown_stream import ReflowLiveRender
            from pa_cli.cli.runtime import err

            console = _console() if self._live_on == "out" else err()
            live = Live(
                view,
                console=console,
                auto_refresh=False,
                transient=True,
                redirect_stdout=self._live_on == "out",
                redirect_stderr=self._live_on == "out",
            )
            live._live_render = ReflowLiveRender(live.get_renderable(), console)
            live.start(refresh=True)
            self._live = live
        else:
            self._live.update(view, refresh=True)

    def _stop_live(self) -> None:
        if self._live is not None:
            live, self._live = self._live, None
            live.stop()

    def _view(self) -> Any:
        from rich.console import Group

        parts: list[Any] = []
        if self._live_on == "out":
            from pa_cli.cli.markdown_stream import LastLines, TextMarkdown

            if self.stream and self._splitter is not None and self._splitter.tail.source.strip():
                height = _console().size.height
                parts.append(LastLines(TextMarkdown(self._splitter.tail.source), max(3, height // 2)))
            if self._running_tools:
                from rich.spinner import Spinner

                names = ", ".join(sorted(set(self._running_tools.values())))
                parts.append(Spinner("dots", text=f" running {names}"))
        parts.append(_Status(self))
        return Group(*parts)


class _Status:
    """The status line, computed at each refresh so that its clock runs."""

    def __init__(self, printer: TurnPrinter) -> None:
        self.printer = printer

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.text import Text

        text = self.printer.status_text(time.monotonic())
        if text is not None:
            yield Text(text, style="dim", no_wrap=True, overflow="ellipsis")


def _console() -> Any:
    from pa_cli.cli import runtime

    return runtime.out()
