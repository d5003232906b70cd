"""Text piped into `pa ask`.

``request_ahead`` reads it before the CLI has loaded (attached text is part of the request it sends
ahead) and keeps it here; ``ask_run`` then takes that same text instead of an emptied stdin.
"""

from __future__ import annotations

import sys

MAX_STDIN_CONTEXT = 1_000_000

_kept: list[str | None] = []


def _read() -> str | None:
    if sys.stdin is None or sys.stdin.isatty():
        return None
    return sys.stdin.read(MAX_STDIN_CONTEXT + 1)


def read_piped_stdin() -> str | None:
    """Up to ``MAX_STDIN_CONTEXT`` + 1 characters of piped stdin (None for a terminal or no stdin):
    what ``read_and_keep`` kept, once, or else read now."""
    if _kept:
        return _kept.pop()
    return _read()


def read_and_keep() -> str | None:
    """Read piped stdin now, and keep it for the next ``read_piped_stdin``."""
    data = _read()
    _kept[:] = [data]
    return data
