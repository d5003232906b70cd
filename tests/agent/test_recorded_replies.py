"""Real model replies, recorded from SmolLM2-135M-Instruct on llama.cpp's server, replayed byte for byte.

The fixtures and how they were made: tests/fixtures/recorded/README.md. Each defect of issue 12
has a test here built from a recorded reply; each fails on the code before the fix.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from pa_cli.agent.llm import LLMError
from pa_cli.testing.fake_llm import FakeLLM, Reply
from tests.agent.scripts import thinking
from tests.agent.test_llm import FS_WRITE, Recorder, make_context, make_llm
from tests.conftest import PaRunner

RECORDED = Path(__file__).resolve().parent.parent / "fixtures" / "recorded" / "smollm2"
MANIFEST: dict[str, str] = json.loads((RECORDED / "MANIFEST.json").read_text(encoding="utf-8"))


def recorded(kind: str) -> Reply:
    return Reply.recorded(RECORDED / MANIFEST[kind])


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


@pytest.mark.parametrize("name", sorted(set(MANIFEST.values())))
def test_a_recording_is_replayed_byte_for_byte(name: str, fake_llm: FakeLLM) -> None:
    raw = (RECORDED / name).read_bytes()
    fake_llm.script(Reply.recorded(RECORDED / name))

    with httpx.Client() as client:
        body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}
        with client.stream("POST", fake_llm.openai_base_url + "/chat/completions", json=body) as response:
            received = b"".join(response.iter_raw())

    assert received == raw


async def test_a_real_runaway_answer_cut_by_length_is_kept_and_marked_not_replaced_by_an_error(
    fake_llm: FakeLLM, rec: Recorder
) -> None:
    """The issue's first defect: the cut answer was re-asked, the good retry discarded, and an error shown."""
    fake_llm.script(recorded("runaway_prose"))
    fake_llm.reply_text("The capital of France is Paris.")  # what a retry said; it must not be needed
    llm = make_llm("openai-generic", fake_llm, rec, max_tokens_response=512)

    text = await llm.respond(make_context(tools=[]), rec.delta)

    shown = "".join(rec.deltas)
    assert len(fake_llm.requests) == 1
    assert text == shown and llm.truncated
    assert shown.startswith("You can use the `json` module")
    assert shown.endswith(
        "[The answer was cut off at the length limit (llm.max_tokens_response = 512 tokens).]"
    )
    assert (llm.usage.input_tokens, llm.usage.output_tokens) == (None, None)  # llama.cpp sent no usage


@pytest.mark.parametrize("kind", ["length_no_answer", "echoed_tags_length"])
async def test_a_real_thinking_reply_cut_before_any_answer_is_asked_again_briefly(
    kind: str, fake_llm: FakeLLM, rec: Recorder
) -> None:
    fake_llm.script(recorded(kind))
    fake_llm.reply_text(thinking("Paris."))
    llm = make_llm("openai-generic", fake_llm, rec, max_tokens_thinking=40)

    result = await llm.think(make_context(tools=[]), rec.delta)

    assert result.answer == "Paris." and "".join(rec.deltas) == "Paris."
    assert "cut off at the length limit of 40 tokens" in fake_llm.requests[1].prompt_text


async def test_a_real_malformed_call_is_asked_for_again_naming_the_problem(
    fake_llm: FakeLLM, rec: Recorder
) -> None:
    fake_llm.script(recorded("malformed_call"))
    fake_llm.reply_text(
        thinking(None, ("fs_write", {"path": "groceries.txt", "content": "milk, eggs, bread"}))
    )
    llm = make_llm("openai-generic", fake_llm, rec)

    result = await llm.think(make_context(tools=[FS_WRITE]), rec.delta)

    assert [c.tool for c in result.tool_calls] == ["fs_write"]
    assert (
        "its tool call could not be read: the tool_calls are not valid JSON"
        in fake_llm.requests[1].prompt_text
    )


async def test_a_real_malformed_call_twice_is_an_error_not_an_answer(
    fake_llm: FakeLLM, rec: Recorder
) -> None:
    fake_llm.script(recorded("malformed_call"), recorded("malformed_call"))
    llm = make_llm("openai-generic", fake_llm, rec)

    with pytest.raises(LLMError) as caught:
        await llm.think(make_context(tools=[FS_WRITE]), rec.delta)

    assert caught.value.code == "bad_output"
    assert str(caught.value).startswith("the model could not form a valid tool call")


def test_pa_ask_says_the_model_could_not_form_the_call_instead_of_answering(
    fake_llm: FakeLLM, pa: PaRunner
) -> None:
    pa.extra_env.update(fake_llm.env("openai-generic"))
    pa.extra_env.update({"PA_SECRET_BACKEND": "file", "PA_KEYRING_PASSPHRASE": "test-passphrase"})
    fake_llm.script(recorded("malformed_call"), recorded("malformed_call"))

    result = pa("ask", "Save a note called groceries.txt that says: milk, eggs, bread")

    assert result.returncode == 1
    assert "error: the model could not form a valid tool call" in result.stderr
    assert "Traceback" not in result.stderr


