"""`pa chat` in a real terminal shows text from outside as text: tag lines stay, escape sequences go."""

from __future__ import annotations

from pathlib import Path

import pytest

from pa_cli.testing.fake_llm import FakeLLM, Reply
from tests.fixtures.tmux import Tmux
from tests.tui.conftest import thinking

TITLE = "\x1b]0;pwned-title\x07"
CLIPBOARD = "\x1b]52;c;cHduZWQ=\x07"


def _start_chat(tmux: Tmux, fake_llm: FakeLLM, pa_home: Path) -> None:
    tmux.start_pa(pa_home, 100, ["chat"], env=fake_llm.env(model="fake"), hold=True)
    tmux("set-option", "-g", "set-clipboard", "on")  # so that a clipboard write would land in a buffer
    tmux.wait_for(lambda screen: "Message pa" in screen)


@pytest.mark.slow
def test_chat_shows_tag_lines_and_never_passes_escapes_on(
    tmux: Tmux, fake_llm: FakeLLM, pa_home: Path
) -> None:
    answer = (
        "Here is the mail.\n"
        '<data source="mail">\n'
        "w001 the mail said hello\n"
        "</data>\n"
        f"w002 after the data{TITLE}\n\n"
        "<tool>\n"
        f"w003 inside a tool tag {CLIPBOARD}w004 the end"
    )
    fake_llm.script(Reply(text=thinking(answer), chunk_size=3, delay_between_chunks_ms=5))
    _start_chat(tmux, fake_llm, pa_home)
    title_before = tmux("display-message", "-p", "-t", "pa", "#{pane_title}")
    tmux("send-keys", "-t", "pa", "read my mail", "Enter")
    screen = tmux.wait_for(lambda s: "w004 the end" in s)

    assert "w001 the mail said hello" in screen
    assert "w002 after the data" in screen
    assert "w003 inside a tool tag w004 the end" in screen
    assert '<data source="mail">' in screen and "<tool>" in screen
    assert "pwned" not in tmux("display-message", "-p", "-t", "pa", "#{pane_title}")
    assert tmux("display-message", "-p", "-t", "pa", "#{pane_title}") == title_before
    assert tmux("list-buffers") == ""  # no clipboard write reached the terminal
    assert "52;c" not in screen
