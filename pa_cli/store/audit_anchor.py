"""The audit ledger's tip, anchored outside the database.

The hash chain shows a row that was changed or removed from the middle, but not
rows removed from the end: the rest of the chain still checks out. So every
append also writes a checkpoint (the newest row's id and hash, and the number of
rows) to the secret store (OS keyring or the encrypted file), where someone who
can edit the database cannot follow. ``pa audit verify`` compares the two.

Ordering: the checkpoint is written inside the append's transaction, while it
holds the database's write lock (``BEGIN IMMEDIATE`` on SQLite, an advisory
transaction lock on PostgreSQL), so checkpoints are written in the order rows
are, by every process and worker; and verification reads the tip and the
checkpoint under the same lock, so it never sees a row in flight. A commit that
fails after its checkpoint was written leaves the checkpoint one row ahead: verify
reports that, since it looks the same as the newest row deleted.

Several hosts on one PostgreSQL database each have their own secret store: the
anchor then only covers the rows its host wrote, and verification on one host
reports the other's newer rows as not anchored. Share one secret store, or run
verification where the rows are written.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
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

    def write(self, checkpoint: Checkpoint) -> None: ...


def anchor_name(database_url: str) -> str:
    """The secret's name: one anchor per database (one secret store may serve several)."""
    from sqlalchemy.engine import make_url

    shown = make_url(database_url).render_as_string(hide_password=True)
    return "audit.anchor." + hashlib.sha256(shown.encode("utf-8")).hexdigest()[:24]


class SecretStoreAnchor:
    """The checkpoint as one entry of the secret store, opened on first use."""

    def __init__(self, open_secrets: Callable[[], SecretStore], name: str) -> None:
        self._open = open_secrets
        self._secrets: SecretStore | None = None
        self.name = name

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

    def delete(self) -> None:
        self.secrets.delete(self.name)
