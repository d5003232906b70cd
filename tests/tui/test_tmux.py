"""`pa chat` for real: in a tmux terminal, typing a question shows the streamed answer."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pa_cli.testing.fake_llm import FakeLLM, Reply
from tests.tui.conftest import thinking


class Tmux:
    """A private tmux server (its own socket in a temporary directory), killed at the end."""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="pa-tmux-"))  # short: socket paths are limited
        self.socket = str(self.directory / "socket")

    def __call__(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-S", self.socket, *args], capture_output=True, text=True, timeout=20, check=True
        )
        return done.stdout

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "pa")

    def wait_for(self, found: Callable[[str], bool], timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen()
            if found(text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; the screen shows:\n{text}")
            time.sleep(0.1)

    def alive(self) -> bool:
        """Whether the session still runs (tmux exits with the last session)."""
        found = subprocess.run(
            ["tmux", "-S", self.socket, "has-session", "-t", "pa"],
            capture_output=True,
            timeout=20,
            check=False,
        )
        return found.returncode == 0

    def quit(self) -> None:
        self("send-keys", "-t", "pa", "C-q")
        deadline = time.monotonic() + 20
        while self.alive():
            assert time.monotonic() < deadline, "pa chat did not quit on ctrl+q"
            time.sleep(0.1)

    def close(self) -> None:
        subprocess.run(
            ["tmux", "-S", self.socket, "kill-server"], capture_output=True, timeout=20, check=False
        )
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    session = Tmux()
    try:
        yield session
    finally:
        session.close()


@pytest.mark.slow
def test_pa_chat_in_a_real_terminal_shows_the_streamed_answer(
    tmux: Tmux, fake_llm: FakeLLM, pa_home: Path
) -> None:
    fake_llm.script(
        Reply(text=thinking("Hello from **pa** in tmux!"), chunk_size=4, delay_between_chunks_ms=5)
    )
    env = {
        **fake_llm.env(model="fake"),
        "PA_HOME": str(pa_home),
        "PA_SECRET_BACKEND": "file",
        "PA_KEYRING_PASSPHRASE": "test-passphrase",
        "TERM": "xterm-256color",
        "PATH": os.environ.get("PATH", ""),
    }
    exported = " ".join(f"{name}={shlex.quote(value)}" for name, value in env.items())
    command = f"env -i {exported} {shlex.quote(sys.executable)} -m pa_cli chat"  # Textual draws on stderr
    tmux("new-session", "-d", "-s", "pa", "-x", "100", "-y", "30", command)

    tmux.wait_for(lambda screen: "Message pa" in screen)
    tmux("send-keys", "-t", "pa", "say hello", "Enter")  # one write: Enter must still follow the text
    screen = tmux.wait_for(lambda screen: "Hello from pa in tmux!" in screen)

    assert "say hello" in screen
    assert "Error" not in screen
    assert fake_llm.requests and "say hello" in fake_llm.requests[0].prompt_text

    tmux.quit()

    # `pa chat --session PREFIX` reopens it with its transcript.
    session_id = _only_session_id()
    tmux("new-session", "-d", "-s", "pa", "-x", "100", "-y", "30", f"{command} --session {session_id[:8]}")
    screen = tmux.wait_for(lambda screen: "Hello from pa in tmux!" in screen and "say hello" in screen)
    assert "Message pa" in screen
    tmux.quit()


def _only_session_id() -> str:
    from pa_cli.config import load_settings
    from pa_cli.store import open_store

    store = open_store(load_settings())
    try:
        sessions = store.sessions.list(store.users.local_user().id)
        assert len(sessions) == 1
        return str(sessions[0].id)
    finally:
        store.close()
