"""`pa ask` without Typer: its plain forms are read with the standard library.

Building the Typer app and coercing its parameters (Typer imports pydantic for that) cost about
100 ms of CPU and 7 MB of memory on every question. `pa ask`'s plain forms are few: one question (or
none, with piped text) and the flags ``--json``, ``--no-stream``, ``--yes``/``-y``. Anything else
(``-c``, ``--session``, ``--help``, a bad option, a question that starts with a dash, ``--``, shell
completion) returns None and goes to Typer, which says exactly what it always said. What runs is the
command's own code (``ask_run.run_ask``), its failures are rendered by the function Typer's path uses
(``failure.report``), and the routine notice is printed as ``app.run`` prints it
(tests/cli/test_ask_fast.py compares the two paths case by case).
"""

from __future__ import annotations

import os
from typing import NamedTuple

_FLAGS = frozenset({"--json", "--no-stream", "--yes", "-y"})


class AskArgs(NamedTuple):
    #: The question; "" when it is to come from piped stdin.
    text: str
    as_json: bool = False
    yes: bool = False
    stream: bool = True


def parse(args: list[str]) -> AskArgs | None:
    """The plain forms of ``pa ask``'s arguments, or None to leave them to Typer."""
    if not args or args[0] != "ask" or os.environ.get("_PA_COMPLETE"):
        return None
    flags = [a for a in args[1:] if a in _FLAGS]
    words = [a for a in args[1:] if a not in _FLAGS]
    if len(words) > 1 or any(w.startswith("-") for w in words):
        return None
    return AskArgs(
        text=words[0] if words else "",
        as_json="--json" in flags,
        yes="--yes" in flags or "-y" in flags,
        stream="--no-stream" not in flags,
    )


def run(ask: AskArgs, args: list[str]) -> int:
    """Run ``pa ask`` as its Typer command would, and return its exit code."""
    from pa_cli.cli.ask_run import run_ask
    from pa_cli.cli.failure import report
    from pa_cli.routines.notice import print_unread_line

    print_unread_line()
    try:
        return run_ask(
            ask.text or None,
            session_id=None,
            continue_last=False,
            as_json=ask.as_json,
            yes=ask.yes,
            stream=ask.stream,
        )
    except (KeyboardInterrupt, Exception) as exc:
        return report(exc, args)
