"""FTS5 query text and the memory-recall SQL, free of SQLAlchemy.

Both the ORM repositories and the light read path of `pa ask` (``store.light``, stdlib sqlite3,
before SQLAlchemy is imported) use these, so a turn recalls the same facts whichever path it takes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, NamedTuple

MAX_QUERY_TERMS: Final = 32
#: How many FTS hits recall reads before the token budget picks among them.
RECALL_CANDIDATES: Final = 24

# FTS hits (rank) and pinned facts (rank NULL) in one statement; duplicates are merged by the caller.
FTS_RECALL_SQL: Final = """
    SELECT m.id, m.text, m.pinned, m.taint, h.rank
    FROM (
        SELECT rowid AS seq, rank FROM memories_fts
        WHERE memories_fts MATCH :query AND user_id = :user_id
        ORDER BY rank LIMIT :limit
    ) AS h JOIN memories AS m ON m.seq = h.seq
    UNION ALL
    SELECT id, text, pinned, taint, NULL FROM memories WHERE user_id = :user_id AND pinned = 1
    """
PINNED_RECALL_SQL: Final = (
    "SELECT id, text, pinned, taint, NULL FROM memories WHERE user_id = :user_id AND pinned"
)


def query_terms(query: str) -> list[str]:
    """The words of a search, without those that hold no letter or digit."""
    return [t for t in query.split() if any(c.isalnum() for c in t)][:MAX_QUERY_TERMS]


def fts_query(query: str) -> str | None:
    """An FTS5 query matching rows that contain every word; None when there is nothing to find."""
    parts: list[str] = []
    for term in query_terms(query):
        prefix = term.endswith("*")
        word = term.rstrip("*") if prefix else term
        if not any(c.isalnum() for c in word):
            continue
        parts.append('"' + word.replace('"', '""') + '"' + ("*" if prefix else ""))
    return " ".join(parts) or None


def any_word_fts_query(words: Sequence[str]) -> str | None:
    """An FTS5 query matching rows that contain any of ``words`` (each quoted)."""
    parts = [p for p in (fts_query(w.rstrip("*")) for w in words) if p]
    return " OR ".join(parts) or None


class RecalledMemory(NamedTuple):
    """A memory as recall reads it: what the prompt shows, and whether it carries an untrusted mark."""

    id: str
    text: str
    pinned: bool
    taint: str | None
    #: Position among the matches (0 best); None for a pinned fact the message did not match.
    rank: int | None


def merge_recalled(rows: list[tuple[str, str, bool, str | None, Any]]) -> list[RecalledMemory]:
    """Matches by rank, then the pinned ones not matched; each memory once."""
    seen: dict[str, RecalledMemory] = {}
    matched = [r for r in rows if r[4] is not None]
    matched.sort(key=lambda r: float(r[4]))
    for position, (id_, text_, pinned, taint, _rank) in enumerate(matched):
        seen.setdefault(id_, RecalledMemory(id_, text_, pinned, taint, position))
    for id_, text_, pinned, taint, rank in rows:
        if rank is None and id_ not in seen:
            seen[id_] = RecalledMemory(id_, text_, pinned, taint, None)
    return list(seen.values())
