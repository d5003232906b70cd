"""The root Typer app: global options, command groups, and the one place errors are rendered.

Every command module imports only typer at module level; anything heavy
(store, keyring, BAML, Google, Textual, FastAPI) is imported inside the
command that needs it, so ``pa --help`` stays fast.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from pa_cli import __version__
from pa_cli.cli import (
    approvals_cmd,
    approve_cmd,
    ask_cmd,
    audit_cmd,
    chat_cmd,
    config_cmd,
    doctor_cmd,
    history_cmd,
    mcp_cmd,
    memory_cmd,
    outbox_cmd,
    routine_cmd,
    serve_cmd,
    skills_cmd,
    tools_cmd,
)

app = typer.Typer(
    name="pa",
    help="pa: a personal assistant that lives in your terminal.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pa {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and LLM logs.")] = False,
) -> None:
    """pa: a personal assistant that lives in your terminal."""
    if debug:
        os.environ["PA_DEBUG"] = "1"


app.command("ask")(ask_cmd.ask)
app.command("chat")(chat_cmd.chat)
app.add_typer(tools_cmd.app, name="tools")
app.command("approve")(approve_cmd.approve)
app.command("deny")(approve_cmd.deny)
app.command("approvals")(approvals_cmd.approvals)
app.add_typer(history_cmd.app, name="history")
app.add_typer(memory_cmd.app, name="memory")
app.add_typer(audit_cmd.app, name="audit")
app.add_typer(config_cmd.app, name="config")
app.add_typer(serve_cmd.app, name="serve")
app.command("doctor")(doctor_cmd.doctor)
app.command("mcp")(mcp_cmd.mcp)
app.add_typer(skills_cmd.app, name="skills")
app.add_typer(routine_cmd.app, name="routine")
app.command("undo")(outbox_cmd.undo)
app.add_typer(outbox_cmd.app, name="outbox")


def _routine_notice(args: list[str]) -> None:
    """One stderr line about unread routine results, on a TTY, for a command (not help or version)."""
    if not args or {"--help", "-h", "--version"} & set(args):
        return
    if args[:2] == ["routine", "show"] or os.environ.get("_PA_COMPLETE"):
        return
    from pa_cli.routines.notice import print_unread_line

    print_unread_line()  # on a TTY only


def run(argv: list[str] | None = None) -> None:
    """Run the CLI; render user errors as one line on stderr with the contract's exit codes."""
    from typer._click.exceptions import ClickException  # Typer vendors Click; its errors are these

    from pa_cli.cli.failure import report

    args = sys.argv[1:] if argv is None else argv
    _routine_notice(args)
    command = typer.main.get_command(app)
    try:
        code = command.main(args=args, prog_name="pa", standalone_mode=False)
    except typer.Exit as exc:
        code = exc.exit_code
    except ClickException as exc:
        exc.show()
        code = exc.exit_code
    except typer.Abort:
        sys.stderr.write("\naborted\n")
        code = 130
    except (KeyboardInterrupt, Exception) as exc:  # said as `pa chat`'s Typer-free path says it
        code = report(exc, args)
    sys.exit(code if isinstance(code, int) else 0)
