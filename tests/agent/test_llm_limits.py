"""Length limits, malformed calls, the three timeouts and unknown usage, against the scripted LLM (both protocols)."""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr

from pa_cli.agent.llm import AssistantLLM, LLMError
from pa_cli.testing.fake_llm import FakeLLM, Reply
from tests.agent.test_llm import FS_WRITE, PROVIDERS, Recorder, answer_json, make_context, make_llm


@pytest.fixture(params=PROVIDERS)
def provider(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


RUNAWAY = "Paris is the capital of France. " * 40


def max_tokens_of(request: object, provider: str) -> int:
    body = request.json  # type: ignore[attr-defined]
    if provider == "gemini":
        return int(body["generationConfig"]["maxOutputTokens"])
    return int(body["max_tokens"])


async def test_each_function_sends_its_own_max_tokens(
    provider: str, fake_llm: FakeLLM, rec: Recorder
) -> None:
    fake_llm.reply_text(answer_json("Paris."))
    fake_llm.reply_text("Paris.")
    llm = make_llm(provider, fake_llm, rec, max_tokens_thinking=300, max_tokens_response=900)

    await llm.think(make_context(), rec.delta)
    await llm.respond(make_context(), rec.delta)

    think, respond = fake_llm.requests
    assert (max_tokens_of(think, provider), max_tokens_of(respond, provider)) == (300, 900)


async def test_an_answer_cut_by_length_after_it_was_shown_is_kept_and_marked(
    provider: str, fake_llm: FakeLLM, rec: Recorder
) -> None:
    text = answer_json(RUNAWAY)
    fake_llm.script(Reply(text=text[: len(text) // 2], chunk_size=40, finish_reason="length"))
    llm = make_llm(provider, fake_llm, rec, max_tokens_thinking=64)

    thinking = await llm.think(make_context(), rec.delta)

    shown = "".join(rec.deltas)
    assert len(fake_llm.requests) == 1  # not thrown away for a retry
    assert shown.startswith("Paris is the capital of France.")
    assert shown.endswith(
        "[The answer was cut off at the length limit (llm.max_tokens_thinking = 64 tokens).]"
    )
    assert thinking.truncated and thinking.answer == shown and llm.truncated


async def test_a_thinking_reply_cut_before_anything_was_shown_is_asked_again_briefly(
    provider: str, fake_llm: FakeLLM, rec: Recorder
) -> None:
    call = json.dumps(
        {"thought": "write it", "tool_calls": [{"tool": "fs_write", "arguments": {"path": "a"}}]}
    )
    fake_llm.script(Reply(text=call[:50], finish_reason="length"))
    fake_llm.reply_text(answer_json("Paris."))
    llm = make_llm(provider, fake_llm, rec, max_tokens_thinking=32)

    thinking = await llm.think(make_context(), rec.delta)

    assert thinking.answer == "Paris." and not thinking.truncated
    assert "cut off at the length limit of 32 tokens; reply again much more briefly" in (
        fake_llm.requests[1].prompt_text
    )


async def test_a_reply_cut_twice_with_nothing_shown_names_the_setting(
    provider: str, fake_llm: FakeLLM, rec: Recorder
) -> None:
    fake_llm.script(Reply(text='{"thought": "let me think about', finish_reason="length"))
    fake_llm.script(Reply(text='{"thought": "still thinking', finish_reason="length"))
    llm = make_llm(provider, fake_llm, rec, max_tokens_thinking=32)

    with pytest.raises(LLMError) as caught:
        await llm.think(make_context(), rec.delta)

    assert caught.value.code == "bad_output"
    assert "llm.max_tokens_thinking = 32" in str(caught.value)
    assert caught.value.hint is not None and "raise llm.max_tokens_thinking" in caught.value.hint


async def test_a_final_answer_cut_by_length_is_kept_and_marked(
    provider: str, fake_llm: FakeLLM, rec: Recorder
) -> None:
    fake_llm.script(Reply(text=RUNAWAY[:200], chunk_size=50, finish_reason="length"))
    llm = make_llm(provider, fake_llm, rec, max_tokens_response=50)

    text = await llm.respond(make_context(), rec.delta)

    assert text == "".join(rec.deltas)
    assert text.startswith(RUNAWAY[:50]) and "llm.max_tokens_response = 50" in text
    assert llm.truncated and len(fake_llm.requests) == 1


BROKEN_CALL = (
    '{"thought": "save it", "tool_calls": [fs_write(path="notes.txt", content="milk")], "answer": null}'
)


async def test_a_tool_call_that_cannot_be_read_is_asked_for_again_naming_the_problem(
    provider: str, fake_llm: FakeLLM, rec: Recorder
) -> None:
    fake_llm.reply_text(BROKEN_CALL)
    good = {"tool": "fs_write", "arguments": {"path": "notes.txt", "content": "milk"}}
    fake_llm.reply_text(answer_json(None, [good]))
    llm = make_llm(provider, fake_llm, rec)

    thinking = await llm.think(make_context(tools=[FS_WRITE]), rec.delta)

    assert [(c.tool, c.arguments) for c in thinking.tool_calls] == [("fs_write", good["arguments"])]
    assert "its tool call could not be read" in fake_llm.requests[1].prompt_text


async def test_a_tool_call_broken_twice_is_an_error_not_an_answer(
    provider: str, fake_llm: FakeLLM, rec: Recorder
) -> None:
    fake_llm.reply_text(BROKEN_CALL)
    fake_llm.reply_text(BROKEN_CALL)
    llm = make_llm(provider, fake_llm, rec)

    with pytest.raises(LLMError) as caught:
        await llm.think(make_context(tools=[FS_WRITE]), rec.delta)

    assert caught.value.code == "bad_output"
    assert str(caught.value).startswith("the model could not form a valid tool call")


async def test_an_openai_style_call_is_read_as_the_same_call(
    provider: str, fake_llm: FakeLLM, rec: Recorder
) -> None:
    native = {"function": {"name": "fs_write", "arguments": json.dumps({"path": "a.txt", "content": "hi"})}}
    fake_llm.reply_text(json.dumps({"thought": "save", "tool_calls": [native], "answer": None}))
    llm = make_llm(provider, fake_llm, rec)

    thinking = await llm.think(make_context(tools=[FS_WRITE]), rec.delta)

    assert [(c.tool, c.arguments) for c in thinking.tool_calls] == [
        ("fs_write", {"path": "a.txt", "content": "hi"})
    ]
    assert len(fake_llm.requests) == 1


YAML_CALL = """thought: The user wants a note saved.
tool_calls:
  - tool: fs_write
    arguments:
      path: notes.txt
      content: milk, eggs
answer: null
"""


async def test_a_yaml_like_call_is_accepted_as_written(
    provider: str, fake_llm: FakeLLM, rec: Recorder
) -> None:
    fake_llm.reply_text(YAML_CALL)
    llm = make_llm(provider, fake_llm, rec)

    thinking = await llm.think(make_context(tools=[FS_WRITE]), rec.delta)

    assert [(c.tool, c.arguments) for c in thinking.tool_calls] == [
        ("fs_write", {"path": "notes.txt", "content": "milk, eggs"})
    ]
    assert len(fake_llm.requests) == 1


async def test_no_reply_in_time_names_the_first_byte_timeout(
    provider: str, fake_llm: FakeLLM, rec: Recorder
) -> None:
    fake_llm.script(Reply(text=answer_json("late"), delay_before_ms=2000))
    fake_llm.script(Reply(text=answer_json("late"), delay_before_ms=2000))
    llm = make_llm(provider, fake_llm, rec, first_byte_timeout_seconds=0.3, max_retries=1)

    with pytest.raises(LLMError) as caught:
        await llm.think(make_context(), rec.delta)

    assert caught.value.code == "timeout"
    assert "nothing came back within 0.3 s of the request" in str(caught.value)
    assert caught.value.hint is not None and "llm.first_byte_timeout_seconds" in caught.value.hint


async def test_a_stalled_stream_names_the_idle_timeout(
    provider: str, fake_llm: FakeLLM, rec: Recorder
) -> None:
    for _ in range(2):
        fake_llm.script(Reply(text=answer_json(RUNAWAY), chunk_size=200, delay_between_chunks_ms=2500))
    llm = make_llm(provider, fake_llm, rec, idle_timeout_seconds=0.5, max_retries=1)

    with pytest.raises(LLMError) as caught:
        await llm.think(make_context(), rec.delta)

    assert caught.value.code == "timeout"
    assert "the reply stalled: nothing arrived for 0.5 s" in str(caught.value)
    assert caught.value.hint is not None and "llm.idle_timeout_seconds" in caught.value.hint


def _sse(*events: dict[str, object], pings_between: int = 0) -> bytes:
    parts = []
    for index, event in enumerate(events):
        if index:
            parts.extend([b": ping\r\n\r\n"] * pings_between)
        parts.append(b"data: " + json.dumps(event).encode() + b"\n\n")
    parts.append(b"data: [DONE]\n\n")
    return b"".join(parts)


def _chunk(content: str | None, finish: str | None = None) -> dict[str, object]:
    delta = {"role": "assistant", "content": ""} if content is None else {"content": content}
    return {
        "id": "x",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


async def test_a_role_only_first_chunk_counts_as_the_first_byte(fake_llm: FakeLLM, rec: Recorder) -> None:
    """The first-byte clock stops at the first SSE event of any kind, not at the first parsed partial."""
    text = answer_json("Paris.")
    body = _sse(_chunk(None), _chunk(text), _chunk("", "stop"))
    # The role-only chunk comes at once; the content 0.8 s later, past the first-byte timeout.
    fake_llm.script(Reply(sse_body=body, delay_between_chunks_ms=800))
    llm = make_llm("openai-generic", fake_llm, rec, first_byte_timeout_seconds=0.5, idle_timeout_seconds=3)

    thinking = await llm.think(make_context(), rec.delta)

    assert thinking.answer == "Paris."
    assert len(fake_llm.requests) == 1


async def test_usage_is_unknown_not_zero_when_the_server_sends_none(fake_llm: FakeLLM, rec: Recorder) -> None:
    text = answer_json("Paris.")
    fake_llm.script(Reply(sse_body=_sse(_chunk(None), _chunk(text), _chunk("", "stop"))))
    llm = make_llm("openai-generic", fake_llm, rec)

    await llm.think(make_context(), rec.delta)

    assert (llm.usage.input_tokens, llm.usage.output_tokens, llm.usage.calls) == (None, None, 1)


async def test_a_connection_that_does_not_open_names_the_connect_timeout(rec: Recorder) -> None:
    """A listening socket whose backlog is full drops further SYNs: the connection never opens."""
    import socket

    from pa_cli.config import LLMSettings, Settings

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):  # fill the accept queue (never accepted)
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        settings = Settings(
            llm=LLMSettings(
                provider="openai-generic",
                base_url=f"http://127.0.0.1:{port}/v1",
                api_key=SecretStr("k"),
                connect_timeout_seconds=0.3,
                max_retries=0,
                requests_per_minute=100_000,
            )
        )
        llm = AssistantLLM(settings, sleep=rec.sleep)

        with pytest.raises(LLMError) as caught:
            await llm.think(make_context(), rec.delta)
    finally:
        for filler in fillers:
            filler.close()
        listener.close()

    assert caught.value.code == "timeout"
    assert "could not connect within 0.3 s" in str(caught.value)
    assert caught.value.hint is not None and "llm.connect_timeout_seconds" in caught.value.hint
