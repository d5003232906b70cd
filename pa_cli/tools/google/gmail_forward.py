"""gmail_forward: forward a message, with its attachments, to new recipients (a side effect).

The preview is the mail exactly as it will go out: recipients, the ``Fwd:``
subject, the note, the forwarded headers and text, and every attachment with its
type and size. After approval the forward goes through the outbox like
``gmail_send`` (``gmail.undo_seconds``: `pa undo` takes it back), and only when it
leaves are the attachments downloaded and attached (``send_forward``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from pydantic import Field, field_validator

from pa_cli.google.runtime import call_google
from pa_cli.google.scopes import GMAIL_READONLY, GMAIL_SEND
from pa_cli.sanitize import clean_line
from pa_cli.tools.base import Tool, ToolArgs, ToolContext, ToolError, ToolResult
from pa_cli.tools.builtin.fs import _format_size
from pa_cli.tools.google.mime import (
    OutgoingMail,
    attachments,
    extract_body,
    header,
    truncate,
    validate_address,
)

USER = "me"
#: Gmail refuses a message larger than 25 MB.
MAX_FORWARD_BYTES = 25 * 1000 * 1000


class GmailForwardArgs(ToolArgs):
    message_id: str = Field(description="the message to forward (id from gmail_search or gmail_read)")
    to: list[str] = Field(min_length=1, description="recipients: 'a@example.com' or 'Name <a@example.com>'")
    cc: list[str] = Field(default_factory=list, description="copy recipients")
    note: str = Field("", description="your text above the forwarded message")
    include_attachments: bool = Field(True, description="forward the message's attachments too")

    @field_validator("to", "cc")
    @classmethod
    def _addresses(cls, values: list[str]) -> list[str]:
        return [validate_address(v) for v in values]


@dataclass(frozen=True)
class ForwardPlan:
    mail: OutgoingMail
    attachments: list[dict[str, Any]] = field(default_factory=list)

    def preview(self) -> str:
        text = self.mail.preview("Forward this email:")
        if not self.attachments:
            return text + "\n\nAttachments: none"
        total = sum(int(a["size"]) for a in self.attachments)
        lines = [f"\n\nAttachments ({len(self.attachments)}, {_format_size(total)} in all):"]
        lines += [
            f"  - {clean_line(a['filename'] or '(unnamed)')} ({a['mime_type']}, {_format_size(int(a['size']))})"
            for a in self.attachments
        ]
        return text + "\n".join(lines)


def _subject(original: str | None) -> str:
    base = (original or "").strip()
    return base if base.lower().startswith("fwd:") else f"Fwd: {base}".rstrip()


def plan_forward(api: Any, args: GmailForwardArgs) -> ForwardPlan:
    message = api.users().messages().get(userId=USER, id=args.message_id, format="full").execute()
    payload = message.get("payload") or {}
    headers = payload.get("headers") or []
    body, _ = extract_body(payload)
    body, _ = truncate(body)
    quoted = [
        "---------- Forwarded message ---------",
        f"From: {clean_line(header(headers, 'From') or '')}",
        f"Date: {clean_line(header(headers, 'Date') or '')}",
        f"Subject: {clean_line(header(headers, 'Subject') or '')}",
        f"To: {clean_line(header(headers, 'To') or '')}",
        "",
        body,
    ]
    text = (args.note.rstrip() + "\n\n" if args.note.strip() else "") + "\n".join(quoted)
    found = attachments(payload) if args.include_attachments else []
    total = sum(int(a["size"]) for a in found)
    if total > MAX_FORWARD_BYTES:
        raise ToolError(
            f"the attachments come to {_format_size(total)}: Gmail sends at most 25 MB "
            "(forward without them: include_attachments false)"
        )
    mail = OutgoingMail(
        to=list(args.to), cc=list(args.cc), subject=_subject(header(headers, "Subject")), body=text
    )
    return ForwardPlan(mail=mail, attachments=found)


def forward_message(api: Any, message_id: str, plan: ForwardPlan) -> EmailMessage:
    """The outgoing MIME message: the forward's text, then every attachment, downloaded now."""
    # Here, not at the top: gmail_attachments imports this module to list gmail_forward among its tools.
    from pa_cli.tools.google.gmail_attachments import fetch_attachment

    msg = plan.mail.message()
    for item in plan.attachments:
        if not item.get("attachment_id"):
            continue
        maintype, _, subtype = str(item["mime_type"]).partition("/")
        msg.add_attachment(
            fetch_attachment(api, message_id, item["attachment_id"]),
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=item["filename"] or "attachment",
        )
    return msg


def send_forward(api: Any, args: GmailForwardArgs) -> dict[str, Any]:
    """Plan again (the mail as approved, from the message as it is now) and send it. Blocking."""
    import base64

    plan = plan_forward(api, args)
    raw = base64.urlsafe_b64encode(forward_message(api, args.message_id, plan).as_bytes()).decode("ascii")
    sent = api.users().messages().send(userId=USER, body={"raw": raw}).execute()
    return {"message_id": sent.get("id"), "thread_id": sent.get("threadId")}


class GmailForward(Tool):
    name = "gmail_forward"
    description = (
        "Forward a Gmail message, with its attachments, to new recipients (needs the user's approval; "
        "the preview lists every attachment). After approval it waits gmail.undo_seconds in the "
        "outbox, so the user can undo it (`pa undo`)."
    )
    args_model = GmailForwardArgs
    service = "gmail"
    side_effect = True
    requires = (GMAIL_READONLY, GMAIL_SEND)

    async def preview(self, args: GmailForwardArgs, ctx: ToolContext) -> str:
        plan = await call_google(ctx, "gmail", self.requires, lambda api: plan_forward(api, args))
        return plan.preview()

    async def run(self, args: GmailForwardArgs, ctx: ToolContext) -> ToolResult:
        if ctx.settings.gmail.mode == "draft_only":
            raise ToolError("gmail.mode is draft_only: sending is disabled")
        summary = f"to {', '.join(args.to)}: forward of message {args.message_id}"
        if ctx.settings.gmail.undo_seconds > 0:
            from pa_cli.outbox.queue import queue_send

            return queue_send(ctx, args, None, tool=self.name, summary=summary)
        sent = await call_google(ctx, "gmail", self.requires, lambda api: send_forward(api, args))
        return ToolResult(
            content={**sent, "to": args.to, "cc": args.cc},
            summary=f"forwarded {summary}",
            resource_ids=[f"message:{sent.get('message_id')}"],
        )
