"""What a cached request ahead was rendered under, reduced to one key (stdlib only, a few stats).

The rendering depends on pa's own code and prompts, the settings (config file and ``PA_*``
variables), the time zone, the user's skills, the MCP servers' tool lists and the installed plugins
(anything added to the Python path). The key covers those; the stored configuration (system prompt, enabled tools, Google
grants) is keyed separately (``request_ahead.db_key``). Secret variables count by presence only:
the key is never part of what is cached. A change the key misses still cannot change an answer
(``request_ahead.adopt`` compares the whole request); it costs a request thrown away.
"""

from __future__ import annotations

import json
import os
import sys
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pa_cli.paths import AppPaths

_PACKAGE = Path(__file__).resolve().parent.parent
#: Files whose change changes the prompt or the database it is read from.
_CODE = (
    "__init__.py",
    "baml_client/inlinedbaml.py",
    "agent/prompt_text.py",
    "agent/llm_turn.py",
    "agent/llm_catalog.py",
    "agent/llm_registry.py",
    "store/migrations/versions",
)
_SECRET_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "PASSPHRASE")


def _stat(path: Path) -> list[int] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return [found.st_mtime_ns, found.st_size]


def _read(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8", "replace")
    except OSError:
        return None


def _environment(env: Mapping[str, str]) -> list[list[str]]:
    chosen = []
    for name in sorted(env):
        if not (name.startswith("PA_") or name == "TZ"):
            continue
        secret = any(word in name.upper() for word in _SECRET_WORDS)
        chosen.append([name, "(set)" if secret else env[name]])
    return chosen


def _listing(directory: Path, inside: str | None = None) -> list[Any]:
    """Each entry's name and stat (of ``entry/inside`` when given)."""
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return []
    return [[e.name, _stat(Path(e.path) / inside if inside else Path(e.path))] for e in entries]


def _time_zone() -> list[str | None]:
    try:
        link: str | None = os.readlink("/etc/localtime")
    except OSError:
        link = None
    return [link, _read(Path("/etc/timezone"))]


def static_key(env: Mapping[str, str], paths: AppPaths) -> str:
    facts: dict[str, Any] = {
        "python": [sys.executable, sys.version],
        "code": [[name, _stat(_PACKAGE / name)] for name in _CODE],
        "env": _environment(env),
        "config": _read(paths.config_file),
        "zone": _time_zone(),
        "skills": _listing(paths.skills_dir, "SKILL.md"),
        "mcp tools": _listing(paths.cache_dir / "mcp"),  # the MCP servers' tool lists, as last fetched
        # Installing or removing a plugin changes its site directory; the script's own directory
        # (sys.path[0]: the current one for `python -m`) is left out, so a cwd change costs nothing.
        "plugins": [[entry, _stat(Path(entry))] for entry in sys.path[1:] if entry],
    }
    return digest(facts)


def digest(facts: Any) -> str:
    """A key for ``facts`` (JSON values): two 32-bit checksums and the length. Not a secure hash, and
    it need not be: a collision costs one request thrown away (``request_ahead.adopt`` compares the
    whole request), and zlib is loaded in well under a millisecond where hashlib takes ~5 ms."""
    text = json.dumps(facts, sort_keys=True).encode()
    return f"{zlib.crc32(text):08x}{zlib.adler32(text):08x}-{len(text)}"
