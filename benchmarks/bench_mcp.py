"""MCP servers kept alive: 20 calls to ``mcp-server-time`` (from PyPI) through pa's registry (target < 2 s).

Times, in one event loop as in one `pa ask` or `pa serve`: discovery with a cold
cache (the server starts and lists its tools), then 20 ``time_get_current_time``
calls through ``execute_tool`` (validation, audit rows, the untrusted mark), all
served by the one process started at discovery. Then `pa tools list` as a
command with the cache warm (no server is started). Needs the dev group
(``mcp-server-time`` is a dev dependency).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CALLS = 20
TARGET_TOTAL_S = 2.0


def _time_server() -> list[str]:
    return [str(Path(sys.executable).parent / "mcp-server-time"), "--local-timezone", "UTC"]


async def _calls() -> dict[str, Any]:
    from pa_cli.config import MCPServerSettings, load_settings
    from pa_cli.store import open_store
    from pa_cli.tools.base import ToolContext
    from pa_cli.tools.mcp_connection import pool_for_running_loop
    from pa_cli.tools.registry import ToolRegistry, execute_tool

    command, *args = _time_server()
    settings = load_settings()
    settings.tools.mcp_servers = [MCPServerSettings(name="time", command=command, args=args)]
    store = open_store(settings)
    user = store.users.local_user()
    ctx = ToolContext(settings=settings, store=store, user_id=user.id, session_id=None)
    started = time.perf_counter()
    registry = await ToolRegistry.aload(settings)
    discovery = time.perf_counter() - started
    tool = registry.get("time_get_current_time")
    pids = set()
    started = time.perf_counter()
    for _ in range(CALLS):
        result = await execute_tool(tool, {"timezone": "Europe/Paris"}, ctx)
        assert result.ok, result.summary
        pids.add(pool_for_running_loop().get(settings.tools.mcp_servers[0], None).pid)
    calls = time.perf_counter() - started
    await pool_for_running_loop().close_all()
    return {"discovery_cold_s": round(discovery, 3), "calls_s": round(calls, 3), "processes": len(pids)}


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as home:
        os.environ["PA_HOME"] = home
        figures = asyncio.run(_calls())
        total = figures["discovery_cold_s"] + figures["calls_s"]
        figures["total_s"] = round(total, 3)
        command, *args = _time_server()
        config = Path(home) / "config" / "config.toml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(
            f'[[tools.mcp_servers]]\nname = "time"\ncommand = "{command}"\nargs = {args!r}\n'.replace(
                "'", '"'
            )
        )
        env = dict(os.environ, PA_HOME=home)
        subprocess.run(
            [sys.executable, "-m", "pa_cli", "tools", "list"], env=env, capture_output=True, check=True
        )
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "pa_cli", "tools", "list"], env=env, capture_output=True, check=True
        )
        figures["tools_list_warm_cache_s"] = round(time.perf_counter() - started, 3)
    verdict = "OK" if total < TARGET_TOTAL_S else "OVER"
    print(
        f"   start+list {figures['discovery_cold_s']:.2f} s, {CALLS} calls {figures['calls_s']:.2f} s "
        f"(total {total:.2f} s, target < {TARGET_TOTAL_S:.0f} s: {verdict}; {figures['processes']} process); "
        f"`pa tools list` with a warm cache {figures['tools_list_warm_cache_s']:.2f} s"
    )
    return figures
