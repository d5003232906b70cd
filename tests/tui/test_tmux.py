"""`pa chat` for real: in a tmux terminal, typing a question shows the streamed answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from pa_cli.testing.fake_llm import FakeLLM, Reply
from tests.fixtures.tmux import Tmux
from tests.tui.conftest import thinking


@pytest.mark.slow
def test_pa_chat_in_a_real_terminal_shows_the_streamed_answer(
    tmux: Tmux, fake_llm: FakeLLM, pa_home: Path
) -> None:
    fake_llm.script(
        Reply(text=thinking("Hello from **pa** in tmux!"), chunk_size=4, delay_between_chunks_ms=5)
    )
    tmux.start_pa(pa_home, 100, ["chat"], env=fake_llm.env(model="fake"))  # Textual draws on stderr

    tmux.wait_for(lambda screen: "Message pa" in screen)
    tmux("send-keys", "-t", "pa", "say hello", "Enter")  # one write: Enter must still follow the text
    screen = tmux.wait_for(lambda screen: "Hello from pa in tmux!" in screen)

    assert "say hello" in screen
    assert "Error" not in screen
    assert fake_llm.requests and "say hello" in fake_llm.requests[0].prompt_text

    tmux.quit()

    # `pa chat --session PREFIX` reopens it with its transcript.
    session_id = _only_session_id()
    tmux.start_pa(pa_home, 100, ["chat", "--session", session_id[:8]], env=fake_llm.env(model="fake"))
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
