"""`pa ask`: one question, answered as it streams."""

from __future__ import annotations

from typing import Annotated

import typer

from pa_cli.cli.completion import complete_session_ids


def ask(
    text: Annotated[
        str | None, typer.Argument(help="The question or request. Piped stdin is added as context.")
    ] = None,
    session: Annotated[
        str | None,
        typer.Option(
            "--session",
            "-s",
            help="Continue this session (its id or a unique prefix).",
            autocompletion=complete_session_ids,
        ),
    ] = None,
    continue_last: Annotated[
        bool, typer.Option("--continue", "-c", help="Continue the last session.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print {response, session_id, tools_used}.")
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Approve side effects for this one command.")
    ] = False,
    no_stream: Annotated[
        bool, typer.Option("--no-stream", help="Print the answer only when complete.")
    ] = False,
) -> None:
    """Ask pa something; the answer streams to the terminal."""
    from pa_cli.cli.ask_run import run_ask

    raise typer.Exit(
        run_ask(
            text,
            session_id=session,
            continue_last=continue_last,
            as_json=as_json,
            yes=yes,
            stream=not no_stream,
        )
    )
