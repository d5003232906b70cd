"""HTTP side of the fake OAuth server: authorization, token, revoke and tokeninfo endpoints."""

from __future__ import annotations

import base64
import binascii
import time
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from pa_cli.testing.fake_google.responses import oauth_error

if TYPE_CHECKING:
    from pa_cli.testing.fake_google.server import FakeGoogle


def oauth_routes(fake: FakeGoogle) -> list[BaseRoute]:
    async def authorize(request: Request) -> Response:
        params = dict(request.query_params)
        with fake.lock:
            page, query = fake.oauth.authorize(params)
        if page is not None:
            status = 401 if "invalid_client" in page else 400
            return PlainTextResponse(page, status_code=status)
        return RedirectResponse(_with_query(params["redirect_uri"], query), status_code=302)

    async def token(request: Request) -> Response:
        form = await _form(request)
        basic = _basic_credentials(request.headers.get("authorization"))
        with fake.lock:
            outcome = fake.oauth.token(form, basic)
        return JSONResponse(outcome.body, status_code=outcome.status, headers={"Cache-Control": "no-store"})

    async def revoke(request: Request) -> Response:
        form = await _form(request)
        token_value = form.get("token") or request.query_params.get("token")
        if not token_value:
            return oauth_error(400, "invalid_request", "Missing required parameter: token")
        with fake.lock:
            outcome = fake.oauth.revoke(token_value)
        return JSONResponse(outcome.body, status_code=outcome.status)

    async def tokeninfo(request: Request) -> Response:
        token_value = request.query_params.get("access_token", "")
        with fake.lock:
            grant = fake.oauth.access_tokens.get(token_value)
            if grant is None or grant.revoked or grant.expires_at <= time.time():
                return oauth_error(400, "invalid_token", "Invalid Value")
            return JSONResponse(
                {
                    "aud": grant.client_id,
                    "azp": grant.client_id,
                    "scope": " ".join(grant.scopes),
                    "exp": str(int(grant.expires_at)),
                    "expires_in": str(int(grant.expires_at - time.time())),
                    "access_type": "offline" if grant.refresh_token else "online",
                }
            )

    return [
        Route("/o/oauth2/auth", authorize, methods=["GET"]),
        Route("/o/oauth2/v2/auth", authorize, methods=["GET"]),
        Route("/token", token, methods=["POST"]),
        Route("/revoke", revoke, methods=["POST"]),
        Route("/o/oauth2/revoke", revoke, methods=["POST", "GET"]),
        Route("/oauth2/v3/tokeninfo", tokeninfo, methods=["GET"]),
    ]


async def _form(request: Request) -> dict[str, str]:
    """The url-encoded form body (parsed here, so no multipart library is needed)."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return dict(parse_qsl(body, keep_blank_values=True))


def _with_query(uri: str, extra: dict[str, str]) -> str:
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(extra.items())
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip()).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, _, secret = decoded.partition(":")
    return unquote(client_id), unquote(secret)
