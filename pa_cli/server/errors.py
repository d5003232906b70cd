"""Every error the API returns has one shape: ``{"error": {"code": str, "message": str}}``.

``ApiError`` is what routes raise for HTTP-level problems (auth, limits); the
handlers here also turn ``PaError`` (from the agent, store, Google), request
validation failures and Starlette's own 404/405 into that shape, so a client
never sees FastAPI's ``{"detail": ...}`` or a traceback.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from pa_cli.errors import (
    AuthorizationNeeded,
    ConfigError,
    NotAvailableYet,
    NotFoundError,
    PaError,
    SecretStoreError,
    StoreError,
    UsageError,
)

if TYPE_CHECKING:
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

log = logging.getLogger(__name__)


class ErrorInfo(BaseModel):
    code: str = Field(description="A stable, machine-readable error code (e.g. invalid_token, not_found).")
    message: str = Field(description="One line a person can read.")
    details: list[dict[str, Any]] | None = Field(
        default=None, description="For validation errors (422): where the request was wrong."
    )


class ErrorBody(BaseModel):
    error: ErrorInfo


class ApiError(Exception):
    """An HTTP error with the contract's JSON body."""

    def __init__(
        self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


_STARLETTE_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def status_for(exc: PaError) -> int:
    """The HTTP status of a user-facing error from the layers below."""
    from pa_cli.store.errors import ApprovalStateError

    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, ApprovalStateError):
        return 409
    if isinstance(exc, ConfigError | UsageError):
        return 400
    if exc.code == "authorization_failed":  # a browser flow that did not complete: the request was bad
        return 400
    if isinstance(exc, AuthorizationNeeded):
        return 403
    if isinstance(exc, SecretStoreError | StoreError):
        return 503
    if isinstance(exc, NotAvailableYet):
        return 501
    return 500


def error_response(
    status: int, code: str, message: str, *, headers: dict[str, str] | None = None, details: Any = None
) -> JSONResponse:
    from fastapi.responses import JSONResponse

    info: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        info["details"] = details
    return JSONResponse({"error": info}, status_code=status, headers=headers)


def pa_error_response(exc: PaError) -> JSONResponse:
    message = exc.message if not exc.hint else f"{exc.message} ({exc.hint})"
    return error_response(status_for(exc), exc.code, message)


def _validation_details(errors: Any) -> list[dict[str, Any]]:
    details = []
    for err in list(errors)[:20]:
        loc = [str(part) for part in err.get("loc", ())]
        details.append({"loc": loc, "msg": str(err.get("msg", "")), "type": str(err.get("type", ""))})
    return details


def install_error_handlers(app: FastAPI) -> None:
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException

    async def on_api_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return error_response(exc.status, exc.code, exc.message, headers=exc.headers)

    async def on_pa_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, PaError)
        return pa_error_response(exc)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        details = _validation_details(exc.errors())
        first = details[0] if details else {"loc": [], "msg": "invalid request"}
        where = ".".join(p for p in first["loc"] if p not in ("body", "query", "path", "header")) or "request"
        return error_response(422, "invalid_request", f"{where}: {first['msg']}", details=details)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        code = _STARLETTE_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return error_response(exc.status_code, code, message, headers=dict(exc.headers or {}))

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
        return error_response(500, "internal", "the server failed unexpectedly")

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(PaError, on_pa_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)


#: Error responses documented on every authenticated route of the OpenAPI document.
def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    descriptions = {
        400: "The request cannot be carried out as asked",
        401: "Missing, wrong, expired, tampered or revoked bearer token",
        403: "A Google service must be authorized first",
        404: "No such resource (for this client's user)",
        409: "The approval was already decided or has expired",
        413: "The request body is too large",
        422: "The request does not match the schema",
        429: "Rate limit reached; see Retry-After",
        502: "The LLM provider failed",
        503: "The database or the secret store is unavailable",
    }
    return {s: {"model": ErrorBody, "description": descriptions[s]} for s in statuses}
