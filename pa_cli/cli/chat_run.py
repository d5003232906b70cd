"""What `pa chat` does, without Typer: both its Typer command and its fast path (chat_fast) call it."""

from __future__ import annotations

import gc
import sys
from functools import partial
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pa_cli.agent.service import AgentService


def run_chat(session: str | None) -> None:
    """Open the chat TUI (resuming ``session``, an id or unique prefix); raises the command's errors."""
    from pa_cli.agent.opening import ServiceOpening
    from pa_cli.errors import UsageError

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError("`pa chat` needs a terminal; use `pa ask` in scripts and pipes")
    # Textual's import and first layout make some 120 collections of the cyclic garbage collector
    # (tens of ms, for objects that all live on); it resumes once the first frame is drawn.
    collecting = gc.isenabled()
    gc.disable()
    try:
        # Settings, the store, the tool registry and the flow open on a thread once the first screen
        # is drawn (pydantic and the ORM are not needed for it); their errors are shown on that screen.
        opening = ServiceOpening(partial(_open_service, resume_collector=collecting))
        session_id = None
        if session:  # a bad id is still a usage error before the screen opens
            from pa_cli.history import History

            opening.start()
            service = opening.result()
            session_id = History(service.store, service.store.users.local_user().id).resolve(session).id

        from pa_cli.tui.app import ChatApp

        try:
            ChatApp(opening, session_id=session_id).run()
        finally:
            opening.settle()
    finally:
        if collecting:
            gc.enable()
    problem = opening.future.exception() if opening.failed else None
    if problem is not None:  # said on the screen; said again once it is gone, with the command's exit code
        raise problem


def _open_service(*, resume_collector: bool) -> AgentService:
    """Runs once the first frame is drawn (or earlier, for ``--session``)."""
    if resume_collector:
        gc.enable()
    from pa_cli.agent.service import AgentService
    from pa_cli.cli import runtime

    return AgentService.open(runtime.load())
