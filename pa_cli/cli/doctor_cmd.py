"""`pa doctor`: what pa sees of this machine, in one screen."""

from __future__ import annotations

from typing import Annotated

import typer

from pa_cli.cli import runtime


def doctor(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Report config paths, database schema version, keyring backend and LLM configuration."""
    from pa_cli.diagnostics import collect_diagnostics

    report = collect_diagnostics(runtime.load())
    if as_json:
        runtime.print_json(report)
        return
    for section, values in report.items():
        typer.echo(f"{section}:")
        for key, value in values.items():
            typer.echo(f"  {key}: {value}")
