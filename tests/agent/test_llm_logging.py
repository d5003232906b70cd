"""Prompts hold mail bodies: BAML must not print them.

By default BAML logs every prompt and reply, to stdout (where it would also corrupt
``pa ask --json``), and at WARN it still logs the prompt of every failed call.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from pydantic import SecretStr

from pa_cli.agent.llm import AssistantLLM, ToolOutcome
from pa_cli.config import LLMSettings, Settings
from pa_cli.testing.fake_llm import FakeLLM
from tests.agent.test_llm import answer_json, make_context

MARKER = "MAILBODY-7f3a9c"


def _script_failures_then_answer(fake: FakeLLM) -> None:
    fake.fail(500)  # BAML logs failed calls, prompt included, even at WARN
    fake.reply_text(f"not json {MARKER}-reply")  # and unparsable replies
    fake.reply_text(answer_json(f"fine {MARKER}-answer"))


async def test_no_prompt_or_reply_text_reaches_stderr(fake_llm: FakeLLM, capfd: object) -> None:
    _script_failures_then_answer(fake_llm)
    settings = Settings(
        llm=LLMSettings(
            provider="openai-generic",
            base_url=fake_llm.openai_base_url,
            api_key=SecretStr("fake-key"),
            requests_per_minute=100_000,
        )
    )

    async def no_sleep(_seconds: float) -> None:
        return None

    llm = AssistantLLM(settings, sleep=no_sleep)
    ctx = make_context(
        user_message=f"summarise {MARKER}-request",
        tool_outcomes=[
            ToolOutcome(
                "gmail_read", {"id": "1"}, True, json.dumps({"body": f"{MARKER}-mail"}), untrusted=True
            )
        ],
    )

    thinking = await llm.think(ctx, None)

    assert thinking.answer == f"fine {MARKER}-answer"
    out, err = capfd.readouterr()  # type: ignore[attr-defined]
    assert MARKER not in err
    assert MARKER not in out


_CHILD = textwrap.dedent(
    """
    import asyncio, os, sys
    from pydantic import SecretStr
    from pa_cli.agent.llm import AssistantLLM
    from pa_cli.config import LLMSettings, Settings
    from tests.agent.test_llm import make_context

    async def main():
        settings = Settings(llm=LLMSettings(provider=os.environ.get("PROVIDER", "openai-generic"),
                                            base_url=os.environ["FAKE_URL"],
                                            api_key=SecretStr(os.environ.get("KEY", "k")),
                                            requests_per_minute=100_000))
        async def no_sleep(_s):
            return None
        llm = AssistantLLM(settings, sleep=no_sleep)
        thinking = await llm.think(make_context(user_message="summarise " + os.environ["MARKER"]), None)
        print("answer:", thinking.answer)

    asyncio.run(main())
    """
)


def _run_child(fake: FakeLLM, **env: str) -> subprocess.CompletedProcess[str]:
    _script_failures_then_answer(fake)
    child_env = {**os.environ, "FAKE_URL": fake.openai_base_url, "MARKER": MARKER, **env}
    if env.get("PROVIDER") == "gemini":
        child_env["FAKE_URL"] = fake.gemini_base_url
    return subprocess.run(
        [sys.executable, "-c", _CHILD],
        env=child_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=os.getcwd(),
    )


def test_a_fresh_process_prints_nothing_of_the_prompt(fake_llm: FakeLLM) -> None:
    result = _run_child(fake_llm)

    assert result.stdout.strip() == f"answer: fine {MARKER}-answer"
    assert MARKER not in result.stderr


def test_pa_debug_logs_prompts_and_replies(fake_llm: FakeLLM) -> None:
    result = _run_child(fake_llm, PA_DEBUG="1")

    logged = result.stdout + result.stderr
    assert f"summarise {MARKER}" in logged  # proof that the check above can see a leak
    assert f"{MARKER}-reply" in logged


@pytest.mark.parametrize("provider", ["openai-generic", "gemini"])
def test_pa_debug_never_prints_the_api_key(fake_llm: FakeLLM, provider: str) -> None:
    """The key travels in a header (``Authorization`` or ``x-goog-api-key``) or Gemini's ``?key=``;
    the debug output shows the request's body and the reply, and none of those places."""
    key = "sk-DEBUGKEY-5b1e0c9d77"
    result = _run_child(fake_llm, PA_DEBUG="1", PROVIDER=provider, KEY=key)

    logged = result.stdout + result.stderr
    assert f"summarise {MARKER}" in logged  # the debug output is on, and shows the request
    assert {r.api_key for r in fake_llm.requests} == {key}  # the key was sent with every request
    assert key not in logged
    assert "DEBUGKEY" not in logged
