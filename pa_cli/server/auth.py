"""Bearer tokens for ``pa serve``: HS256 JWTs whose ``jti`` is a row of ``api_clients``.

The signing key lives in the secret store (``server.signing_key``), never in the
database or the configuration. A token is checked on every request: signature,
issuer, audience, expiry, and its ``jti`` against ``api_clients``, so
``pa serve token revoke`` takes effect at once, in every worker.
"""

from __future__ import annotations

import base64
import secrets as pysecrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pa_cli.server.errors import ApiError

if TYPE_CHECKING:
    from pa_cli.config import Settings
    from pa_cli.secrets import SecretStore
    from pa_cli.store import ApiClient, Store

SIGNING_KEY_NAME = "server.signing_key"
ISSUER = "pa"
AUDIENCE = "pa-serve"
ALGORITHM = "HS256"
LEEWAY_SECONDS = 30
#: ``last_used_at`` is refreshed at most this often (a write on every request would serialise them).
MARK_USED_EVERY = timedelta(minutes=5)
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="pa"'}


@dataclass(frozen=True)
class Principal:
    """Who is calling: the device (api client) and the user it acts for."""

    client_id: str
    user_id: int
    name: str


@dataclass(frozen=True)
class IssuedToken:
    client: ApiClient
    token: str
    expires_at: datetime


def ensure_signing_key(secrets: SecretStore) -> bytes:
    """The server's signing key, created (256 random bits) the first time it is needed."""
    stored = secrets.get(SIGNING_KEY_NAME)
    if not stored:
        secrets.set(SIGNING_KEY_NAME, base64.urlsafe_b64encode(pysecrets.token_bytes(32)).decode("ascii"))
        stored = secrets.get(SIGNING_KEY_NAME)
        assert stored
    return base64.urlsafe_b64decode(stored.encode("ascii"))


def issue_token(
    settings: Settings, store: Store, secrets: SecretStore, name: str, *, now: datetime | None = None
) -> IssuedToken:
    """Register a device for the local user and sign its token (shown once, never stored)."""
    import jwt

    key = ensure_signing_key(secrets)
    user = store.users.local_user()
    client = store.api_clients.create(user.id, name)
    issued_at = now or datetime.now(UTC)
    expires_at = issued_at + timedelta(days=settings.server.token_ttl_days)
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(user.id),
        "jti": client.id,
        "iat": int(issued_at.timestamp()),
        "exp": int(expires_at.timestamp()),
    }
    token = jwt.encode(claims, key, algorithm=ALGORITHM)
    return IssuedToken(client=client, token=token, expires_at=expires_at)


def unauthorized(code: str, message: str) -> ApiError:
    return ApiError(401, code, message, headers=_CHALLENGE)


def decode_token(token: str, key: bytes) -> dict[str, Any]:
    """The verified claims; ``ApiError`` 401 for anything wrong (never says which secret part)."""
    import jwt

    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "jti", "sub", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise unauthorized(
            "token_expired", "the token has expired: create a new one with `pa serve token create`"
        ) from None
    except jwt.InvalidTokenError:
        raise unauthorized("invalid_token", "the token is not valid") from None
    if not isinstance(claims.get("jti"), str) or not str(claims.get("sub", "")).isdigit():
        raise unauthorized("invalid_token", "the token is not valid")
    return claims


def authenticate(store: Store, key: bytes, authorization: str | None) -> Principal:
    """Check an ``Authorization`` header value against the key and ``api_clients``."""
    if not authorization:
        raise unauthorized("unauthorized", "a bearer token is required (Authorization: Bearer <token>)")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise unauthorized("unauthorized", "use the Bearer scheme: Authorization: Bearer <token>")
    claims = decode_token(token, key)
    client = store.api_clients.get(claims["jti"])
    if client is None or client.user_id != int(claims["sub"]):
        raise unauthorized("invalid_token", "the token is not valid")
    if client.revoked_at is not None:
        raise unauthorized("token_revoked", "the token was revoked")
    last = client.last_used_at
    if last is None or datetime.now(UTC) - last > MARK_USED_EVERY:
        store.api_clients.mark_used(client.id)
    return Principal(client_id=client.id, user_id=client.user_id, name=client.name)
