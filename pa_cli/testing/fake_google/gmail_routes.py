"""Gmail v1 REST routes under /gmail/v1/users/{userId}/ (the subset pa's tools use)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from pa_cli.testing.fake_google.mime import b64url, find_attachment, message_resource
from pa_cli.testing.fake_google.oauth_state import AccessGrant
from pa_cli.testing.fake_google.responses import (
    GMAIL_COMPOSE_SCOPES,
    GMAIL_METADATA_SCOPE,
    GMAIL_READ_SCOPES,
    GMAIL_SEND_SCOPES,
    ApiError,
    bad_request,
    json_body,
    not_found,
    page_offset,
    page_size,
    page_token,
)

if TYPE_CHECKING:
    from pa_cli.testing.fake_google.server import FakeGoogle

_FORMATS = ("full", "metadata", "minimal", "raw")


def gmail_routes(fake: FakeGoogle) -> list[BaseRoute]:
    def access(request: Request, scopes: frozenset[str]) -> AccessGrant:
        user = request.path_params["user_id"]
        grant = fake.oauth.check_access(request.headers.get("authorization"), scopes)
        if user not in ("me", fake.user_email):
            raise ApiError(403, f"Delegation denied for {fake.user_email}", reason="forbidden")
        return grant

    def metadata_only(grant: AccessGrant) -> bool:
        return set(grant.scopes) & GMAIL_READ_SCOPES == {GMAIL_METADATA_SCOPE}

    def fmt_param(request: Request, grant: AccessGrant) -> str:
        fmt = request.query_params.get("format", "full").lower()
        if fmt not in _FORMATS:
            raise bad_request(f"Invalid value for format: {fmt}", "invalidArgument")
        if fmt in ("full", "raw") and metadata_only(grant):
            raise ApiError(403, f"Metadata scope doesn't allow format {fmt.upper()}", reason="forbidden")
        return fmt

    def search_params(request: Request, grant: AccessGrant) -> tuple[str, list[str], bool]:
        q = request.query_params.get("q", "")
        if q and metadata_only(grant):
            raise ApiError(403, "Metadata scope does not support 'q' parameter", reason="forbidden")
        include = request.query_params.get("includeSpamTrash", "false").lower() == "true"
        return q, request.query_params.getlist("labelIds"), include

    def paged(request: Request, items: Sequence[Any], key: str) -> dict[str, Any]:
        offset = page_offset(request.query_params.get("pageToken"))
        size = page_size(request, 100, 500)
        body: dict[str, Any] = {}
        chunk = items[offset : offset + size]
        if chunk:  # like Gmail, an empty result has no list key at all
            body[key] = list(chunk)
        if offset + size < len(items):
            body["nextPageToken"] = page_token(offset + size)
        body["resultSizeEstimate"] = len(items)
        return body

    async def list_messages(request: Request) -> Response:
        with fake.lock:
            grant = access(request, GMAIL_READ_SCOPES)
            q, labels, include = search_params(request, grant)
            found = fake.mail.search(q, labels, include)
            refs = [{"id": m.id, "threadId": m.thread_id} for m in found]
            return JSONResponse(paged(request, refs, "messages"))

    async def get_message(request: Request) -> Response:
        with fake.lock:
            grant = access(request, GMAIL_READ_SCOPES)
            fmt = fmt_param(request, grant)
            message = fake.mail.get(request.path_params["id"])
            headers = request.query_params.getlist("metadataHeaders") or None
            return JSONResponse(message_resource(message, fmt, headers))

    async def get_attachment(request: Request) -> Response:
        with fake.lock:
            grant = access(request, GMAIL_READ_SCOPES)
            if metadata_only(grant):
                raise ApiError(403, "Metadata scope doesn't allow attachments", reason="forbidden")
            message = fake.mail.get(request.path_params["message_id"])
            data = find_attachment(message, request.path_params["id"])
            if data is None:
                raise not_found()
            return JSONResponse({"size": len(data), "data": b64url(data)})

    async def send_message(request: Request) -> Response:
        body = await json_body(request)
        with fake.lock:
            access(request, GMAIL_SEND_SCOPES)
            record = fake.mail.send(body.get("raw"), body.get("threadId"))
            return JSONResponse({"id": record.id, "threadId": record.thread_id, "labelIds": ["SENT"]})

    async def list_threads(request: Request) -> Response:
        with fake.lock:
            grant = access(request, GMAIL_READ_SCOPES)
            q, labels, include = search_params(request, grant)
            threads: dict[str, dict[str, Any]] = {}
            for message in fake.mail.search(q, labels, include):
                threads.setdefault(
                    message.thread_id,
                    {
                        "id": message.thread_id,
                        "snippet": message.snippet,
                        "historyId": str(message.history_id),
                    },
                )
            return JSONResponse(paged(request, list(threads.values()), "threads"))

    async def get_thread(request: Request) -> Response:
        with fake.lock:
            grant = access(request, GMAIL_READ_SCOPES)
            fmt = fmt_param(request, grant)
            messages = fake.mail.thread(request.path_params["id"])
            if not messages:
                raise not_found()
            headers = request.query_params.getlist("metadataHeaders") or None
            return JSONResponse(
                {
                    "id": request.path_params["id"],
                    "historyId": str(max(m.history_id for m in messages)),
                    "messages": [message_resource(m, fmt, headers) for m in messages],
                }
            )

    def draft_resource(draft_id: str, fmt: str | None) -> dict[str, Any]:
        message = fake.mail.get(fake.mail.draft(draft_id).id)
        if fmt is None:
            summary = {"id": message.id, "threadId": message.thread_id, "labelIds": list(message.label_ids)}
            return {"id": draft_id, "message": summary}
        return {"id": draft_id, "message": message_resource(message, fmt)}

    async def create_draft(request: Request) -> Response:
        body = await json_body(request)
        message = body.get("message")
        if not isinstance(message, dict):
            raise bad_request("Missing draft message", "invalidArgument")
        with fake.lock:
            access(request, GMAIL_COMPOSE_SCOPES)
            record = fake.mail.create_draft(message.get("raw"), message.get("threadId"))
            assert record.draft_id is not None
            return JSONResponse(draft_resource(record.draft_id, None))

    async def get_draft(request: Request) -> Response:
        with fake.lock:
            grant = access(request, GMAIL_COMPOSE_SCOPES | GMAIL_READ_SCOPES)
            return JSONResponse(draft_resource(request.path_params["id"], fmt_param(request, grant)))

    async def send_draft(request: Request) -> Response:
        body = await json_body(request)
        with fake.lock:
            access(request, GMAIL_COMPOSE_SCOPES)
            record = fake.mail.send_draft(str(body.get("id", "")))
            return JSONResponse({"id": record.id, "threadId": record.thread_id, "labelIds": ["SENT"]})

    async def profile(request: Request) -> Response:
        with fake.lock:
            access(request, GMAIL_READ_SCOPES | GMAIL_SEND_SCOPES)
            return JSONResponse(
                {
                    "emailAddress": fake.user_email,
                    "messagesTotal": len(fake.mail.messages),
                    "threadsTotal": len({m.thread_id for m in fake.mail.messages.values()}),
                    "historyId": str(fake.mail.history_id),
                }
            )

    prefix = "/gmail/v1/users/{user_id}"
    return [
        Route(prefix + "/profile", profile, methods=["GET"]),
        Route(prefix + "/messages", list_messages, methods=["GET"]),
        Route(prefix + "/messages/send", send_message, methods=["POST"]),
        Route(prefix + "/messages/{id}", get_message, methods=["GET"]),
        Route(prefix + "/messages/{message_id}/attachments/{id}", get_attachment, methods=["GET"]),
        Route(prefix + "/threads", list_threads, methods=["GET"]),
        Route(prefix + "/threads/{id}", get_thread, methods=["GET"]),
        Route(prefix + "/drafts", create_draft, methods=["POST"]),
        Route(prefix + "/drafts/send", send_draft, methods=["POST"]),
        Route(prefix + "/drafts/{id}", get_draft, methods=["GET"]),
    ]
