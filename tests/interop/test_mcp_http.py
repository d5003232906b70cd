"""MCP over streamable HTTP at /mcp under the real `pa serve`, with the MCP SDK's HTTP client."""

from __future__ import annotations

import re
from typing import Any

import httpx
import mcp_types as types
import pytest
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from tests.server.support import LiveServer

pytestmark = pytest.mark.slow


def _text(result: types.CallToolResult) -> str:
    return "\n".join(block.text for block in result.content if isinstance(block, types.TextContent))


def test_mcp_without_the_device_token_is_401(server: LiveServer) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    missing = httpx.post(server.base_url + "/mcp", json=body, timeout=10)
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "unauthorized"
    wrong = httpx.post(
        server.base_url + "/mcp", json=body, headers={"Authorization": "Bearer nope"}, timeout=10
    )
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_token"


async def _session_calls(server: LiveServer, elicitation: Any = None) -> tuple[set[str], str, str]:
    http = create_mcp_http_client(headers=server.headers())
    async with (
        http,
        streamable_http_client(server.base_url + "/mcp", http_client=http) as (read, write),
        ClientSession(read, write, elicitation_callback=elicitation) as session,
    ):
        await session.initialize()
        names = {tool.name for tool in (await session.list_tools()).tools}
        listed = await session.call_tool("fs_list", {})
        assert not listed.is_error, _text(listed)
        waiting = await session.call_tool("system_prompt_update", {"text": "Speak French."})
        shown = await session.call_tool("system_prompt_show", {})
    return names, _text(waiting), _text(shown)


async def test_mcp_over_http_lists_reads_and_waits_for_approval(server: LiveServer) -> None:
    names, waiting, shown = await _session_calls(server)
    assert {"fs_read", "fs_list", "system_prompt_update"} <= names
    assert "waiting for approval: pa approve " in waiting
    assert "Speak French." not in shown
    approval_id = re.search(r"pa approve (\S+)", waiting).group(1)  # type: ignore[union-attr]
    async with httpx.AsyncClient(timeout=30) as client:
        decided = await client.post(
            f"{server.base_url}/api/v1/personal-assistant/approvals/{approval_id}",
            json={"approve": True},
            headers=server.headers(),
        )
    assert decided.status_code == 200, decided.text
    http = create_mcp_http_client(headers=server.headers())
    async with (
        http,
        streamable_http_client(server.base_url + "/mcp", http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        after = _text(await session.call_tool("system_prompt_show", {}))
    assert "Speak French." in after


async def test_mcp_over_http_asks_by_elicitation(server: LiveServer) -> None:
    async def accept(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        return types.ElicitResult(action="accept", content={"approve": True})

    _names, done, shown = await _session_calls(server, accept)
    assert "waiting for approval" not in done
    assert "Speak French." in shown
