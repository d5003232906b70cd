"""The answer as the user sees it while it streams: each piece of text emitted once.

Retries and length cuts are resolved here, on the text already shown: a retry that extends it
adds only the rest; one that says something else follows a visible break; a cut is marked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

Delta = Callable[[str], Awaitable[None]]


class AnswerStream:
    """Turns growing partial answers into deltas, each piece of text emitted once.

    BAML's partial JSON strings can show half-decoded escapes (a lone trailing backslash
    before ``\\n``, ``\\u00e`` before ``é``): with ``json_escapes`` the text from such a
    point on is held back until it settles or the final answer arrives.
    """

    def __init__(self, on_delta: Delta | None, *, json_escapes: bool) -> None:
        self.on_delta = on_delta
        self.json_escapes = json_escapes
        self.sent = ""

    def _stable(self, text: str) -> str:
        if self.json_escapes:
            cut = text.find("\\u")
            if cut >= 0:
                text = text[:cut]
            if text.endswith("\\"):
                text = text[:-1]
        return text

    async def offer(self, partial: str) -> None:
        text = self._stable(partial)
        if len(text) > len(self.sent) and text.startswith(self.sent):
            delta, self.sent = text[len(self.sent) :], text
            if self.on_delta is not None:
                await self.on_delta(delta)

    async def finish(self, final: str) -> str:
        """Emit what the final text adds; return the whole text the user saw.

        A retry (after a dropped stream) that does not begin with the text already shown is
        still the model's answer: it is shown after a visible break, never thrown away.
        """
        if self.sent and not final.startswith(self.sent):
            final = self.sent + RESTARTED + final
        if len(final) > len(self.sent):
            delta, self.sent = final[len(self.sent) :], final
            if self.on_delta is not None:
                await self.on_delta(delta)
        return self.sent

    async def cut(self, note: str) -> str:
        """The answer was cut off by the length limit: keep what was shown, and say so."""
        if self.on_delta is not None:
            await self.on_delta(note)
        self.sent += note
        return self.sent


#: Shown between an interrupted answer and the retry's different one.
RESTARTED = "\n\n(The connection dropped and the answer was written again:)\n\n"


def length_note(setting: str, limit: int) -> str:
    return f"\n\n[The answer was cut off at the length limit ({setting} = {limit} tokens).]"
