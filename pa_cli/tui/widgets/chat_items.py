"""What the conversation is made of: the user's messages, streamed answers, tool calls, notices.

Answers (Markdown) and tool calls live here; the plain items, which the first screen needs, live
in ``plain_items`` (re-exported here) so that the Markdown parser loads only with the first answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

from markdown_it import MarkdownIt
from rich.text import Text
from textual.widgets import Collapsible, Markdown, Static

from pa_cli.sanitize import StreamSanitizer, clean, clean_line
from pa_cli.tui.widgets.plain_items import Notice, UserMessage

__all__ = ["AnswerStream", "AssistantMessage", "Notice", "ToolCallBlock", "UserMessage", "markdown_parser"]

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
TOOL_STATUS_LABELS = {
    "running": "running",
    "awaiting_approval": "awaiting approval",
    "done": "done",
    "failed": "failed",
    "denied": "denied",
}
TOOL_STATUS_MARKS = {"awaiting_approval": "?", "done": "✓", "failed": "✗", "denied": "⊘"}
MAX_ARGUMENT_CHARS = 4_000
DUTY_PAUSE = 1.0  # pause after an update, relative to what the update cost
MAX_PAUSE_S = 0.5


class AnswerStream:
    """Streams fragments into a Markdown widget with ``append`` (only the last block is re-parsed).

    Like Textual's MarkdownStream, fragments that arrive while the widget is busy are joined into
    one append. In addition it keeps a duty cycle: after each append and the screen refresh it
    causes, it waits about as long again before the next one. A long answer makes every refresh
    dearer (the compositor visits every block), so without this the UI would spend all its time
    re-laying out and starve both key presses and the agent's thread; with it, rendering takes at
    most about half the UI's time and updates simply come less often as the answer grows.
    """

    def __init__(self, widget: Markdown) -> None:
        self.widget = widget
        self._pending: list[str] = []
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    def write(self, fragment: str) -> None:
        if fragment:
            self._pending.append(fragment)
            self._wake.set()

    async def stop(self) -> None:
        """Show everything written so far, then end."""
        self._stopping.set()
        self._wake.set()
        if self._task is not None:
            task, self._task = self._task, None
            await task

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._pending:
                text = "".join(self._pending)
                self._pending.clear()
                started = time.monotonic()
                try:
                    await self.widget.append(text)
                except Exception:  # the widget went away (the app is closing): nothing left to show
                    return
                await self._refreshed()
                pause = min((time.monotonic() - started) * DUTY_PAUSE, MAX_PAUSE_S)
            else:
                pause = 0.0
            if self._stopping.is_set():
                if not self._pending:
                    return
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), pause)

    async def _refreshed(self) -> None:
        refreshed = asyncio.Event()
        if self.widget.call_after_refresh(refreshed.set):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(refreshed.wait(), MAX_PAUSE_S)


def markdown_parser() -> MarkdownIt:
    """Textual's parser ("gfm-like") with raw HTML read as text: a line that starts with a tag
    (``<tool>``, ``<data source="mail">``) would otherwise open an HTML block that hides the text."""
    return MarkdownIt("gfm-like", {"html": False})


class AssistantMessage(Markdown):
    """An answer; while streaming, fragments are appended through an AnswerStream (no full re-render).

    Text from the model is sanitized (no escape sequences or controls), also across fragments."""

    def __init__(self, markdown: str = "", *, incomplete: bool = False) -> None:
        markdown = clean(markdown)
        super().__init__(markdown, classes="assistant-message", parser_factory=markdown_parser)
        self._stream: AnswerStream | None = None
        self._clean = StreamSanitizer()
        self.received = markdown
        self.set_class(incomplete, "-incomplete")

    async def write(self, fragment: str) -> None:
        fragment = self._clean.feed(fragment)
        if not fragment:
            return
        if self._stream is None:
            self._stream = AnswerStream(self)
            self._stream.start()
        self.received += fragment
        self._stream.write(fragment)

    async def finish(self, *, incomplete: bool = False) -> None:
        """Flush what is pending and stop streaming."""
        rest = self._clean.flush()
        if rest:
            await self.write(rest)
        if self._stream is not None:
            stream, self._stream = self._stream, None
            await stream.stop()
        self.set_class(incomplete, "-incomplete")

    @property
    def streaming(self) -> bool:
        return self._stream is not None


def format_arguments(arguments: dict[str, Any]) -> str:
    if not arguments:
        return "(no arguments)"
    body = clean(json.dumps(arguments, indent=2, ensure_ascii=False, default=str))
    if len(body) > MAX_ARGUMENT_CHARS:
        body = body[:MAX_ARGUMENT_CHARS] + "\n... (truncated)"
    return body


class ToolCallBlock(Collapsible):
    """One tool call: arguments and result summary, collapsed; the title shows a live status."""

    def __init__(
        self, call_id: str, tool: str, arguments: dict[str, Any], *, status: str = "running"
    ) -> None:
        self.call_id = call_id
        self.tool = clean_line(tool)
        self.arguments = arguments
        self.status = status
        self.summary = ""
        self._frame = 0
        self._arguments_view = Static(Text(format_arguments(arguments)), classes="tool-arguments")
        self._summary_view = Static("", classes="tool-summary")
        super().__init__(
            self._arguments_view,
            self._summary_view,
            title=self._title_text(),
            collapsed=True,
            classes="tool-call",
        )

    def on_mount(self) -> None:
        self._apply_status()
        if self.status == "running":
            self._timer = self.set_interval(0.1, self._spin)

    def _title_text(self) -> str:
        label = TOOL_STATUS_LABELS.get(self.status, self.status)
        if self.status == "running":
            mark = SPINNER[self._frame % len(SPINNER)]
        else:
            mark = TOOL_STATUS_MARKS.get(self.status, "·")
        summary = f": {clean_line(self.summary)}" if self.summary and self.status != "running" else ""
        return f"{mark} {self.tool} · {label}{summary}"

    def _spin(self) -> None:
        self._frame += 1
        if self.status == "running":
            self.title = self._title_text()

    def _apply_status(self) -> None:
        for status in TOOL_STATUS_LABELS:
            self.set_class(status == self.status, f"-{status.replace('_', '-')}")
        self.title = self._title_text()
        self._summary_view.update(Text(f"result: {clean(self.summary)}" if self.summary else ""))
        self._summary_view.display = bool(self.summary)

    def set_status(self, status: str, summary: str = "") -> None:
        self.status = status
        if summary:
            self.summary = summary
        if status != "running" and hasattr(self, "_timer"):
            self._timer.stop()
        self._apply_status()
