"""Run `pa` and write which watched modules were loaded at its first frame, and which at its exit.

Usage: ``python tests/tui/first_frame_probe.py OUT_FILE pa-arguments...`` (in a terminal: tmux).
The first frame is when the thread that opens the service starts: ``ChatApp`` starts it with
``call_after_refresh``, once its first screen is drawn (``threading.Thread.start`` is wrapped to see
it; Python 3.11 has no audit event for a thread's start). ``sys.modules`` is read then and at exit,
so imports through ``importlib`` (which raise no audit event) count too. OUT_FILE gets
``frame: names...``, ``exit: names...`` and whether the garbage collector was on at each
(``frame-gc: on|off``, ``exit-gc: on|off``), written when the process exits.
"""

from __future__ import annotations

import atexit
import gc
import runpy
import sys
import threading

WATCHED = (
    "typer",
    "click",
    "pydantic",
    "textual",
    "sqlalchemy",
    "sqlmodel",
    "alembic",
    "markdown_it",
    "baml_py",
    "pocketflow",
    "pa_cli.cli.app",
    "pa_cli.config",
    "pa_cli.agent.service",
    "pa_cli.store.store",
    "pa_cli.tools.registry",
    "pa_cli.tui.screens",
)
OPENING_THREAD = "pa-service-open"


def _loaded() -> str:
    return " ".join(name for name in WATCHED if name in sys.modules)


def main() -> None:
    out_file, pa_args = sys.argv[1], sys.argv[2:]
    lines: list[str] = []
    start = threading.Thread.start

    def start_and_mark(thread: threading.Thread) -> None:
        if thread.name == OPENING_THREAD:
            lines.append(f"frame: {_loaded()}")
            lines.append(f"frame-gc: {'on' if gc.isenabled() else 'off'}")
        start(thread)

    def write() -> None:
        lines.append(f"exit: {_loaded()}")
        lines.append(f"exit-gc: {'on' if gc.isenabled() else 'off'}")
        with open(out_file, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")

    threading.Thread.start = start_and_mark  # type: ignore[method-assign]
    atexit.register(write)
    sys.argv = ["pa", *pa_args]
    runpy.run_module("pa_cli", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
