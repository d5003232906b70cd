"""`pa approve ID` / `pa deny ID`: decide a pending side effect and resume its turn."""

from __future__ import annotations

from typing import Annotated

import typer


def approve(
    approval_id: Annotated[
        str, typer.Argument(help="The approval id (see `pa approvals`); a unique prefix is enough.")
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print {response, session_id, tools_used}.")
    ] = False,
    except_ids: Annotated[
        str | None,
        typer.Option(
            "--except",
            metavar="ID,ID",
            help="For a batch (gmail_modify): leave these items out; the rest runs.",
        ),
    ] = None,
) -> None:
    """Approve a pending action; it runs and the turn continues."""
    from pa_cli.cli.ask_run import run_decision
    from pa_cli.tools.selection import parse_id_list

    deselected = parse_id_list(except_ids)
    raise typer.Exit(run_decision(approval_id, approved=True, as_json=as_json, deselected=deselected))


def deny(
    approval_id: Annotated[
        str, typer.Argument(help="The approval id (see `pa approvals`); a unique prefix is enough.")
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print {response, session_id, tools_used}.")
    ] = False,
) -> None:
    """Deny a pending action; the assistant is told and the turn continues."""
    from pa_cli.cli.ask_run import run_decision

    raise typer.Exit(run_decision(approval_id, approved=False, as_json=as_json))
