"""`pa doctor`: what pa sees of this machine, one line per check; non-zero when pa cannot answer."""

from __future__ import annotations

from typing import Annotated

import typer

from pa_cli.cli import runtime


def doctor(
    online: Annotated[
        bool, typer.Option("--online", help="Also send one tiny real request to the configured LLM.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON: one object per check.")] = False,
) -> None:
    """Check configuration, database, secret store, LLM and Google; exit 1 when pa cannot answer."""
    from pa_cli.doctor import can_answer, run_checks

    checks = run_checks(online=online)
    if as_json:
        runtime.print_json([check.as_json() for check in checks])
    else:
        width = max(len(check.name) for check in checks)
        for check in checks:
            mark = "ok  " if check.ok else "FAIL"
            typer.echo(f"{mark} {check.name.ljust(width)}  {check.detail}")
            if check.hint and not check.ok:
                typer.echo(f"     {' ' * width}  hint: {check.hint}")
        if not can_answer(checks):
            failed = ", ".join(c.name for c in checks if c.essential and not c.ok)
            typer.echo(f"\npa cannot answer questions until this is fixed: {failed}", err=True)
    if not can_answer(checks):
        raise typer.Exit(code=1)
