"""The scripted LLM server, exercised over real HTTP on loopback."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pa_cli.testing.fake_llm import SCRIPT_EXHAUSTED, FakeLLM, RecordedRequest, Reply, load_script

OPENAI_PATH = "/v1/chat/completions"
GEMINI_PATH = "/v1beta/models/gemini-2.5-flash:generateContent"
GEMINI_STREAM_PATH = "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"


def openai_body(text: str = "hi", *, stream: bool = False, usage: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {"model": "fake-model", "messages": [{"role": "user", "content": text}]}
    if stream:
        body["stream"] = True
        if usage:
            body["stream_options"] = {"include_usage": True}
    return body


def gemini_body(text: str = "hi") -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": text}]}]}


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5, verify=False, trust_env=False) as http:  # plain http on loopback
        yield http


def sse_data(client: httpx.Client, url: str, body: dict[str, Any]) -> list[str]:
    """The ``data:`` payloads of an SSE response, in order."""
    with client.stream("POST", url, json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream"
        return [line[len("data: ") :] for line in response.iter_lines() if line.startswith("data: ")]


# ---- OpenAI ---------------------------------------------------------------------------------
def test_openai_completion_returns_scripted_text_and_usage(fake_llm: FakeLLM, client: httpx.Client) -> None:
    fake_llm.script(Reply(text="Hello there", prompt_tokens=7, completion_tokens=3))

    response = client.post(fake_llm.base_url + OPENAI_PATH, json=openai_body())

    assert response.status_code == 200
    data = response.json()
    assert data["object"] == "chat.completion"
    assert data["model"] == "fake-model"
    assert data["choices"][0]["message"] == {"role": "assistant", "content": "Hello there", "refusal": None}
    assert data["choices"][0]["finish_reason"] == "stop"
    assert data["usage"] == {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}


def test_openai_path_without_v1_prefix_is_served(fake_llm: FakeLLM, client: httpx.Client) -> None:
    fake_llm.reply_text("plain")

    response = client.post(fake_llm.base_url + "/chat/completions", json=openai_body())

    assert response.json()["choices"][0]["message"]["content"] == "plain"


def test_openai_stream_reassembles_text_then_finish_usage_and_done(
    fake_llm: FakeLLM, client: httpx.Client
) -> None:
    fake_llm.script(Reply(chunks=["Hel", "lo, ", "world"], prompt_tokens=4, completion_tokens=2))

    events = sse_data(client, fake_llm.base_url + OPENAI_PATH, openai_body(stream=True))

    assert events[-1] == "[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    assert all(chunk["object"] == "chat.completion.chunk" for chunk in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(chunk["choices"][0]["delta"].get("content", "") for chunk in chunks if chunk["choices"])
    assert text == "Hello, world"
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "stop"
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"] == {"prompt_tokens": 4, "completion_tokens": 2, "total_tokens": 6}


def test_openai_stream_sends_usage_only_when_asked(fake_llm: FakeLLM, client: httpx.Client) -> None:
    fake_llm.reply_text("no usage please")

    events = sse_data(client, fake_llm.base_url + OPENAI_PATH, openai_body(stream=True, usage=False))

    chunks = [json.loads(event) for event in events[:-1]]
    assert all("usage" not in chunk for chunk in chunks)
    assert all(chunk["choices"] for chunk in chunks)


def test_streamed_text_is_cut_into_chunk_size_pieces(fake_llm: FakeLLM, client: httpx.Client) -> None:
    fake_llm.script(Reply(text="abcdefghij", chunk_size=4))

    events = sse_data(client, fake_llm.base_url + OPENAI_PATH, openai_body(stream=True))

    pieces = [json.loads(e)["choices"][0]["delta"].get("content") for e in events[1:-3]]
    assert pieces == ["abcd", "efgh", "ij"]


def test_default_usage_is_estimated_from_prompt_and_reply_lengths(
    fake_llm: FakeLLM, client: httpx.Client
) -> None:
    fake_llm.reply_text("x" * 40)

    response = client.post(fake_llm.base_url + OPENAI_PATH, json=openai_body("y" * 20))

    assert response.json()["usage"] == {"prompt_tokens": 5, "completion_tokens": 10, "total_tokens": 15}


# ---- Gemini ---------------------------------------------------------------------------------
@pytest.mark.parametrize("prefix", ["/v1beta", ""])
def test_gemini_generate_content_is_served_with_and_without_v1beta(
    fake_llm: FakeLLM, client: httpx.Client, prefix: str
) -> None:
    fake_llm.script(Reply(text="Bonjour", prompt_tokens=2, completion_tokens=1))

    response = client.post(
        f"{fake_llm.base_url}{prefix}/models/gemini-2.5-flash:generateContent", json=gemini_body()
    )

    assert response.status_code == 200
    data = response.json()
    candidate = data["candidates"][0]
    assert candidate["content"] == {"parts": [{"text": "Bonjour"}], "role": "model"}
    assert candidate["finishReason"] == "STOP"
    assert data["usageMetadata"] == {"promptTokenCount": 2, "candidatesTokenCount": 1, "totalTokenCount": 3}
    assert fake_llm.last_request.model == "gemini-2.5-flash"


def test_gemini_stream_chunks_all_carry_usage_and_the_last_finishes(
    fake_llm: FakeLLM, client: httpx.Client
) -> None:
    fake_llm.script(Reply(chunks=["Bon", "jour", " !"], prompt_tokens=5, completion_tokens=3))

    events = sse_data(client, fake_llm.base_url + GEMINI_STREAM_PATH, gemini_body())

    chunks = [json.loads(event) for event in events]
    assert [c["candidates"][0]["content"]["parts"][0]["text"] for c in chunks] == ["Bon", "jour", " !"]
    assert all("usageMetadata" in chunk for chunk in chunks)
    assert [c["candidates"][0].get("finishReason") for c in chunks] == [None, None, "STOP"]
    assert chunks[-1]["usageMetadata"] == {
        "promptTokenCount": 5,
        "candidatesTokenCount": 3,
        "totalTokenCount": 8,
    }
    assert "[DONE]" not in events


def test_gemini_stream_without_alt_sse_is_a_json_array(fake_llm: FakeLLM, client: httpx.Client) -> None:
    fake_llm.script(Reply(chunks=["a", "b"]))

    url = fake_llm.base_url + "/v1beta/models/g:streamGenerateContent"
    response = client.post(url, json=gemini_body())

    assert [c["candidates"][0]["content"]["parts"][0]["text"] for c in response.json()] == ["a", "b"]


def test_finish_reason_is_spelled_per_protocol(fake_llm: FakeLLM, client: httpx.Client) -> None:
    fake_llm.script(Reply(text="cut", finish_reason="length"), Reply(text="cut", finish_reason="MAX_TOKENS"))

    openai = client.post(fake_llm.base_url + OPENAI_PATH, json=openai_body()).json()
    gemini = client.post(fake_llm.base_url + GEMINI_PATH, json=gemini_body()).json()

    assert openai["choices"][0]["finish_reason"] == "length"
    assert gemini["candidates"][0]["finishReason"] == "MAX_TOKENS"


# ---- latency, errors, broken output ---------------------------------------------------------
def test_latency_before_headers_is_at_least_the_requested_delay(
    fake_llm: FakeLLM, client: httpx.Client
) -> None:
    fake_llm.script(Reply(text="slow", delay_before_ms=150))

    started = time.perf_counter()
    response = client.post(fake_llm.base_url + OPENAI_PATH, json=openai_body())
    elapsed = time.perf_counter() - started

    assert response.status_code == 200
    assert elapsed >= 0.15


def test_delay_between_chunks_spreads_the_stream_out(fake_llm: FakeLLM, client: httpx.Client) -> None:
    fake_llm.script(Reply(chunks=["a", "b", "c"], delay_between_chunks_ms=60))
    arrivals: list[float] = []

    started = time.perf_counter()
    with client.stream("POST", fake_llm.base_url + GEMINI_STREAM_PATH, json=gemini_body()) as response:
        for line in response.iter_lines():
            if line.startswith("data: "):
                arrivals.append(time.perf_counter())

    assert len(arrivals) == 3
    assert arrivals[-1] - started >= 0.12
    assert arrivals[-1] - arrivals[0] >= 0.06
    sent = fake_llm.requests[-1].chunks_sent_at  # what latency benchmarks measure from
    assert len(sent) == 3 and sent == sorted(sent)
    assert sent[2] - sent[0] >= 0.12


@pytest.mark.parametrize(
    ("path", "expected_error"),
    [
        (OPENAI_PATH, {"message": "slow down", "type": "rate_limit_exceeded", "param": None}),
        (GEMINI_PATH, {"code": 429, "message": "slow down", "status": "RESOURCE_EXHAUSTED"}),
    ],
)
def test_rate_limit_sends_retry_after_and_a_provider_error_body(
    fake_llm: FakeLLM, client: httpx.Client, path: str, expected_error: dict[str, Any]
) -> None:
    fake_llm.fail(429, retry_after=2, message="slow down")

    body = openai_body() if path == OPENAI_PATH else gemini_body()
    response = client.post(fake_llm.base_url + path, json=body)

    assert response.status_code == 429
    assert response.headers["retry-after"] == "2"
    assert response.headers["retry-after-ms"] == "2000"
    error = response.json()["error"]
    assert {key: error[key] for key in expected_error} == expected_error


@pytest.mark.parametrize(("status", "gemini_status"), [(500, "INTERNAL"), (503, "UNAVAILABLE")])
def test_server_errors_use_each_protocols_error_shape(
    fake_llm: FakeLLM, client: httpx.Client, status: int, gemini_status: str
) -> None:
    fake_llm.fail(status, times=2)

    openai = client.post(fake_llm.base_url + OPENAI_PATH, json=openai_body(stream=True))
    gemini = client.post(fake_llm.base_url + GEMINI_STREAM_PATH, json=gemini_body())

    assert openai.status_code == gemini.status_code == status
    assert openai.json()["error"]["type"] == "server_error"
    assert gemini.json()["error"]["status"] == gemini_status
    assert "retry-after" not in openai.headers


def test_failures_are_used_up_before_the_next_reply(fake_llm: FakeLLM, client: httpx.Client) -> None:
    fake_llm.fail(500, times=2)
    fake_llm.reply_text("finally")

    statuses = [
        client.post(fake_llm.base_url + OPENAI_PATH, json=openai_body()).status_code for _ in range(3)
    ]

    assert statuses == [500, 500, 200]
    assert fake_llm.pending == 0


@pytest.mark.parametrize("path", [OPENAI_PATH, GEMINI_PATH])
def test_malformed_reply_body_is_not_json(fake_llm: FakeLLM, client: httpx.Client, path: str) -> None:
    fake_llm.script(Reply(text="some answer", malformed=True))

    response = client.post(
        fake_llm.base_url + path, json=openai_body() if path == OPENAI_PATH else gemini_body()
    )

    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)


def test_malformed_stream_event_is_not_json(fake_llm: FakeLLM, client: httpx.Client) -> None:
    fake_llm.script(Reply(text="some answer", malformed=True))

    events = sse_data(client, fake_llm.base_url + OPENAI_PATH, openai_body(stream=True))

    assert events[-1] == "[DONE]"
    with pytest.raises(json.JSONDecodeError):
        json.loads(events[0])


def test_garbage_text_is_delivered_verbatim(fake_llm: FakeLLM, client: httpx.Client) -> None:
    fake_llm.reply_text("{not: valid json, ]")

    response = client.post(fake_llm.base_url + OPENAI_PATH, json=openai_body())

    assert response.json()["choices"][0]["message"]["content"] == "{not: valid json, ]"


@pytest.mark.parametrize("path", [OPENAI_PATH, GEMINI_STREAM_PATH])
def test_dropped_stream_stops_mid_way_without_a_proper_end(
    fake_llm: FakeLLM, client: httpx.Client, path: str
) -> None:
    fake_llm.script(Reply(chunks=["one ", "two ", "three"], drop_after_chunks=2))
    received: list[str] = []

    body = openai_body(stream=True) if path == OPENAI_PATH else gemini_body()
    with (
        pytest.raises(httpx.RemoteProtocolError),
        client.stream("POST", fake_llm.base_url + path, json=body) as response,
    ):
        for line in response.iter_lines():
            if line.startswith("data: "):
                received.append(line[len("data: ") :])

    assert "[DONE]" not in received
    text = "".join(json.dumps(json.loads(event)) for event in received)
    assert "one " in text
    assert "two " in text
    assert "three" not in text


def test_dropped_stream_after_all_content_lacks_finish_and_done(
    fake_llm: FakeLLM, client: httpx.Client
) -> None:
    fake_llm.script(Reply(chunks=["all", " of it"], drop_after_chunks=5))
    received: list[str] = []

    with (
        pytest.raises(httpx.RemoteProtocolError),
        client.stream("POST", fake_llm.base_url + OPENAI_PATH, json=openai_body(stream=True)) as response,
    ):
        received.extend(line for line in response.iter_lines() if line.startswith("data: "))

    chunks = [json.loads(line[len("data: ") :]) for line in received]
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == "all of it"
    assert all(c["choices"][0]["finish_reason"] is None for c in chunks)


def test_dropped_plain_request_gets_no_response(fake_llm: FakeLLM, client: httpx.Client) -> None:
    fake_llm.script(Reply(text="never sent", drop_after_chunks=0))

    with pytest.raises(httpx.RemoteProtocolError):
        client.post(fake_llm.base_url + GEMINI_PATH, json=gemini_body())

    assert len(fake_llm.requests) == 1


# ---- script, responder, recording -----------------------------------------------------------
def test_exhausted_script_answers_500_saying_so(fake_llm: FakeLLM, client: httpx.Client) -> None:
    response = client.post(fake_llm.base_url + OPENAI_PATH, json=openai_body())

    assert response.status_code == 500
    assert response.json()["error"]["message"] == SCRIPT_EXHAUSTED


def test_default_reply_is_configurable(client: httpx.Client) -> None:
    with FakeLLM(default=Reply(text="always this")) as fake:
        first = client.post(fake.base_url + OPENAI_PATH, json=openai_body()).json()
        second = client.post(fake.base_url + OPENAI_PATH, json=openai_body()).json()

    assert first["choices"][0]["message"]["content"] == "always this"
    assert second["choices"][0]["message"]["content"] == "always this"


def test_responder_answers_from_the_request(fake_llm: FakeLLM, client: httpx.Client) -> None:
    fake_llm.script_fn(lambda request: f"echo: {request.prompt_text}")

    first = client.post(fake_llm.base_url + OPENAI_PATH, json=openai_body("ping")).json()
    second = client.post(fake_llm.base_url + GEMINI_PATH, json=gemini_body("pong")).json()

    assert first["choices"][0]["message"]["content"] == "echo: ping"
    assert second["candidates"][0]["content"]["parts"][0]["text"] == "echo: pong"


def test_queued_replies_come_before_the_responder(fake_llm: FakeLLM, client: httpx.Client) -> None:
    fake_llm.script_fn(lambda request: Reply(text="from responder"))
    fake_llm.script("queued", lambda request: Reply(text=f"one-shot for {request.protocol}"))

    texts = [
        client.post(fake_llm.base_url + OPENAI_PATH, json=openai_body()).json()["choices"][0]["message"][
            "content"
        ]
        for _ in range(3)
    ]

    assert texts == ["queued", "one-shot for openai", "from responder"]


def test_responder_returning_none_or_raising_gives_a_500(fake_llm: FakeLLM, client: httpx.Client) -> None:
    def responder(request: RecordedRequest) -> Reply | None:
        if "boom" in request.prompt_text:
            raise ValueError("kaput")
        return None

    fake_llm.script_fn(responder)

    declined = client.post(fake_llm.base_url + OPENAI_PATH, json=openai_body("hello"))
    raised = client.post(fake_llm.base_url + OPENAI_PATH, json=openai_body("boom"))

    assert declined.status_code == raised.status_code == 500
    assert declined.json()["error"]["message"] == SCRIPT_EXHAUSTED
    assert "ValueError: kaput" in raised.json()["error"]["message"]


def test_reply_json_sends_serialised_json_text(fake_llm: FakeLLM, client: httpx.Client) -> None:
    fake_llm.reply_json({"thought": "easy", "tool_calls": [], "answer": "42"})

    response = client.post(fake_llm.base_url + OPENAI_PATH, json=openai_body())

    content = response.json()["choices"][0]["message"]["content"]
    assert json.loads(content) == {"thought": "easy", "tool_calls": [], "answer": "42"}


def test_openai_requests_are_recorded_with_prompt_and_key(fake_llm: FakeLLM, client: httpx.Client) -> None:
    fake_llm.reply_text("ok")
    body = {
        "model": "gpt-test",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {
                "role": "user",
                "content": [{"type": "text", "text": "What is "}, {"type": "text", "text": "2+2?"}],
            },
        ],
    }

    client.post(fake_llm.base_url + OPENAI_PATH, json=body, headers={"Authorization": "Bearer sk-secret-1"})

    [request] = fake_llm.requests
    assert (request.protocol, request.path, request.model, request.streamed) == (
        "openai",
        OPENAI_PATH,
        "gpt-test",
        False,
    )
    assert request.messages == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is 2+2?"},
    ]
    assert request.prompt_text == "Be brief.\nWhat is 2+2?"
    assert request.json == body
    assert request.api_key == "sk-secret-1"
    assert request.headers["authorization"] == "Bearer sk-secret-1"
    assert "sk-secret-1" not in repr(request)


def test_gemini_requests_are_recorded_with_system_instruction_and_key(
    fake_llm: FakeLLM, client: httpx.Client
) -> None:
    fake_llm.reply_text("ok")
    body = {"systemInstruction": {"parts": [{"text": "Be kind."}]}, **gemini_body("Hello")}

    with client.stream(
        "POST", fake_llm.base_url + GEMINI_STREAM_PATH, json=body, headers={"x-goog-api-key": "AIza-secret"}
    ) as response:
        response.read()

    request = fake_llm.last_request
    assert (request.protocol, request.model, request.streamed) == ("gemini", "gemini-2.5-flash", True)
    assert request.query == {"alt": ["sse"]}
    assert request.prompt_text == "Be kind.\nHello"
    assert request.api_key == "AIza-secret"
    assert "AIza-secret" not in repr(request)


def test_reset_forgets_script_responder_and_requests(fake_llm: FakeLLM, client: httpx.Client) -> None:
    fake_llm.reply_text("stale")
    fake_llm.script_fn(lambda request: "stale too")
    client.get(fake_llm.base_url + "/health")
    client.post(fake_llm.base_url + OPENAI_PATH, json=openai_body())
    fake_llm.reply_text("stale again")

    fake_llm.reset()

    assert fake_llm.requests == []
    assert fake_llm.pending == 0
    assert client.post(fake_llm.base_url + OPENAI_PATH, json=openai_body()).status_code == 500


def test_wait_for_requests_fails_clearly_on_timeout(fake_llm: FakeLLM) -> None:
    with pytest.raises(AssertionError, match="expected 1 LLM request"):
        fake_llm.wait_for_requests(1, timeout=0.05)


def test_wait_for_requests_returns_once_they_arrive(fake_llm: FakeLLM, client: httpx.Client) -> None:
    fake_llm.reply_text("late")

    def later() -> None:
        time.sleep(0.05)
        client.post(fake_llm.base_url + OPENAI_PATH, json=openai_body("late question"))

    thread = threading.Thread(target=later)
    thread.start()
    requests = fake_llm.wait_for_requests(1, timeout=5)
    thread.join()

    assert requests[0].prompt_text == "late question"


# ---- server behaviour -----------------------------------------------------------------------
def test_health_answers_ok_and_unknown_paths_are_404(fake_llm: FakeLLM, client: httpx.Client) -> None:
    assert client.get(fake_llm.base_url + "/health").json() == {"status": "ok"}
    assert client.post(fake_llm.base_url + "/v1/messages", json={}).status_code == 404
    assert fake_llm.requests == []


def test_one_connection_serves_many_requests(fake_llm: FakeLLM, client: httpx.Client) -> None:
    fake_llm.script("a", "b", "c")
    ports = set()

    for _ in range(3):
        with client.stream("POST", fake_llm.base_url + OPENAI_PATH, json=openai_body()) as response:
            response.read()
            stream = response.extensions["network_stream"]
            ports.add(stream.get_extra_info("client_addr")[1])

    assert len(ports) == 1


def test_slow_replies_are_served_concurrently(fake_llm: FakeLLM, client: httpx.Client) -> None:
    fake_llm.script_fn(lambda request: Reply(text="done", delay_before_ms=400))
    results: list[int] = []
    finished: list[float] = []

    def call() -> None:
        results.append(client.post(fake_llm.base_url + OPENAI_PATH, json=openai_body()).status_code)
        finished.append(time.monotonic())

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == [200] * 4
    # Concurrent, shown by order rather than by a wall-clock threshold: every request was received
    # before the first answer was complete (one after the other, each would wait for the previous).
    assert max(r.received_at for r in fake_llm.requests) < min(finished)


def test_starts_fast_on_loopback_and_stops_listening(client: httpx.Client) -> None:
    fake = FakeLLM()
    base_url = fake.start()  # how fast: benchmarks, not a wall-clock threshold here
    assert client.get(base_url + "/health").status_code == 200
    fake.stop()

    assert base_url.startswith("http://127.0.0.1:")
    with pytest.raises(httpx.ConnectError):
        client.get(base_url + "/health")
    with pytest.raises(RuntimeError, match="not running"):
        _ = fake.base_url


def test_env_points_a_subprocess_at_the_server(fake_llm: FakeLLM) -> None:
    assert fake_llm.env() == {
        "PA_LLM_PROVIDER": "openai-generic",
        "PA_LLM_BASE_URL": fake_llm.base_url + "/v1",
        "PA_LLM_MODEL": "fake-model",
        "PA_LLM_API_KEY": "fake-key",
    }
    assert (
        fake_llm.env("gemini", model="gemini-2.5-flash")["PA_LLM_BASE_URL"] == fake_llm.base_url + "/v1beta"
    )


def test_script_file_rejects_unknown_fields(tmp_path: Path) -> None:
    script = tmp_path / "script.json"
    script.write_text(json.dumps(["plain text", {"text": "hi", "delay_before_ms": 5}]))
    assert load_script(str(script)) == [Reply(text="plain text"), Reply(text="hi", delay_before_ms=5)]

    script.write_text(json.dumps([{"txt": "typo"}]))
    with pytest.raises(ValueError, match="txt"):
        load_script(str(script))


def test_standalone_server_prints_its_url_and_plays_the_script(tmp_path: Path, client: httpx.Client) -> None:
    script = tmp_path / "script.json"
    script.write_text(json.dumps([{"text": "first"}, "second"]))
    command = [
        sys.executable,
        "-m",
        "pa_cli.testing.fake_llm",
        "--port",
        "0",
        "--script",
        str(script),
        "--cycle",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        texts = [
            client.post(base_url + OPENAI_PATH, json=openai_body()).json()["choices"][0]["message"]["content"]
            for _ in range(3)
        ]
    finally:
        process.terminate()
        process.wait(timeout=5)

    assert base_url.startswith("http://127.0.0.1:")
    assert texts == ["first", "second", "first"]
    assert process.returncode == 0
