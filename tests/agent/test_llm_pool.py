"""LLM connections kept per origin (llm_pool), against the real fake LLM server on loopback."""

from __future__ import annotations

import asyncio
from typing import Any

from pa_cli.agent import llm_http
from pa_cli.agent.llm_pool import ConnectionCache
from pa_cli.testing.fake_llm import FakeLLM, Reply

BODY = b'{"model": "m", "stream": true, "messages": [{"role": "user", "content": "hi"}]}'
TIMEOUTS = {"timeout": {"connect": 2, "write": 2, "read": None, "pool": None}}


async def _ask(cache: ConnectionCache, fake: FakeLLM, *headers: tuple[str, str]) -> tuple[int, bytes]:
    """One streamed request read to its end: (the local port it went out from, the body)."""
    async with cache.stream(
        "POST",
        fake.openai_base_url + "/chat/completions",
        headers=[("content-type", "application/json"), *headers],
        content=BODY,
        extensions=TIMEOUTS,
    ) as response:
        port: int = response.extensions["network_stream"].get_extra_info("client_addr")[1]
        body = b"".join([chunk async for chunk in response.aiter_stream()])
    return port, body


async def test_a_connection_is_reused_once_its_response_is_read(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(text="one"), Reply(text="two"))
    cache = ConnectionCache()

    first, body = await _ask(cache, fake_llm)
    assert b"one" in body and cache.idle_count() == 1
    second, body = await _ask(cache, fake_llm)

    assert b"two" in body and second == first and cache.idle_count() == 1


async def test_concurrent_streams_each_get_a_connection_and_all_are_kept(fake_llm: FakeLLM) -> None:
    fake_llm.script_fn(lambda request: Reply(text="a slow answer", chunk_size=2, delay_between_chunks_ms=20))
    cache = ConnectionCache()

    ports = await asyncio.gather(*(_ask(cache, fake_llm) for _ in range(6)))

    assert len({port for port, _ in ports}) == 6 and cache.idle_count() == 6
    again, _ = await _ask(cache, fake_llm)
    assert again in {port for port, _ in ports} and cache.idle_count() == 6


async def test_a_connection_the_server_closes_is_not_kept(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(text="one"), Reply(text="two"))
    cache = ConnectionCache()

    first, _ = await _ask(cache, fake_llm, ("connection", "close"))
    assert cache.idle_count() == 0
    second, body = await _ask(cache, fake_llm)

    assert b"two" in body and second != first


async def test_an_idle_connection_past_its_keep_alive_is_closed_not_used(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(text="one"), Reply(text="two"))
    cache = ConnectionCache(keepalive_expiry=0.05)

    first, _ = await _ask(cache, fake_llm)
    await asyncio.sleep(0.2)
    second, body = await _ask(cache, fake_llm)

    assert b"two" in body and second != first and cache.idle_count() == 1


async def test_exchange_uses_the_cache_without_a_proxy(fake_llm: FakeLLM, monkeypatch: Any) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    fake_llm.script(Reply(text="one"))
    request = llm_http.Rendered(
        "POST", fake_llm.openai_base_url + "/chat/completions", {"content-type": "application/json"}, BODY
    )

    reply = await llm_http.exchange(
        request, "openai-generic", connect_timeout=2, idle_timeout=5, on_life=lambda: None
    )

    cache = llm_http._pool(request.url)
    assert reply.text == "one" and isinstance(cache, ConnectionCache) and cache.idle_count() == 1
