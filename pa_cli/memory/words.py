"""The words a fact or a message is searched by: without the little words every sentence has."""

from __future__ import annotations

import re
from typing import Final

STOP_WORDS: Final = frozenset(
    {
        "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "can", "could", "did", "do",
        "does", "for", "from", "had", "has", "have", "he", "her", "him", "his", "how", "i", "i'm", "if",
        "in", "is", "it", "its", "me", "my", "no", "not", "of", "on", "or", "our", "please", "she",
        "should", "so", "than", "that", "the", "their", "them", "then", "there", "they", "this", "to",
        "us", "user", "user's", "was", "we", "were", "what", "when", "where", "which", "who", "why",
        "will", "with", "would", "you", "your",
    }
)  # fmt: skip
WORD: Final = re.compile(r"[\w']+")
MAX_KEY_WORDS: Final = 32


def key_words(text: str) -> list[str]:
    """The distinct words of ``text`` worth searching by, lower-case, in order."""
    found: dict[str, None] = {}
    for raw in WORD.findall(text.lower()):
        word = raw.strip("'")
        if word and word not in STOP_WORDS and any(c.isalnum() for c in word):
            found.setdefault(word)
    return list(found)[:MAX_KEY_WORDS]
