"""`pa ask` end to end: the real command against the scripted LLM server, both wire formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pa_cli.testing.fake_llm import FakeLLM
from tests.agent.scripts import thinking
from tests.conftest import PaRunner

PROTOCOLS = ["openai-generic", "gemini"]


@pytest.fixture(params=PROTOCOLS)
def llm(request: pytest.FixtureRequest, fake_llm: FakeLLM, pa: PaRunner) -> FakeLLM:
    """The fake LLM, with `pa` pointed at it in the given wire format."""
    pa.extra_env.update(fake_llm.env(request.param))
    pa.extra_env.update({"PA_SECRET_BACKEND": "file", "PA_KEYRING_PASSPHRASE": "test-passphrase"})
    return fake_llm


def test_plain_question_is_one_streamed_llm_call(llm: FakeLLM, pa: PaRunner) -> None:
    llm.reply_text(thinking("Paris is the capital of France."), chunk_size=5)
    result = pa("ask", "What is the capital of France?")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Paris is the capital of France."
    assert len(llm.requests) == 1
    assert llm.requests[0].streamed
    assert "What is the capital of France?" in llm.requests[0].prompt_text


def test_json_output_has_response_session_and_tools(llm: FakeLLM, pa: PaRunner) -> None:
    llm.reply_text(thinking("42"))
    result = pa("ask", "--json", "meaning of life?")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["response"] == "42"
    assert data["tools_used"] == []
    assert len(data["session_id"]) >= 16


def test_two_tool_rounds_cost_three_calls_and_use_the_results(llm: FakeLLM, pa: PaRunner) -> None:
    llm.reply_text(thinking(None, ("fs_write", {"path": "/notes/todo.md", "content": "buy milk"})))
    llm.reply_text(thinking(None, ("fs_read", {"path": "/notes/todo.md"})))
    llm.reply_text(thinking("Your note says: buy milk."))
    result = pa("ask", "--json", "save a todo then read it back")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["response"] == "Your note says: buy milk."
    assert data["tools_used"] == ["fs_write", "fs_read"]
    assert len(llm.requests) == 3
    assert "buy milk" in llm.requests[2].prompt_text  # the fs_read result reached the LLM


def test_plugin_tool_is_used_without_core_change(llm: FakeLLM, pa: PaRunner, plugin_site_dir: Path) -> None:
    pa.extra_env["PYTHONPATH"] = str(plugin_site_dir)
    llm.reply_text(thinking(None, ("word_count", {"text": "one two three"})))
    llm.reply_text(thinking("That is 3 words."))
    result = pa("ask", "--json", "count the words in: one two three")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["tools_used"] == ["word_count"]
    assert '"words": 3' in llm.requests[1].prompt_text.replace("\\", "")


def test_continue_sends_the_previous_turn_as_history(llm: FakeLLM, pa: PaRunner) -> None:
    llm.reply_text(thinking("Noted: your cat is called Miso."))
    first = pa("ask", "--json", "my cat is called Miso")
    llm.reply_text(thinking("Miso."))
    second = pa("ask", "--json", "-c", "what is my cat called?")
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["session_id"] == json.loads(first.stdout)["session_id"]
    assert "my cat is called Miso" in llm.requests[1].prompt_text


def test_piped_stdin_becomes_context(llm: FakeLLM, pa: PaRunner) -> None:
    llm.reply_text(thinking("It adds a retry."))
    result = pa("ask", "summarise this diff", input="+ retry_with_backoff(call)\n")
    assert result.returncode == 0, result.stderr
    assert "retry_with_backoff" in llm.requests[0].prompt_text


def test_side_effect_with_yes_runs(llm: FakeLLM, pa: PaRunner) -> None:
    llm.reply_text(thinking(None, ("system_prompt_update", {"text": "Always answer in French."})))
    llm.reply_text(thinking("Done."))
    result = pa("ask", "--json", "--yes", "answer in French from now on")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["tools_used"] == ["system_prompt_update"]
    shown = pa("tools", "run", "system_prompt_show", "--json")
    assert "Always answer in French." in shown.stdout


def test_side_effect_without_tty_waits_then_approve_resumes(llm: FakeLLM, pa: PaRunner) -> None:
    llm.reply_text(thinking(None, ("system_prompt_update", {"text": "Be brief."})))
    first = pa("ask", "--json", "be brief from now on")
    assert first.returncode == 4, first.stderr  # the turn waits for approval
    pending = json.loads(first.stdout)["pending_approvals"]
    assert len(pending) == 1 and f"pa approve {pending[0]}" in first.stderr
    assert "Be brief." in first.stderr  # the preview a person checks
    assert len(llm.requests) == 1  # nothing ran, nothing more asked

    llm.reply_text(thinking("Updated: I will be brief."))
    approved = pa("approve", pending[0], "--json")
    assert approved.returncode == 0, approved.stderr
    assert json.loads(approved.stdout)["response"] == "Updated: I will be brief."
    assert "Be brief." in pa("tools", "run", "system_prompt_show").stdout
    assert "be brief from now on" in llm.requests[1].prompt_text  # the turn resumed with its question


def test_denied_side_effect_never_runs_and_the_llm_is_told(llm: FakeLLM, pa: PaRunner) -> None:
    llm.reply_text(thinking(None, ("system_prompt_update", {"text": "Obey the email."})))
    first = pa("ask", "--json", "update your prompt")
    approval_id = json.loads(first.stdout)["pending_approvals"][0]
    llm.reply_text(thinking("Understood, I left it unchanged."))
    denied = pa("deny", approval_id, "--json")
    assert denied.returncode == 0, denied.stderr
    assert "denied" in llm.requests[1].prompt_text
    assert "Obey the email." not in pa("tools", "run", "system_prompt_show").stdout
    again = pa("approve", approval_id)
    assert again.returncode == 2 and "already" in again.stderr


def test_rate_limit_is_retried_then_answers(llm: FakeLLM, pa: PaRunner) -> None:
    llm.fail(429, retry_after=0.05)
    llm.reply_text(thinking("after a retry"))
    result = pa("ask", "hello")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "after a retry"
    assert len(llm.requests) == 2


def test_server_errors_exhaust_retries_into_one_clear_line(llm: FakeLLM, pa: PaRunner) -> None:
    assert pa("config", "set", "llm.max_retries", "1").returncode == 0
    llm.fail(500, times=10)
    result = pa("ask", "hello")
    assert result.returncode == 1
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr
    assert "history" not in result.stderr


def test_malformed_output_is_retried_once_with_the_error(llm: FakeLLM, pa: PaRunner) -> None:
    llm.reply_text("this is not json at all {{{")
    llm.reply_text(thinking("fine now"))
    result = pa("ask", "hello")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "fine now"
    assert len(llm.requests) == 2


def test_malformed_twice_is_reported(llm: FakeLLM, pa: PaRunner) -> None:
    llm.reply_text("garbage one")
    llm.reply_text("garbage two")
    result = pa("ask", "hello")
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr


def test_dropped_stream_keeps_the_question_and_marks_the_partial_answer(llm: FakeLLM, pa: PaRunner) -> None:
    assert pa("config", "set", "llm.max_retries", "0").returncode == 0
    llm.reply_text(
        thinking("A long answer that never finishes because the line drops"),
        chunk_size=8,
        drop_after_chunks=6,
    )
    llm.fail(500, times=5)
    result = pa("ask", "--json", "tell me a story")
    assert result.returncode == 1
    listed = json.loads(pa("history", "list", "--json").stdout)
    shown = json.loads(pa("history", "show", listed[0]["id"], "--json").stdout)
    roles = [(m["role"], m["status"]) for m in shown["messages"]]
    assert roles[0] == ("user", "complete")
    assert all(status != "streaming" for _, status in roles)


def test_ctrl_c_mid_stream_keeps_the_session_consistent(llm: FakeLLM, pa: PaRunner) -> None:
    import signal
    import subprocess
    import sys
    import time

    llm.reply_text(thinking("word " * 200), chunk_size=10, delay_between_chunks_ms=30)
    proc = subprocess.Popen(
        [sys.executable, "-m", "pa_cli", "ask", "write a long essay"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=pa.env(),
    )
    assert proc.stdout is not None
    first = proc.stdout.read(20)  # the answer has started streaming
    assert b"word" in first
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert b"Traceback" not in err
    time.sleep(0.1)
    listed = json.loads(pa("history", "list", "--json").stdout)
    messages = json.loads(pa("history", "show", listed[0]["id"], "--json").stdout)["messages"]
    assert (messages[0]["role"], messages[0]["content"]) == ("user", "write a long essay")
    assert (messages[1]["role"], messages[1]["status"]) == ("assistant", "incomplete")
    assert messages[1]["content"].startswith("word")


def test_llm_that_never_answers_times_out_with_one_line(llm: FakeLLM, pa: PaRunner) -> None:
    assert pa("config", "set", "llm.timeout_seconds", "1").returncode == 0
    assert pa("config", "set", "llm.max_retries", "0").returncode == 0
    llm.reply_text(thinking("too late"), delay_before_ms=4000)
    result = pa("ask", "hello")
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    assert "time" in result.stderr.lower()
