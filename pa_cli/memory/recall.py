"""Which remembered facts go into a turn's context: pinned ones always, then the best matches,
within a token budget (``memory.recall_limit``). One indexed query, read as plain rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pa_cli.agent.llm_types import MemoryNote
    from pa_cli.config import Settings
    from pa_cli.store import Store
    from pa_cli.store.fts import RecalledMemory
    from pa_cli.store.light import LightReader

#: Tokens a prompt line costs beyond its text: the id in brackets, the newline.
LINE_OVERHEAD_TOKENS = 6


def estimate_tokens(text: str) -> int:
    """About four characters a token (English prose); exact counts need the provider's tokenizer."""
    return (len(text) + 3) // 4 + LINE_OVERHEAD_TOKENS


def within_budget(candidates: Sequence[RecalledMemory], budget: int) -> list[RecalledMemory]:
    """Pinned facts first, then the others in their order, as long as they fit in ``budget`` tokens."""
    ordered = [c for c in candidates if c.pinned] + [c for c in candidates if not c.pinned]
    chosen: list[RecalledMemory] = []
    used = 0
    for memory in ordered:
        cost = estimate_tokens(memory.text)
        if used + cost > budget:
            continue  # a shorter one further down may still fit
        chosen.append(memory)
        used += cost
    return chosen


def recall(settings: Settings, store: Store, user_id: int, message: str) -> list[RecalledMemory]:
    """The facts for a turn about ``message`` (none when memory is off or the budget is 0)."""
    if not settings.memory.enabled or settings.memory.recall_limit <= 0:
        return []
    from pa_cli.memory.words import key_words

    return within_budget(store.memories.recall(user_id, key_words(message)), settings.memory.recall_limit)


def recall_light(settings: Settings, reader: LightReader, user_id: int, message: str) -> list[RecalledMemory]:
    """``recall`` through the light read path (stdlib sqlite3), for a turn whose store still opens."""
    if not settings.memory.enabled or settings.memory.recall_limit <= 0:
        return []
    from pa_cli.memory.words import key_words

    return within_budget(reader.recall(user_id, key_words(message)), settings.memory.recall_limit)


def recall_notes(
    settings: Settings, store: Store, user_id: int, message: str
) -> tuple[list[MemoryNote], list[str]]:
    """The recalled facts as the model sees them, and the taint they bring (untrusted facts)."""
    found = recall(settings, store, user_id, message)
    if found:
        store.memories.touch(m.id for m in found)
    return as_notes(found)


def as_notes(found: Sequence[RecalledMemory]) -> tuple[list[MemoryNote], list[str]]:
    """The facts as the model sees them, and the taint the untrusted ones bring to the turn."""
    from pa_cli.agent.llm_types import MemoryNote

    notes = [MemoryNote(id=m.id, text=m.text, untrusted=m.taint is not None) for m in found]
    taint = [
        f"a remembered fact [{m.id}] was saved from untrusted content ({m.taint})" for m in found if m.taint
    ]
    return notes, taint
