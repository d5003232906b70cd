"""Near-duplicates: saved facts about the same thing as a new one, so it can update them.

Candidates come from the index (any shared word); a candidate is a near-duplicate when
at least half of the content words of the shorter fact occur in the other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from pa_cli.memory.words import STOP_WORDS, WORD, key_words

if TYPE_CHECKING:
    from pa_cli.store import Memory, Store

MIN_OVERLAP: Final = 0.5


def content_words(text: str) -> set[str]:
    words = set()
    for word in WORD.findall(text.lower()):
        word = word.strip("'")
        if word.endswith("'s"):
            word = word[:-2]
        if word and word not in STOP_WORDS:
            words.add(word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word)
    return words


def overlap(a: str, b: str) -> float:
    """Shared content words over those of the shorter text (0 when either has none)."""
    wa, wb = content_words(a), content_words(b)
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / min(len(wa), len(wb))


def normalize(text: str) -> str:
    """One line, single spaces: how facts are stored and compared."""
    return " ".join(text.split())


def near_duplicates(store: Store, user_id: int, text: str, limit: int = 3) -> list[Memory]:
    wanted = normalize(text).lower()
    found = []
    for memory in store.memories.similar(user_id, key_words(text), limit=12):
        if normalize(memory.text).lower() == wanted or overlap(text, memory.text) >= MIN_OVERLAP:
            found.append(memory)
    return found[:limit]
