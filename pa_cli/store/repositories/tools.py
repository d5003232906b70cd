"""The tool registry as last discovered, and each user's tool switches."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlmodel import col, delete, select

from pa_cli.store.db import Database
from pa_cli.store.models import ToolRegistryEntry, UserToolAccess
from pa_cli.store.types import utcnow


class ToolRegistryRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def sync(self, entries: Iterable[Mapping[str, Any]]) -> None:
        """Make the table mirror ``entries`` (name, source, description, side_effect, schema[, requires])."""
        wanted = {str(e["name"]): e for e in entries}
        now = utcnow()
        with self._db.write() as session:
            existing = {t.name: t for t in session.exec(select(ToolRegistryEntry))}
            for name, entry in existing.items():
                if name not in wanted:
                    session.delete(entry)
            for name, spec in wanted.items():
                row = existing.get(name) or ToolRegistryEntry(name=name, source="")
                row.source = str(spec.get("source", ""))
                row.description = str(spec.get("description", ""))
                row.side_effect = bool(spec.get("side_effect", False))
                row.json_schema = dict(spec.get("schema") or spec.get("json_schema") or {})
                row.requires = [str(s) for s in spec.get("requires") or ()]
                row.updated_at = now
                session.add(row)

    def list(self) -> list[ToolRegistryEntry]:
        with self._db.read() as session:
            return list(session.exec(select(ToolRegistryEntry).order_by(col(ToolRegistryEntry.name))).all())

    def get(self, name: str) -> ToolRegistryEntry | None:
        with self._db.read() as session:
            return session.get(ToolRegistryEntry, name)


class ToolAccessRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def set(self, user_id: int, tool: str, enabled: bool) -> None:
        with self._db.write() as session:
            row = session.get(UserToolAccess, (user_id, tool))
            if row is None:
                session.add(UserToolAccess(user_id=user_id, tool=tool, enabled=enabled))
            else:
                row.enabled = enabled
                row.updated_at = utcnow()

    def get_all(self, user_id: int) -> dict[str, bool]:
        query = select(UserToolAccess).where(UserToolAccess.user_id == user_id)
        with self._db.read() as session:
            return {row.tool: row.enabled for row in session.exec(query)}

    def clear(self, user_id: int, tool: str) -> None:
        """Forget the user's choice: the tool goes back to its default."""
        with self._db.write() as session:
            session.execute(
                delete(UserToolAccess).where(
                    col(UserToolAccess.user_id) == user_id, col(UserToolAccess.tool) == tool
                )
            )
