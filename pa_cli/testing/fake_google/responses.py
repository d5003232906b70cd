"""Google-style JSON errors and the scope tables the fake enforces.

Error bodies follow the shape the real APIs send, which googleapiclient's ``HttpError`` parses:
``{"error": {"code", "message", "errors": [{"message", "domain", "reason"}], "status"}}``.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    410: "NOT_FOUND",
}

_MAIL = "https://mail.google.com/"
_GMAIL = "https://www.googleapis.com/auth/gmail."
_CAL = "https://www.googleapis.com/auth/calendar"

GMAIL_METADATA_SCOPE = _GMAIL + "metadata"
GMAIL_READ_SCOPES = frozenset({_MAIL, _GMAIL + "modify", _GMAIL + "readonly", GMAIL_METADATA_SCOPE})
GMAIL_COMPOSE_SCOPES = frozenset({_MAIL, _GMAIL + "modify", _GMAIL + "compose"})
GMAIL_SEND_SCOPES = GMAIL_COMPOSE_SCOPES | {_GMAIL + "send"}
CALENDAR_READ_SCOPES = frozenset(
    {
        _CAL,
        _CAL + ".readonly",
        _CAL + ".events",
        _CAL + ".events.readonly",
        _CAL + ".events.owned",
        _CAL + ".events.owned.readonly",
    }
)
CALENDAR_WRITE_SCOPES = frozenset({_CAL, _CAL + ".events", _CAL + ".events.owned"})
CALENDAR_FREEBUSY_SCOPES = frozenset(
    {_CAL, _CAL + ".readonly", _CAL + ".freebusy", _CAL + ".events.freebusy"}
)


class ApiError(Exception):
    """Raised by route code; rendered as a Google-style JSON error by the app."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        reason: str = "badRequest",
        headers: dict[str, str] | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason
        self.headers = headers or {}
        self.details = details

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "errors": [{"message": self.message, "domain": "global", "reason": self.reason}],
            "status": _STATUS_NAMES.get(self.code, "UNKNOWN"),
        }
        if self.details:
            error["details"] = self.details
        return {"error": error}


def not_found(message: str = "Requested entity was not found.") -> ApiError:
    return ApiError(404, message, reason="notFound")


def bad_request(message: str, reason: str = "badRequest") -> ApiError:
    return ApiError(400, message, reason=reason)


def unauthenticated(message: str) -> ApiError:
    return ApiError(
        401,
        message,
        reason="authError",
        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'},
    )


def insufficient_scopes() -> ApiError:
    return ApiError(
        403,
        "Request had insufficient authentication scopes.",
        reason="insufficientPermissions",
        headers={
            "WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="insufficient_scope"'
        },
        details=[
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                "domain": "googleapis.com",
            }
        ],
    )


async def api_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return JSONResponse(exc.body(), status_code=exc.code, headers=exc.headers)


def oauth_error(status: int, error: str, description: str) -> JSONResponse:
    """The token and revoke endpoints answer errors as flat OAuth 2 JSON."""
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object body, or a 400 the way Google reports a parse error."""
    raw = await request.body()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise bad_request("Invalid JSON payload received.", "parseError") from exc
    if not isinstance(data, dict):
        raise bad_request("Invalid JSON payload received. Expected an object.", "parseError")
    return data


def page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode("ascii")


def page_offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        kind, _, number = base64.urlsafe_b64decode(token.encode("ascii")).decode().partition(":")
        if kind == "offset" and number.isdigit():
            return int(number)
    except ValueError:
        pass
    raise bad_request("Invalid pageToken", "invalidArgument")


def page_size(request: Request, default: int, maximum: int) -> int:
    value = request.query_params.get("maxResults")
    if value is None:
        return default
    if not value.isdigit() or int(value) < 1:
        raise bad_request("Invalid maxResults", "invalidArgument")
    return min(int(value), maximum)
