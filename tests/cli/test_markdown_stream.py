"""Units of the streamed Markdown printer: the source is cut into pieces that keep every word once,
and the quiet status (elapsed time, retry countdown) says what the turn waits for."""

from __future__ import annotations

import random

import pytest
from rich.console import Console

from pa_cli.agent.events import TextDelta, ToolCallFinished, ToolCallStarted, Waiting
from pa_cli.cli.markdown_stream import MarkdownSplitter, Piece, TextMarkdown, Trimmed
from pa_cli.cli.render import TurnPrinter
from tests.cli import screen


def _pieces(text: str, sizes: list[int]) -> list[Piece]:
    splitter, pieces, position = MarkdownSplitter(), [], 0
    for size in sizes:
        piece = splitter.feed(text[position : position + size])
        position += size
        if piece is not None:
            pieces.append(piece)
    piece = splitter.finish()
    if piece is not None:
        pieces.append(piece)
    return pieces


@pytest.mark.parametrize("seed", range(5))
def test_pieces_add_up_to_the_answer_and_render_every_word_once(seed: int) -> None:
    answer = screen.long_answer()
    chance = random.Random(seed)
    sizes = [chance.randint(1, 40) for _ in range(len(answer))]
    pieces = _pieces(answer, sizes)
    assert "".join(p.source for p in pieces) == answer
    assert len(pieces) > 10  # finished blocks went out early, not all at the end

    console = Console(width=60, record=True, color_system=None, file=open("/dev/null", "w"))  # noqa: SIM115
    for piece in pieces:
        console.print(Trimmed(TextMarkdown(piece.source)))
    assert screen.words_of(console.export_text()) == screen.words_of(answer)


def test_a_list_is_cut_between_items_and_continues_without_a_blank_line() -> None:
    pieces = _pieces("intro\n\n- one\n- two\n- three\n", [1] * 40)
    assert [(p.source, p.continues) for p in pieces] == [
        ("intro\n\n", False),
        ("- one\n", False),
        ("- two\n", True),
        ("- three\n", True),
    ]


def test_an_unclosed_code_block_stays_in_the_tail() -> None:
    splitter = MarkdownSplitter()
    assert splitter.feed("text\n\n```\ncode line\n\nmore code\n") == Piece("text\n\n", False)
    assert splitter.tail.source == "```\ncode line\n\nmore code\n"


def test_tag_lines_are_text_not_html() -> None:
    console = Console(width=60, record=True, color_system=None, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(TextMarkdown('before\n<data source="mail">\nhidden?\n\n<tool>\nw001'))
    shown = console.export_text()
    assert '<data source="mail">' in shown and "hidden?" in shown and "<tool>" in shown and "w001" in shown


def test_waiting_event_shows_a_retry_countdown_with_its_reason() -> None:
    printer = TurnPrinter(tty=False, stream=True, as_json=False)
    printer.handle(Waiting(reason="HTTP 429 from the LLM", retry_in=4.0))
    assert printer.retry is not None
    retry_at = printer.retry[0]
    assert printer.status_text(retry_at - 3.2) == "retrying in 4 s after HTTP 429 from the LLM"
    assert printer.status_text(retry_at - 0.5) == "retrying in 1 s after HTTP 429 from the LLM"
    assert printer.waiting_since is not None
    elapsed = retry_at + 0.2 - printer.waiting_since
    assert printer.status_text(retry_at + 0.2) == (
        f"waiting for the model… {int(elapsed)} s (retried after HTTP 429 from the LLM)"
    )


def test_status_counts_the_silence_until_text_arrives() -> None:
    printer = TurnPrinter(tty=False, stream=True, as_json=True)
    assert printer.waiting_since is not None
    start = printer.waiting_since
    assert printer.status_text(start + 0.5) is None  # a short wait says nothing
    assert printer.status_text(start + 3.4) == "waiting for the model… 3 s"
    printer.handle(ToolCallStarted(call_id="c1", tool="fs_read"))
    assert printer.status_text(start + 5) is None  # a tool runs: its spinner speaks
    printer.handle(ToolCallFinished(call_id="c1", tool="fs_read", ok=True, summary="read"))
    restarted = printer.waiting_since
    assert restarted is not None and restarted > start
    assert printer.status_text(restarted + 2.1) == "waiting for the model… 2 s"
    printer.handle(TextDelta(text="hello"))
    assert printer.status_text(restarted + 10) is None


def test_no_status_and_no_text_on_pipes_with_json(capsys: pytest.CaptureFixture[str]) -> None:
    printer = TurnPrinter(tty=False, stream=True, as_json=True, status_tty=False)
    printer.handle(Waiting(reason="HTTP 503 from the LLM", retry_in=1.0))
    printer.handle(TextDelta(text="hi"))
    printer.tick()
    printer.close()
    assert capsys.readouterr() == ("", "")
