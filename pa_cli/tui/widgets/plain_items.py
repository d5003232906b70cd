"""The conversation's plain items: what the person sent and notices (text only, never markup).

Kept apart from ``chat_items`` (answers in Markdown, tool calls) so that the first screen, which
shows a notice, does not load the Markdown parser.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from pa_cli.sanitize import clean


class UserMessage(Static):
    """What the person sent (shown verbatim, never as markup)."""

    def __init__(self, text: str) -> None:
        super().__init__(Text(clean(text)), classes="user-message")
        self.text = text


class Notice(Static):
    """A one-line (or short) notice: info, warning or error. Text only, never markup."""

    def __init__(self, text: str, *, kind: str = "info") -> None:
        super().__init__(Text(clean(text)), classes=f"notice -{kind}")
        self.kind = kind
        self.text = text
