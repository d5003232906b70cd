"""pa's own HTTP for LLM requests, against the real fake LLM server on loopback."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from pa_cli.agent import llm_http
from pa_cli.agent.llm_http import HttpStatus, NoConnection, Rendered, Stalled, StreamBroken, exchange
from pa_cli.testing.fake_llm import FakeLLM, Reply


def openai_request(fake: FakeLLM, key: str = "sk-test-9f8e") -> Rendered:
    body = b'{"model": "m", "stream": true, "messages": [{"role": "user", "content": "hi"}]}'
    return Rendered(
        method="POST",
        url=fake.openai_base_url + "/chat/completions",
        headers={"authorization": f"Bearer {key}", "content-type": "application/json"},
        body=body,
    )


async def run(fake: FakeLLM, **kwargs: object) -> tuple[llm_http.Reply, list[str], list[float]]:
    shown: list[str] = []
    life: list[float] = []

    async def on_text(text: str) -> None:
        shown.append(text)

    reply = await exchange(
        openai_request(fake),
        "openai-generic",
        connect_timeout=2,
        idle_timeout=float(kwargs.get("idle", 5)),  # type: ignore[arg-type]
        on_life=lambda: life.append(time.monotonic()),
        on_text=on_text,
    )
    return reply, shown, life


async def test_the_request_goes_out_as_rendered_and_the_reply_streams_back(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(text="Paris is the capital.", chunk_size=4, delay_between_chunks_ms=80))

    reply, shown, _ = await run(fake_llm)

    assert (reply.text, reply.finish_reason, reply.finished) == ("Paris is the capital.", "stop", True)
    assert len(shown) >= 3 and shown[-1] == "Paris is the capital."  # partials as it grew
    assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(shown))
    request = fake_llm.last_request
    assert request.api_key == "sk-test-9f8e" and request.json["messages"][0]["content"] == "hi"


async def test_partials_are_parsed_at_most_every_interval_and_the_end_is_always_shown(
    fake_llm: FakeLLM,
) -> None:
    fake_llm.script(Reply(text="x" * 400, chunk_size=1, delay_between_chunks_ms=1))

    started = time.monotonic()
    reply, shown, _ = await run(fake_llm)
    elapsed = time.monotonic() - started

    assert shown[-1] == reply.text == "x" * 400
    # 400 chunks: one parse for the first, then at most one per interval, and the end.
    assert len(shown) <= 2 + elapsed / llm_http.PARTIAL_EVERY_SECONDS < 400


async def test_keep_alive_comments_are_life_but_not_text(fake_llm: FakeLLM) -> None:
    body = (
        b": ping\n\n: ping\n\n" + b'data: {"choices":[{"delta":{"content":"ok"},"finish_reason":"stop"}]}\n\n'
    )
    fake_llm.script(Reply(sse_body=body, keepalive_every_ms=200))

    reply, shown, life = await run(fake_llm, idle=1)

    assert reply.text == "ok" and shown == ["ok"]
    assert len(life) == 3  # two keep-alives and the event: each its own chunk


async def test_silence_after_the_first_byte_is_a_stall(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(text="abcdef", chunk_size=2, delay_between_chunks_ms=1500))

    with pytest.raises(Stalled):
        await run(fake_llm, idle=0.4)


async def test_an_error_status_is_raised_with_its_headers(fake_llm: FakeLLM) -> None:
    fake_llm.fail(429, retry_after=2)

    with pytest.raises(HttpStatus) as caught:
        await run(fake_llm)

    assert caught.value.status == 429 and caught.value.headers["retry-after"] == "2"
    assert "sk-test" not in repr(caught.value) and "sk-test" not in str(caught.value)


async def test_a_dropped_stream_is_broken_and_what_arrived_was_shown(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(text="abcdefgh", chunk_size=2, drop_after_chunks=2))
    shown: list[str] = []

    async def on_text(text: str) -> None:
        shown.append(text)

    with pytest.raises(StreamBroken):
        await exchange(
            openai_request(fake_llm),
            "openai-generic",
            connect_timeout=2,
            idle_timeout=5,
            on_life=lambda: None,
            on_text=on_text,
        )
    assert shown[-1] == "abcd"


async def test_a_closed_port_is_no_connection() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    request = Rendered("POST", f"http://127.0.0.1:{port}/v1/chat/completions", {}, b"{}")

    with pytest.raises(NoConnection):
        await exchange(request, "openai-generic", connect_timeout=2, idle_timeout=5, on_life=lambda: None)


def test_rendered_requests_never_show_their_headers() -> None:
    request = Rendered("POST", "http://h/v1/chat/completions", {"authorization": "Bearer sk-live-123"}, b"{}")
    assert "sk-live" not in repr(request)


def test_the_environment_s_proxy_is_used_unless_the_host_is_excluded(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "no_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    assert llm_http._proxy_for("https://api.openai.com/v1") is None
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    assert llm_http._proxy_for("https://api.openai.com/v1") == "http://proxy.corp:3128"
    assert llm_http._proxy_for("http://127.0.0.1:8080/v1") is None


def test_each_event_loop_has_its_own_pool() -> None:
    async def pools() -> tuple[object, object]:
        return llm_http._pool("http://127.0.0.1:1/v1"), llm_http._pool("http://127.0.0.1:2/v1")

    first, same = asyncio.run(pools())
    other, _ = asyncio.run(pools())
    assert first is same and other is not first
