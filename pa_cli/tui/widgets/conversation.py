"""The conversation: renders a turn's events as they arrive, and stored transcripts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.containers import VerticalScroll
from textual.widget import Widget

from pa_cli.tui.widgets.plain_items import Notice, UserMessage

if TYPE_CHECKING:
    from pa_cli.agent.events import Done, Event, PlanUpdated
    from pa_cli.tui.widgets.chat_items import AssistantMessage, ToolCallBlock

CHECK_SETTINGS = "check the LLM settings (`pa config show`, `pa doctor`)"
ERROR_HINTS = {
    "authorization_needed": "use /authorize gmail or /authorize calendar",
    "rate_limited": "wait a moment, then send again",
    "unavailable": "is the LLM service reachable? send again to retry, or " + CHECK_SETTINGS,
    "timeout": "send again to retry",
    "auth": CHECK_SETTINGS + " and the API key",
    "config": CHECK_SETTINGS,
    "no_api_key": "store one with `pa config set-secret llm.api_key`",
    "secret_store_locked": "set PA_KEYRING_PASSPHRASE before starting pa chat",
}
ERROR_TITLES = {
    "authorization_needed": "Authorization needed",
    "rate_limited": "Rate limited",
    "unavailable": "The LLM is unavailable",
    "timeout": "The LLM did not answer in time",
    "auth": "The LLM refused the credentials",
    "config": "The LLM is not configured",
    "no_api_key": "No API key for the LLM",
    "secret_store_locked": "The secret store is locked",
    "bad_output": "The LLM's answer could not be understood",
}


def error_text(code: str, message: str) -> str:
    title = ERROR_TITLES.get(code, "Error")
    hint = ERROR_HINTS.get(code)
    text = f"{title}: {message}"
    if hint and hint not in message:
        text += f"\n{hint}"
    return text


class Conversation(VerticalScroll):
    """Scrolls with the answer while the user has not scrolled away (anchored)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.answer: AssistantMessage | None = None
        self.tool_blocks: dict[str, ToolCallBlock] = {}
        self.streamed = False  # whether this turn's answer arrived as deltas

    def on_mount(self) -> None:
        self.anchor()

    async def _add(self, widget: Widget) -> None:
        await self.mount(widget)

    async def reset(self) -> None:
        await self._finish_answer()
        self.tool_blocks.clear()
        await self.remove_children()

    async def add_user(self, text: str) -> None:
        await self._finish_answer()
        self.streamed = False
        await self._add(UserMessage(text))
        self.anchor()

    async def notice(self, text: str, *, kind: str = "info") -> Notice:
        notice = Notice(text, kind=kind)
        await self._add(notice)
        return notice

    # --- live events ----------------------------------------------------------------

    async def apply(self, event: Event) -> PlanUpdated | None:
        """Render one event; returns a PlanUpdated for the app's plan panel."""
        # Here, not at the top: the events' pydantic models are not needed for the first screen.
        from pa_cli.agent.events import (
            ApprovalRequired,
            Done,
            Error,
            PlanUpdated,
            SessionStarted,
            TextDelta,
            ToolCallFinished,
            ToolCallStarted,
            Waiting,
        )
        from pa_cli.tui.widgets.chat_items import AssistantMessage, ToolCallBlock

        if isinstance(event, TextDelta):
            self.streamed = True
            if self.answer is None:
                self.answer = AssistantMessage()
                await self._add(self.answer)
            await self.answer.write(event.text)
        elif isinstance(event, ToolCallStarted):
            await self._finish_answer()
            block = ToolCallBlock(event.call_id, event.tool, event.arguments)
            self.tool_blocks[event.call_id] = block
            await self._add(block)
        elif isinstance(event, ToolCallFinished):
            finished = self.tool_blocks.get(event.call_id)
            if finished is not None:
                finished.set_status(event.status, event.summary)
        elif isinstance(event, ApprovalRequired):
            waiting = [b for b in self.tool_blocks.values() if b.tool == event.tool and b.status == "running"]
            if waiting:
                waiting[-1].set_status("awaiting_approval")
        elif isinstance(event, PlanUpdated):
            return event
        elif isinstance(event, Waiting):
            when = f"retrying in {event.retry_in:.0f} s" if event.retry_in is not None else "waiting"
            await self.notice(f"{when} after {event.reason}", kind="info")
        elif isinstance(event, Done):
            await self._done(event)
        elif isinstance(event, Error):
            await self._finish_answer(incomplete=True)
            await self.notice(error_text(event.code, event.message), kind="error")
        elif isinstance(event, SessionStarted):
            pass
        return None

    async def _done(self, event: Done) -> None:
        from pa_cli.tui.widgets.chat_items import AssistantMessage

        if not self.streamed and event.response and not event.pending_approvals:
            self.answer = AssistantMessage()
            await self._add(self.answer)
            await self.answer.write(event.response)
        await self._finish_answer(incomplete=event.incomplete)
        if event.pending_approvals:
            ids = ", ".join(event.pending_approvals)
            text = f"Waiting for approval ({ids}): run `pa approve ID` or `pa deny ID`."
            await self.notice(text, kind="warning")

    async def end_turn(self, *, stopped: bool, error: str | None) -> None:
        """The turn is over: close the answer and any block still running."""
        await self._finish_answer(incomplete=stopped or error is not None)
        for block in self.tool_blocks.values():
            if block.status in ("running", "awaiting_approval") and (stopped or error):
                block.set_status("failed", "stopped" if stopped else "interrupted")
        if stopped:
            await self.notice("Stopped. The partial answer is kept in the session.", kind="warning")
        if error:
            await self.notice(f"Error: {error}", kind="error")

    async def _finish_answer(self, *, incomplete: bool = False) -> None:
        if self.answer is not None:
            answer, self.answer = self.answer, None
            await answer.finish(incomplete=incomplete)

    # --- stored transcripts ------------------------------------------------------------

    async def show_transcript(self, messages: list[Any]) -> None:
        """Messages from the store (oldest first): user, assistant and tool rows."""
        from pa_cli.tui.widgets.chat_items import AssistantMessage, ToolCallBlock

        await self.reset()
        widgets: list[Widget] = []
        for message in messages:
            data = message.data or {}
            if message.role == "user":
                widgets.append(UserMessage(message.content))
            elif message.role == "assistant":
                widgets.append(AssistantMessage(message.content, incomplete=message.status == "incomplete"))
            elif message.role == "tool":
                status = str(data.get("state") or ("done" if data.get("ok", True) else "failed"))
                block = ToolCallBlock(
                    message.tool_call_id or str(message.id),
                    message.tool_name or "tool",
                    dict(data.get("arguments") or {}),
                    status=status if status != "running" else "failed",
                )
                block.summary = message.content
                widgets.append(block)
        if widgets:
            await self.mount_all(widgets)
        self.scroll_end(animate=False)
        self.anchor()
