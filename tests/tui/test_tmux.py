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


@pytest.mark.slow
def test_help_names_contacts_beside_gmail_and_calendar_at_80_columns(tmux: Tmux, pa_home: Path) -> None:
    tmux.start_pa(pa_home, 80, ["chat"])
    tmux.wait_for(lambda screen: "Message pa" in screen)
    tmux("send-keys", "-t", "pa", "F1")
    tmux.wait_for(lambda screen: "Help" in screen and "Keys" in screen)
    tmux("send-keys", "-t", "pa", "End")  # the commands are below the keys
    screen = tmux.wait_for(lambda screen: "│ /authorize" in screen and "│ /system" in screen)
    command, effect = _table_row(screen, "│ /authorize")
    assert command == "/authorize gmail, calendar or contacts", screen  # wrapped in its cell, all there
    assert effect == "connect a Google account (opens your browser)", screen
    tmux.quit()


def _table_row(screen: str, start: str) -> tuple[str, ...]:
    """The cells of the table row that begins on the line holding ``start``, each cell's lines joined."""
    lines = screen.splitlines()
    first = next(i for i, line in enumerate(lines) if start in line)
    cells: list[list[str]] = []
    for line in lines[first:]:
        if "├" in line or "└" in line:
            break
        parts = line.split("│")[1:-1]
        cells += [[] for _ in range(len(parts) - len(cells))]
        for cell, part in zip(cells, parts, strict=False):
            if part.strip():
                cell.append(part.strip())
    return tuple(" ".join(cell) for cell in cells)
