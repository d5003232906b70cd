"""The export format: a Markdown list a person can read and edit, which `pa memory import` reads back.

Each fact is one bullet; what pa keeps about it (id, pinned, source, times, untrusted mark)
rides along in an HTML comment at the end of the line, invisible when the Markdown is
rendered. A bullet without the comment (written by hand) is imported as a fact you gave.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pa_cli.errors import UsageError

if TYPE_CHECKING:
    from pa_cli.store import Memory

HEADER = "# pa memories"
_META = re.compile(r"\s*<!--\s*pa\s+(\{.*\})\s*-->\s*$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")


@dataclass(frozen=True)
class ImportedFact:
    text: str
    id: str | None = None
    pinned: bool = False
    source: str = "you"
    taint: str | None = None
    created_at: datetime | None = None


def _escape(text: str) -> str:
    return text.replace("<!--", "&lt;!--").replace("-->", "--&gt;")


def _unescape(text: str) -> str:
    return text.replace("&lt;!--", "<!--").replace("--&gt;", "-->")


def to_markdown(memories: list[Memory], exported_at: datetime) -> str:
    lines = [
        HEADER,
        "",
        f"{len(memories)} facts, exported {exported_at:%Y-%m-%d %H:%M} UTC. "
        "`pa memory import FILE` reads this file back.",
        "",
    ]
    for m in memories:
        meta: dict[str, Any] = {"id": m.id, "source": m.source, "created_at": m.created_at.isoformat()}
        if m.pinned:
            meta["pinned"] = True
        if m.session_id:
            meta["session_id"] = m.session_id
        if m.taint:
            meta["untrusted"] = m.taint
        comment = json.dumps(meta, ensure_ascii=False).replace("--", "\\u002d\\u002d")
        lines.append(f"- {_escape(m.text)} <!-- pa {comment} -->")
    return "\n".join(lines) + "\n"


def from_markdown(text: str) -> list[ImportedFact]:
    """The facts of an exported (or hand-written) Markdown list; UsageError for a bullet that is broken."""
    facts: list[ImportedFact] = []
    for number, line in enumerate(text.splitlines(), start=1):
        bullet = _BULLET.match(line)
        if bullet is None:
            continue
        body = bullet.group(1)
        meta: dict[str, Any] = {}
        found = _META.search(body)
        if found is not None:
            try:
                loaded = json.loads(found.group(1))
            except ValueError:
                raise UsageError(f"line {number}: the pa comment is not valid JSON") from None
            if not isinstance(loaded, dict):
                raise UsageError(f"line {number}: the pa comment is not a JSON object")
            meta = loaded
            body = body[: found.start()]
        fact = " ".join(_unescape(body).split())
        if not fact:
            continue
        created = meta.get("created_at")
        try:
            when = datetime.fromisoformat(created) if isinstance(created, str) else None
        except ValueError:
            raise UsageError(f"line {number}: created_at {created!r} is not an ISO 8601 time") from None
        taint = meta.get("untrusted")
        facts.append(
            ImportedFact(
                text=fact,
                id=str(meta["id"]) if isinstance(meta.get("id"), str) else None,
                pinned=meta.get("pinned") is True,
                source=str(meta.get("source") or "you"),
                taint=str(taint) if taint else None,
                created_at=when,
            )
        )
    return facts
