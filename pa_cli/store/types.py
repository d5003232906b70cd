"""Column types and hashing helpers shared by the tables and the repositories.

Timestamps are always timezone-aware UTC in Python. SQLite has no time zone
type, so ``UTCDateTime`` stores naive UTC there and hands back aware values; a
naive value given to it is read as UTC (google-auth's ``expiry`` is naive UTC).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from pa_cli.store.rows import dumps_json, json_default

__all__ = [
    "GENESIS_HASH",
    "UTCDateTime",
    "arguments_digest",
    "as_utc",
    "canonical_json",
    "dumps_json",
    "utcnow",
]

#: The ``prev_hash`` of the first audit row.
GENESIS_HASH = "0" * 64


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """An aware UTC datetime; naive input is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A ``DateTime(timezone=True)`` that always round-trips aware UTC datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


def canonical_json(value: Any) -> str:
    """One spelling per value: sorted keys, no spaces; the input of every hash here."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=json_default)


def arguments_digest(arguments: Any) -> str:
    """sha256 (hex) of the canonical JSON of a tool's arguments."""
    return hashlib.sha256(canonical_json(arguments).encode("utf-8")).hexdigest()
