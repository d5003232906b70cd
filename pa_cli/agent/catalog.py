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


def stored_grants(settings: Settings) -> dict[str, frozenset[str]]:
    """The local user's stored Google grants (service -> scopes), no network, no keyring.

    Read with stdlib sqlite3 (``store.light``) when the database is a SQLite file at this pa's head
    revision and the local user exists; otherwise through the Store, which creates, migrates or
    refuses the database as it always does."""
    grants = _light_grants(settings)
    if grants is not None:
        return grants
    from pa_cli.google.credentials import grants_by_service
    from pa_cli.store import open_store

    store = open_store(settings)
    try:
        return grants_by_service(store, store.users.local_user().id)
    finally:
        store.close()


def _light_grants(settings: Settings) -> dict[str, frozenset[str]] | None:
    import sqlite3

    from pa_cli.google.scopes import PROVIDER
    from pa_cli.store.light import LightReader
    from pa_cli.store.migrate import head_revision

    opened = LightReader.open_local(settings.database_url, head_revision())
    if opened is None:
        return None
    reader, user_id = opened
    try:
        return reader.scopes_by_service(user_id, PROVIDER)
    except (sqlite3.Error, ValueError):  # locked out, a schema surprise, a JSON column not JSON
        return None


def describe_tools(
    registry: ToolRegistry,
    settings: Settings,
    store: Store | None,
    user_id: int,
    grants: dict[str, frozenset[str]] | None = None,
) -> list[dict[str, Any]]:
    """Each tool with its schema and availability; ``grants`` as for ``tool_availability``."""
    rows = []
    tools = registry.all()
    availability = tool_availability(tools, settings, store, user_id, grants)
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