# ---- the fourth defect: keep-alives while a slow model reads the prompt --------------------------
# The recordings hold llama.cpp's real keep-alive comments (``: ping - <time>``, every 15 s while
# SmolLM2 read pa's prompt: 11 of them before the first token of the runaway reply). Replayed with
# 0.3 s between them, the silence before the first token (3.3 s) is far past a 1 s first-byte
# timeout, and every gap is well inside it: a server that is alive, with a slow model.
PINGS_BEFORE_FIRST_TOKEN = 11


def test_the_runaway_recording_really_holds_keep_alives_before_its_first_token() -> None:
    events = recorded("runaway_prose").sse_events()
    first_data = next(i for i, event in enumerate(events) if event.startswith(b"data:"))
    assert first_data == PINGS_BEFORE_FIRST_TOKEN
    assert all(event.startswith(b": ping - 2026-") for event in events[:first_data])


async def test_real_keep_alives_satisfy_the_first_byte_timeout(fake_llm: FakeLLM, rec: Recorder) -> None:
    fake_llm.script(Reply.recorded(RECORDED / MANIFEST["runaway_prose"], keepalive_every_ms=300))
    llm = make_llm(
        "openai-generic",
        fake_llm,
        rec,
        max_tokens_response=512,
        first_byte_timeout_seconds=1,
        idle_timeout_seconds=1,
        max_retries=0,
    )

    text = await llm.respond(make_context(tools=[]), rec.delta)

    assert len(fake_llm.requests) == 1  # no timeout, no retry
    assert text.startswith("You can use the `json` module") and llm.truncated


async def test_the_same_silence_without_keep_alives_is_a_first_byte_timeout(
    fake_llm: FakeLLM, rec: Recorder
) -> None:
    """The control: the test above passes because of the keep-alives, not because nothing is timed."""
    fake_llm.script(Reply.recorded(RECORDED / MANIFEST["runaway_prose"], delay_before_ms=3300))
    llm = make_llm(
        "openai-generic", fake_llm, rec, first_byte_timeout_seconds=1, idle_timeout_seconds=1, max_retries=0
    )

    with pytest.raises(LLMError) as caught:
        await llm.respond(make_context(tools=[]), rec.delta)

    assert caught.value.code == "timeout"
    assert "nothing came back within 1 s of the request" in str(caught.value)
    assert rec.deltas == []


def test_pa_ask_waits_for_a_slow_local_model_that_sends_keep_alives(fake_llm: FakeLLM, pa: PaRunner) -> None:
    pa.extra_env.update(fake_llm.env("openai-generic"))
    pa.extra_env.update({"PA_SECRET_BACKEND": "file", "PA_KEYRING_PASSPHRASE": "test-passphrase"})
    for key, value in [
        ("llm.first_byte_timeout_seconds", "1"),
        ("llm.idle_timeout_seconds", "1"),
        ("llm.max_retries", "0"),  # a timeout would end the command: no retry hides it
        ("llm.max_tokens_thinking", "512"),
    ]:
        assert pa("config", "set", key, value).returncode == 0
    # The slow model's thinking reply runs away (cut by length, nothing of an answer in it) and
    # is asked again briefly; the brief reply answers.
    fake_llm.script(Reply.recorded(RECORDED / MANIFEST["runaway_prose"], keepalive_every_ms=300))
    fake_llm.reply_text(thinking("Paris."))

    result = pa("ask", "What is the capital of France?")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Paris."
    assert "nothing came back" not in result.stderr and "Traceback" not in result.stderr
    assert len(fake_llm.requests) == 2
    assert "cut off at the length limit of 512 tokens" in fake_llm.requests[1].prompt_text


async def test_a_real_malformed_call_among_real_tools_is_asked_for_again_not_dropped(
    fake_llm: FakeLLM, rec: Recorder
) -> None:
    """With pa's tools offered, the model's broken call must not turn into an answer that saved nothing."""
    fake_llm.script(recorded("malformed_call_with_tools"))
    fake_llm.reply_text(
        thinking(None, ("fs_write", {"path": "groceries.txt", "content": "milk, eggs, bread"}))
    )
    llm = make_llm("openai-generic", fake_llm, rec)

    result = await llm.think(make_context(tools=[FS_WRITE]), rec.delta)

    assert [(c.tool, c.arguments["path"]) for c in result.tool_calls] == [("fs_write", "groceries.txt")]
    assert rec.deltas == []  # nothing of the broken reply was shown as an answer
    assert "its tool call could not be read" in fake_llm.requests[1].prompt_text
