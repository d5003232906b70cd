"""A pip-installed plugin package adds a tool the agent can use, with no change to pa."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pa_cli.config import Settings
from pa_cli.tools.base import ToolContext
from pa_cli.tools.registry import ToolRegistry, execute_tool


async def test_plugin_tool_runs_through_execute_tool(
    settings: Settings, installed_plugin: Path, ctx: ToolContext
) -> None:
    registry = ToolRegistry.load(settings)
    result = await execute_tool(registry.get("word_count"), {"text": "one two  three\nfour"}, ctx)
    assert result.ok and result.content == {"words": 4, "lines": 2, "characters": 19}
    assert result.summary == "4 words"
    close, begin = ctx.store.audit.list(user_id=ctx.user_id)
    assert [(r.tool, r.outcome) for r in (begin, close)] == [
        ("word_count", "executing"),
        ("word_count", "executed"),
    ]


async def test_plugin_is_recorded_in_the_tool_registry_table(
    settings: Settings, installed_plugin: Path, ctx: ToolContext
) -> None:
    ToolRegistry.load(settings).sync_to_store(ctx.store)
    entry = ctx.store.tool_registry.get("word_count")
    assert entry is not None and entry.source == "plugin:pa-word-count" and not entry.side_effect
    assert entry.json_schema["required"] == ["text"]
    assert ctx.store.tool_registry.get("fs_read") is not None


def test_plugin_is_found_by_a_fresh_process_through_pythonpath(plugin_site_dir: Path, tmp_path: Path) -> None:
    code = (
        "from pa_cli.config import load_settings\n"
        "from pa_cli.tools.registry import ToolRegistry\n"
        "r = ToolRegistry.load(load_settings())\n"
        "print(r.source_of('word_count'), r.warnings)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(plugin_site_dir), "PA_HOME": str(tmp_path / "home")}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "plugin:pa-word-count []"


def test_without_the_plugin_there_is_no_word_count(settings: Settings) -> None:
    assert "word_count" not in ToolRegistry.load(settings)
