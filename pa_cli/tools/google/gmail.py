"""Gmail tools: gmail_search, gmail_read, gmail_draft, gmail_send (side effect).

Mail content is untrusted data. Replies carry In-Reply-To, References, the
thread id and a ``Re:`` subject; the approval preview is the mail exactly as it
will go out.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, field_validator, model_validator

from pa_cli.google.credentials import require_authorized
from pa_cli.google.runtime import call_google
from pa_cli.google.scopes import GMAIL_COMPOSE, GMAIL_READONLY, GMAIL_SEND
from pa_cli.tools.base import Tool, ToolArgs, ToolContext, ToolError, ToolResult
from pa_cli.tools.google.mime import (
    OutgoingMail,
    header,
    references_for,
    reply_subject,
    summarize_message,
    validate_address,
)

USER = "me"
_SEARCH_HEADERS = ["From", "To", "Subject", "Date"]
_REPLY_HEADERS = ["From", "Subject", "Message-ID", "References"]


class GmailSearchArgs(ToolArgs):
    query: str = Field(description="Gmail search syntax, e.g. 'from:alice is:unread newer_than:7d'")
    max_results: int = Field(10, ge=1, le=50, description="messages per page (1-50)")
    page_token: str | None = Field(None, description="next_page_token from a previous search")


class GmailReadArgs(ToolArgs):
    message_id: str | None = Field(None, description="a message id (from gmail_search)")
    thread_id: str | None = Field(None, description="a thread id: read every message of the thread")

    @model_validator(mode="after")
    def _exactly_one(self) -> GmailReadArgs:
        if bool(self.message_id) == bool(self.thread_id):
            raise ValueError("give exactly one of message_id or thread_id")
        return self


class MailArgs(ToolArgs):
    to: list[str] = Field(min_length=1, description="recipients: 'a@example.com' or 'Name <a@example.com>'")
    cc: list[str] = Field(default_factory=list, description="copy recipients")
    subject: str = Field(description="subject line (a reply gets 'Re:' added)")
    body: str = Field(description="plain-text body")
    reply_to_message_id: str | None = Field(
        None, description="reply in the thread of this message (id from gmail_search/gmail_read)"
    )

    @field_validator("to", "cc")
    @classmethod
    def _addresses(cls, values: list[str]) -> list[str]:
        return [validate_address(v) for v in values]

    @field_validator("subject")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if "\r" in value or "\n" in value:
            raise ValueError("subject must be on one line")
        return value


def _search(api: Any, args: GmailSearchArgs) -> dict[str, Any]:
    params: dict[str, Any] = {"userId": USER, "q": args.query, "maxResults": args.max_results}
    if args.page_token:
        params["pageToken"] = args.page_token
    listing = api.users().messages().list(**params).execute()
    messages = []
    for ref in listing.get("messages") or []:
        full = (
            api.users()
            .messages()
            .get(userId=USER, id=ref["id"], format="metadata", metadataHeaders=_SEARCH_HEADERS)
            .execute()
        )
        item = summarize_message(full, with_body=False)
        messages.append(
            {key: item[key] for key in ("id", "thread_id", "from", "subject", "date", "snippet", "labels")}
        )
    return {
        "messages": messages,
        "next_page_token": listing.get("nextPageToken"),
        "result_size_estimate": listing.get("resultSizeEstimate"),
    }


class GmailSearch(Tool):
    name = "gmail_search"
    description = (
        "Search Gmail with Gmail's query syntax. Returns sender, subject, date, snippet and the "
        "message and thread ids; pass next_page_token as page_token for more."
    )
    args_model = GmailSearchArgs
    service = "gmail"
    requires = (GMAIL_READONLY,)
    untrusted_output = True

    async def run(self, args: GmailSearchArgs, ctx: ToolContext) -> ToolResult:
        result = await call_google(ctx, "gmail", self.requires, lambda api: _search(api, args))
        count = len(result["messages"])
        more = " (more available)" if result["next_page_token"] else ""
        return ToolResult(
            content=result,
            summary=f"{count} message{'s' if count != 1 else ''}{more}",
            resource_ids=[f"message:{m['id']}" for m in result["messages"]],
            untrusted=True,
            taint=mail_taint(result["messages"]),
        )


def mail_taint(messages: list[dict[str, Any]]) -> str:
    """Why mail makes the context untrusted, for the approval preview: who wrote it."""
    senders = list(dict.fromkeys(_address(m.get("from")) for m in messages if m.get("from")))
    if not senders:
        return "this session read mail"
    shown = ", ".join(senders[:3]) + (f" and {len(senders) - 3} more" if len(senders) > 3 else "")
    return f"this session read mail from {shown}"


def _address(value: Any) -> str:
    from email.utils import parseaddr

    name, address = parseaddr(str(value))
    return address or name or str(value)


def _read(api: Any, args: GmailReadArgs) -> dict[str, Any]:
    if args.message_id:
        message = api.users().messages().get(userId=USER, id=args.message_id, format="full").execute()
        return {"message": summarize_message(message, with_body=True)}
    thread = api.users().threads().get(userId=USER, id=args.thread_id, format="full").execute()
    return {
        "thread_id": thread.get("id"),
        "messages": [summarize_message(m, with_body=True) for m in thread.get("messages") or []],
    }


class GmailRead(Tool):
    name = "gmail_read"
    description = (
        "Read one Gmail message (message_id) or a whole thread (thread_id): headers, the text body "
        "(extracted from multipart/HTML) and the list of attachments."
    )
    args_model = GmailReadArgs
    service = "gmail"
    requires = (GMAIL_READONLY,)
    untrusted_output = True

    async def run(self, args: GmailReadArgs, ctx: ToolContext) -> ToolResult:
        result = await call_google(ctx, "gmail", self.requires, lambda api: _read(api, args))
        if "message" in result:
            message = result["message"]
            return ToolResult(
                content=result,
                summary=f"message {message['id']}: {message.get('subject') or '(no subject)'}",
                resource_ids=[f"message:{message['id']}"],
                untrusted=True,
                taint=mail_taint([message]),
            )
        ids = [f"message:{m['id']}" for m in result["messages"]]
        return ToolResult(
            content=result,
            summary=f"thread {result['thread_id']}: {len(ids)} message{'s' if len(ids) != 1 else ''}",
            resource_ids=[f"thread:{result['thread_id']}", *ids],
            untrusted=True,
            taint=mail_taint(result["messages"]),
        )


def prepare_mail(api: Any, args: MailArgs) -> OutgoingMail:
    """The outgoing mail, with reply headers and thread from the original when replying."""
    if not args.reply_to_message_id:
        return OutgoingMail(to=list(args.to), cc=list(args.cc), subject=args.subject, body=args.body)
    original = (
        api.users()
        .messages()
        .get(userId=USER, id=args.reply_to_message_id, format="metadata", metadataHeaders=_REPLY_HEADERS)
        .execute()
    )
    headers = (original.get("payload") or {}).get("headers") or []
    message_id = header(headers, "Message-ID")
    return OutgoingMail(
        to=list(args.to),
        cc=list(args.cc),
        subject=reply_subject(args.subject, header(headers, "Subject")),
        body=args.body,
        in_reply_to=message_id,
        references=references_for(message_id, header(headers, "References")),
        thread_id=original.get("threadId"),
        replying_to=header(headers, "From") or "",
    )


class _MailTool(Tool):
    args_model = MailArgs
    service = "gmail"
    side_effect = True
    action: ClassVar[str]

    async def _prepare(self, args: MailArgs, ctx: ToolContext) -> OutgoingMail:
        if not args.reply_to_message_id:  # nothing to look up: no network for the preview
            require_authorized(ctx.settings, ctx.store, ctx.user_id, "gmail", self.requires)
            return prepare_mail(None, args)
        return await call_google(ctx, "gmail", self.requires, lambda api: prepare_mail(api, args))

    async def preview(self, args: MailArgs, ctx: ToolContext) -> str:
        mail = await self._prepare(args, ctx)
        return mail.preview(self.action)


class GmailDraft(_MailTool):
    # DESIGN lists only gmail_send as a Gmail side effect: a draft stays in the user's mailbox,
    # unsent, for them to review. `tools.policy.gmail_draft = ask` makes every draft wait for an
    # approval (the policy's `ask` holds for every tool), and `deny` refuses it.
    side_effect = False
    name = "gmail_draft"
    description = (
        "Create a Gmail draft (nothing is sent). With reply_to_message_id the draft is a reply in "
        "that message's thread."
    )
    requires = (GMAIL_READONLY, GMAIL_COMPOSE)
    action = "Create this Gmail draft (not sent):"

    async def run(self, args: MailArgs, ctx: ToolContext) -> ToolResult:
        def create(api: Any) -> tuple[OutgoingMail, dict[str, Any]]:
            mail = prepare_mail(api, args)
            draft = api.users().drafts().create(userId=USER, body={"message": mail.api_body()}).execute()
            return mail, draft

        mail, draft = await call_google(ctx, "gmail", self.requires, create)
        message = draft.get("message") or {}
        return ToolResult(
            content={
                "draft_id": draft.get("id"),
                "message_id": message.get("id"),
                "thread_id": message.get("threadId"),
                "to": mail.to,
                "cc": mail.cc,
                "subject": mail.subject,
            },
            summary=f"draft created: {mail.subject}",
            resource_ids=[f"draft:{draft.get('id')}", f"message:{message.get('id')}"],
        )


class GmailSendArgs(MailArgs):
    send_at: str | None = Field(
        None,
        description="ISO 8601 time to send it later (held in the outbox until then); omit to send now",
    )


class GmailSend(_MailTool):
    name = "gmail_send"
    description = (
        "Send an email from the user's Gmail (needs the user's approval). With reply_to_message_id it "
        "is sent as a reply in that message's thread; with send_at it is scheduled. After approval it "
        "waits gmail.undo_seconds in the outbox, so the user can undo it (`pa undo`)."
    )
    args_model = GmailSendArgs
    requires = (GMAIL_READONLY, GMAIL_SEND)
    action = "Send this email:"

    async def preview(self, args: MailArgs, ctx: ToolContext) -> str:
        text = await super().preview(args, ctx)
        send_at = getattr(args, "send_at", None)
        if send_at:
            from pa_cli.outbox.queue import describe_send_at

            text += f"\n\nScheduled: {describe_send_at(send_at, ctx.settings)}"
        return text

    async def run(self, args: MailArgs, ctx: ToolContext) -> ToolResult:
        if ctx.settings.gmail.mode == "draft_only":
            raise ToolError("gmail.mode is draft_only: sending is disabled; use gmail_draft")
        send_at = getattr(args, "send_at", None)
        if send_at or ctx.settings.gmail.undo_seconds > 0:
            from pa_cli.outbox.queue import queue_send

            return queue_send(ctx, args, send_at)

        def send(api: Any) -> tuple[OutgoingMail, dict[str, Any]]:
            mail = prepare_mail(api, args)
            sent = api.users().messages().send(userId=USER, body=mail.api_body()).execute()
            return mail, sent

        mail, sent = await call_google(ctx, "gmail", self.requires, send)
        return ToolResult(
            content={
                "message_id": sent.get("id"),
                "thread_id": sent.get("threadId"),
                "to": mail.to,
                "cc": mail.cc,
                "subject": mail.subject,
            },
            summary=f"sent: {mail.subject} to {', '.join(mail.to)}",
            resource_ids=[f"message:{sent.get('id')}"],
        )


GMAIL_TOOLS: tuple[type[Tool], ...] = (GmailSearch, GmailRead, GmailDraft, GmailSend)
