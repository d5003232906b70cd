"""The per-user virtual file system. Paths arrive normalised (the fs tools do that)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import text
from sqlmodel import col, select

from pa_cli.store.db import Database
from pa_cli.store.models import VfsFile
from pa_cli.store.types import utcnow

#: pg_advisory_xact_lock class key that serializes one user's writes (and their quota check).
VFS_LOCK_KEY = 0x7076  # "pv"


class VfsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def read(self, user_id: int, path: str) -> VfsFile | None:
        query = select(VfsFile).where(VfsFile.user_id == user_id, VfsFile.path == path)
        with self._db.read() as session:
            return session.exec(query).first()

    def write(
        self,
        user_id: int,
        path: str,
        content: str,
        *,
        taint: str | None = None,
        check: Callable[[dict[str, int]], None] | None = None,
    ) -> VfsFile:
        """Create or replace the file at ``path``; ``taint`` says why its content is untrusted.

        ``check`` is called with path -> size of every file of the user inside the same write
        transaction as the write (SQLite: BEGIN IMMEDIATE; PostgreSQL: a per-user advisory lock),
        so a quota it enforces holds under concurrent writers; it raises to refuse the write.
        """
        size = len(content.encode("utf-8"))
        query = select(VfsFile).where(VfsFile.user_id == user_id, VfsFile.path == path)
        with self._db.write() as session:
            if self._db.dialect == "postgresql":
                session.execute(
                    text("SELECT pg_advisory_xact_lock(:key, :user)"), {"key": VFS_LOCK_KEY, "user": user_id}
                )
            if check is not None:
                rows = session.exec(
                    select(VfsFile.path, VfsFile.size).where(VfsFile.user_id == user_id)
                ).all()
                check({p: n for p, n in rows})
            file = session.exec(query).first()
            if file is None:
                file = VfsFile(user_id=user_id, path=path, content=content, size=size, taint=taint)
                session.add(file)
            else:
                file.content = content
                file.size = size
                file.taint = taint
                file.updated_at = utcnow()
            session.flush()
            return file

    def list(self, user_id: int, prefix: str = "/") -> list[VfsFile]:
        """Files whose path starts with ``prefix``, by path."""
        query = (
            select(VfsFile)
            .where(VfsFile.user_id == user_id)
            .where(col(VfsFile.path).startswith(prefix, autoescape=True))
            .order_by(col(VfsFile.path))
        )
        with self._db.read() as session:
            return list(session.exec(query).all())

    def delete(self, user_id: int, path: str) -> bool:
        query = select(VfsFile).where(VfsFile.user_id == user_id, VfsFile.path == path)
        with self._db.write() as session:
            file = session.exec(query).first()
            if file is None:
                return False
            session.delete(file)
            return True

    def total_size(self, user_id: int) -> int:
        return sum(f.size for f in self.list(user_id))
