"""`pa tools list|setup|authorize|revoke|run`."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from pa_cli.cli import runtime
from pa_cli.cli.completion import complete_tool_names

app = typer.Typer(help="The assistant's tools, and Google authorization.", no_args_is_help=True)


class GoogleService(enum.StrEnum):
    gmail = "gmail"
    calendar = "calendar"
    contacts = "contacts"


class SetupTarget(enum.StrEnum):
    google = "google"


@app.command("list")
def list_(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the tools the assistant can use, and whether each is authorized."""
    from pa_cli.cli.tools_run import list_tools

    list_tools(runtime.load(), as_json=as_json)


@app.command("run")
def run(
    name: Annotated[
        str, typer.Argument(help="The tool's name (see `pa tools list`).", autocompletion=complete_tool_names)
    ],
    args: Annotated[str, typer.Option("--args", help="Arguments as a JSON object.")] = "{}",
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Approve a side effect for this one command.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Run one tool directly (side effects still need approval)."""
    from pa_cli.cli.tools_run import run_tool

    raise typer.Exit(run_tool(runtime.load(), name, args, yes=yes, as_json=as_json))


@app.command("setup")
def setup(
    target: Annotated[SetupTarget, typer.Argument(help="What to set up.")],
    client_secrets: Annotated[
        Path, typer.Option("--client-secrets", help="The OAuth client JSON downloaded from Google Cloud.")
    ],
) -> None:
    """Store the Google OAuth client (its secret goes to the keyring)."""
    from pa_cli.cli.google_run import setup_google

    setup_google(runtime.load(), client_secrets)


@app.command("authorize")
def authorize(
    service: Annotated[GoogleService, typer.Argument(help="gmail, calendar or contacts.")],
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Print the authorization URL instead of opening a browser.")
    ] = False,
    timeout: Annotated[
        float, typer.Option("--timeout", min=1, help="Seconds to wait for the browser to come back.")
    ] = 300,
) -> None:
    """Authorize pa to use a Google service (OAuth with a loopback redirect)."""
    from pa_cli.cli.google_run import authorize_google

    authorize_google(runtime.load(), service.value, open_browser=not no_browser, timeout_seconds=timeout)


@app.command("revoke")
def revoke(service: Annotated[GoogleService, typer.Argument(help="gmail, calendar or contacts.")]) -> None:
    """Revoke pa's access at Google and delete the local tokens."""
    from pa_cli.cli.google_run import revoke_google

    revoke_google(runtime.load(), service.value)
