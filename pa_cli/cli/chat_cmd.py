"""`pa chat`: the Textual chat TUI (Textual is imported only when the command runs)."""

from __future__ import annotations

from typing import Annotated

import typer

from pa_cli.cli.completion import complete_session_ids


def chat(
    session: Annotated[
        str | None,
        typer.Option(
            "--session",
            "-s",
            help="Resume this session (id or unique prefix).",
            autocompletion=complete_session_ids,
        ),
    ] = None,
) -> None:
    """Open the chat TUI."""
    import sys

    from pa_cli.agent.service import AgentService
    from pa_cli.cli import runtime
    from pa_cli.errors import UsageError

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError("`pa chat` needs a terminal; use `pa ask` in scripts and pipes")
    service = AgentService.open(runtime.load())
    session_id = None
    if session:
        from pa_cli.history import History

        session_id = History(service.store, service.store.users.local_user().id).resolve(session).id

    from pa_cli.tui.app import ChatApp

    ChatApp(service, session_id=session_id).run()
