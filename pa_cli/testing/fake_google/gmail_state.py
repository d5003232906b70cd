"""The fake Gmail mailbox: stored messages, threads, drafts and the sent log."""

from __future__ import annotations

import binascii
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses

from pa_cli.testing.fake_google.gmail_query import matches, parse_query
from pa_cli.testing.fake_google.mime import (
    Attachment,
    MailRecord,
    StoredMessage,
    build_raw,
    decode_b64url,
    mail_record,
    message_date,
    new_id,
    normalise_subject,
)
from pa_cli.testing.fake_google.responses import bad_request, not_found

AttachmentLike = Attachment | tuple[str, bytes] | tuple[str, bytes, str]


@dataclass
class Mailbox:
    user_email: str
    messages: dict[str, StoredMessage] = field(default_factory=dict)
    sent: list[MailRecord] = field(default_factory=list)
    drafts: list[MailRecord] = field(default_factory=list)
    draft_messages: dict[str, str] = field(default_factory=dict)  # draft id -> message id
    history_id: int = 1000

    # -- storing ---------------------------------------------------------------------------------

    def store_raw(
        self,
        raw: bytes,
        *,
        labels: Sequence[str] = ("INBOX", "UNREAD"),
        thread_id: str | None = None,
        internal_date: datetime | None = None,
        message_id: str | None = None,
    ) -> StoredMessage:
        self.history_id += 1
        gmail_id = message_id or new_id()
        message = StoredMessage(
            id=gmail_id,
            thread_id=thread_id or gmail_id,  # a new thread takes its first message's id
            raw=raw,
            label_ids=list(labels),
            internal_date=datetime.now(UTC),
            history_id=self.history_id,
        )
        message.internal_date = internal_date or message_date(message.email) or datetime.now(UTC)
        self.messages[gmail_id] = message
        return message

    def add_message(
        self,
        from_: str,
        to: str | Sequence[str],
        subject: str,
        body_text: str,
        body_html: str | None = None,
        attachments: Iterable[AttachmentLike] = (),
        date: datetime | None = None,
        thread_id: str | None = None,
        labels: Sequence[str] = ("INBOX", "UNREAD"),
        *,
        cc: str | Sequence[str] = (),
        in_reply_to: str | None = None,
        references: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> StoredMessage:
        when = date or datetime.now(UTC)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        if thread_id is not None and in_reply_to is None:
            earlier = self.thread(thread_id)
            if not earlier:
                raise KeyError(f"no thread {thread_id!r} in the fake mailbox")
            in_reply_to = earlier[-1].header("Message-ID")
            references = " ".join(m.header("Message-ID") for m in earlier)
        raw = build_raw(
            from_=from_,
            to=[to] if isinstance(to, str) else list(to),
            cc=[cc] if isinstance(cc, str) else list(cc),
            subject=subject,
            body_text=body_text,
            body_html=body_html,
            attachments=[Attachment(*item) for item in attachments],
            date=when,
            in_reply_to=in_reply_to,
            references=references,
            headers=list((headers or {}).items()),
        )
        return self.store_raw(raw, labels=labels, thread_id=thread_id, internal_date=when)

    # -- reading ---------------------------------------------------------------------------------

    def get(self, message_id: str) -> StoredMessage:
        message = self.messages.get(message_id)
        if message is None:
            raise not_found()
        return message

    def newest_first(self, messages: Iterable[StoredMessage]) -> list[StoredMessage]:
        return sorted(messages, key=lambda m: (m.internal_date, m.history_id), reverse=True)

    def search(
        self, q: str = "", label_ids: Sequence[str] = (), include_spam_trash: bool = False
    ) -> list[StoredMessage]:
        query = parse_query(q)
        wanted = {label.upper() for label in label_ids}
        found = [
            message
            for message in self.messages.values()
            if wanted <= {label.upper() for label in message.label_ids}
            and matches(query, message, user_email=self.user_email, include_hidden=include_spam_trash)
        ]
        return self.newest_first(found)

    def thread(self, thread_id: str) -> list[StoredMessage]:
        found = [m for m in self.messages.values() if m.thread_id == thread_id]
        return sorted(found, key=lambda m: (m.internal_date, m.history_id))

    # -- outgoing --------------------------------------------------------------------------------

    def _outgoing(
        self, raw_b64: object, thread_id: object, labels: Sequence[str], *, need_recipients: bool
    ) -> tuple[StoredMessage, list[str]]:
        if not isinstance(raw_b64, str) or not raw_b64:
            raise bad_request(
                "'raw' RFC822 payload message string or uploading message via /upload/* URL required"
            )
        try:
            raw = decode_b64url(raw_b64.replace("+", "-").replace("/", "_"))
        except (binascii.Error, ValueError) as exc:
            raise bad_request("Invalid value for ByteString: raw", "invalidArgument") from exc
        parsed = BytesParser(policy=policy.default).parsebytes(raw)
        recipients: list[str] = []
        for header in ("To", "Cc", "Bcc"):
            values = [str(v) for v in parsed.get_all(header, [])]
            addresses = [address for _, address in getaddresses(values)]
            if any("@" not in address for address in addresses):
                raise bad_request(f"Invalid {header} header", "invalidArgument")
            recipients += addresses
        if need_recipients and not recipients:
            raise bad_request("Recipient address required", "invalidArgument")
        bcc = [address for _, address in getaddresses([str(v) for v in parsed.get_all("Bcc", [])])]
        del parsed["Bcc"]  # Gmail delivers to Bcc but does not keep the header
        if parsed.get("From") is None:
            parsed["From"] = self.user_email
        if parsed.get("Message-ID") is None:
            parsed["Message-ID"] = f"<{new_id()}@mail.fake-google.test>"
        stored = self.store_raw(
            parsed.as_bytes(policy=policy.SMTP),
            labels=labels,
            thread_id=self._thread_for(parsed, thread_id),
            internal_date=datetime.now(UTC),
        )
        return stored, bcc

    def _thread_for(self, parsed: Message, thread_id: object) -> str | None:
        """Gmail threads a message only if threadId is given AND the headers and subject agree."""
        if thread_id is None or thread_id == "":
            return None
        if not isinstance(thread_id, str):
            raise bad_request("Invalid thread id", "invalidArgument")
        thread = self.thread(thread_id)
        if not thread:
            raise not_found()
        refs = f"{parsed.get('In-Reply-To', '')} {parsed.get('References', '')}".split()
        known = {message.header("Message-ID") for message in thread}
        same_subject = normalise_subject(str(parsed.get("Subject", ""))) == normalise_subject(
            thread[0].subject
        )
        return thread_id if known.intersection(refs) and same_subject else None

    def send(self, raw_b64: object, thread_id: object = None) -> MailRecord:
        stored, bcc = self._outgoing(raw_b64, thread_id, ["SENT"], need_recipients=True)
        record = mail_record(stored, bcc)
        self.sent.append(record)
        return record

    def create_draft(self, raw_b64: object, thread_id: object = None) -> MailRecord:
        stored, bcc = self._outgoing(raw_b64, thread_id, ["DRAFT"], need_recipients=False)
        draft_id = "r" + new_id()
        self.draft_messages[draft_id] = stored.id
        record = mail_record(stored, bcc, draft_id=draft_id)
        self.drafts.append(record)
        return record

    def draft(self, draft_id: str) -> MailRecord:
        for record in self.drafts:
            if record.draft_id == draft_id:
                return record
        raise not_found()

    def send_draft(self, draft_id: str) -> MailRecord:
        record = self.draft(draft_id)
        if not record.to and not record.cc and not record.bcc:
            raise bad_request("Recipient address required", "invalidArgument")
        message = self.get(record.id)
        message.label_ids = ["SENT"]
        self.drafts.remove(record)
        del self.draft_messages[draft_id]
        sent = mail_record(message, record.bcc)
        self.sent.append(sent)
        return sent
