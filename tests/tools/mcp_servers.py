"""Small MCP servers (scripts run with this interpreter) and config helpers for the MCP tests."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

#: A server whose ``pid`` tool says which process answered; ``grow`` adds a tool and announces it.
PID_SERVER = '''
import os, sys
from mcp.server.mcpserver import MCPServer, Context
from mcp_types import ToolAnnotations

BANNER = os.environ.get("DEMO_BANNER")
if BANNER:
    print(BANNER, flush=True)  # on stdout, before any JSON-RPC: what some servers do
print("pid server starting", file=sys.stderr, flush=True)
app = MCPServer("pids")


@app.tool(annotations=ToolAnnotations(read_only_hint=True))
def pid() -> int:
    """The server's process id."""
    return os.getpid()


@app.tool(annotations=ToolAnnotations(read_only_hint=True))
async def slow(seconds: float) -> str:
    """Sleep, then answer."""
    import anyio
    await anyio.sleep(seconds)
    return "slept"


@app.tool()
async def grow(ctx: Context) -> str:
    """Add a tool named extra and tell the client."""
    def extra() -> str:
        """A tool that appeared later."""
        return "extra!"
    app.add_tool(extra, name="extra")
    await ctx.session.send_tool_list_changed()
    return "grown"


app.run()
'''

#: A server that says why it cannot run, on stderr, and exits.
FAILING_SERVER = """
import sys
print("loading settings", file=sys.stderr)
print("fatal: DEMO_API_KEY is not set", file=sys.stderr)
sys.exit(3)
"""

#: A server that starts and never answers; each start appends a line to the file in argv[1].
HANGING_SERVER = """
import sys, time
with open(sys.argv[1], "a") as fh:
    fh.write("started\\n")
time.sleep(600)
"""


def script(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def time_server_command() -> list[str]:
    """``mcp-server-time`` from PyPI (a dev dependency), as installed beside this interpreter."""
    found = Path(sys.executable).parent / "mcp-server-time"
    command = str(found) if found.exists() else shutil.which("mcp-server-time")
    assert command, "mcp-server-time is not installed (uv sync --group dev)"
    return [command, "--local-timezone", "UTC"]


def write_servers_config(pa_home: Path, servers: list[dict[str, object]]) -> None:
    """``[[tools.mcp_servers]]`` entries in the config file of this PA_HOME."""
    config = pa_home / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    for server in servers:
        lines.append("[[tools.mcp_servers]]")
        for key, value in server.items():
            if isinstance(value, dict):
                inner = ", ".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in value.items())
                lines.append(f"{key} = {{ {inner} }}")
            else:
                lines.append(f"{key} = {json.dumps(value)}")
        lines.append("")
    with open(config, "a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
