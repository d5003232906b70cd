"""The official `openai` Python SDK against the real `pa serve`: /v1/models, /v1/chat/completions."""

from __future__ import annotations

import httpx
import openai
import pytest

from pa_cli.testing.fake_llm import FakeLLM
from tests.agent.scripts import thinking
from tests.server.support import API, LiveServer

pytestmark = pytest.mark.slow


def _client(server: LiveServer, token: str | None = None) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url + "/v1", api_key=token or server.token, max_retries=0)


def test_models_lists_pa(server: LiveServer) -> None:
    models = _client(server).models.list()
    assert [m.id for m in models.data] == ["pa"]


def test_a_wrong_key_is_an_openai_authentication_error(server: LiveServer) -> None:
    with pytest.raises(openai.AuthenticationError) as caught:
        _client(server, token="not-a-token").models.list()
    assert caught.value.status_code == 401
    body = caught.value.body
    assert (
        isinstance(body, dict) and body["code"] == "invalid_token" and body["type"] == "authentication_error"
    )


def test_chat_completion_answers_through_the_agent(server: LiveServer, fake_llm: FakeLLM) -> None:
    fake_llm.reply_text(thinking("Paris is the capital of France."))
    answer = _client(server).chat.completions.create(
        model="pa", messages=[{"role": "user", "content": "What is the capital of France?"}]
    )
    assert answer.object == "chat.completion"
    assert answer.choices[0].message.content == "Paris is the capital of France."
    assert answer.choices[0].finish_reason == "stop"
    assert "What is the capital of France?" in fake_llm.last_request.prompt_text


def test_streaming_sends_chunks_ending_with_done(server: LiveServer, fake_llm: FakeLLM) -> None:
    fake_llm.reply_text(
        thinking("The answer is forty-two, of course."), chunk_size=4, delay_between_chunks_ms=10
    )
    stream = _client(server).chat.completions.create(
        model="pa", messages=[{"role": "user", "content": "meaning of life?"}], stream=True
    )
    chunks = list(stream)
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "The answer is forty-two, of course."
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert len({c.id for c in chunks}) == 1


def test_the_raw_stream_ends_with_data_done(server: LiveServer, fake_llm: FakeLLM) -> None:
    fake_llm.reply_text(thinking("Hi."))
    with httpx.stream(
        "POST",
        server.base_url + "/v1/chat/completions",
        json={"model": "pa", "stream": True, "messages": [{"role": "user", "content": "hello"}]},
        headers=server.headers(),
        timeout=30,
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line]
    assert lines[-1] == "data: [DONE]"


def test_the_conversation_continues_its_pa_session(server: LiveServer, fake_llm: FakeLLM) -> None:
    fake_llm.reply_text(thinking("Noted: your cat is called Miso."))
    fake_llm.reply_text(thinking("Miso."))
    client = _client(server)
    first = client.chat.completions.create(
        model="pa", messages=[{"role": "user", "content": "my cat is called Miso"}]
    )
    reply = first.choices[0].message.content
    assert reply is not None
    second = client.chat.completions.create(
        model="pa",
        messages=[
            {"role": "user", "content": "my cat is called Miso"},
            {"role": "assistant", "content": reply},
            {"role": "user", "content": "what is my cat called?"},
        ],
    )
    assert second.choices[0].message.content == "Miso."
    first_session = first.model_extra["pa"]["session_id"]  # type: ignore[index]
    assert second.model_extra["pa"]["session_id"] == first_session  # type: ignore[index]
    # The agent saw the earlier turn from its own session (not re-sent as quoted context).
    prompt = fake_llm.requests[1].prompt_text
    assert (
        "my cat is called Miso" in prompt and "The conversation so far, as the client sent it" not in prompt
    )


def test_the_user_field_maps_to_one_session(server: LiveServer, fake_llm: FakeLLM) -> None:
    fake_llm.reply_text(thinking("one"))
    fake_llm.reply_text(thinking("two"))
    client = _client(server)
    a = client.chat.completions.create(model="pa", user="chat-7", messages=[{"role": "user", "content": "a"}])
    b = client.chat.completions.create(model="pa", user="chat-7", messages=[{"role": "user", "content": "b"}])
    assert a.model_extra["pa"]["session_id"] == b.model_extra["pa"]["session_id"]  # type: ignore[index]


def test_a_waiting_approval_is_told_with_its_id(server: LiveServer, fake_llm: FakeLLM) -> None:
    fake_llm.reply_text(thinking(None, ("system_prompt_update", {"text": "Answer in one sentence."})))
    stream = _client(server).chat.completions.create(
        model="pa", messages=[{"role": "user", "content": "be brief from now on"}], stream=True
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    with httpx.Client(base_url=server.base_url, headers=server.headers(), timeout=30) as http:
        pending = http.get(f"{API}/sessions").json()
        config = http.get(f"{API}/config").json()
    assert config["system_prompt"] != "Answer in one sentence."  # nothing ran
    assert "waiting for approval: system_prompt_update" in text
    approval_id = text.split("pa approve ", 1)[1].split("`", 1)[0]
    assert pending is not None and len(approval_id) >= 8
    fake_llm.reply_text(thinking("Done: I will be brief."))
    with httpx.Client(base_url=server.base_url, headers=server.headers(), timeout=30) as http:
        decided = http.post(f"{API}/approvals/{approval_id}", json={"approve": True})
        assert decided.status_code == 200, decided.text
        assert http.get(f"{API}/config").json()["system_prompt"] == "Answer in one sentence."


def test_bad_requests_get_openai_errors(server: LiveServer) -> None:
    client = _client(server)
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="pa", messages=[{"role": "system", "content": "only a system"}])
    assert isinstance(caught.value.body, dict) and caught.value.body["code"] == "invalid_request"
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(
            model="pa", messages=[{"role": "user", "content": "hi"}], metadata={"pa_session_id": "0" * 32}
        )
