"""Mail as data: reading Gmail's MIME payloads and building outgoing messages.

Pure functions (no network, no Google libraries): text bodies from multipart
and HTML mail, attachment lists, address validation, reply headers and the
exact message that a preview shows and ``gmail_send`` sends.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import getaddresses
from html.parser import HTMLParser
from typing import Any

MAX_BODY_CHARS = 20_000

_EMAIL_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


# --- reading -----------------------------------------------------------------


def header(headers: list[dict[str, Any]] | None, name: str) -> str | None:
    """The first header called ``name`` (case-insensitive) in a Gmail ``headers`` list."""
    wanted = name.lower()
    for item in headers or []:
        if str(item.get("name", "")).lower() == wanted:
            return str(item.get("value", ""))
    return None


def decode_base64url(data: str) -> bytes:
    padded = data + "=" * (-len(data) % 4)
    return base64.urlsafe_b64decode(padded.encode("ascii"))


def _content_type(part: dict[str, Any]) -> str:
    return str(part.get("mimeType") or "text/plain").lower()


def _charset(part: dict[str, Any]) -> str:
    value = header(part.get("headers"), "Content-Type") or ""
    match = re.search(r'charset\s*=\s*"?([A-Za-z0-9._:-]+)"?', value, re.IGNORECASE)
    return match.group(1) if match else "utf-8"


def _is_attachment(part: dict[str, Any]) -> bool:
    if part.get("filename"):
        return True
    disposition = (header(part.get("headers"), "Content-Disposition") or "").lower()
    return disposition.startswith("attachment")


def walk(payload: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every part of a Gmail payload, depth first (the payload itself included)."""
    yield payload
    for part in payload.get("parts") or []:
        yield from walk(part)


def part_text(part: dict[str, Any]) -> str:
    data = (part.get("body") or {}).get("data")
    if not data:
        return ""
    raw = decode_base64url(str(data))
    try:
        return raw.decode(_charset(part), errors="replace")
    except LookupError:
        return raw.decode("utf-8", errors="replace")


