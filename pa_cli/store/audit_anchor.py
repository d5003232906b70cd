"""The audit ledger's tip, anchored outside the database.

The hash chain shows a row that was changed or removed from the middle, but not
rows removed from the end: the rest of the chain still checks out. So every
append also writes a checkpoint (the newest row's id and hash, and the number of
rows) to the secret store (OS keyring or the encrypted file), where someone who
can edit the database cannot follow. ``pa audit verify`` compares the two.

Ordering and cost: reaching the secret store can take a while (importing and
probing ``keyring``, a D-Bus call, or re-encrypting the fallback file), so the
checkpoint is not written inside the append: each process hands it to one
background thread right after the row is committed. That thread writes it under
a lock file next to the database's data (shared by every worker of the host) and
only if it is newer than the stored one, so checkpoints never go backwards,
whatever order workers commit in. The anchor can therefore lag the log by the
rows whose checkpoint is still in flight (milliseconds); ``pa audit verify``
waits a moment for it to catch up before it calls newer rows unanchored. A
process killed between commit and checkpoint leaves that row unanchored, and
verification says so.

Several hosts on one PostgreSQL database each have their own secret store: the
anchor then only covers the rows its host wrote, and verification on one host
reports the other's newer rows as not anchored. Share one secret store, or run
verification where the rows are written.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pa_cli.secrets import SecretStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Checkpoint:
    row_id: int
    row_hash: str
    rows: int


class AuditAnchor(Protocol):
    def read(self) -> Checkpoint | None: ...

    def advance(self, checkpoint: Checkpoint) -> None:
        """Record ``checkpoint`` (soon, in order) unless a newer one is stored already."""

    def flush(self) -> None:
        """Wait until the checkpoints handed over so far are written."""


def anchor_name(database_url: str) -> str:
    """The secret's name: one anchor per database (one secret store may serve several)."""
    from sqlalchemy.engine import make_url

    shown = make_url(database_url).render_as_string(hide_password=True)
    return "audit.anchor." + hashlib.sha256(shown.encode("utf-8")).hexdigest()[:24]


class SecretStoreAnchor:
    """The checkpoint as one entry of the secret store, opened on first use, written by one background
    thread per process under a host-wide lock file."""

    def __init__(self, open_secrets: Callable[[], SecretStore], name: str, lock_path: Path) -> None:
        self._open = open_secrets
        self._secrets: SecretStore | None = None
        self.name = name
        self.lock_path = lock_path
        self._executor: ThreadPoolExecutor | None = None
        self._pending: list[Future[None]] = []
        self._guard = threading.Lock()
        self._failed = False

    @property
    def secrets(self) -> SecretStore:
        if self._secrets is None:
            self._secrets = self._open()
        return self._secrets

    def read(self) -> Checkpoint | None:
        raw = self.secrets.get(self.name)
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            return Checkpoint(
                row_id=int(data["row_id"]), row_hash=str(data["row_hash"]), rows=int(data["rows"])
            )
        except (ValueError, KeyError, TypeError):
            return Checkpoint(row_id=-1, row_hash="unreadable", rows=-1)

    def write(self, checkpoint: Checkpoint) -> None:
        self.secrets.set(self.name, json.dumps(asdict(checkpoint), separators=(",", ":")))

    def advance(self, checkpoint: Checkpoint) -> None:
        with self._guard:
            if self._failed:
                return
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pa-audit-anchor")
            self._pending = [f for f in self._pending if not f.done()]
            self._pending.append(self._executor.submit(self._advance, checkpoint))

    def _advance(self, checkpoint: Checkpoint) -> None:
        try:
            with _host_lock(self.lock_path):
                current = self.read()
                if current is None or current.row_id < checkpoint.row_id:
                    self.write(checkpoint)
        except Exception as exc:  # the row is stored; verification will report the lagging anchor
            with self._guard:
                if self._failed:
                    return
                self._failed = True  # once per process: every later row would fail the same way
            log.warning(
                "could not anchor the audit log's tip in the secret store (%s); `pa audit verify` will say so",
                type(exc).__name__,
            )

    def flush(self) -> None:
        with self._guard:
            pending, self._pending = self._pending, []
        for future in pending:
            future.result()

    def close(self) -> None:
        self.flush()
        with self._guard:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)

    def delete(self) -> None:
        self.secrets.delete(self.name)


@contextmanager
def _host_lock(path: Path) -> Iterator[None]:
    """An exclusive lock shared by every process of this host (a no-op where ``fcntl`` is missing)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            yield
            return
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock
