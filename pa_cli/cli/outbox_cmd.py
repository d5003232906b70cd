"""`pa undo` and `pa outbox list|flush|send`: mail that waits to go out."""

from __future__ import annotations

from typing import Annotated

import typer

from pa_cli.cli import runtime

app = typer.Typer(help="Mail waiting to go out: the undo window and scheduled sends.", no_args_is_help=True)


def undo() -> None:
    """Take back the latest approved mail while it still waits to go out."""
    from pa_cli.outbox import local

    item = local.undo(runtime.load())
    typer.echo(f"undone: {item.summary} (not sent)")


@app.command("list")
def list_items(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list of objects.")] = False,
) -> None:
    """The latest outbox items: pending, sent, cancelled or failed."""
    from pa_cli.outbox import local

    items = local.recent(runtime.load())
    if as_json:
        runtime.print_json([i.as_dict() for i in items])
        return
    if not items:
        typer.echo("the outbox is empty")
        return
    for i in items:
        extra = f"  ({i.error})" if i.error else ""
        typer.echo(f"{i.id}  {i.status:<9} {i.send_after:%Y-%m-%d %H:%M:%S}Z  {i.summary}{extra}")


@app.command("flush")
def flush() -> None:
    """Send every mail whose time has come (each exactly once); for timers and cron."""
    from pa_cli.outbox import local

    report = local.flush(runtime.load())
    typer.echo(f"sent {len(report.sent)}, failed {len(report.failed)}")
    if report.failed:
        raise typer.Exit(1)


@app.command("send", hidden=True)
def send(item_id: Annotated[str, typer.Argument(help="The outbox item.")]) -> None:
    """Wait for one item's time, then send it (the detached sender of the undo window)."""
    from pa_cli.outbox import local

    outcome = local.send_one(runtime.load(), item_id)
    raise typer.Exit(0 if outcome is not False else 1)
