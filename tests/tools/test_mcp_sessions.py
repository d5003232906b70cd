"""MCP servers kept alive: one process per server, reused, restarted, cached, with clear errors."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from pa_cli.config import MCPServerSettings, Settings, load_settings
from pa_cli.tools import mcp_source
from pa_cli.tools.base import ToolContext
from pa_cli.tools.mcp_cache import cache_file
from pa_cli.tools.mcp_connection import pool_for_running_loop
from pa_cli.tools.registry import ToolRegistry, execute_tool
from tests.conftest import PaRunner
from tests.tools.mcp_servers import (
    FAILING_SERVER,
    HANGING_SERVER,
    PID_SERVER,
    script,
    time_server_command,
    write_servers_config,
)


def _settings_with(*servers: Mapping[str, object]) -> Settings:
    settings = load_settings()
    settings.tools.mcp_servers = [MCPServerSettings.model_validate(s) for s in servers]
    return settings


@pytest.fixture
def pid_server(tmp_path: Path) -> dict[str, object]:
    return {"name": "pids", "command": sys.executable, "args": [str(script(tmp_path, "pids.py", PID_SERVER))]}


async def test_the_same_process_answers_every_call(
    pa_home: Path, pid_server: dict[str, object], ctx: ToolContext
) -> None:
    registry = await ToolRegistry.aload(_settings_with(pid_server))
    tool = registry.get("pids_pid")
    pids = set()
    for _ in range(5):
        result = await execute_tool(tool, {}, ctx)
        assert result.ok and result.untrusted
        pids.add(int(result.content["text"]))
    assert len(pids) == 1
    connection = pool_for_running_loop().get(MCPServerSettings.model_validate(pid_server), None)
    assert connection.pid == pids.pop()
    await pool_for_running_loop().close_all()


async def test_a_server_that_died_is_restarted_on_the_next_call(
    pa_home: Path, pid_server: dict[str, object], ctx: ToolContext
) -> None:
    registry = await ToolRegistry.aload(_settings_with(pid_server))
    tool = registry.get("pids_pid")
    first = int((await execute_tool(tool, {}, ctx)).content["text"])
    os.kill(first, signal.SIGKILL)
    for _ in range(200):  # the loop notices the exit
        await asyncio.sleep(0.05)
        if not pool_for_running_loop().get(MCPServerSettings.model_validate(pid_server), None).alive:
            break
    second = await execute_tool(tool, {}, ctx)
    assert second.ok, second.summary
    assert int(second.content["text"]) != first
    await pool_for_running_loop().close_all()


async def test_tools_list_changed_refreshes_the_registry_and_the_cache(
    pa_home: Path, pid_server: dict[str, object], ctx: ToolContext
) -> None:
    settings = _settings_with(pid_server)
    registry = await ToolRegistry.aload(settings)
    assert "pids_extra" not in registry
    result = await execute_tool(registry.get("pids_grow"), {}, ctx)
    assert result.ok
    for _ in range(400):
        if "pids_extra" in registry:
            break
        await asyncio.sleep(0.05)
    assert "pids_extra" in registry
    extra = await execute_tool(registry.get("pids_extra"), {}, ctx)
    assert extra.content["text"] == "extra!"
    cached = cache_file(settings.tools.mcp_servers[0], settings.app_paths.cache_dir).read_text()
    assert '"extra"' in cached
    await pool_for_running_loop().close_all()


def test_tool_lists_are_cached_between_commands(pa_home: Path, tmp_path: Path) -> None:
    server_script = script(tmp_path, "pids.py", PID_SERVER)
    entry = {"name": "pids", "command": sys.executable, "args": [str(server_script)]}
    first = ToolRegistry.load(_settings_with(entry))
    assert "pids_pid" in first and not first.warnings
    server_script.unlink()  # a second discovery that started the server would now fail
    second = ToolRegistry.load(_settings_with(entry))
    assert "pids_pid" in second and not second.warnings


def test_a_hanging_server_costs_its_timeout_once(
    pa_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mcp_source, "LIST_TIMEOUT_SECONDS", 1.0)
    starts = tmp_path / "starts.txt"
    hang = script(tmp_path, "hang.py", HANGING_SERVER)
    entry = {"name": "slow", "command": sys.executable, "args": [str(hang), str(starts)]}
    first = ToolRegistry.load(_settings_with(entry))
    [warning] = first.warnings
    assert "did not start within 1 s" in warning
    second = ToolRegistry.load(_settings_with(entry))
    [again] = second.warnings
    assert "remembered from an earlier try" in again
    assert starts.read_text().splitlines() == ["started"]  # started once, not on every command


def test_a_server_failing_at_start_is_reported_with_its_last_words_and_log(
    pa_home: Path, tmp_path: Path
) -> None:
    failing = script(tmp_path, "fail.py", FAILING_SERVER)
    registry = ToolRegistry.load(
        _settings_with({"name": "broken", "command": sys.executable, "args": [str(failing)]})
    )
    [warning] = registry.warnings
    log = pa_home / "cache" / "logs" / "mcp-broken.log"
    assert "fatal: DEMO_API_KEY is not set" in warning
    assert "exit code 3" in warning
    assert str(log) in warning
    assert "Connection closed" not in warning


def test_a_banner_on_stdout_puts_no_traceback_on_the_terminal(
    pa: PaRunner, pa_home: Path, tmp_path: Path
) -> None:
    server = script(tmp_path, "pids.py", PID_SERVER)
    write_servers_config(
        pa_home,
        [
            {
                "name": "pids",
                "command": sys.executable,
                "args": [str(server)],
                "env": {"DEMO_BANNER": "Welcome to PIDS v1!"},
            }
        ],
    )
    listed = pa("tools", "list")
    assert listed.returncode == 0, listed.stderr
    ran = pa("tools", "run", "pids_pid", "--args", "{}")
    assert ran.returncode == 0, ran.stderr
    for output in (listed.stderr, ran.stderr, listed.stdout, ran.stdout):
        assert "Traceback" not in output and "pydantic" not in output and "Welcome to PIDS" not in output
    log = (pa_home / "cache" / "logs" / "mcp-pids.log").read_text()
    assert "Welcome to PIDS v1!" in log


def test_mcp_server_time_from_pypi_as_a_tool_source(pa: PaRunner, pa_home: Path) -> None:
    command, *args = time_server_command()
    write_servers_config(pa_home, [{"name": "time", "command": command, "args": args}])
    listed = pa("tools", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert "time_get_current_time" in listed.stdout and "time_convert_time" in listed.stdout
    ran = pa("tools", "run", "time_get_current_time", "--args", '{"timezone": "Europe/Paris"}', "--json")
    assert ran.returncode == 0, ran.stderr
    assert '"timezone": "Europe/Paris"' in ran.stdout and '"untrusted": true' in ran.stdout


async def test_twenty_calls_to_mcp_server_time_share_one_process(pa_home: Path, ctx: ToolContext) -> None:
    command, *args = time_server_command()
    settings = _settings_with({"name": "time", "command": command, "args": args})
    registry = await ToolRegistry.aload(settings)
    tool = registry.get("time_get_current_time")
    connection = pool_for_running_loop().get(settings.tools.mcp_servers[0], None)
    pids = set()
    for _ in range(20):
        result = await execute_tool(tool, {"timezone": "Asia/Tokyo"}, ctx)
        assert result.ok and "Asia/Tokyo" in result.content["text"]
        pids.add(connection.pid)
    assert len(pids) == 1 and None not in pids
    await pool_for_running_loop().close_all()


async def test_a_call_that_takes_too_long_is_a_clear_error_and_the_server_stays_usable(
    pa_home: Path, pid_server: dict[str, object], ctx: ToolContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mcp_source, "CALL_TIMEOUT_SECONDS", 1.0)
    registry = await ToolRegistry.aload(_settings_with(pid_server))
    late = await execute_tool(registry.get("pids_slow"), {"seconds": 30}, ctx)
    assert not late.ok
    assert "MCP server 'pids' did not answer within 1 s" in late.summary and "mcp-pids.log" in late.summary
    assert "starts again on the next call" in late.summary
    quick = await execute_tool(registry.get("pids_slow"), {"seconds": 0}, ctx)
    assert quick.ok and quick.content["text"] == "slept"
    await pool_for_running_loop().close_all()


def test_a_stale_cached_list_is_refreshed_once_the_server_runs(pa_home: Path, tmp_path: Path) -> None:
    import json

    entry = {
        "name": "pids",
        "command": sys.executable,
        "args": [str(script(tmp_path, "pids.py", PID_SERVER))],
    }
    settings = _settings_with(entry)
    ToolRegistry.load(settings)  # fills the cache
    path = cache_file(settings.tools.mcp_servers[0], settings.app_paths.cache_dir)
    data = json.loads(path.read_text())
    data["tools"] = [t for t in data["tools"] if t["name"] == "pid"]  # as if the server grew tools since
    path.write_text(json.dumps(data))

    async def use_it() -> set[str]:
        from pa_cli.store import open_store

        registry = await ToolRegistry.aload(settings)
        assert registry.names()[-1] == "pids_pid" and "pids_slow" not in registry
        store = open_store(settings)
        user = store.users.local_user().id
        ctx = ToolContext(settings=settings, store=store, user_id=user, session_id=None)
        assert (await execute_tool(registry.get("pids_pid"), {}, ctx)).ok
        for _ in range(400):
            if "pids_slow" in registry:
                break
            await asyncio.sleep(0.05)
        await pool_for_running_loop().close_all()
        return set(registry.names())

    names = asyncio.run(use_it())
    assert {"pids_pid", "pids_slow", "pids_grow"} <= names
    assert '"slow"' in path.read_text()
