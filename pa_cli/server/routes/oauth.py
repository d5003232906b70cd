"""Google authorization over HTTP: start (bearer token) and the browser's callback (state only)."""

from __future__ import annotations

import html
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from pa_cli.errors import PaError
from pa_cli.server.auth import Principal
from pa_cli.server.errors import (
    ApiError,
    ErrorBody,
    error_responses,
    pa_error_response,
    status_for,
)
from pa_cli.server.oauth_state import remember, take
from pa_cli.server.runtime import Client, Runtime, ServerRuntime, reject_unknown_query
from pa_cli.server.schemas import AuthorizeResponse, OAuthResult

router = APIRouter(prefix="/api/v1/oauth/google", tags=["oauth"])
CALLBACK_ROUTE = "google_oauth_callback"


def begin_authorization(
    runtime: ServerRuntime, client: Principal, service: str, request: Request
) -> AuthorizeResponse:
    from pa_cli.google.oauth import begin_web_authorization

    runtime.limiter.admit_authorization(client.client_id)
    redirect_uri = str(request.url_for(CALLBACK_ROUTE))
    auth_url, state, verifier = begin_web_authorization(
        runtime.settings, runtime.secrets, service, redirect_uri
    )
    remember(
        runtime.store,
        runtime.signing_key,
        state,
        client_id=client.client_id,
        user_id=client.user_id,
        service=service,
        code_verifier=verifier,
        redirect_uri=redirect_uri,
    )
    return AuthorizeResponse(auth_url=auth_url, state=state)


@router.get(
    "/authorize",
    response_model=AuthorizeResponse,
    responses=error_responses(400, 401, 403, 422, 429, 503),
    summary="Start authorizing a Google service; open auth_url in a browser",
    dependencies=[Depends(reject_unknown_query)],
)
def authorize(
    service: Annotated[Literal["gmail", "calendar", "contacts"], Query(description="The Google service.")],
    request: Request,
    client: Client,
    runtime: Runtime,
) -> AuthorizeResponse:
    return begin_authorization(runtime, client, service, request)


def _safe(value: str) -> str:
    return "".join(ch for ch in value if ch.isalnum() or ch in "_-.")[:60] or "unknown"


def _complete(runtime: ServerRuntime, state: str, code: str | None, error: str | None) -> OAuthResult:
    from pa_cli.google.oauth import complete_web_authorization

    pending = take(runtime.store, runtime.signing_key, state)
    if pending is None:
        raise ApiError(
            400, "invalid_state", "unknown, expired or already used authorization state; start again"
        )
    client = runtime.store.api_clients.get(pending.client_id)
    if client is None or client.revoked_at is not None or client.user_id != pending.user_id:
        raise ApiError(
            401, "token_revoked", "the device that started this authorization is no longer allowed"
        )
    if error:
        raise ApiError(
            400,
            "authorization_failed",
            f"{pending.service} authorization failed: Google returned {_safe(error)}; nothing was stored",
        )
    if not code:
        raise ApiError(400, "authorization_failed", "the redirect carried no authorization code")
    result = complete_web_authorization(
        runtime.settings,
        runtime.store,
        runtime.secrets,
        pending.user_id,
        pending.service,
        code=code,
        code_verifier=pending.code_verifier,
        redirect_uri=pending.redirect_uri,
    )
    return OAuthResult(
        service=result.service,
        scopes=result.scopes,
        missing_scopes=result.missing_scopes,
        message=result.message,
    )


def _page(title: str, text: str, status: int) -> HTMLResponse:
    body = (
        "<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>"
        f"<title>pa: {html.escape(title)}</title><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>"
        "<p>You can close this tab.</p>"
    )
    return HTMLResponse(body, status_code=status)


@router.get(
    "/callback",
    name=CALLBACK_ROUTE,
    response_model=OAuthResult,
    responses={
        200: {"content": {"text/html": {"schema": {"type": "string"}}}},
        400: {"model": ErrorBody, "content": {"text/html": {"schema": {"type": "string"}}}},
        401: {"model": ErrorBody, "content": {"text/html": {"schema": {"type": "string"}}}},
        403: {"model": ErrorBody, "content": {"text/html": {"schema": {"type": "string"}}}},
        422: {"model": ErrorBody},
        503: {"model": ErrorBody, "content": {"text/html": {"schema": {"type": "string"}}}},
    },
    summary="Where Google sends the browser back; authenticated by the single-use state",
    description="Google adds parameters of its own (scope, authuser, prompt, ...): any others are ignored.",
    openapi_extra={"security": []},
)
def callback(
    request: Request,
    runtime: Runtime,
    state: Annotated[str, Query(pattern=r"^[A-Za-z0-9_-]{16,100}$")],
    code: Annotated[str | None, Query(max_length=2000)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> OAuthResult | HTMLResponse | JSONResponse:
    wants_html = "text/html" in request.headers.get("accept", "")
    try:
        result = _complete(runtime, state, code, error)
    except ApiError as exc:
        if wants_html:
            return _page("Authorization failed", exc.message, exc.status)
        raise
    except PaError as exc:
        if wants_html:
            return _page("Authorization failed", exc.message, status_for(exc))
        return pa_error_response(exc)
    if wants_html:
        return _page(f"{result.service} authorized", result.message, 200)
    return result
