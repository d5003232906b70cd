"""A process killed while a tool runs leaves its begin row (`executing`) with no close: visible, not hidden."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pa_cli.config import load_settings
from pa_cli.store import Store
from tests.conftest import PaRunner

SERVER = """
import time
from mcp.server.mcpserver import MCPServer
from mcp_types import ToolAnnotations

app = MCPServer("slow")


@app.tool(annotations=ToolAnnotations(read_only_hint=True))
def wait(seconds: int) -> str:
    \"\"\"Wait a while.\"\"\"
    time.sleep(seconds)
    return "waited"


app.run()
"""


def test_kill_9_during_a_call_leaves_an_unclosed_executing_row(
    pa: PaRunner, store: Store, tmp_path: Path
) -> None:
    script = tmp_path / "slow_server.py"
    script.write_text(SERVER, encoding="utf-8")
    config = load_settings().app_paths.config_file
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        f'[[tools.mcp_servers]]\nname = "slow"\ncommand = "{sys.executable}"\nargs = ["{script}"]\n', "utf-8"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "pa_cli", "tools", "run", "slow_wait", "--args", '{"seconds": 120}'],
        env=pa.env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while not [r for r in store.audit.list() if r.tool == "slow_wait"]:
            assert proc.poll() is None and time.monotonic() < deadline, "the call never started"
            time.sleep(0.1)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)
    [row] = store.audit.list()
    assert (row.tool, row.outcome) == ("slow_wait", "executing")
    assert store.audit.verify_chain()
