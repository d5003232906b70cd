"""On PostgreSQL, an append to the audit chain holds the chain's advisory lock while it writes.

Without it, two workers appending at once read the same newest row and both link to it: the chain
forks. Shown without timing: while the append's transaction is open (at its flush), another
connection cannot take the same transaction lock, and can once the append has committed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from pa_cli.store import Store, open_store
from pa_cli.store.repositories.audit import AUDIT_LOCK_KEY


@pytest.fixture
def store(postgres_url: str) -> Iterator[Store]:
    with open_store(url=postgres_url) as opened:
        assert opened.dialect == "postgresql"
        yield opened


def _try_lock(store: Store) -> bool:
    with store.engine.connect() as conn:
        taken = bool(
            conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": AUDIT_LOCK_KEY}).scalar()
        )
        conn.rollback()
    return taken


def test_an_append_holds_the_chain_lock_until_it_commits(store: Store) -> None:
    assert AUDIT_LOCK_KEY == 0x70616175
    seen: list[bool] = []

    def during_flush(session: Session, context: Any) -> None:
        seen.append(_try_lock(store))

    event.listen(Session, "after_flush", during_flush)
    try:
        store.audit.record(user_id=None, tool="t", arguments={}, frontend="cli", outcome="ok")
    finally:
        event.remove(Session, "after_flush", during_flush)
    assert seen == [False]  # held by the append while it wrote
    assert _try_lock(store) is True  # and released with its commit
    assert [e.tool for e in store.audit.list()] == ["t"]  # the default paging is valid SQL here too
