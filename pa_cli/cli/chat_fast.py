"""`pa chat` without Typer: its first screen need not wait for Typer, Click and pydantic.

Building the Typer app and coercing its parameters (Typer imports pydantic for that) cost about
100 ms before ``pa chat`` could even start importing Textual. The command's arguments are few, so
the plain forms are read here with the standard library: ``pa [--debug]... chat`` with at most one
``-s ID``, ``-sID``, ``--session ID`` or ``--session=ID``. Anything else (``--help``, a bad or
missing option, an empty or dash-led id, ``--``, completion) returns None and goes to Typer, which
says exactly what it always said. What runs is the command's own code (``chat_run.run_chat``), its
errors are rendered by the same function as Typer's path (``failure.report``) and the routine notice
is printed as ``app.run`` prints it: both paths behave alike (tests/cli/test_chat_fast.py).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

SESSION_OPTIONS = ("-s", "--session")


@dataclass(frozen=True)
class ChatArgs:
    session: str | None
    debug: bool


def parse(args: list[str]) -> ChatArgs | None:
    """The plain forms of ``pa chat``'s arguments, or None to leave them to Typer."""
    debug = False
    rest = list(args)
    while rest and rest[0] == "--debug":
        debug = True
        rest.pop(0)
    if not rest or rest.pop(0) != "chat":
        return None
    session: str | None = None
    while rest:
        token = rest.pop(0)
        if token in SESSION_OPTIONS:
            value = rest.pop(0) if rest else None
        elif token.startswith("--session="):
            value = token.removeprefix("--session=")
        elif token.startswith("-s") and not token.startswith("-s="):
            value = token[2:]
        else:
            return None
        if session is not None or not value or value.startswith("-"):
            return None  # given twice, missing, empty or looking like an option: Typer decides
        session = value
    return ChatArgs(session=session, debug=debug)


def run_if_chat(argv: list[str] | None = None) -> int | None:
    """Run ``pa chat`` if ``argv`` is one of its plain forms and return its exit code; else None."""
    if os.environ.get("_PA_COMPLETE"):  # shell completion is Typer's
        return None
    args = sys.argv[1:] if argv is None else argv
    chat = parse(args)
    if chat is None:
        return None
    from pa_cli.cli.chat_run import run_chat
    from pa_cli.cli.failure import report
    from pa_cli.routines.notice import print_unread_line

    print_unread_line()
    if chat.debug:
        os.environ["PA_DEBUG"] = "1"  # as the root command's --debug does
    try:
        run_chat(chat.session)
    except (KeyboardInterrupt, Exception) as exc:
        return report(exc, args)
    return 0
