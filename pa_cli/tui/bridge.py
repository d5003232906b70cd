"""The agent runs on its own thread and event loop; the UI loop only receives messages.

A turn is a coroutine submitted to :class:`AgentThread`; its events reach the
app as :class:`AgentEvent` messages (``post_message`` is thread-safe), and it
ends with exactly one :class:`TurnEnded`. Stopping a turn cancels its task on
the agent loop: ``AgentService`` then cancels the flow and keeps the partial
answer (marked incomplete) before ``TurnEnded`` is posted.

Approvals cross the other way: the approver, awaited on the agent loop, posts
:class:`ApprovalAsked` (the app shows the modal) and waits on a thread-safe
future for the person's choice; a stopped turn withdraws it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Coroutine
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, cast

from textual.message import Message

if TYPE_CHECKING:
    from textual.app import App

    from pa_cli.agent.events import Event
    from pa_cli.agent.opening import ServiceOpening
    from pa_cli.agent.state import ApprovalRequest, Approver


class AgentEvent(Message):
    """One event of a running turn."""

    def __init__(self, turn: int, event: Event) -> None:
        super().__init__()
        self.turn = turn
        self.event = event


class TurnEnded(Message):
    """A turn is over: finished, failed (``error``) or stopped (``stopped``)."""

    def __init__(self, turn: int, *, stopped: bool = False, error: str | None = None) -> None:
        super().__init__()
        self.turn = turn
        self.stopped = stopped
        self.error = error


class ShowNotice(Message):
    """A notice for the conversation, from any thread."""

    def __init__(self, text: str, *, kind: str = "info") -> None:
        super().__init__()
        self.text = text
        self.kind = kind


class AgentThread:
    """A daemon thread running one asyncio loop for the agent's work."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            ready = threading.Event()
            self._thread = threading.Thread(target=self._serve, args=(ready,), name="pa-agent", daemon=True)
            self._thread.start()
            ready.wait()
        assert self._loop is not None
        return self._loop

    def _serve(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        ready.set()
        try:
            loop.run_forever()
        finally:
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def submit(self, coro: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coro, self.loop)

    def close(self, timeout: float = 5.0) -> None:
        """Cancel whatever still runs (partial answers are kept) and stop the thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        self._loop = self._thread = None


class Turn:
    """A submitted turn: ``stop()`` cancels it; ``TurnEnded`` reports when it is really over."""

    def __init__(self, number: int, loop: asyncio.AbstractEventLoop) -> None:
        self.number = number
        self.stopping = False
        self._loop = loop
        self._task: asyncio.Task[None] | None = None

    def stop(self) -> None:
        """Cancel the turn's task on the agent loop (safe from any thread, before or after it started)."""
        self.stopping = True
        self._loop.call_soon_threadsafe(self._cancel)

    def _cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def _started(self) -> None:
        self._task = asyncio.current_task()
        if self.stopping:
            raise asyncio.CancelledError


def start_turn(
    agent: AgentThread,
    app: App[Any],
    number: int,
    events: Callable[[], Any],
) -> Turn:
    """Run ``events()`` (an async iterator of agent events, built on the agent loop) as turn ``number``."""
    turn = Turn(number, agent.loop)

    async def drive() -> None:
        stopped, error = False, None
        try:
            turn._started()
            async with aclosing(events()) as stream:
                async for event in stream:
                    app.post_message(AgentEvent(number, event))
        except asyncio.CancelledError:
            stopped = True
        except Exception as exc:
            error = _describe(exc)
        finally:
            app.post_message(TurnEnded(number, stopped=stopped, error=error))

    agent.submit(drive())
    return turn


def _describe(exc: BaseException) -> str:
    from pa_cli.errors import PaError

    if isinstance(exc, PaError):
        return exc.message + (f" ({exc.hint})" if exc.hint else "")
    return f"unexpected failure ({type(exc).__name__})"


class ApprovalAsked(Message):
    """The agent waits for a decision; the app shows the modal and sets ``answer``."""

    def __init__(self, request: ApprovalRequest, answer: concurrent.futures.Future[bool]) -> None:
        super().__init__()
        self.request = request
        self.answer = answer


class ApprovalWithdrawn(Message):
    """The turn stopped while its approval was on screen."""

    def __init__(self, approval_id: str) -> None:
        super().__init__()
        self.approval_id = approval_id


def make_approver(app: App[Any]) -> Approver:
    """An approver for the agent loop that asks the person through the app (ApprovalAsked)."""

    async def approver(request: ApprovalRequest) -> bool:
        answer: concurrent.futures.Future[bool] = concurrent.futures.Future()
        app.post_message(ApprovalAsked(request, answer))
        try:
            return await asyncio.wrap_future(answer)
        except asyncio.CancelledError:
            app.post_message(ApprovalWithdrawn(request.id))
            raise

    return approver


def run_turn_events(
    opening: ServiceOpening, message: str, session_id: str | None, approver: Approver
) -> Callable[[], AsyncIterator[Event]]:
    """The factory ``start_turn`` calls on the agent loop.

    A message sent while the service still opens waits for it here, on the agent loop (the UI stays
    live, Esc stops the wait); if the service cannot be opened, its error ends the turn."""

    async def events() -> AsyncIterator[Event]:
        service = await opening.wait()
        run = service.run(message, session_id=session_id, approver=approver, frontend="tui")
        async with aclosing(cast("AsyncGenerator[Event, None]", run)) as stream:
            async for event in stream:
                yield event

    return events
