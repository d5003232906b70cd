"""The registry: built-ins and plugins through one entry-point group; bad plugins never stop start-up."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from pa_cli.config import Settings, load_settings
from pa_cli.errors import NotFoundError
from pa_cli.tools.base import Tool, ToolContext, ToolResult
from pa_cli.tools.plugins import BUILTIN_ENTRY_POINTS, ENTRY_POINT_GROUP
from pa_cli.tools.registry import ToolRegistry
from tests.tools.conftest import write_distribution

BUILTINS = {
    "plan_update",
    "plan_show",
    "fs_list",
    "fs_read",
    "fs_write",
    "fs_delete",
    "system_prompt_show",
    "system_prompt_update",
    "memory_save",
    "memory_search",
    "memory_forget",
}

TOOL_MODULE = """
from typing import Any
from pa_cli.tools.base import Tool, ToolResult

class Good(Tool):
    name = "{name}"
    description = "a test tool"

    async def run(self, args: Any, ctx: Any) -> ToolResult:
        return ToolResult(summary="ran")

class BadName(Tool):
    name = "Bad-Name"
    description = "a test tool with an invalid name"

    async def run(self, args: Any, ctx: Any) -> ToolResult:
        return ToolResult()

NOT_A_TOOL = object()
"""


def add_plugin(site: Path, dist: str, module: str, entry_points: dict[str, str], tool_name: str = "") -> None:
    write_distribution(
        site,
        dist,
        entry_points={ENTRY_POINT_GROUP: entry_points},
        modules={f"{module}.py": TOOL_MODULE.format(name=tool_name or module.removeprefix("pa_test_"))},
    )


class GmailSend(Tool):
    name = "gmail_send"
    description = "a stand-in for the Gmail send tool"
    side_effect = True

    async def run(self, args: Any, ctx: ToolContext) -> ToolResult:
        return ToolResult()


def test_builtins_are_offered_through_entry_points(settings: Settings) -> None:
    registry = ToolRegistry.load(settings)
    assert set(registry.names()) >= BUILTINS
    assert all(registry.source_of(name) == "builtin" for name in BUILTINS)
    assert registry.warnings == []


def test_only_system_prompt_update_is_a_builtin_side_effect(settings: Settings) -> None:
    registry = ToolRegistry.load(settings)
    assert {n for n in BUILTINS if registry.get(n).side_effect} == {"system_prompt_update", "memory_forget"}


def test_pyproject_declares_the_builtin_entry_points() -> None:
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text(encoding="utf-8"))
    declared = pyproject["project"].get("entry-points", {}).get(ENTRY_POINT_GROUP, {})
    assert {k: declared.get(k) for k in BUILTIN_ENTRY_POINTS} == BUILTIN_ENTRY_POINTS


def test_declared_builtin_entry_points_load_each_tool_once(settings: Settings, extra_site: Path) -> None:
    write_distribution(
        extra_site, "pa-cli", version="99.0", entry_points={ENTRY_POINT_GROUP: BUILTIN_ENTRY_POINTS}
    )
    registry = ToolRegistry.load(settings)
    assert registry.warnings == []
    assert set(registry.names()) >= BUILTINS and all(registry.source_of(n) == "builtin" for n in BUILTINS)


def test_describe_gives_what_front_ends_and_the_llm_need(settings: Settings) -> None:
    described = {d["name"]: d for d in ToolRegistry.load(settings).describe()}
    fs_write = described["fs_write"]
    assert set(fs_write) == {"name", "description", "schema", "side_effect", "source", "requires"}
    assert fs_write["schema"]["required"] == ["path", "content"]
    assert fs_write["schema"]["additionalProperties"] is False
    assert fs_write["side_effect"] is False and fs_write["source"] == "builtin" and fs_write["requires"] == []
    assert "virtual file system" in fs_write["description"]


def test_installed_plugin_is_offered_without_core_change(settings: Settings, installed_plugin: Path) -> None:
    registry = ToolRegistry.load(settings)
    assert registry.source_of("word_count") == "plugin:pa-word-count"
    assert registry.get("word_count").json_schema()["required"] == ["text"]
    assert registry.warnings == []


def test_plugin_with_an_invalid_tool_name_is_skipped_with_a_warning(
    settings: Settings, extra_site: Path
) -> None:
    add_plugin(extra_site, "pa-test-badname", "pa_test_badname", {"bad": "pa_test_badname:BadName"})
    registry = ToolRegistry.load(settings)
    assert "Bad-Name" not in registry and set(registry.names()) >= BUILTINS
    [warning] = registry.warnings
    assert "plugin pa-test-badname" in warning
    assert "'Bad-Name' is not valid" in warning
    assert "pip uninstall pa-test-badname" in warning


def test_plugin_cannot_take_a_builtin_name(settings: Settings, extra_site: Path) -> None:
    add_plugin(extra_site, "pa-test-dupe", "pa_test_dupe", {"dupe": "pa_test_dupe:Good"}, tool_name="fs_read")
    registry = ToolRegistry.load(settings)
    assert registry.source_of("fs_read") == "builtin"
    [warning] = registry.warnings
    assert "plugin pa-test-dupe" in warning and "'fs_read' is already taken by built-in" in warning


def test_two_plugins_with_one_name_keep_the_first_by_distribution_name(
    settings: Settings, extra_site: Path
) -> None:
    add_plugin(extra_site, "pa-test-aaa", "pa_test_aaa", {"x": "pa_test_aaa:Good"}, tool_name="shared_name")
    add_plugin(extra_site, "pa-test-bbb", "pa_test_bbb", {"x": "pa_test_bbb:Good"}, tool_name="shared_name")
    registry = ToolRegistry.load(settings)
    assert registry.source_of("shared_name") == "plugin:pa-test-aaa"
    [warning] = registry.warnings
    assert warning.startswith("plugin pa-test-bbb") and "already taken by plugin pa-test-aaa" in warning


def test_plugin_that_fails_to_import_is_reported_not_fatal(settings: Settings, extra_site: Path) -> None:
    write_distribution(
        extra_site,
        "pa-test-broken",
        entry_points={ENTRY_POINT_GROUP: {"broken": "pa_test_broken:TOOLS"}},
        modules={"pa_test_broken.py": "import pa_test_no_such_dependency\n"},
    )
    registry = ToolRegistry.load(settings)
    assert set(registry.names()) >= BUILTINS
    [warning] = registry.warnings
    assert "plugin pa-test-broken" in warning and "failed to load (ModuleNotFoundError" in warning
    assert "pip uninstall pa-test-broken" in warning


def test_entry_point_naming_something_else_is_reported(settings: Settings, extra_site: Path) -> None:
    add_plugin(extra_site, "pa-test-other", "pa_test_other", {"o": "pa_test_other:NOT_A_TOOL"})
    [warning] = ToolRegistry.load(settings).warnings
    assert "plugin pa-test-other" in warning and "is not a pa_cli.tools.base.Tool" in warning


def test_entry_point_may_name_a_list_of_tools(settings: Settings, extra_site: Path) -> None:
    module = TOOL_MODULE.format(name="listed_tool") + "TOOLS = [Good, BadName]\n"
    write_distribution(
        extra_site,
        "pa-test-list",
        entry_points={ENTRY_POINT_GROUP: {"many": "pa_test_list:TOOLS"}},
        modules={"pa_test_list.py": module},
    )
    registry = ToolRegistry.load(settings)
    assert registry.source_of("listed_tool") == "plugin:pa-test-list"
    assert len(registry.warnings) == 1 and "'Bad-Name' is not valid" in registry.warnings[0]


def test_draft_only_mode_does_not_offer_gmail_send(pa_home: Path) -> None:
    registry = ToolRegistry.from_tools([GmailSend()], settings=load_settings({"gmail.mode": "draft_only"}))
    assert "gmail_send" not in registry and registry.describe() == []
    with pytest.raises(NotFoundError, match="draft_only"):
        registry.get("gmail_send")
    assert "gmail_send" in ToolRegistry.from_tools([GmailSend()], settings=load_settings())


def test_denied_tool_is_not_offered(pa_home: Path) -> None:
    registry = ToolRegistry.load(load_settings({"tools.policy.fs_delete": "deny"}))
    assert "fs_delete" not in registry and "fs_delete" not in {d["name"] for d in registry.describe()}
    assert registry.hidden == {"fs_delete": "tools.policy.fs_delete = deny"}


def test_unknown_tool_is_a_not_found_error(settings: Settings) -> None:
    with pytest.raises(NotFoundError, match="no tool named 'nope'"):
        ToolRegistry.load(settings).get("nope")
