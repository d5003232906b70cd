"""``MemoryBook``: what a person can do with their memories, for every front-end (CLI, TUI, HTTP).

Ids may be given whole or as a unique prefix (pa_cli.ids). With ``memory.enabled = false``
nothing new is remembered (``add`` and ``import`` refuse); what is stored can still be
seen, edited, exported and forgotten.
"""

from __future__ import annotations

import builtins
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from pa_cli.errors import PaError, UsageError
from pa_cli.memory.similar import normalize

if TYPE_CHECKING:
    from pa_cli.config import Settings
    from pa_cli.store import Memory, Store

MAX_FACT_CHARS: Final = 1_000
_ID: Final = re.compile(r"[0-9a-f]{6,32}")


class MemoryDisabled(PaError):
    code = "memory_disabled"


def check_text(text: str) -> str:
    """The fact as stored (one line), or UsageError when it is empty or too long."""
    fact = normalize(text)
    if not fact:
        raise UsageError("the fact is empty")
    if len(fact) > MAX_FACT_CHARS:
        raise UsageError(f"the fact is {len(fact)} characters long; the limit is {MAX_FACT_CHARS}")
    return fact


def memory_dict(memory: Memory) -> dict[str, Any]:
    """A memory as JSON (CLI --json, HTTP): ``id`` and ``text`` first."""
    return {
        "id": memory.id,
        "text": memory.text,
        "pinned": memory.pinned,
        "source": memory.source,
        "session_id": memory.session_id,
        "turn_id": memory.turn_id,
        "untrusted": memory.taint is not None,
        "taint": memory.taint,
        "created_at": memory.created_at.isoformat(),
        "updated_at": memory.updated_at.isoformat(),
        "last_used_at": memory.last_used_at.isoformat() if memory.last_used_at else None,
    }


@dataclass(frozen=True)
class ImportReport:
    added: int
    skipped: int


class MemoryBook:
    def __init__(self, settings: Settings, store: Store, user_id: int) -> None:
        self.settings = settings
        self.store = store
        self.user_id = user_id

    @property
    def enabled(self) -> bool:
        return self.settings.memory.enabled

    def _check_enabled(self) -> None:
        if not self.enabled:
            raise MemoryDisabled(
                "memory is turned off (memory.enabled = false): nothing new is remembered",
                hint="`pa config set memory.enabled true` turns it back on",
            )

    def resolve(self, given: str) -> Memory:
        from pa_cli.ids import resolve_memory

        return resolve_memory(self.store, self.user_id, given)

    def list(self, limit: int | None = None) -> builtins.list[Memory]:
        return self.store.memories.list(self.user_id, limit=limit)

    def search(self, query: str, limit: int = 50) -> builtins.list[Memory]:
        return self.store.memories.search(self.user_id, query, limit=limit)

    def add(self, text: str, *, pinned: bool = False) -> Memory:
        self._check_enabled()
        fact = check_text(text)
        existing = self.store.memories.find_text(self.user_id, fact)
        if existing is not None:
            if pinned and not existing.pinned:
                return self.store.memories.set_pinned(self.user_id, existing.id, True)
            return existing
        return self.store.memories.add(self.user_id, fact, source="you", pinned=pinned)

    def edit(self, given: str, text: str) -> Memory:
        memory = self.resolve(given)
        return self.store.memories.update_text(self.user_id, memory.id, check_text(text))

    def pin(self, given: str, pinned: bool = True) -> Memory:
        memory = self.resolve(given)
        return self.store.memories.set_pinned(self.user_id, memory.id, pinned)

    def forget(self, given: str) -> Memory:
        memory = self.resolve(given)
        self.store.memories.delete(self.user_id, memory.id)
        return memory

    def export_markdown(self) -> str:
        from pa_cli.memory.markdown import to_markdown
        from pa_cli.store.types import utcnow

        return to_markdown(self.list(), utcnow())

    def import_markdown(self, text: str) -> ImportReport:
        """Add the facts of an export; those already remembered (same text) are skipped."""
        from pa_cli.memory.markdown import from_markdown

        self._check_enabled()
        facts = from_markdown(text)
        added = skipped = 0
        for fact in facts:
            body = check_text(fact.text)
            if self.store.memories.find_text(self.user_id, body) is not None:
                skipped += 1
                continue
            keep_id = fact.id if fact.id and _ID.fullmatch(fact.id) else None
            if keep_id is not None and self.store.memories.id_taken(keep_id):
                keep_id = None
            self.store.memories.add(
                self.user_id,
                body,
                source=fact.source if fact.source in ("you", "turn") else "you",
                taint=fact.taint,
                pinned=fact.pinned,
                created_at=fact.created_at,
                memory_id=keep_id,
            )
            added += 1
        return ImportReport(added=added, skipped=skipped)
