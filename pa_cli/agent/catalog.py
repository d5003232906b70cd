"""What tools the user has, and whether each can run now (Google authorization), for the LLM and front-ends."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pa_cli.config import Settings
    from pa_cli.store import Store
    from pa_cli.tools.base import Tool
    from pa_cli.tools.registry import ToolRegistry


def tool_availability(tool: Tool, settings: Settings, store: Store, user_id: int) -> tuple[bool, str | None]:
    """(authorized, note). Checks stored metadata only: no network, no keyring."""
    if tool.service is None:
        return True, None
    from pa_cli.google.credentials import is_authorized

    if is_authorized(settings, store, user_id, tool.service):
        return True, None
    return False, f"not authorized: run `pa tools authorize {tool.service}`"


def describe_tools(
    registry: ToolRegistry, settings: Settings, store: Store, user_id: int
) -> list[dict[str, Any]]:
    rows = []
    for tool in registry.all():
        authorized, note = tool_availability(tool, settings, store, user_id)
        rows.append(
            {
                "name": tool.name,
                "description": tool.description,
                "schema": tool.json_schema(),
                "authorized": authorized,
                "side_effect": tool.side_effect,
                "note": note,
            }
        )
    return rows
