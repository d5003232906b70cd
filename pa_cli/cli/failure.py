"""How a command's failure reaches the person: one line on stderr and the contract's exit code.

Shared by the Typer entry point (``pa_cli.cli.app.run``) and ``pa chat``'s Typer-free path
(``pa_cli.cli.chat_fast``), so that both say the same thing with the same code. Nothing here imports
Typer.
"""

from __future__ import annotations

import os
import sys

from pa_cli.errors import EXIT_FAILURE, PaError

EXIT_INTERRUPTED = 130


def debug_enabled(args: list[str]) -> bool:
    return "--debug" in args or os.environ.get("PA_DEBUG") == "1"


def report(exc: Exception | KeyboardInterrupt, args: list[str]) -> int:
    """Print ``exc`` for a person and return the exit code (an unexpected error is re-raised with --debug)."""
    if isinstance(exc, KeyboardInterrupt):
        sys.stderr.write("\ninterrupted\n")
        return EXIT_INTERRUPTED
    if isinstance(exc, PaError):
        if debug_enabled(args):
            import traceback

            traceback.print_exception(exc)
        sys.stderr.write(f"error: {exc.message}\n")
        if exc.hint:
            sys.stderr.write(f"hint: {exc.hint}\n")
        return exc.exit_code
    if debug_enabled(args):
        raise exc
    sys.stderr.write(
        f"error: unexpected failure ({type(exc).__name__}); run again with --debug for details\n"
    )
    return EXIT_FAILURE
