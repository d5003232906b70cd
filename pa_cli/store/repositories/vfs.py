"""The per-user virtual file system. Paths arrive normalised (the fs tools do that)."""

from __future__ import annotations

from sqlmodel import col, select

from pa_cli.store.db import Database
from pa_cli.store.models import VfsFile
from pa_cli.store.types import utcnow


class VfsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def read(self, user_id: int, path: str) -> VfsFile | None:
        query = select(VfsFile).where(VfsFile.user_id == user_id, VfsFile.path == path)
        with self._db.read() as session:
            return session.exec(query).first()

    def write(self, user_id: int, path: str, content: str) -> VfsFile:
        """Create or replace the file at ``path``."""
        size = len(content.encode("utf-8"))
        query = select(VfsFile).where(VfsFile.user_id == user_id, VfsFile.path == path)
        with self._db.write() as session:
            file = session.exec(query).first()
            if file is None:
                file = VfsFile(user_id=user_id, path=path, content=content, size=size)
                session.add(file)
            else:
                file.content = content
                file.size = size
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
