"""`pa ask` on a real terminal (tmux): live Markdown, tool lines, and the inline y/N approval."""

from __future__ import annotations

from pathlib import Path

import pytest

from pa_cli.testing.fake_llm import FakeLLM, Reply
from tests.agent.scripts import thinking
from tests.fixtures.tmux import Tmux


def _start(tmux: Tmux, fake_llm: FakeLLM, pa_home: Path, question: str) -> None:
    tmux.start_pa(pa_home, 100, ["ask", question], env=fake_llm.env(), hold=True)


@pytest.mark.slow
def test_answer_renders_as_markdown_with_tool_lines(tmux: Tmux, fake_llm: FakeLLM, pa_home: Path) -> None:
    fake_llm.reply_text(thinking(None, ("fs_write", {"path": "/list.md", "content": "milk"})))
    fake_llm.script(
        Reply(text=thinking("# Saved\n\n- **milk** is on the list"), chunk_size=5, delay_between_chunks_ms=5)
    )
    _start(tmux, fake_llm, pa_home, "remember milk")
    screen = tmux.wait_for(lambda s: "milk is on the list" in s)
    assert "✓ fs_write" in screen
    assert "**milk**" not in screen  # rendered as Markdown, not raw


@pytest.mark.slow
def test_side_effect_asks_y_n_on_a_terminal(tmux: Tmux, fake_llm: FakeLLM, pa_home: Path) -> None:
    fake_llm.reply_text(thinking(None, ("system_prompt_update", {"text": "Answer in haiku."})))
    fake_llm.reply_text(thinking("From now on: haiku."))
    _start(tmux, fake_llm, pa_home, "answer in haiku")
    screen = tmux.wait_for(lambda s: "[y/N]" in s)
    assert "Answer in haiku." in screen  # the preview
    tmux("send-keys", "-t", "pa", "y", "Enter")
    tmux.wait_for(lambda s: "From now on: haiku." in s)
    assert len(fake_llm.requests) == 2
