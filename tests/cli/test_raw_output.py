"""Escape sequences from outside never reach the terminal: the raw bytes `pa` writes, recorded by `script`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pa_cli.testing.fake_google import FakeGoogle
from pa_cli.testing.fake_llm import FakeLLM, Reply
from tests.agent.scripts import thinking
from tests.cli import screen
from tests.conftest import PaRunner
from tests.google.test_cli_e2e import authorize, google  # noqa: F401  (the `google` fixture)

pytestmark = pytest.mark.slow

CLIPBOARD = "\x1b]52;c;ZWNobyBwd25lZA==\x07"
TITLE = "\x1b]0;pwned-title\x07"
CLEAR = "\x1b[2J"
C1_CSI = "\x9b2J"
HOSTILE = f"Lunch at noon{TITLE} {CLIPBOARD}see you{CLEAR} there{C1_CSI}."
#: What must never appear in the raw output (Rich's own cursor and colour sequences are fine).
FORBIDDEN = [b"\x1b]52", b"\x1b]0;", b"\x1b[2J", b"\xc2\x9b", b"\x07", b"ZWNobyBwd25lZA", b"pwned"]


def _assert_clean(raw: bytes) -> None:
    for needle in FORBIDDEN:
        assert needle not in raw, (needle, raw[-400:])


def _env(fake_llm: FakeLLM, pa_home: Path) -> dict[str, str]:
    return {
        **fake_llm.env(),
        "PA_HOME": str(pa_home),
        "PA_SECRET_BACKEND": "file",
        "PA_KEYRING_PASSPHRASE": "test-passphrase",
        "LANG": "C.UTF-8",
        "PATH": "/usr/bin:/bin",
    }


def test_escape_sequences_in_a_model_answer_never_reach_the_terminal(
    fake_llm: FakeLLM, pa_home: Path, pa: PaRunner
) -> None:
    # Split into 3-character deltas: ESC arrives in one delta and "]52;..." in the next.
    fake_llm.script(Reply(text=thinking(HOSTILE), chunk_size=3, delay_between_chunks_ms=2))
    env = _env(fake_llm, pa_home)
    raw = screen.raw_output(screen.shell_command(env, "ask", "lunch?"))
    assert b"Lunch at noon" in raw and b"see you" in raw and b"there" in raw
    _assert_clean(raw)

    # The stored answer is kept as it came (history is data); showing it is sanitized too.
    sessions = json.loads(pa("history", "list", "--json", env=env).stdout)
    raw = screen.raw_output(screen.shell_command(env, "history", "show", sessions[0]["id"]))
    assert b"Lunch at noon see you there." in raw
    _assert_clean(raw)
    raw = screen.raw_output(screen.shell_command(env, "history", "list"))
    _assert_clean(raw)
    raw = screen.raw_output(screen.shell_command(env, "history", "search", "noon"))
    assert b"Lunch at noon" in raw
    _assert_clean(raw)


def test_escape_sequences_on_a_pipe_are_removed_too(fake_llm: FakeLLM, pa_home: Path, pa: PaRunner) -> None:
    fake_llm.script(Reply(text=thinking(HOSTILE), chunk_size=3))
    result = pa("ask", "lunch?", env=_env(fake_llm, pa_home))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Lunch at noon see you there.\n"


def test_json_output_escapes_c1_controls(fake_llm: FakeLLM, pa_home: Path, pa: PaRunner) -> None:
    fake_llm.script(Reply(text=thinking(HOSTILE)))
    result = pa("ask", "--json", "lunch?", env=_env(fake_llm, pa_home))
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x9b" not in result.stdout
    assert json.loads(result.stdout)["response"] == HOSTILE  # the data itself is intact


def test_escape_sequences_in_a_mail_subject_never_reach_the_terminal(
    pa: PaRunner,
    google: FakeGoogle,  # noqa: F811
) -> None:
    authorize(pa, google, "gmail")
    mail = google.add_message("mallory@example.com", "me@example.com", HOSTILE, f"Body {CLIPBOARD}text")
    env = pa.env(COLUMNS="80", LINES="24")
    for args in (
        ("tools", "run", "gmail_search", "--args", '{"query": "from:mallory@example.com"}'),
        ("tools", "run", "gmail_read", "--args", json.dumps({"message_id": mail.id})),
    ):
        raw = screen.raw_output(screen.shell_command(env, *args))
        assert b"Lunch at noon" in raw, raw[-400:]
        _assert_clean(raw)
