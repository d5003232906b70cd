"""Tool availability: built-ins always, Google tools only with a grant that covers their scopes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from pa_cli.agent.catalog import describe_tools, tool_availability
from pa_cli.config import load_settings
from pa_cli.google.scopes import GMAIL_READONLY, PROVIDER, scopes_for
from pa_cli.store import Store
from pa_cli.tools.registry import ToolRegistry


def _statements(store: Store) -> list[str]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(store.engine, "before_cursor_execute", record)
    return seen


def test_google_tools_need_a_grant_covering_their_scopes_and_cost_one_query(store: Store) -> None:
    settings = load_settings()
    user = store.users.local_user()
    store.oauth_tokens.upsert(
        user.id, PROVIDER, "calendar", scopes=scopes_for(settings, "calendar"), expiry=None
    )
    store.oauth_tokens.upsert(user.id, PROVIDER, "gmail", scopes=[GMAIL_READONLY], expiry=None)  # not enough
    tools = ToolRegistry.load(settings, include_mcp=False).all()
    statements = _statements(store)

    availability = tool_availability(tools, settings, store, user.id)

    assert [s for s in statements if "oauth_tokens" in s and s.lstrip().upper().startswith("SELECT")]
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
    by_service = {t.service: availability[t.name] for t in tools}
    assert by_service[None] == (True, None)
    assert by_service["calendar"] == (True, None)
    assert by_service["gmail"] == (False, "not authorized: run `pa tools authorize gmail`")
    assert set(availability) == {t.name for t in tools}


def test_without_google_tools_the_grants_are_not_read(store: Store) -> None:
    settings = load_settings()
    tools = [t for t in ToolRegistry.load(settings, include_mcp=False).all() if t.service is None]
    statements = _statements(store)

    assert all(v == (True, None) for v in tool_availability(tools, settings, store, 1).values())
    assert statements == []


def test_describe_tools_reports_each_tool_once_with_its_availability(store: Store) -> None:
    settings = load_settings()
    user = store.users.local_user()
    registry = ToolRegistry.load(settings, include_mcp=False)

    rows = describe_tools(registry, settings, store, user.id)

    assert [r["name"] for r in rows] == [t.name for t in registry.all()]
    assert {r["name"]: r["authorized"] for r in rows if r["name"].startswith("gmail")} == {
        r["name"]: False for r in rows if r["name"].startswith("gmail")
    }
    assert all(r["authorized"] for r in rows if r["name"].startswith("fs_"))
