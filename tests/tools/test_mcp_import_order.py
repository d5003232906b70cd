"""The MCP server process is spawned before the SDK (~0.8 s) is imported, and the registry stays light.

A real `mcp-server-time` (PyPI) is started and listed through pa's registry in a fresh interpreter,
where ``anyio.open_process`` is wrapped to note whether the SDK's client session module was already
imported at the spawn. Listing pa's own tools must not import the heavy stacks at all.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import mcp.client.stdio

from pa_cli.tools.mcp_environment import INHERITED_ENV_VARS, default_environment
from tests.tools.mcp_servers import time_server_command

HEAVY = ("googleapiclient", "baml_py", "baml_client", "fastapi", "sqlalchemy", "textual")

PROBE = """
import asyncio, json, sys
import anyio
from pa_cli.config import MCPServerSettings, load_settings
from pa_cli.tools.mcp_connection import pool_for_running_loop
from pa_cli.tools.registry import ToolRegistry

seen = {}
real_open = anyio.open_process

async def spying_open(*args, **kwargs):
    seen["sdk_imported_at_spawn"] = "mcp.client.session" in sys.modules
    return await real_open(*args, **kwargs)

anyio.open_process = spying_open

async def main():
    settings = load_settings()
    settings.tools.mcp_servers = [MCPServerSettings.model_validate(json.loads(sys.argv[1]))]
    registry = await ToolRegistry.aload(settings)
    seen["tools"] = sorted(registry.names())
    seen["heavy"] = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(sys.argv[2])))
    await pool_for_running_loop().close_all()

asyncio.run(main())
print(json.dumps(seen))
"""


def test_the_server_is_spawned_before_the_sdk_is_imported(tmp_path: Path) -> None:
    command, *args = time_server_command()
    server = {"name": "time", "command": command, "args": args}
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(server), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, PA_HOME=str(tmp_path)),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["sdk_imported_at_spawn"] is False
    assert "time_get_current_time" in seen["tools"]
    assert seen["heavy"] == []


def test_the_inherited_environment_is_the_sdks() -> None:
    assert list(INHERITED_ENV_VARS) == list(mcp.client.stdio.DEFAULT_INHERITED_ENV_VARS)
    assert default_environment() == mcp.client.stdio.get_default_environment()
