"""Shell completion of config keys, tool names and session ids.

These run on every <TAB>, inside `pa` started by the shell, so they stay
light: config keys come from a module that imports nothing, session ids are
read with the standard library's sqlite3, and tool names come from a small
cache keyed on the installed entry points (loading the tools takes a second).
Any failure completes nothing rather than printing an error into the shell.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

_TOOL_CACHE: Final = "completion-tool-names.json"
_POLICY_PREFIX: Final = "tools.policy."
#: pa_cli.store.repositories.users.LOCAL_USER_NAME (not imported: it loads the ORM); a test keeps them equal.
LOCAL_USER_NAME: Final = "local"


def complete_config_keys(incomplete: str) -> list[str]:
    from pa_cli.config_keys import CONFIG_KEYS

    if incomplete.startswith(_POLICY_PREFIX):
        tool = incomplete[len(_POLICY_PREFIX) :]
        return [_POLICY_PREFIX + name for name in complete_tool_names(tool)]
    keys = [*CONFIG_KEYS, _POLICY_PREFIX]
    return [key for key in keys if key.startswith(incomplete)]


def complete_tool_names(incomplete: str) -> list[str]:
    try:
        names = _tool_names()
    except Exception:  # a broken plugin must not break the shell
        return []
    return [name for name in names if name.startswith(incomplete)]


def complete_session_ids(incomplete: str) -> list[tuple[str, str]]:
    """(id, title) of the local user's chat sessions, newest first; SQLite databases only."""
    try:
        return _session_ids(incomplete)
    except Exception:
        return []


def _tool_names() -> list[str]:
    import hashlib
    from importlib.metadata import entry_points

    from pa_cli.paths import app_paths

    eps = entry_points(group="pa_cli.tools")
    signature = sorted(
        f"{ep.dist.name if ep.dist else ''}=={ep.dist.version if ep.dist else ''}:{ep.name}={ep.value}"
        for ep in eps
    )
    key = hashlib.sha256("\n".join(signature).encode()).hexdigest()
    cache = app_paths().cache_dir / _TOOL_CACHE
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
        if data.get("key") == key:
            return [str(n) for n in data["names"]]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    from pa_cli.tools.plugins import discover_entry_point_tools

    found, _warnings = discover_entry_point_tools()
    names = sorted({item.tool.name for item in found})
    try:
        cache.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        cache.write_text(json.dumps({"key": key, "names": names}), encoding="utf-8")
    except OSError:
        pass
    return names


def _database_file() -> Path | None:
    """The SQLite file pa uses, or None when it uses another database (or none yet)."""
    import os
    import tomllib

    from pa_cli.paths import app_paths

    paths = app_paths()
    url = os.environ.get("PA_DATABASE_URL")
    if not url and paths.config_file.exists():
        with paths.config_file.open("rb") as fh:
            url = (tomllib.load(fh).get("database") or {}).get("url")
    if not url:
        return paths.database_file if paths.database_file.exists() else None
    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite:///"))
    return None


def _session_ids(incomplete: str) -> list[tuple[str, str]]:
    import sqlite3

    path = _database_file()
    if path is None:
        return []
    escaped = incomplete.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT s.id, COALESCE(s.title, '') FROM sessions s JOIN users u ON u.id = s.user_id "
            "WHERE u.name = ? AND s.kind = 'chat' AND s.id LIKE ? ESCAPE '\\' "
            "ORDER BY s.updated_at DESC LIMIT 50",
            (LOCAL_USER_NAME, escaped + "%"),
        ).fetchall()
    return [(str(session_id), str(title)) for session_id, title in rows]
