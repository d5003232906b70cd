"""Gmail labels in the fake: system labels, user labels, and the label changes of messages.

Routes: labels.list, labels.create, messages.batchModify and messages.trash. Nothing here deletes a message for good (the tools never do).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from pa_cli.testing.fake_google.mime import StoredMessage
from pa_cli.testing.fake_google.responses import (
    GMAIL_READ_SCOPES,
    ApiError,
    bad_request,
    json_body,
    not_found,
)

if TYPE_CHECKING:
    from pa_cli.testing.fake_google.server import FakeGoogle

_MAIL = "https://mail.google.com/"
GMAIL_MODIFY_SCOPES = frozenset({_MAIL, "https://www.googleapis.com/auth/gmail.modify"})
GMAIL_LABELS_SCOPES = GMAIL_MODIFY_SCOPES | {"https://www.googleapis.com/auth/gmail.labels"}
SYSTEM_LABELS: tuple[str, ...] = (
    "INBOX",
    "UNREAD",
    "STARRED",
    "IMPORTANT",
    "SENT",
    "DRAFT",
    "SPAM",
    "TRASH",
    "CATEGORY_PERSONAL",
    "CATEGORY_SOCIAL",
    "CATEGORY_PROMOTIONS",
    "CATEGORY_UPDATES",
    "CATEGORY_FORUMS",
)
#: Gmail refuses to add or remove these through modify (DRAFT, SENT) or wants trash/untrash (TRASH).
_NOT_MODIFIABLE = frozenset({"DRAFT", "SENT", "TRASH"})
MAX_BATCH_IDS = 1000


@dataclass
class Labels:
    """User labels by id (``Label_1``...); system labels are implicit."""

    user: dict[str, str] = field(default_factory=dict)  # id -> name

    def create(self, name: str) -> dict[str, Any]:
        clean = name.strip()
        if not clean:
            raise bad_request("Invalid label name", "invalidArgument")
        taken = {n.lower() for n in self.user.values()} | {s.lower() for s in SYSTEM_LABELS}
        if clean.lower() in taken:
            raise ApiError(409, "Label name exists or conflicts", reason="duplicate")
        label_id = f"Label_{len(self.user) + 1}"
        self.user[label_id] = clean
        return self.resource(label_id)

    def resource(self, label_id: str) -> dict[str, Any]:
        if label_id in SYSTEM_LABELS:
            return {"id": label_id, "name": label_id, "type": "system"}
        return {
            "id": label_id,
            "name": self.user[label_id],
            "type": "user",
            "messageListVisibility": "show",
            "labelListVisibility": "labelShow",
        }

    def all(self) -> list[dict[str, Any]]:
        return [self.resource(i) for i in (*SYSTEM_LABELS, *self.user)]

    def check(self, label_ids: Iterable[str]) -> list[str]:
        ids = list(label_ids)
        for label_id in ids:
            if label_id not in SYSTEM_LABELS and label_id not in self.user:
                raise bad_request(f"Invalid label: {label_id}", "invalidArgument")
            if label_id in _NOT_MODIFIABLE:
                raise bad_request(f"Invalid label: {label_id}", "invalidArgument")
        return ids


def change_labels(message: StoredMessage, add: Iterable[str], remove: Iterable[str]) -> None:
    removed = set(remove)
    kept = [label for label in message.label_ids if label not in removed]
    message.label_ids = kept + [label for label in add if label not in kept]


def gmail_label_routes(fake: FakeGoogle) -> list[BaseRoute]:
    def access(request: Request, scopes: frozenset[str]) -> None:
        fake.oauth.check_access(request.headers.get("authorization"), scopes)
        if request.path_params["user_id"] not in ("me", fake.user_email):
            raise ApiError(403, f"Delegation denied for {fake.user_email}", reason="forbidden")

    async def list_labels(request: Request) -> Response:
        with fake.lock:
            access(request, GMAIL_READ_SCOPES | GMAIL_LABELS_SCOPES)
            return JSONResponse({"labels": fake.labels.all()})

    async def create_label(request: Request) -> Response:
        body = await json_body(request)
        with fake.lock:
            access(request, GMAIL_LABELS_SCOPES)
            return JSONResponse(fake.labels.create(str(body.get("name") or "")))

    async def batch_modify(request: Request) -> Response:
        body = await json_body(request)
        ids = body.get("ids") or []
        if not ids:
            raise bad_request("No message ids given", "invalidArgument")
        if len(ids) > MAX_BATCH_IDS:
            raise bad_request(f"Too many ids: at most {MAX_BATCH_IDS}", "invalidArgument")
        with fake.lock:
            access(request, GMAIL_MODIFY_SCOPES)
            add = fake.labels.check(body.get("addLabelIds") or [])
            remove = fake.labels.check(body.get("removeLabelIds") or [])
            messages = [fake.mail.get(str(i)) for i in ids]  # all or nothing: an unknown id is a 404
            for message in messages:
                change_labels(message, add, remove)
            fake.mail.history_id += 1
            return Response(status_code=204)

    async def trash(request: Request) -> Response:
        with fake.lock:
            access(request, GMAIL_MODIFY_SCOPES)
            message = fake.mail.messages.get(request.path_params["id"])
            if message is None:
                raise not_found()
            change_labels(message, ["TRASH"], [])
            fake.mail.history_id += 1
            return JSONResponse(
                {"id": message.id, "threadId": message.thread_id, "labelIds": list(message.label_ids)}
            )

    prefix = "/gmail/v1/users/{user_id}"
    return [
        Route(prefix + "/labels", list_labels, methods=["GET"]),
        Route(prefix + "/labels", create_label, methods=["POST"]),
        Route(prefix + "/messages/batchModify", batch_modify, methods=["POST"]),
        Route(prefix + "/messages/{id}/trash", trash, methods=["POST"]),
    ]
