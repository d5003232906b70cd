"""Entry point for ``pa`` and ``python -m pa_cli``."""

from __future__ import annotations

import atexit
import os
import sys
import threading


def main() -> None:
    if sys.argv[1:2] == ["ask"]:
        _ask_without_typer()
    from pa_cli.cli.chat_fast import run_if_chat  # `pa chat` without Typer: its first screen sooner

    if (chat_exit := run_if_chat()) is not None:
        exit_now(chat_exit)
    from pa_cli.cli.app import run

    try:
        run()
    except SystemExit as exc:
        exit_now(exc.code)


def _ask_without_typer() -> None:
    """`pa ask`'s plain forms: the request goes out before anything else loads, and Typer never does."""
    from pa_cli.cli import ask_fast

    ask = ask_fast.parse(sys.argv[1:])
    if ask is None:
        return
    from pa_cli.agent.request_ahead import start

    start(ask.text)  # the model's wait starts now
    exit_now(ask_fast.run(ask, sys.argv[1:]))


def exit_now(code: object) -> None:
    """End the process the way ``sys.exit`` would, without tearing the interpreter down.

    Once a command is done, Python's shutdown (collecting every module, finalizing the BAML
    runtime) took 100-200 ms of each ``pa ask``: longer than the work. The exit handlers still run
    and the output is flushed, so nothing a command wrote is lost; the database's writes are
    committed before a command returns, and work still queued on threads is waited for. Only the real program exits this way: ``run()``, which
    tests call in process, still raises ``SystemExit``.
    """
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # sys.exit("message"): printed to stderr, status 1
        sys.stderr.write(f"{code}\n")
        status = 1
    # What Python's own shutdown does first, in its order: wait for the non-daemon threads and let
    # thread pools finish their queued work (the audit anchor is written by one), then the exit handlers.
    threading._shutdown()  # type: ignore[attr-defined]
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # a closed pipe (pa ask | head) or a closed stream
            status = status or 120  # what Python itself exits with when the final flush fails
    os._exit(status)


if __name__ == "__main__":
    main()