class _HTMLText(HTMLParser):
    _SKIP = frozenset({"script", "style", "head", "title"})
    _BLOCK = frozenset(
        [
            "p",
            "div",
            "br",
            "tr",
            "li",
            "ul",
            "ol",
            "table",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "blockquote",
            "hr",
            "pre",
            "section",
            "article",
            "header",
            "footer",
        ]
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._skip = 0
        self._href: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skip += 1
        elif tag in self._BLOCK:
            self.out.append("\n")
            if tag == "li":
                self.out.append("- ")
        elif tag == "a":
            self._href.append(dict(attrs).get("href"))
        elif tag in ("td", "th"):
            self.out.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCK and tag != "li":
            self.out.append("\n")
        elif tag == "a" and self._href:
            href = self._href.pop()
            if href and href.startswith(("http://", "https://", "mailto:")):
                self.out.append(f" <{href}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "hr"):
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.out.append(re.sub(r"[ \t\r\n\f]+", " ", data))


def html_to_text(html: str) -> str:
    """Readable text from an HTML mail body: block structure kept, scripts and styles dropped."""
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.out).splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def extract_body(payload: dict[str, Any]) -> tuple[str, str]:
    """The message's text and where it came from (``"text/plain"``, ``"text/html"`` or ``""``)."""
    plain: list[str] = []
    html: list[str] = []
    for part in walk(payload):
        if _is_attachment(part) or part.get("parts"):
            continue
        kind = _content_type(part)
        if kind == "text/plain":
            plain.append(part_text(part))
        elif kind == "text/html":
            html.append(part_text(part))
    if any(p.strip() for p in plain):
        return "\n\n".join(p.strip("\r\n") for p in plain if p.strip()).replace("\r\n", "\n"), "text/plain"
    if html:
        return "\n\n".join(html_to_text(h) for h in html), "text/html"
    return "", ""


def attachments(payload: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for part in walk(payload):
        if part is payload and not part.get("filename"):
            continue
        if not _is_attachment(part):
            continue
        body = part.get("body") or {}
        found.append(
            {
                "filename": part.get("filename") or "",
                "mime_type": _content_type(part),
                "size": int(body.get("size") or 0),
                "attachment_id": body.get("attachmentId"),
                "part_id": part.get("partId"),
            }
        )
    return found


def truncate(text: str, limit: int = MAX_BODY_CHARS) -> tuple[str, bool]:
    if len(text) <= limit:
        return text, False
    return text[:limit], True


def summarize_message(message: dict[str, Any], *, with_body: bool) -> dict[str, Any]:
    """A Gmail ``users.messages`` resource as plain data for the LLM."""
    payload = message.get("payload") or {}
    headers = payload.get("headers") or []
    data: dict[str, Any] = {
        "id": message.get("id"),
        "thread_id": message.get("threadId"),
        "from": header(headers, "From"),
        "to": header(headers, "To"),
        "cc": header(headers, "Cc"),
        "subject": header(headers, "Subject"),
        "date": header(headers, "Date"),
        "snippet": message.get("snippet", ""),
        "labels": message.get("labelIds") or [],
    }
    if with_body:
        text, source = extract_body(payload)
        text, cut = truncate(text)
        data["body"] = text
        data["body_format"] = source
        if cut:
            data["body_truncated"] = True
        data["attachments"] = attachments(payload)
    return data


# --- writing -----------------------------------------------------------------


def _no_line_breaks(value: str, what: str) -> str:
    if "\r" in value or "\n" in value:
        raise ValueError(f"{what} must be on one line")
    return value


def validate_address(value: str) -> str:
    """One address, ``a@example.com`` or ``Name <a@example.com>``; returned normalised."""
    _no_line_breaks(value, "an address")
    pairs = getaddresses([value])
    if len(pairs) > 1:
        raise ValueError(f"{value!r} is more than one address: give each as its own list item")
    if not pairs or not pairs[0][1]:
        raise ValueError(f"{value!r} is not a valid email address")
    name, addr = pairs[0]
    if not _EMAIL_RE.match(addr):
        raise ValueError(f"{value!r} is not a valid email address")
    return str(Address(display_name=name, addr_spec=addr)) if name else addr


def address_only(value: str) -> str:
    return getaddresses([value])[0][1].lower()


def reply_subject(subject: str, original_subject: str | None) -> str:
    """``Re: <subject>``: the given subject (or the original's) with exactly one ``Re:``."""
    base = subject.strip() or (original_subject or "").strip()
    return base if base.lower().startswith("re:") else f"Re: {base}"


def references_for(original_message_id: str | None, original_references: str | None) -> str | None:
    ids = (original_references or "").split()
    if original_message_id and original_message_id not in ids:
        ids.append(original_message_id)
    return " ".join(ids) or None


@dataclass(frozen=True)
class OutgoingMail:
    to: list[str]
    subject: str
    body: str
    cc: list[str] = field(default_factory=list)
    in_reply_to: str | None = None
    references: str | None = None
    thread_id: str | None = None
    replying_to: str | None = None  # "From" of the message replied to, for the preview

    def message(self) -> EmailMessage:
        msg = EmailMessage(policy=SMTP)
        msg["To"] = ", ".join(self.to)
        if self.cc:
            msg["Cc"] = ", ".join(self.cc)
        msg["Subject"] = self.subject
        if self.in_reply_to:
            msg["In-Reply-To"] = self.in_reply_to
        if self.references:
            msg["References"] = self.references
        msg.set_content(self.body)
        return msg

    def raw(self) -> str:
        return base64.urlsafe_b64encode(self.message().as_bytes()).decode("ascii")

    def api_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"raw": self.raw()}
        if self.thread_id:
            body["threadId"] = self.thread_id
        return body

    def preview(self, action: str) -> str:
        """The mail exactly as it will go out."""
        lines = [action]
        if self.replying_to is not None:
            lines.append(f"(a reply in the same thread to the message from {self.replying_to or 'unknown'})")
        lines.append(f"To: {', '.join(self.to)}")
        if self.cc:
            lines.append(f"Cc: {', '.join(self.cc)}")
        lines.append(f"Subject: {self.subject}")
        lines.append("")
        lines.append(self.body)
        return "\n".join(lines)
