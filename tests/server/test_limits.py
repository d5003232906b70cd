"""Rate limits, request size limits, CORS, and the audit trail of tool executions per client."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

from pa_cli.config import Settings, load_settings
from pa_cli.server.limits import Limits, SharedWindow
from pa_cli.server.runtime import RuntimeOptions
from pa_cli.store import Store, open_store
from pa_cli.testing.fake_llm import FakeLLM
from tests.agent.scripts import thinking
from tests.server.support import API, LiveServer, ThreadedServer, issue, stream_events


def _client(live: ThreadedServer, token: str) -> httpx.Client:
    return httpx.Client(base_url=live.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


@pytest.fixture
def limited(local_settings: Settings) -> Iterator[ThreadedServer]:
    limits = Limits(chat_per_minute=2, tool_calls_per_minute=1, max_body_bytes=4096)
    with ThreadedServer(local_settings, RuntimeOptions(limits=limits)) as live:
        yield live


def test_chat_is_rate_limited_per_client_with_retry_after(limited: ThreadedServer, fake_llm: FakeLLM) -> None:
    for _ in range(3):
        fake_llm.reply_text(thinking("ok"))
    phone, _ = issue(dict(os.environ), name="phone")
    laptop, _ = issue(dict(os.environ), name="laptop")
    with _client(limited, phone) as http:
        assert http.post(f"{API}/chat", json={"message": "one"}).status_code == 200
        assert http.post(f"{API}/chat/stream", json={"message": "two"}).status_code == 200
        third = http.post(f"{API}/chat", json={"message": "three"})
    assert third.status_code == 429
    assert third.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(third.headers["retry-after"]) <= 60
    with _client(limited, laptop) as http:  # another device has its own budget
        assert http.post(f"{API}/chat", json={"message": "four"}).status_code == 200


def test_tool_executions_are_limited_and_audited_with_the_client_id(
    limited: ThreadedServer, fake_llm: FakeLLM, local_settings: Settings
) -> None:
    fake_llm.reply_text(thinking(None, ("fs_write", {"path": "/a.txt", "content": "a"})))
    fake_llm.reply_text(thinking(None, ("fs_write", {"path": "/b.txt", "content": "b"})))
    fake_llm.reply_text(thinking("Wrote one of them."))
    token, client_id = issue(dict(os.environ), name="phone")
    with _client(limited, token) as http:
        events = stream_events(http, f"{API}/chat/stream", {"message": "write two files"})
        ends = [e.data for e in events if e.event == "tool_end"]
        assert [e["ok"] for e in ends] == [True, False]
        assert "rate limit" in str(ends[1]["summary"])
        refused = http.post(f"{API}/chat", json={"message": "again"})
        assert refused.status_code == 429 and "tool executions" in refused.json()["error"]["message"]
    with open_store(local_settings) as store:
        audit = store.audit.list(user_id=store.users.local_user().id)
    assert [(a.tool, a.outcome, a.client_id) for a in reversed(audit)] == [
        ("fs_write", "executing", client_id),
        ("fs_write", "executed", client_id),
        ("fs_write", "refused", client_id),  # the limit refused it before it began
    ]


def test_bodies_over_the_limit_get_413_in_the_error_shape(limited: ThreadedServer) -> None:
    token, _ = issue(dict(os.environ))
    with _client(limited, token) as http:
        declared = http.post(f"{API}/chat", json={"message": "x" * 5000})
        assert declared.status_code == 413 and declared.json()["error"]["code"] == "payload_too_large"

        def chunks() -> Iterator[bytes]:
            yield b'{"message": "'
            for _ in range(10):
                yield b"y" * 1000
            yield b'"}'

        chunked = http.post(f"{API}/chat", content=chunks(), headers={"Content-Type": "application/json"})
        assert chunked.status_code == 413 and chunked.json()["error"]["code"] == "payload_too_large"


def test_cors_is_off_by_default(server: LiveServer) -> None:
    preflight = httpx.options(
        server.base_url + f"{API}/chat",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    with server.client() as http:
        response = http.get(f"{API}/tools", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in response.headers


def test_cors_allows_the_configured_origins(
    fake_llm: FakeLLM, file_secret_store_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in fake_llm.env().items():
        monkeypatch.setenv(name, value)
    settings = load_settings({"server.cors_origins": ["https://app.example"]})
    with ThreadedServer(settings) as live:
        ok = httpx.options(
            live.base_url + f"{API}/chat",
            headers={
                "Origin": "https://app.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type,last-event-id",
            },
        )
        assert ok.headers["access-control-allow-origin"] == "https://app.example"
        other = httpx.options(
            live.base_url + f"{API}/chat",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in other.headers


def test_the_shared_window_frees_a_slot_when_the_oldest_hit_leaves_it(store: Store) -> None:
    now = [0.0]
    window = SharedWindow(store, "chat", 2, 60.0, clock=lambda: now[0])
    assert window.hit("a") is None
    now[0] = 10.0
    assert window.hit("a") is None
    assert window.hit("a") == pytest.approx(50.0)
    assert window.hit("b") is None
    now[0] = 60.5
    assert window.retry_after("a") is None and window.hit("a") is None


def test_two_servers_on_one_database_share_each_clients_limit(
    local_settings: Settings, fake_llm: FakeLLM
) -> None:
    """As with `--workers 2` or two hosts: the budget is the device's, not each process's."""
    for _ in range(3):
        fake_llm.reply_text(thinking("ok"))
    limits = Limits(chat_per_minute=2, tool_calls_per_minute=10)
    token, _ = issue(dict(os.environ), name="phone")
    with (
        ThreadedServer(local_settings, RuntimeOptions(limits=limits)) as first,
        ThreadedServer(local_settings, RuntimeOptions(limits=limits)) as second,
        _client(first, token) as on_first,
        _client(second, token) as on_second,
    ):
        assert on_first.post(f"{API}/chat", json={"message": "one"}).status_code == 200
        assert on_second.post(f"{API}/chat", json={"message": "two"}).status_code == 200
        third = on_first.post(f"{API}/chat", json={"message": "three"})
        fourth = on_second.post(f"{API}/chat", json={"message": "four"})
    assert (third.status_code, fourth.status_code) == (429, 429)
    assert third.json()["error"]["code"] == "rate_limited" and int(third.headers["retry-after"]) >= 1


async def test_tool_calls_over_mcp_count_against_the_same_per_device_limit(limited: ThreadedServer) -> None:
    """/mcp runs tools without a chat turn; a device must not get around its tool limit that way."""
    import mcp_types as types
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    token, _ = issue(dict(os.environ), name="scripted-client")
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    async with (
        http,
        streamable_http_client(limited.base_url + "/mcp", http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        first = await session.call_tool("fs_list", {})
        second = await session.call_tool("fs_list", {})
    assert not first.is_error
    said = "\n".join(b.text for b in second.content if isinstance(b, types.TextContent))
    assert "rate limit" in said and "tool executions" in said
    async with httpx.AsyncClient(base_url=limited.base_url, timeout=30) as client:
        refused = await client.post(
            f"{API}/chat", json={"message": "more"}, headers={"Authorization": f"Bearer {token}"}
        )
    assert refused.status_code == 429 and "tool executions" in refused.json()["error"]["message"]


async def test_two_mcp_connections_of_one_device_share_its_tool_limit(limited: ThreadedServer) -> None:
    """Opening a second /mcp session with the same token does not give a device a second budget."""
    import asyncio
    from contextlib import AsyncExitStack

    import mcp_types as types
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    async def connect(stack: AsyncExitStack, token: str) -> ClientSession:
        http = await stack.enter_async_context(
            create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
        )
        read, write, *_ = await stack.enter_async_context(
            streamable_http_client(limited.base_url + "/mcp", http_client=http)
        )
        session = await stack.enter_async_context(ClientSession(read, write))
        await session.initialize()
        return session

    def refused(result: types.CallToolResult) -> bool:
        said = "\n".join(b.text for b in result.content if isinstance(b, types.TextContent))
        return "rate limit" in said and "tool executions" in said

    token, _ = issue(dict(os.environ), name="phone")
    other, _ = issue(dict(os.environ), name="laptop")
    async with AsyncExitStack() as stack:
        one, two = await connect(stack, token), await connect(stack, token)  # both open at once
        results = await asyncio.gather(one.call_tool("fs_list", {}), two.call_tool("fs_list", {}))
        assert sorted(refused(r) for r in results) == [False, True], results  # one call between them
        ran = next(r for r in results if not refused(r))
        assert not ran.is_error
        assert refused(await one.call_tool("fs_list", {})) and refused(await two.call_tool("fs_list", {}))
        laptop = await connect(stack, other)  # another device keeps its own budget
        assert not refused(await laptop.call_tool("fs_list", {}))
