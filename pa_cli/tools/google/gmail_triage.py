"""Triage in bulk: gmail_modify (many messages, one approval), gmail_labels, gmail_label_create.

``gmail_modify`` resolves its batch once, at preview: every message's sender,
subject and date, the label change, the counts. That list is frozen with the
approval as selectable items (``pa_cli.tools.selection``): a person can leave
some out, and the approved call touches only the rest, through Gmail's
``messages.batchModify`` (``messages.trash`` one by one for ``trash``). Nothing
is ever deleted for good: trash is reversible for 30 days.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from pa_cli.google.runtime import call_google
from pa_cli.google.scopes import GMAIL_MODIFY, GMAIL_READONLY
from pa_cli.sanitize import clean_line
from pa_cli.tools.base import PreparedCall, Tool, ToolArgs, ToolContext, ToolError, ToolResult
from pa_cli.tools.google.mime import header
from pa_cli.tools.selection import SELECTABLE_KEY, Choice, left_out_ids, selected_ids

USER = "me"
MAX_MESSAGES = 500
#: Gmail's batchModify takes at most 1000 ids per request.
BATCH_LIMIT = 1000
_HEADERS = ["From", "Subject", "Date"]

Action = Literal["archive", "mark_read", "mark_unread", "star", "unstar", "label", "unlabel", "trash"]

#: action -> (labels added, labels removed, how the preview says it)
_CHANGES: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "archive": ((), ("INBOX",), "Archive (remove from the inbox)"),
    "mark_read": ((), ("UNREAD",), "Mark as read"),
    "mark_unread": (("UNREAD",), (), "Mark as unread"),
    "star": (("STARRED",), (), "Star"),
    "unstar": ((), ("STARRED",), "Remove the star from"),
    "trash": ((), (), "Move to the trash (recoverable for 30 days; nothing is deleted for good)"),
}


class GmailModifyArgs(ToolArgs):
    message_ids: list[str] = Field(
        min_length=1, max_length=MAX_MESSAGES, description="message ids (from gmail_search), one or many"
    )
    action: Action = Field(description="what to do with every message")
    label: str | None = Field(None, description="the label name or id, for action label or unlabel")

    @field_validator("message_ids")
    @classmethod
    def _unique(cls, values: list[str]) -> list[str]:
        cleaned = [v.strip() for v in values]
        if any(not v for v in cleaned):
            raise ValueError("a message id is empty")
        return list(dict.fromkeys(cleaned))

    @model_validator(mode="after")
    def _label_when_needed(self) -> GmailModifyArgs:
        if self.action in ("label", "unlabel") and not (self.label or "").strip():
            raise ValueError(f"action {self.action} needs a label")
        if self.action not in ("label", "unlabel") and self.label:
            raise ValueError(f"label is only for action label or unlabel, not {self.action}")
        return self


def _resolve_label(api: Any, wanted: str) -> dict[str, Any]:
    labels = api.users().labels().list(userId=USER).execute().get("labels") or []
    for label in labels:
        if label.get("id") == wanted:
            return dict(label)
    for label in labels:
        if str(label.get("name", "")).lower() == wanted.strip().lower():
            return dict(label)
    raise ToolError(f"no Gmail label {wanted!r}: create it first with gmail_label_create")


def _describe(api: Any, message_id: str) -> Choice:
    message = (
        api.users()
        .messages()
        .get(userId=USER, id=message_id, format="metadata", metadataHeaders=_HEADERS)
        .execute()
    )
    headers = (message.get("payload") or {}).get("headers") or []
    sender = clean_line(header(headers, "From") or "(no sender)")[:60]
    subject = clean_line(header(headers, "Subject") or "(no subject)")[:80]
    date = clean_line(header(headers, "Date") or "")[:40]
    return Choice(message_id, f"{sender} | {subject} | {date}")


def plan_modify(api: Any, args: GmailModifyArgs) -> dict[str, Any]:
    """The frozen request: the change and every message it touches, described for the preview."""
    add: tuple[str, ...]
    remove: tuple[str, ...]
    if args.action in ("label", "unlabel"):
        label = _resolve_label(api, args.label or "")
        name = str(label.get("name"))
        label_id = str(label["id"])
        add, remove = ((label_id,), ()) if args.action == "label" else ((), (label_id,))
        change = f"Add the label {name!r} to" if args.action == "label" else f"Remove the label {name!r} from"
    else:
        add, remove, change = _CHANGES[args.action]
    choices = [_describe(api, message_id) for message_id in args.message_ids]
    return {
        "action": args.action,
        "add": list(add),
        "remove": list(remove),
        "change": change,
        SELECTABLE_KEY: [choice.as_dict() for choice in choices],
    }


def modify_preview(frozen: dict[str, Any]) -> str:
    items = frozen[SELECTABLE_KEY]
    count = len(items)
    lines = [f"{frozen['change']} {count} message{'s' if count != 1 else ''}:"]
    lines += [f"  [{item['id']}] {item['label']}" for item in items]
    lines.append(f"Total: {count}. You can leave some out (pa approve ID --except ID,ID).")
    return "\n".join(lines)


def apply_modify(api: Any, frozen: dict[str, Any], ids: list[str]) -> None:
    if frozen["action"] == "trash":
        for message_id in ids:
            api.users().messages().trash(userId=USER, id=message_id).execute()
        return
    for start in range(0, len(ids), BATCH_LIMIT):
        body: dict[str, Any] = {"ids": ids[start : start + BATCH_LIMIT]}
        if frozen["add"]:
            body["addLabelIds"] = list(frozen["add"])
        if frozen["remove"]:
            body["removeLabelIds"] = list(frozen["remove"])
        api.users().messages().batchModify(userId=USER, body=body).execute()


class GmailModify(Tool):
    name = "gmail_modify"
    description = (
        "Triage many Gmail messages in one call (needs the user's approval, once for the batch): "
        "archive, mark_read, mark_unread, star, unstar, label/unlabel (give label), or trash "
        "(recoverable; nothing is deleted for good). The user may leave some messages out."
    )
    args_model = GmailModifyArgs
    service = "gmail"
    side_effect = True
    requires = (GMAIL_READONLY, GMAIL_MODIFY)

    async def prepare(self, args: GmailModifyArgs, ctx: ToolContext) -> PreparedCall:
        frozen = await call_google(ctx, "gmail", self.requires, lambda api: plan_modify(api, args))
        return PreparedCall(preview=modify_preview(frozen), frozen=frozen)

    async def preview(self, args: GmailModifyArgs, ctx: ToolContext) -> str:
        return (await self.prepare(args, ctx)).preview

    async def run(self, args: GmailModifyArgs, ctx: ToolContext) -> ToolResult:
        prepared = await self.prepare(args, ctx)
        return await self.run_prepared(args, prepared.frozen, ctx)

    async def run_prepared(
        self, args: GmailModifyArgs, frozen: dict[str, Any] | None, ctx: ToolContext
    ) -> ToolResult:
        if not frozen or SELECTABLE_KEY not in frozen:
            raise ToolError("this approval holds no batch to run; ask again")
        ids = selected_ids(frozen)
        left_out = left_out_ids(frozen)
        await call_google(ctx, "gmail", self.requires, lambda api: apply_modify(api, frozen, ids))
        summary = f"{frozen['action']}: {len(ids)} message{'s' if len(ids) != 1 else ''}"
        if left_out:
            summary += f" ({len(left_out)} left out by the user)"
        return ToolResult(
            content={"action": frozen["action"], "modified": ids, "left_out": left_out},
            summary=summary,
            resource_ids=[f"message:{i}" for i in ids],
        )


class GmailLabelsArgs(ToolArgs):
    pass


class GmailLabels(Tool):
    name = "gmail_labels"
    description = "List the Gmail labels (system and the user's own), with their ids."
    service = "gmail"
    requires = (GMAIL_READONLY,)
    untrusted_output = True  # label names can be set by anyone who shares a mailbox rule

    async def run(self, args: Any, ctx: ToolContext) -> ToolResult:
        def listing(api: Any) -> list[dict[str, Any]]:
            labels = api.users().labels().list(userId=USER).execute().get("labels") or []
            return [
                {"id": item.get("id"), "name": item.get("name"), "type": item.get("type")} for item in labels
            ]

        labels = await call_google(ctx, "gmail", self.requires, listing)
        return ToolResult(content={"labels": labels}, summary=f"{len(labels)} labels", untrusted=True)


class GmailLabelCreateArgs(ToolArgs):
    name: str = Field(min_length=1, max_length=225, description="the new label's name ('Receipts/2026')")

    @field_validator("name")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if "\n" in value or "\r" in value or not value.strip():
            raise ValueError("a label name is one non-empty line")
        return value.strip()


class GmailLabelCreate(Tool):
    name = "gmail_label_create"
    description = "Create a Gmail label (needs the user's approval); then use gmail_modify with action label."
    args_model = GmailLabelCreateArgs
    service = "gmail"
    side_effect = True
    requires = (GMAIL_READONLY, GMAIL_MODIFY)

    async def preview(self, args: GmailLabelCreateArgs, ctx: ToolContext) -> str:
        return f"Create the Gmail label {args.name!r}."

    async def run(self, args: GmailLabelCreateArgs, ctx: ToolContext) -> ToolResult:
        def create(api: Any) -> dict[str, Any]:
            body = {"name": args.name, "labelListVisibility": "labelShow", "messageListVisibility": "show"}
            return dict(api.users().labels().create(userId=USER, body=body).execute())

        label = await call_google(ctx, "gmail", self.requires, create)
        return ToolResult(
            content={"id": label.get("id"), "name": label.get("name")},
            summary=f"label created: {label.get('name')}",
            resource_ids=[f"label:{label.get('id')}"],
        )


TRIAGE_TOOLS: tuple[type[Tool], ...] = (GmailModify, GmailLabels, GmailLabelCreate)
