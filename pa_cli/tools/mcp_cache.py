"""The tool lists of MCP servers, cached between commands under ``<cache>/mcp/``.

Discovery reads the cache instead of starting every server on every command:
a server's list is saved whenever a live session lists its tools (first start,
``notifications/tools/list_changed``), keyed by a hash of the server's
configuration (name, command, args, env), so editing the config is a miss. A
server that failed to start or list is remembered for ``FAILURE_TTL_SECONDS``:
a hanging server costs its timeout once, then is reported from the cache until
the entry expires (or ``pa tools list --refresh`` is added later). The file
holds no env values, only the hash.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pa_cli.config import MCPServerSettings

FAILURE_TTL_SECONDS = 300.0
CACHE_VERSION = 1


def server_key(server: MCPServerSettings) -> str:
    material = json.dumps(
        [server.name, server.command, list(server.args), sorted(server.env.items())], ensure_ascii=True
    )
    return hashlib.sha256(material.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class CachedList:
    tools: list[Any] | None
    error: str | None
    saved_at: float


def cache_file(server: MCPServerSettings, cache_dir: Path) -> Path:
    return cache_dir / "mcp" / f"tools-{server_key(server)}.json"


def load(server: MCPServerSettings, cache_dir: Path | None, now: float | None = None) -> CachedList | None:
    """The cached list (``mcp_types.Tool`` objects) or failure; None on a miss or an expired failure."""
    if cache_dir is None:
        return None
    try:
        data = json.loads(cache_file(server, cache_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
        return None
    saved_at = float(data.get("saved_at", 0))
    if data.get("error") is not None:
        if (now if now is not None else time.time()) - saved_at > FAILURE_TTL_SECONDS:
            return None
        return CachedList(None, str(data["error"]), saved_at)
    from mcp_types import Tool as RemoteTool

    try:
        tools = [RemoteTool.model_validate(item) for item in data.get("tools", [])]
    except ValueError:
        return None
    return CachedList(tools, None, saved_at)


def save_tools(server: MCPServerSettings, cache_dir: Path | None, tools: list[Any]) -> None:
    dumped = [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]
    _write(server, cache_dir, {"tools": dumped, "error": None})


def save_failure(server: MCPServerSettings, cache_dir: Path | None, error: str) -> None:
    _write(server, cache_dir, {"tools": None, "error": error})


def _write(server: MCPServerSettings, cache_dir: Path | None, body: dict[str, Any]) -> None:
    if cache_dir is None:
        return
    path = cache_file(server, cache_dir)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        payload = {"version": CACHE_VERSION, "saved_at": time.time(), "server": server.name, **body}
        tmp.write_text(json.dumps(payload), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        return
