"""Memories: short facts about a user, and the searches over them.

On SQLite, ``search`` (every word) and ``recall``/``similar`` (any word, best first)
use the FTS5 index ``memories_fts`` (kept in sync by triggers, created by migration
0006) with the same quoting as message search: FTS5 syntax in a message is just
text. Elsewhere (PostgreSQL) they are plain case-insensitive ``LIKE`` matches:
``search`` needs every word, ``recall``/``similar`` rank by how many words match.

``recall`` is on every turn's path: one statement (the FTS hits and the pinned
facts, ``UNION ALL``) read as plain rows, no ORM objects.
"""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Integer, and_, case, delete, func, literal, or_, text, update
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from pa_cli.errors import NotFoundError
from pa_cli.store.db import Database
from pa_cli.store.fts import (
    FTS_RECALL_SQL,
    PINNED_RECALL_SQL,
    RECALL_CANDIDATES,
    RecalledMemory,
    any_word_fts_query,
    fts_query,
    merge_recalled,
    query_terms,
)
from pa_cli.store.models import Memory
from pa_cli.store.types import utcnow

MAX_MEMORY_CHARS: Final = 1_000

_FTS_SEARCH = text(
    """
    SELECT rowid FROM memories_fts
    WHERE memories_fts MATCH :query AND user_id = :user_id
    ORDER BY rank LIMIT :limit
    """
)


def new_memory_id() -> str:
    return uuid.uuid4().hex[:12]


class MemoryRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # --- writing ---------------------------------------------------------------------

    def add(
        self,
        user_id: int,
        text_: str,
        *,
        source: str = "you",
        session_id: str | None = None,
        turn_id: str | None = None,
        taint: str | None = None,
        pinned: bool = False,
        replaces: Sequence[str] = (),
        created_at: datetime | None = None,
        memory_id: str | None = None,
    ) -> Memory:
        """Save a fact; the memories in ``replaces`` (the user's own) are deleted in the same transaction."""
        now = utcnow()
        memory = Memory(
            id=memory_id or new_memory_id(),
            user_id=user_id,
            text=text_,
            source=source,
            session_id=session_id,
            turn_id=turn_id,
            taint=taint,
            pinned=pinned,
            created_at=created_at or now,
            updated_at=now,
        )
        try:
            with self._db.write() as session:
                if replaces:
                    session.execute(
                        delete(Memory)
                        .where(col(Memory.user_id) == user_id)
                        .where(col(Memory.id).in_(list(replaces)))
                    )
                session.add(memory)
        except IntegrityError:
            if session_id is None:
                raise
            # The session was deleted meanwhile: keep the fact, without its link.
            return self.add(user_id, text_, source=source, turn_id=turn_id, taint=taint, pinned=pinned)
        return memory

    def update_text(self, user_id: int, memory_id: str, text_: str) -> Memory:
        return self._update(user_id, memory_id, text=text_)

    def set_pinned(self, user_id: int, memory_id: str, pinned: bool) -> Memory:
        return self._update(user_id, memory_id, pinned=pinned)

    def _update(self, user_id: int, memory_id: str, **values: Any) -> Memory:
        with self._db.write() as session:
            memory = session.exec(
                select(Memory).where(Memory.user_id == user_id).where(Memory.id == memory_id)
            ).first()
            if memory is None:
                raise NotFoundError(f"no memory {memory_id!r}", hint="see `pa memory list`")
            for name, value in values.items():
                setattr(memory, name, value)
            memory.updated_at = utcnow()
            session.add(memory)
        return memory

    def delete(self, user_id: int, memory_id: str) -> bool:
        with self._db.write() as session:
            result = session.execute(
                delete(Memory).where(col(Memory.user_id) == user_id).where(col(Memory.id) == memory_id)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def touch(self, memory_ids: Iterable[str]) -> None:
        """Mark memories as used now (recall put them in front of the model)."""
        ids = builtins.list(memory_ids)
        if not ids:
            return
        with self._db.write() as session:
            session.execute(update(Memory).where(col(Memory.id).in_(ids)).values(last_used_at=utcnow()))

    # --- reading ---------------------------------------------------------------------

    def get(self, user_id: int, memory_id: str) -> Memory | None:
        with self._db.read() as session:
            return session.exec(
                select(Memory).where(Memory.user_id == user_id).where(Memory.id == memory_id)
            ).first()

    def id_taken(self, memory_id: str) -> bool:
        """True when any user's memory has this id (ids are unique across users)."""
        with self._db.read() as session:
            return session.exec(select(Memory.seq).where(Memory.id == memory_id)).first() is not None

    def find_by_prefix(self, user_id: int, prefix: str, limit: int = 2) -> builtins.list[Memory]:
        query = (
            select(Memory)
            .where(Memory.user_id == user_id)
            .where(col(Memory.id).startswith(prefix.lower(), autoescape=True))
            .order_by(col(Memory.id))
            .limit(limit)
        )
        with self._db.read() as session:
            return builtins.list(session.exec(query).all())

    def find_text(self, user_id: int, text_: str) -> Memory | None:
        """The user's memory with exactly this text (case and spacing aside), if any."""
        wanted = " ".join(text_.split()).lower()
        for memory in self.similar(user_id, query_terms(text_), limit=8):
            if " ".join(memory.text.split()).lower() == wanted:
                return memory
        return None

    def list(self, user_id: int, limit: int | None = None) -> builtins.list[Memory]:
        """Pinned first, then newest first."""
        query = (
            select(Memory)
            .where(Memory.user_id == user_id)
            .order_by(col(Memory.pinned).desc(), col(Memory.created_at).desc(), col(Memory.seq).desc())
        )
        if limit is not None:
            query = query.limit(limit)
        with self._db.read() as session:
            return builtins.list(session.exec(query).all())

    def count(self, user_id: int) -> int:
        query = select(func.count()).select_from(Memory).where(Memory.user_id == user_id)
        with self._db.read() as session:
            return int(session.exec(query).one())

    def search(self, user_id: int, query: str, limit: int = 50) -> builtins.list[Memory]:
        """The user's memories containing every word of ``query``, best match first."""
        if limit <= 0:
            return []
        if self._db.is_sqlite:
            return self._by_fts(user_id, fts_query(query), limit)
        terms = query_terms(query)
        if not terms:
            return []
        statement = select(Memory).where(Memory.user_id == user_id)
        for term in terms:
            statement = statement.where(_contains(term))
        statement = statement.order_by(col(Memory.created_at).desc()).limit(limit)
        with self._db.read() as session:
            return builtins.list(session.exec(statement).all())

    def similar(self, user_id: int, words: Sequence[str], limit: int = 8) -> builtins.list[Memory]:
        """Memories containing any of ``words``, most alike first (candidates for near-duplicates)."""
        if self._db.is_sqlite:
            return self._by_fts(user_id, any_word_fts_query(words), limit)
        terms = [w for w in words if any(c.isalnum() for c in w)]
        if not terms:
            return []
        score = _any_word_score(terms)
        statement = (
            select(Memory)
            .where(Memory.user_id == user_id)
            .where(or_(*(_contains(t) for t in terms)))
            .order_by(score.desc(), col(Memory.created_at).desc())
            .limit(limit)
        )
        with self._db.read() as session:
            return builtins.list(session.exec(statement).all())

    def _by_fts(self, user_id: int, match: str | None, limit: int) -> builtins.list[Memory]:
        if match is None:
            return []
        with self._db.read() as session:
            params = {"query": match, "user_id": user_id, "limit": limit}
            seqs = [int(row[0]) for row in session.execute(_FTS_SEARCH, params)]
            if not seqs:
                return []
            found = {m.seq: m for m in session.exec(select(Memory).where(col(Memory.seq).in_(seqs)))}
        return [found[s] for s in seqs if s in found]

    def recall(
        self, user_id: int, words: Sequence[str], limit: int = RECALL_CANDIDATES
    ) -> builtins.list[RecalledMemory]:
        """Pinned memories and those containing any of ``words``: best match first, then pinned.

        Pinned facts the message does not match come after the matches, newest first on
        PostgreSQL and in the index's order on SQLite; the caller applies the token budget.
        """
        if self._db.is_sqlite:
            match = any_word_fts_query(words)
            with self._db.engine.connect() as conn:
                if match is None:
                    rows = conn.execute(text(PINNED_RECALL_SQL), {"user_id": user_id}).all()
                else:
                    params = {"query": match, "user_id": user_id, "limit": limit}
                    rows = conn.execute(text(FTS_RECALL_SQL), params).all()
            return merge_recalled([(str(r[0]), str(r[1]), bool(r[2]), r[3], r[4]) for r in rows])
        return self._recall_like(user_id, words, limit)

    def _recall_like(self, user_id: int, words: Sequence[str], limit: int) -> builtins.list[RecalledMemory]:
        terms = [w for w in words if any(c.isalnum() for c in w)]
        columns = (col(Memory.id), col(Memory.text), col(Memory.pinned), col(Memory.taint))
        statements = []
        if terms:
            score = _any_word_score(terms)
            statements.append(
                core_select(*columns, (-score).label("rank"))
                .where(col(Memory.user_id) == user_id)
                .where(or_(*(_contains(t) for t in terms)))
                .order_by(score.desc(), col(Memory.created_at).desc())
                .limit(limit)
            )
        statements.append(
            core_select(*columns, literal(None, Integer).label("rank"))
            .where(col(Memory.user_id) == user_id)
            .where(col(Memory.pinned))
            .order_by(col(Memory.created_at).desc())
        )
        rows: builtins.list[tuple[str, str, bool, str | None, Any]] = []
        with self._db.engine.connect() as conn:
            for statement in statements:
                rows.extend((str(r[0]), str(r[1]), bool(r[2]), r[3], r[4]) for r in conn.execute(statement))
        return merge_recalled(rows)


def _contains(term: str) -> Any:
    return func.lower(col(Memory.text)).contains(term.lower(), autoescape=True)


def _any_word_score(terms: builtins.list[str]) -> Any:
    """How many of ``terms`` a memory contains (a rank for databases without FTS)."""
    total: Any = literal(0)
    for term in terms:
        total = total + case((and_(_contains(term)), 1), else_=0)
    return total
