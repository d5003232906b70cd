"""`pa chat`: the Textual chat TUI (Textual is imported only when the command runs).

The work is in ``chat_run``; ``pa chat`` usually reaches it without Typer (``chat_fast``), and
comes here for its help, its completion and anything ``chat_fast`` leaves to Typer.
"""

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
    from pa_cli.cli.chat_run import run_chat

    run_chat(session)
