"""What tools the user has, and whether each can run now (Google authorization), for the LLM and front-ends."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pa_cli.config import Settings
    from pa_cli.store import Store
    from pa_cli.tools.base import Tool
    from pa_cli.tools.registry import ToolRegistry


def tool_availability(
    tools: Iterable[Tool],
    settings: Settings,
    store: Store | None,
    user_id: int,
    grants: dict[str, frozenset[str]] | None = None,
) -> dict[str, tuple[bool, str | None]]:
    """(authorized, note) by tool name. Stored grant metadata only (one query): no network, no keyring.

    ``grants`` (service -> scopes) when the caller read them already (the light read path)."""
    result: dict[str, tuple[bool, str | None]] = {}
    for tool in tools:
        if tool.service is None:
            result[tool.name] = (True, None)
            continue
        from pa_cli.google.credentials import grant_covers, grants_by_service

        if grants is None:
            if store is None:
                raise ValueError("tool_availability needs a store or the grants")
            grants = grants_by_service(store, user_id)
        if grant_covers(settings, tool.service, grants.get(tool.service)):
            result[tool.name] = (True, None)
        else:
            result[tool.name] = (False, f"not authorized: run `pa tools authorize {tool.service}`")
    return result


def describe_tools(
    registry: ToolRegistry, settings: Settings, store: Store, user_id: int
) -> list[dict[str, Any]]:
    rows = []
    tools = registry.all()
    availability = tool_availability(tools, settings, store, user_id)
    for tool in tools:
        authorized, note = availability[tool.name]
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
