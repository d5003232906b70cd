"""One sanitizer for every string from outside (model output, mail, tool results, history) before a terminal.

It removes every escape sequence (CSI, OSC such as ``ESC ] 52`` clipboard writes and ``ESC ] 0``
window titles, DCS, SOS/PM/APC, two-byte escapes, a lone ESC, their 8-bit C1 forms) and every
other C0/C1 control character but newline and tab. :class:`StreamSanitizer` does the same for text
that arrives in pieces: a sequence split across pieces is held back until it is complete, so
``clean(a + b) == feed(a) + feed(b) + flush()`` for any split.

Standard library only: this module is imported on every path that prints.
"""

from __future__ import annotations

import re

#: Where an escape sequence can start: ESC and the 8-bit introducers DCS, SOS, CSI, OSC, PM, APC.
_INTRODUCER = re.compile("[\x1b\x90\x98\x9b\x9d\x9e\x9f]")

#: A whole sequence, at an introducer. String sequences end at BEL, ST (ESC \ or 0x9c), at an ESC
#: that starts something else (as terminals do), or at the end of the text.
_SEQUENCE = re.compile(
    "(?:\x1b\\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]"  # CSI
    "|(?:\x1b[\\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x9c|\x1b\\\\)?"  # OSC DCS SOS PM APC
    "|\x1b[\x20-\x2f]*[\x30-\x7e]"  # two-byte and nF escapes (ESC 7, ESC c, ESC ( B, ...)
)

#: The rest of the text is an unfinished sequence that more text could complete.
_UNFINISHED = re.compile(
    "(?:(?:\x1b\\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*"
    "|(?:\x1b[\\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*\x1b?"
    "|\x1b[\x20-\x2f]*)\\Z"
)

#: C0 controls but tab and newline, DEL, and C1 controls.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _scan(text: str, *, final: bool) -> tuple[str, str]:
    """The safe text, and the unfinished tail held back (always empty when ``final``)."""
    if not _INTRODUCER.search(text):
        return _CONTROLS.sub("", text), ""
    out: list[str] = []
    position = 0
    while True:
        found = _INTRODUCER.search(text, position)
        if found is None:
            out.append(text[position:])
            break
        start = found.start()
        out.append(text[position:start])
        if not final and _UNFINISHED.match(text, start):
            return _CONTROLS.sub("", "".join(out)), text[start:]
        sequence = _SEQUENCE.match(text, start)
        position = sequence.end() if sequence else start + 1
    return _CONTROLS.sub("", "".join(out)), ""


def clean(text: str) -> str:
    """``text`` without escape sequences and control characters (newline and tab stay)."""
    return _scan(text, final=True)[0]


def clean_line(text: str) -> str:
    """Like :func:`clean`, for one-line fields (titles, summaries): newlines and tabs become spaces."""
    return clean(text).replace("\n", " ").replace("\t", " ")


class StreamSanitizer:
    """:func:`clean` for text that arrives in pieces (streamed answers)."""

    def __init__(self) -> None:
        self._held = ""

    def feed(self, piece: str) -> str:
        """The safe text that can be shown now; an unfinished sequence waits for the next piece."""
        safe, self._held = _scan(self._held + piece, final=False)
        return safe

    def flush(self) -> str:
        """What was held back, cleaned as the end of the text (the stream is over)."""
        safe, self._held = _scan(self._held, final=True)
        return safe
