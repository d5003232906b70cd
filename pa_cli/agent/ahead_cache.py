"""The file behind `pa ask`'s request ahead: ``request-ahead.json`` in the cache directory.

One configuration's key (``static``, the settings' facts) and its templates by shape. Written
atomically, readable and writable by the user only; a file anyone else can write is ignored, since it
names where the request and the key go.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pa_cli.agent.ahead_template import Template
    from pa_cli.config import Settings
    from pa_cli.paths import AppPaths

CACHE_FILE = "request-ahead.json"
FORMAT = 1


def _cache_path(paths: AppPaths) -> Path:
    return paths.cache_dir / CACHE_FILE


def read_cache(paths: AppPaths) -> dict[str, Any] | None:
    """The cache, if it is the user's own file that no one else can write (it names where the
    request and the key go, as the config file does: it gets the same trust, and no more)."""
    path = _cache_path(paths)
    try:
        found = path.stat()
        if hasattr(os, "getuid") and (found.st_uid != os.getuid() or found.st_mode & 0o022):
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (
        not isinstance(data, dict)
        or data.get("format") != FORMAT
        or not isinstance(data.get("templates"), dict)
    ):
        return None
    return data


def _write_cache(paths: AppPaths, data: dict[str, Any]) -> None:
    """Atomically, readable by the user only (the prompt holds the system prompt)."""
    path = _cache_path(paths)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False)
    os.replace(partial, path)


def save_template(
    settings: Settings, static: str, facts: dict[str, Any], shape: str, template: Template
) -> None:
    assert settings.paths is not None
    data = read_cache(settings.paths)
    keep = (
        data is not None and data.get("static") == static and all(data.get(k) == v for k, v in facts.items())
    )
    templates = dict(data["templates"]) if keep and data is not None else {}
    templates[shape] = template.as_json()
    _write_cache(settings.paths, {"format": FORMAT, "static": static, **facts, "templates": templates})


def drop_template(shape: str) -> None:
    from pa_cli.paths import app_paths

    paths = app_paths()
    data = read_cache(paths)
    if data is None or shape not in data["templates"]:
        return
    del data["templates"][shape]
    _write_cache(paths, data)
