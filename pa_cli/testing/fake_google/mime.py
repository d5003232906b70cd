"""MIME for the fake Gmail: building RFC 2822 messages and rendering them as Gmail v1 resources."""

from __future__ import annotations

import base64
import html
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import format_datetime, getaddresses, make_msgid, parsedate_to_datetime
from typing import Any, NamedTuple

MAIL_DOMAIN = "mail.fake-google.test"


class Attachment(NamedTuple):
    filename: str
    data: bytes
    mime_type: str = "application/octet-stream"


@dataclass
class StoredMessage:
    """A message in the mailbox. ``raw`` is the full RFC 2822 message."""

    id: str
    thread_id: str
    raw: bytes
    label_ids: list[str]
    internal_date: datetime
    history_id: int
    _parsed: EmailMessage | None = field(default=None, repr=False, compare=False)

    @property
    def email(self) -> EmailMessage:
        if self._parsed is None:
            parsed = BytesParser(policy=policy.default).parsebytes(self.raw)
            assert isinstance(parsed, EmailMessage)
            self._parsed = parsed
        return self._parsed

    def header(self, name: str) -> str:
        value = self.email.get(name)
        return "" if value is None else str(value)

    def addresses(self, *names: str) -> list[str]:
        values = [self.header(name) for name in names if self.header(name)]
        return [address for _, address in getaddresses(values) if address]

    @property
    def subject(self) -> str:
        return self.header("Subject")

    @property
    def body_text(self) -> str:
        part = self.email.get_body(preferencelist=("plain",))
        return "" if part is None else str(part.get_content())

    @property
    def body_html(self) -> str | None:
        part = self.email.get_body(preferencelist=("html",))
        return None if part is None else str(part.get_content())

    @property
    def attachment_names(self) -> list[str]:
        return [part.get_filename() or "" for part in self.email.iter_attachments()]

    @property
    def snippet(self) -> str:
        text = self.body_text or re.sub(r"<[^>]+>", " ", self.body_html or "")
        return html.escape(" ".join(text.split())[:200])


@dataclass(frozen=True)
class MailRecord:
    """A message the client sent or saved as a draft, parsed for assertions."""

    id: str
    thread_id: str
    from_: str
    to: list[str]
    cc: list[str]
    bcc: list[str]
    subject: str
    body: str
    html: str | None
    in_reply_to: str | None
    references: str | None
    message_id: str
    attachments: list[str]
    raw: bytes
    draft_id: str | None = None


def new_id() -> str:
    """A Gmail-looking id: 16 lowercase hex digits."""
    return secrets.token_hex(8)


def build_raw(
    *,
    from_: str,
    to: Sequence[str],
    subject: str,
    body_text: str,
    body_html: str | None = None,
    attachments: Iterable[Attachment] = (),
    date: datetime,
    cc: Sequence[str] = (),
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: Iterable[tuple[str, str]] = (),
) -> bytes:
    msg = EmailMessage()
    msg["From"] = from_
    if to:
        msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id or make_msgid(domain=MAIL_DOMAIN)
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in headers:
        msg[name] = value
    msg.set_content(body_text)
    if body_html is not None:
        msg.add_alternative(body_html, subtype="html")
    for attachment in attachments:
        maintype, _, subtype = attachment.mime_type.partition("/")
        msg.add_attachment(attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename)
    return msg.as_bytes(policy=policy.SMTP)


def message_date(raw_message: EmailMessage) -> datetime | None:
    value = raw_message.get("Date")
    if value is None:
        return None
    try:
        parsed = parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def decode_b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def attachment_id(message_id: str, part_id: str) -> str:
    return f"ANGjdJ_{message_id}_{part_id.replace('.', '_')}"


def find_attachment(message: StoredMessage, att_id: str) -> bytes | None:
    for part_id, part in _walk(message.email, ""):
        if attachment_id(message.id, part_id) == att_id and not part.is_multipart():
            payload = part.get_payload(decode=True)
            return payload if isinstance(payload, bytes) else b""
    return None


def _walk(part: Message, part_id: str) -> Iterable[tuple[str, Message]]:
    yield part_id, part
    if part.is_multipart():
        for index, child in enumerate(part.iter_parts() if isinstance(part, EmailMessage) else []):
            yield from _walk(child, f"{part_id}.{index}" if part_id else str(index))


def _headers(part: Message, only: Sequence[str] | None = None) -> list[dict[str, str]]:
    wanted = {name.lower() for name in only} if only else None
    return [
        {"name": name, "value": str(value)}
        for name, value in part.items()
        if wanted is None or name.lower() in wanted
    ]


def _part_resource(message_id: str, part: Message, part_id: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "partId": part_id,
        "mimeType": part.get_content_type(),
        "filename": part.get_filename() or "",
        "headers": _headers(part),
    }
    if part.is_multipart():
        resource["body"] = {"size": 0}
        children = part.iter_parts() if isinstance(part, EmailMessage) else []
        resource["parts"] = [
            _part_resource(message_id, child, f"{part_id}.{index}" if part_id else str(index))
            for index, child in enumerate(children)
        ]
        return resource
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    if part.get_filename() or part.get_content_disposition() == "attachment":
        resource["body"] = {"attachmentId": attachment_id(message_id, part_id), "size": len(data)}
    else:
        resource["body"] = {"size": len(data), "data": b64url(data)}
    return resource


def message_resource(
    message: StoredMessage, fmt: str = "full", metadata_headers: Sequence[str] | None = None
) -> dict[str, Any]:
    """The Gmail ``Message`` resource in the given format (full, metadata, minimal or raw)."""
    resource: dict[str, Any] = {
        "id": message.id,
        "threadId": message.thread_id,
        "labelIds": list(message.label_ids),
        "snippet": message.snippet,
        "sizeEstimate": len(message.raw),
        "historyId": str(message.history_id),
        "internalDate": str(int(message.internal_date.timestamp() * 1000)),
    }
    if fmt == "raw":
        resource["raw"] = b64url(message.raw)
    elif fmt == "metadata":
        resource["payload"] = {
            "partId": "",
            "mimeType": message.email.get_content_type(),
            "filename": "",
            "headers": _headers(message.email, metadata_headers),
            "body": {"size": 0},
        }
    elif fmt == "full":
        # The top-level part's id is the empty string; children are "0", "1", nested "0.1".
        resource["payload"] = _part_resource(message.id, message.email, "")
    return resource


def mail_record(message: StoredMessage, bcc: list[str], draft_id: str | None = None) -> MailRecord:
    return MailRecord(
        id=message.id,
        thread_id=message.thread_id,
        from_=message.header("From"),
        to=message.addresses("To"),
        cc=message.addresses("Cc"),
        bcc=bcc,
        subject=message.subject,
        body=message.body_text,
        html=message.body_html,
        in_reply_to=message.header("In-Reply-To") or None,
        references=message.header("References") or None,
        message_id=message.header("Message-ID"),
        attachments=message.attachment_names,
        raw=message.raw,
        draft_id=draft_id,
    )


def normalise_subject(subject: str) -> str:
    return re.sub(r"^\s*((re|fwd?|aw|wg)\s*:\s*)+", "", subject, flags=re.IGNORECASE).strip().lower()
