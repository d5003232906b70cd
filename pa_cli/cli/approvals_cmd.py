"""`pa approvals`: what waits for your decision."""

from __future__ import annotations

from typing import Annotated

import typer

from pa_cli.cli import runtime


def approvals(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list of objects.")] = False,
) -> None:
    """List the actions waiting for your approval (decide with `pa approve ID` or `pa deny ID`)."""
    from datetime import UTC, datetime

    from pa_cli.approvals import pending_approvals
    from pa_cli.cli.approval_outcome import one_line

    waiting = pending_approvals(runtime.load())
    now = datetime.now(UTC)
    if as_json:
        runtime.print_json([a.as_dict(now) for a in waiting])
        return
    if not waiting:
        typer.echo("nothing waits for your approval")
        return
    for a in waiting:
        age = _age(a.age_seconds(now))
        typer.echo(f"{a.id}  {a.tool:<22} {age:>8}  {one_line(a.preview, 80)}")
    typer.echo("\ndecide with `pa approve ID` or `pa deny ID` (a unique prefix of the id is enough)")


def _age(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"
