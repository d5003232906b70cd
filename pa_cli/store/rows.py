"""What a row holds, shared by the ORM repositories and the stdlib writer (``light_write``).

Nothing here imports SQLAlchemy, so ``pa ask`` can write a plain turn without loading it.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, Final

ROLES: Final = frozenset({"user", "assistant", "tool"})
STATUSES: Final = frozenset({"complete", "incomplete", "streaming"})


def check_message(role: str, status: str) -> None:
    """Refuse a message role or status that the history would not understand."""
    if role not in ROLES:
        raise ValueError(f"unknown message role {role!r}")
    check_status(status)


def check_status(status: str) -> None:
    if status not in STATUSES:
        raise ValueError(f"unknown message status {status!r}")


def json_default(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps_json(value: Any) -> str:
    """The JSON the database stores (dates become ISO 8601 strings; SQLAlchemy writes None as ``null``)."""
    return json.dumps(value, ensure_ascii=False, default=json_default)
