"""What a person sees of `pa ask` on a real terminal (tmux): every word of a long answer exactly once,
at any width and through a resize; the approval question stays; tag lines stay; a quiet status."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pa_cli.testing.fake_llm import FakeLLM, Reply
from tests.agent.scripts import thinking
from tests.cli import screen
from tests.conftest import PaRunner
from tests.fixtures.tmux import Tmux

pytestmark = pytest.mark.slow

EXITED = "[exited]"


def _json_response(pa: PaRunner, fake_llm: FakeLLM, pa_home: Path, *args: str) -> str:
    env = {**fake_llm.env(), "PA_HOME": str(pa_home), "PA_SECRET_BACKEND": "file"}
    env["PA_KEYRING_PASSPHRASE"] = "test-passphrase"
    result = pa("ask", "--json", *args, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    response: str = json.loads(result.stdout)["response"]
    return response


def _streamed(text: str, delay_ms: float = 3) -> Reply:
    return Reply(text=thinking(text), chunk_size=7, delay_between_chunks_ms=delay_ms)


@pytest.mark.parametrize("width", [60, 80, 120])
def test_every_word_of_a_long_answer_appears_once_in_order(
    tmux: Tmux, fake_llm: FakeLLM, pa_home: Path, pa: PaRunner, width: int
) -> None:
    answer = screen.long_answer()
    fake_llm.script(_streamed(answer), _streamed(answer))
    expected = _json_response(pa, fake_llm, pa_home, "tell me everything")
    assert expected == answer

    screen.start(tmux, screen.pa_command(fake_llm, pa_home, "ask", "tell me everything"), width=width)
    tmux.wait_for(lambda s: EXITED in s, timeout=120)
    shown = screen.history(tmux)

    assert screen.words_of(shown) == screen.words_of(expected)
    assert "**" not in shown and "```" not in shown  # rendered, not raw Markdown
    joined = "".join(line.rstrip() for line in shown.splitlines())
    assert screen.LONG_URL in joined  # folded at the width, every character kept


def test_resize_while_streaming_loses_and_repeats_nothing(
    tmux: Tmux, fake_llm: FakeLLM, pa_home: Path
) -> None:
    answer = screen.long_answer()
    fake_llm.script(_streamed(answer, delay_ms=10))
    screen.start(tmux, screen.pa_command(fake_llm, pa_home, "ask", "tell me everything"), width=110)
    tmux.wait_for(lambda s: "w120" in s)
    tmux("resize-window", "-t", "pa", "-x", "64")
    tmux.wait_for(lambda s: "w300" in s, timeout=120)
    tmux("resize-window", "-t", "pa", "-x", "90")
    tmux.wait_for(lambda s: EXITED in s, timeout=120)

    assert screen.words_of(screen.history(tmux)) == screen.words_of(answer)


def test_a_long_paragraph_wraps_instead_of_losing_its_end(
    tmux: Tmux, fake_llm: FakeLLM, pa_home: Path
) -> None:
    paragraph = " ".join(f"w{i:03d}" for i in range(80))  # 400 characters: five lines at 80 columns
    fake_llm.script(_streamed(paragraph))
    screen.start(tmux, screen.pa_command(fake_llm, pa_home, "ask", "one paragraph"), width=80)
    shown = tmux.wait_for(lambda s: EXITED in s)
    lines = [line for line in shown.splitlines() if "w0" in line]
    assert len(lines) == 5
    assert all(len(line.rstrip()) <= 80 for line in lines)
    assert screen.words_of(shown) == screen.words_of(paragraph)


def test_no_stream_keeps_every_wrapped_list_line(tmux: Tmux, fake_llm: FakeLLM, pa_home: Path) -> None:
    items = "\n".join(f"- {' '.join(f'w{i * 20 + j:03d}' for j in range(20))}" for i in range(6))
    fake_llm.script(_streamed(items))
    screen.start(tmux, screen.pa_command(fake_llm, pa_home, "ask", "--no-stream", "a list"), width=60)
    shown = tmux.wait_for(lambda s: EXITED in s)
    assert screen.words_of(shown) == screen.words_of(items)
    assert shown.count("•") == 6


def test_pipe_gets_the_plain_text_as_streamed(fake_llm: FakeLLM, pa: PaRunner, pa_home: Path) -> None:
    answer = screen.long_answer()
    fake_llm.script(_streamed(answer))
    env = {**fake_llm.env(), "PA_HOME": str(pa_home), "PA_SECRET_BACKEND": "file"}
    env["PA_KEYRING_PASSPHRASE"] = "test-passphrase"
    result = pa("ask", "tell me everything", env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == answer + "\n"
    assert result.stderr == ""


def test_a_line_starting_with_a_tag_hides_nothing(tmux: Tmux, fake_llm: FakeLLM, pa_home: Path) -> None:
    answer = (
        "Here is what I found.\n"
        '<data source="mail">\n'
        "w001 w002 the mail said hello\n"
        "</data>\n"
        "w003 after the data\n\n"
        "<tool>\nw004 inside a tool tag\n\nw005 the end"
    )
    fake_llm.script(_streamed(answer))
    screen.start(tmux, screen.pa_command(fake_llm, pa_home, "ask", "read my mail"), width=80)
    shown = tmux.wait_for(lambda s: EXITED in s)
    assert screen.words_of(shown) == ["w001", "w002", "w003", "w004", "w005"]
    assert '<data source="mail">' in shown
    assert "<tool>" in shown


def test_approval_question_stays_on_screen_then_shows_the_outcome(
    tmux: Tmux, fake_llm: FakeLLM, pa_home: Path
) -> None:
    fake_llm.reply_text(thinking(None, ("system_prompt_update", {"text": "Answer in haiku."})))
    fake_llm.reply_text(thinking("From now on: haiku."))
    screen.start(tmux, screen.pa_command(fake_llm, pa_home, "ask", "answer in haiku"), width=80)
    tmux.wait_for(lambda s: "Run it? [y/N]" in s)
    time.sleep(3)  # a person reads the question: nothing may draw over it meanwhile
    shown = tmux.screen()
    lines = [line.rstrip() for line in shown.splitlines() if line.strip()]
    assert lines[-1] == "Run it? [y/N]"
    assert "Answer in haiku." in shown  # the preview
    assert "approve system_prompt_update?" in shown
    assert "running" not in shown  # no spinner line

    tmux("send-keys", "-t", "pa", "y", "Enter")
    shown = tmux.wait_for(lambda s: EXITED in s)
    assert "approved: system_prompt_update ran" in shown
    assert "From now on: haiku." in shown


def test_denied_approval_says_nothing_ran(tmux: Tmux, fake_llm: FakeLLM, pa_home: Path) -> None:
    fake_llm.reply_text(thinking(None, ("system_prompt_update", {"text": "Answer in haiku."})))
    fake_llm.reply_text(thinking("Left as it was."))
    screen.start(tmux, screen.pa_command(fake_llm, pa_home, "ask", "answer in haiku"), width=80)
    tmux.wait_for(lambda s: "Run it? [y/N]" in s)
    tmux("send-keys", "-t", "pa", "n", "Enter")
    shown = tmux.wait_for(lambda s: EXITED in s)
    assert "denied: system_prompt_update did not run" in shown


def test_a_slow_model_shows_a_quiet_waiting_status(tmux: Tmux, fake_llm: FakeLLM, pa_home: Path) -> None:
    fake_llm.script(Reply(text=thinking("w001 at last"), delay_before_ms=4000))
    screen.start(tmux, screen.pa_command(fake_llm, pa_home, "ask", "slow"), width=80)
    tmux.wait_for(lambda s: "waiting for the model… 2 s" in s)
    shown = tmux.wait_for(lambda s: EXITED in s)
    assert "waiting for the model" not in shown  # the status goes away when the answer comes
    assert "w001 at last" in shown


def test_a_slow_model_prints_nothing_extra_on_pipes(fake_llm: FakeLLM, pa: PaRunner, pa_home: Path) -> None:
    fake_llm.script(Reply(text=thinking("at last"), delay_before_ms=2500))
    env = {**fake_llm.env(), "PA_HOME": str(pa_home), "PA_SECRET_BACKEND": "file"}
    env["PA_KEYRING_PASSPHRASE"] = "test-passphrase"
    result = pa("ask", "slow", env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "at last\n"
    assert result.stderr == ""


@pytest.mark.parametrize("sent_ahead", [False, True], ids=["rendered-first", "sent-ahead"])
def test_sigterm_keeps_the_partial_answer_like_ctrl_c(
    fake_llm: FakeLLM, pa: PaRunner, pa_home: Path, sent_ahead: bool
) -> None:
    words = " ".join(f"w{i:03d}" for i in range(300))
    env = pa.env(**fake_llm.env(), PA_HOME=str(pa_home), PA_SECRET_BACKEND="file")
    env["PA_KEYRING_PASSPHRASE"] = "test-passphrase"
    if sent_ahead:  # an earlier question keeps the template: this one's request goes out before pa loads
        fake_llm.reply_text(thinking("warm"))
        assert (
            subprocess.run(
                [sys.executable, "-m", "pa_cli", "ask", "warm up"], env=env, capture_output=True, check=False
            ).returncode
            == 0
        )
        assert (pa_home / "cache" / "request-ahead.json").is_file()
    fake_llm.script(Reply(text=thinking(words), chunk_size=8, delay_between_chunks_ms=100))
    events = pa_home / "events.txt"  # the import probe records whether the request was sent ahead
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("import_probe.py")), str(events), "ask", "count"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        assert process.stdout is not None
        received = b""
        while b"w010" not in received:
            chunk = os.read(process.stdout.fileno(), 4096)
            assert chunk, "pa ask ended before streaming"
            received += chunk
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 143
    assert b"terminated" in err
    assert b"w299" not in received + out  # it really stopped mid-answer
    assert len(fake_llm.requests) == (2 if sent_ahead else 1)  # the one sent ahead was the one read
    assert ("ahead" in events.read_text().split()) == sent_ahead

    sessions = json.loads(pa("history", "list", "--json", env=env).stdout)
    shown = pa("history", "show", sessions[0]["id"], env=env)
    assert shown.returncode == 0, shown.stderr
    assert "[assistant] (incomplete)" in shown.stdout
    assert "w000 w001 w002 w003 w004 w005 w006 w007 w008 w009 w010" in shown.stdout


def test_sigterm_while_the_question_waits_ends_pa_ask(fake_llm: FakeLLM, pa: PaRunner, pa_home: Path) -> None:
    import pty

    fake_llm.reply_text(thinking(None, ("system_prompt_update", {"text": "Answer in haiku."})))
    env = pa.env(**fake_llm.env(), PA_HOME=str(pa_home), PA_SECRET_BACKEND="file", TERM="xterm-256color")
    env["PA_KEYRING_PASSPHRASE"] = "test-passphrase"
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "pa_cli", "ask", "answer in haiku"],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=env,
        start_new_session=True,
    )
    os.close(terminal)
    try:
        shown = b""
        while b"[y/N]" not in shown:
            shown += os.read(controller, 4096)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 143  # it does not wait for an answer that never comes
    finally:
        if process.poll() is None:
            process.kill()
        os.close(controller)
