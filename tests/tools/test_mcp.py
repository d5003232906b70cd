"""MCP servers from config: their tools are listed, named <server>_<tool>, called over stdio, untrusted."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pa_cli.config import Settings, load_settings
from pa_cli.tools.base import ToolContext
from pa_cli.tools.mcp_source import MCPTool, mcp_tool_name
from pa_cli.tools.registry import ToolRegistry, execute_tool

SERVER = '''
import sys
from mcp.server.mcpserver import MCPServer
from mcp_types import ToolAnnotations

app = MCPServer("demo")


@app.tool(annotations=ToolAnnotations(read_only_hint=True))
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@app.tool(name="Shout-Loud")
def shout(text: str) -> str:
    """Upper-case a text."""
    return text.upper()


@app.tool()
def boom() -> str:
    """Always fails."""
    raise ValueError("kaput")


print("demo server starting", file=sys.stderr)
app.run()
'''


@pytest.fixture
def mcp_settings(tmp_path: Path, pa_home: Path) -> Settings:
    script = tmp_path / "demo_server.py"
    script.write_text(SERVER, encoding="utf-8")
    settings = load_settings()
    settings.tools.mcp_servers = [
        {"name": "Demo", "command": sys.executable, "args": [str(script)]},  # type: ignore[list-item]
        {"name": "ghost", "command": str(tmp_path / "no-such-server")},  # type: ignore[list-item]
    ]
    return settings


@pytest.mark.parametrize(
    ("server", "tool", "expected"),
    [
        ("files", "read", "files_read"),
        ("My Server", "Get-Thing", "my_server_get_thing"),
        ("9lives", "x", "mcp_9lives_x"),
        ("a", "b" * 100, None),
    ],
)
def test_mcp_tool_names_are_sanitised(server: str, tool: str, expected: str | None) -> None:
    name = mcp_tool_name(server, tool)
    if expected is not None:
        assert name == expected
    else:
        assert len(name) == 64 and name.startswith("a_bbb")
        assert name != mcp_tool_name(server, "b" * 99)


async def test_mcp_server_tools_are_listed_and_called(mcp_settings: Settings, ctx: ToolContext) -> None:
    registry = await ToolRegistry.aload(mcp_settings)
    assert {"demo_add", "demo_shout_loud", "demo_boom"} <= set(registry.names())
    assert registry.source_of("demo_add") == "mcp:Demo"
    add = registry.get("demo_add")
    assert isinstance(add, MCPTool)
    assert add.side_effect is False  # readOnlyHint
    assert registry.get("demo_shout_loud").side_effect is True  # no annotation: assume it acts
    assert add.json_schema()["required"] == ["a", "b"]
    assert "Add two integers" in add.description
    [warning] = registry.warnings
    assert "MCP server 'ghost'" in warning and "skipped" in warning

    result = await execute_tool(add, {"a": 2, "b": 40}, ctx)
    assert result.ok and result.untrusted
    assert result.content["text"] == "42"

    close, begin = ctx.store.audit.list(user_id=ctx.user_id)
    assert [(r.tool, r.outcome) for r in (begin, close)] == [
        ("demo_add", "executing"),
        ("demo_add", "executed"),
    ]

    log = mcp_settings.app_paths.log_dir / "mcp-demo.log"
    assert "demo server starting" in log.read_text(encoding="utf-8")


async def test_mcp_arguments_are_checked_against_the_servers_schema(
    mcp_settings: Settings, ctx: ToolContext
) -> None:
    from pa_cli.config import MCPServerSettings
    from pa_cli.tools.mcp_source import make_mcp_tool

    class Remote:
        name = "add"
        description = "Add."
        annotations = None
        input_schema = {
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
            "required": ["a", "b"],
        }

    server = MCPServerSettings(name="demo", command="unused")
    tool = make_mcp_tool(server, Remote(), None)
    result = await execute_tool(tool, {"a": "two"}, ctx)
    assert not result.ok
    assert "invalid arguments" in result.summary
    assert (
        "'b' is a required property" in result.summary
        and "a: 'two' is not of type 'integer'" in result.summary
    )
    assert tool.args_model.model_json_schema() == Remote.input_schema


def test_sync_load_reports_a_server_that_cannot_start(tmp_path: Path, pa_home: Path) -> None:
    settings = load_settings()
    settings.tools.mcp_servers = [{"name": "ghost", "command": str(tmp_path / "missing")}]  # type: ignore[list-item]
    registry = ToolRegistry.load(settings)
    [warning] = registry.warnings
    assert "MCP server 'ghost'" in warning and "tools.mcp_servers" in warning
    assert "fs_read" in registry


async def test_sync_load_works_inside_a_running_event_loop(tmp_path: Path, pa_home: Path) -> None:
    settings = load_settings()
    settings.tools.mcp_servers = [{"name": "ghost", "command": str(tmp_path / "missing")}]  # type: ignore[list-item]
    registry = ToolRegistry.load(settings)
    assert len(registry.warnings) == 1 and "fs_read" in registry


def test_an_mcp_error_result_is_a_failed_untrusted_result() -> None:
    from mcp_types import CallToolResult, ImageContent, TextContent

    from pa_cli.tools.mcp_source import _to_result

    error = CallToolResult(content=[TextContent(text="Error executing tool boom")], is_error=True)
    failed = _to_result("Demo", "boom", error)
    assert not failed.ok and failed.untrusted
    assert failed.summary == "Demo boom failed: Error executing tool boom"

    mixed = CallToolResult(
        content=[TextContent(text="see picture"), ImageContent(data="AAAA", mime_type="image/png")],
        structured_content={"n": 1},
    )
    ok = _to_result("Demo", "draw", mixed)
    assert ok.ok and ok.untrusted
    assert ok.content == {"text": "see picture\n[image content: image/png]", "structured": {"n": 1}}
