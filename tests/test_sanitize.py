"""The one sanitizer for text from outside: no escape sequence or control character reaches a terminal."""

from __future__ import annotations

import itertools

import pytest

from pa_cli.sanitize import StreamSanitizer, clean, clean_line

CLIPBOARD = "\x1b]52;c;ZWNobyBwd25lZA==\x07"
TITLE = "\x1b]0;you have been pwned\x07"

CASES = [
    ("plain text stays", "plain text stays"),
    ("tabs\tand\nnewlines stay", "tabs\tand\nnewlines stay"),
    (f"copy{CLIPBOARD}this", "copythis"),
    (f"a{TITLE}b", "ab"),
    ("title with ST \x1b]0;x\x1b\\end", "title with ST end"),
    ("8-bit ST \x1b]0;x\x9cend", "8-bit ST end"),
    ("clear\x1b[2Jscreen", "clearscreen"),
    ("colour \x1b[1;31mred\x1b[0m", "colour red"),
    ("private \x1b[?1049h mode", "private  mode"),
    ("8-bit CSI \x9b2J done", "8-bit CSI  done"),
    ("8-bit OSC \x9d0;title\x07 done", "8-bit OSC  done"),
    ("DCS \x1bP1$qm\x1b\\ done", "DCS  done"),
    ("APC \x1b_payload\x1b\\ done", "APC  done"),
    ("charset \x1b(B done", "charset  done"),
    ("save \x1b7 restore \x1b8 reset \x1bc", "save  restore  reset "),
    ("lone escape at the end \x1b", "lone escape at the end "),
    ("escape before newline \x1b\nnext", "escape before newline \nnext"),
    ("bell\x07 backspace\x08 cr\r del\x7f nul\x00 c1\x85", "bell backspace cr del nul c1"),
    ("unterminated OSC \x1b]52;c;AAAA", "unterminated OSC "),
    ("OSC broken by CSI \x1b]0;x\x1b[31mred", "OSC broken by CSI red"),
    ("wide 漢字 and emoji 🎉 stay", "wide 漢字 and emoji 🎉 stay"),
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_clean_removes_escape_sequences_and_controls(raw: str, expected: str) -> None:
    assert clean(raw) == expected


def test_clean_line_makes_one_line() -> None:
    assert clean_line(f"Re: lunch{TITLE}\nnext\tline") == "Re: lunch next line"


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_every_split_of_a_stream_gives_the_same_text(raw: str, expected: str) -> None:
    for cut in range(len(raw) + 1):
        stream = StreamSanitizer()
        assert stream.feed(raw[:cut]) + stream.feed(raw[cut:]) + stream.flush() == expected, cut


def test_escape_split_across_many_deltas_never_leaks() -> None:
    text = f"before {CLIPBOARD} middle \x1b[2J after {TITLE} end"
    for size in (1, 2, 3, 5):
        stream = StreamSanitizer()
        pieces = [text[i : i + size] for i in range(0, len(text), size)]
        shown = [stream.feed(piece) for piece in pieces] + [stream.flush()]
        assert "".join(shown) == "before  middle  after  end"
        for piece in shown:
            assert not any(c in piece for c in "\x1b\x07\x9b\x9d"), piece
            assert "52;" not in piece and "pwned" not in piece


def test_split_in_two_places_as_the_cli_receives_it() -> None:
    text = f"a{CLIPBOARD}b\x1b[31mc"
    for i, j in itertools.combinations(range(len(text) + 1), 2):
        stream = StreamSanitizer()
        got = stream.feed(text[:i]) + stream.feed(text[i:j]) + stream.feed(text[j:]) + stream.flush()
        assert got == "abc", (i, j)


def test_held_back_escape_is_not_shown_early() -> None:
    stream = StreamSanitizer()
    assert stream.feed("hello \x1b") == "hello "
    assert stream.feed("]52;c;QUJD") == ""
    assert stream.feed("\x07world") == "world"
