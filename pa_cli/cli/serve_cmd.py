"""`pa serve` and `pa serve token create|list|revoke`."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(help="Run the HTTP + SSE API for phones and web clients.", invoke_without_command=True)
token_app = typer.Typer(
    help="Manage the bearer tokens of devices allowed to use `pa serve`.", no_args_is_help=True
)
app.add_typer(token_app, name="token")


@app.callback()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option("--host", help="Bind address (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port (default 8765).")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve the API (FastAPI under uvicorn)."""
    if ctx.invoked_subcommand is not None:
        return
    from pa_cli.errors import NotAvailableYet

    raise NotAvailableYet("`pa serve` is not available yet in this release")


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option("--name", help="A name for the device.")] = "device",
) -> None:
    """Create a token (printed once)."""
    from pa_cli.errors import NotAvailableYet

    raise NotAvailableYet("`pa serve token` is not available yet in this release")


@token_app.command("list")
def token_list() -> None:
    """List tokens."""
    from pa_cli.errors import NotAvailableYet

    raise NotAvailableYet("`pa serve token` is not available yet in this release")


@token_app.command("revoke")
def token_revoke(token_id: Annotated[str, typer.Argument(help="The token id.")]) -> None:
    """Revoke a token at once."""
    from pa_cli.errors import NotAvailableYet

    raise NotAvailableYet("`pa serve token` is not available yet in this release")
