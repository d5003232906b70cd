"""The one stderr line about unread routine results that ``pa`` prints when it starts on a TTY.

It runs before every command, so it is kept cheap: the store's light reader
(the standard library's sqlite3 on the SQLite file, read-only, waiting at most
0.2 s for a writer), no ORM, no settings machinery, no migration; a database on another server (PostgreSQL), a missing file or a
schema without routines simply says nothing. Results that reported "nothing
needs you" are read already, so they never show here.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path


def _database_file() -> Path | None:
    from pa_cli.paths import app_paths
    from pa_cli.store.light import sqlite_path_of

    paths = app_paths()
    url = os.environ.get("PA_DATABASE_URL") or _configured_url(paths.config_file)
    if not url:
        return paths.database_file
    return sqlite_path_of(url)


def _configured_url(config_file: Path) -> str | None:
    """``database.url`` from the config file. A file that never says "database" has none: it is not
    parsed (importing tomllib compiles its regular expressions, ~10 ms before `pa chat`'s first frame)."""
    try:
        raw = config_file.read_bytes()
    except OSError:
        return None
    if b"database" not in raw:
        return None
    import tomllib

    try:
        url = tomllib.loads(raw.decode()).get("database", {}).get("url")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, AttributeError):
        return None
    return url if isinstance(url, str) else None


def unread_line() -> str | None:
    """ "pa: 2 routine results need you (Morning briefing): `pa routine show NAME`", or None."""
    path = _database_file()
    if path is None or not path.is_file():
        return None
    from pa_cli.store.light import LightReader

    try:
        count, names = LightReader(path, busy_timeout=0.2).unread_routine_results()
    except sqlite3.Error:
        return None
    if not count:
        return None
    from pa_cli.sanitize import clean_line

    noun = "result needs" if count == 1 else "results need"
    return f"pa: {count} routine {noun} you ({clean_line(names)[:80]}): `pa routine show NAME`"


def print_unread_line() -> None:
    """The line ``app.run`` prints before a command on a TTY: for the commands that skip Typer
    (``cli.ask_fast``, ``cli.chat_fast``), whose arguments never hold its other conditions."""
    import sys

    if not sys.stderr.isatty():
        return
    line = unread_line()
    if line:
        sys.stderr.write(line + "\n")
