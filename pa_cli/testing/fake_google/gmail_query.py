"""A useful subset of Gmail's search syntax, evaluated against stored messages.

Supported: plain words and "quoted phrases" (matched as whole words in from, to, cc, subject, body and
attachment names), ``-term`` negation, ``a OR b``, and the operators from:, to: (To and Cc), cc:, bcc:,
subject:, label:, in: (inbox, sent, drafts, spam, trash, starred, important, anywhere),
is: (unread, read, starred, important), has:attachment, filename:, rfc822msgid:,
after:/before: (YYYY/MM/DD, YYYY-MM-DD or epoch seconds; dates are midnight UTC),
newer_than:/older_than: (Nd, Nm, Ny). Unknown operators are searched as plain text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pa_cli.testing.fake_google.mime import StoredMessage

_TOKEN = re.compile(r'(-)?(?:([a-zA-Z_]+):)?("[^"]*"|\([^)]*\)|\{[^}]*\}|\S+)')
_OPERATORS = {
    "from",
    "to",
    "cc",
    "bcc",
    "subject",
    "label",
    "in",
    "is",
    "has",
    "filename",
    "after",
    "before",
    "newer",
    "older",
    "newer_than",
    "older_than",
    "rfc822msgid",
}
_HIDDEN = {"SPAM", "TRASH"}


@dataclass(frozen=True)
class Term:
    negate: bool
    op: str | None
    value: str


@dataclass(frozen=True)
class Query:
    groups: tuple[tuple[Term, ...], ...]  # AND of groups, each an OR of terms

    @property
    def reaches_hidden(self) -> bool:
        """Whether the query asks for spam or trash, which are otherwise left out."""
        return any(
            term.op == "in" and term.value.lower() in ("spam", "trash", "anywhere")
            for group in self.groups
            for term in group
        )


def parse_query(text: str) -> Query:
    groups: list[list[Term]] = []
    join_next = False
    for match in _TOKEN.finditer(text or ""):
        negate, op, value = bool(match.group(1)), match.group(2), match.group(3)
        if not negate and op is None and value == "OR":
            join_next = bool(groups)
            continue
        if op is not None and op.lower() not in _OPERATORS:
            value, op = f"{op}:{value}", None
        if value[:1] in "({" and value[-1:] in ")}":
            inner = parse_query(value[1:-1])
            if value[0] == "{":  # {a b} means a OR b
                terms = [term for group in inner.groups for term in group]
                groups.append(terms)
                join_next = False
                continue
            value = value[1:-1]
        term = Term(negate, op.lower() if op else None, value.strip('"'))
        if join_next:
            groups[-1].append(term)
        else:
            groups.append([term])
        join_next = False
    return Query(tuple(tuple(group) for group in groups))


def matches(query: Query, message: StoredMessage, *, user_email: str, include_hidden: bool = False) -> bool:
    if not (include_hidden or query.reaches_hidden) and _HIDDEN & set(message.label_ids):
        return False
    return all(
        any(_term(term, message, user_email) != term.negate for term in group) for group in query.groups
    )


def _words_in(value: str, haystack: str) -> bool:
    words = value.lower().split()
    text = " ".join(haystack.lower().split())
    if not words:
        return True
    pattern = r"(?<!\w)" + r"\s+".join(re.escape(word) for word in words) + r"(?!\w)"
    return re.search(pattern, text) is not None


def _address_match(value: str, header: str, user_email: str) -> bool:
    wanted = user_email if value.lower() == "me" else value
    return wanted.lower() in header.lower()


def _term(term: Term, message: StoredMessage, user_email: str) -> bool:
    op, value = term.op, term.value
    labels = {label.upper() for label in message.label_ids}
    if op is None:
        haystack = " ".join(
            [
                message.header("From"),
                message.header("To"),
                message.header("Cc"),
                message.subject,
                message.body_text,
                re.sub(r"<[^>]+>", " ", message.body_html or ""),
                " ".join(message.attachment_names),
            ]
        )
        return _words_in(value, haystack)
    if op in ("from", "cc", "bcc"):
        return _address_match(value, message.header(op.capitalize()), user_email)
    if op == "to":
        return _address_match(value, message.header("To") + " " + message.header("Cc"), user_email)
    if op == "subject":
        return _words_in(value, message.subject)
    if op == "label":
        return value.upper() in labels or value.replace("-", " ").upper() in labels
    if op == "in":
        name = value.lower()
        return name == "anywhere" or {"drafts": "DRAFT"}.get(name, name.upper()) in labels
    if op == "is":
        if value.lower() == "read":
            return "UNREAD" not in labels
        return value.upper() in labels
    if op == "has":
        return value.lower() == "attachment" and bool(message.attachment_names)
    if op == "filename":
        return any(value.lower() in name.lower() for name in message.attachment_names)
    if op == "rfc822msgid":
        return value.strip("<>").lower() in message.header("Message-ID").lower()
    if op in ("after", "newer", "before", "older"):
        bound = _parse_date(value)
        if bound is None:
            return False
        return message.internal_date >= bound if op in ("after", "newer") else message.internal_date < bound
    if op in ("newer_than", "older_than"):
        age = _parse_age(value)
        if age is None:
            return False
        cutoff = datetime.now(UTC) - age
        return message.internal_date >= cutoff if op == "newer_than" else message.internal_date < cutoff
    return False


def _parse_date(value: str) -> datetime | None:
    if value.isdigit():
        return datetime.fromtimestamp(int(value), UTC)
    match = re.fullmatch(r"(\d{4})[/-](\d{1,2})[/-](\d{1,2})", value)
    if not match:
        return None
    try:
        return datetime(int(match[1]), int(match[2]), int(match[3]), tzinfo=UTC)
    except ValueError:
        return None


def _parse_age(value: str) -> timedelta | None:
    match = re.fullmatch(r"(\d+)([dmy])", value.lower())
    if not match:
        return None
    days = {"d": 1, "m": 30, "y": 365}[match[2]] * int(match[1])
    return timedelta(days=days)
