"""Google user credentials: token storage, loading, refresh and revocation handling.

Token values live only in the secret store, in two entries per service (the
refresh token, and a JSON cache of the access token with its expiry: Windows
Credential Manager holds ~1,280 characters per entry). The database's
``oauth_tokens`` table keeps metadata only (scopes, expiry), so
``is_authorized`` needs neither the keyring nor the network.

google-auth has no refresh callback: callers snapshot the tokens with
``token_snapshot`` before API calls and ``save_if_changed`` afterwards.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pa_cli.errors import AuthorizationNeeded, PaError
from pa_cli.google.client_config import SecretsLike, load_client_config
from pa_cli.google.scopes import PROVIDER, authorize_hint, check_service, not_authorized_message, scopes_for

if TYPE_CHECKING:
    from google.oauth2.credentials import Credentials

    from pa_cli.config import Settings
    from pa_cli.store import Store


LOCAL_USER_NAME = "local"


@dataclass(frozen=True)
class TokenNames:
    refresh_token: str
    access_token: str


def token_names(store: Store, user_id: int, service: str) -> TokenNames:
    """Secret-store names: ``google.<service>.*`` for the local user, per-user names otherwise."""
    check_service(service)
    user = store.users.get(user_id)
    if user is None or user.name == LOCAL_USER_NAME:
        prefix = f"google.{service}"
    else:
        prefix = f"google.user{user_id}.{service}"
    return TokenNames(f"{prefix}.refresh_token", f"{prefix}.access_token")


def _utc_naive(value: datetime | None) -> datetime | None:
    """google-auth compares expiry with a naive UTC ``utcnow()``."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _utc_aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def save_tokens(
    store: Store,
    secrets: SecretsLike,
    user_id: int,
    service: str,
    *,
    refresh_token: str,
    access_token: str | None,
    expiry: datetime | None,
    scopes: Sequence[str],
) -> None:
    """Store the tokens in the secret store and the metadata in ``oauth_tokens``; all or nothing."""
    names = token_names(store, user_id, service)
    try:
        secrets.set(names.refresh_token, refresh_token)
        _save_access_token(secrets, names, access_token, expiry)
        store.oauth_tokens.upsert(user_id, PROVIDER, service, scopes=list(scopes), expiry=_utc_aware(expiry))
    except BaseException:
        _delete_secrets(secrets, names)
        raise


def _save_access_token(
    secrets: SecretsLike, names: TokenNames, access_token: str | None, expiry: datetime | None
) -> None:
    if access_token is None:
        secrets.delete(names.access_token)
        return
    aware = _utc_aware(expiry)
    payload = {"token": access_token, "expiry": aware.isoformat() if aware else None}
    secrets.set(names.access_token, json.dumps(payload))


def _delete_secrets(secrets: SecretsLike, names: TokenNames) -> None:
    for name in (names.access_token, names.refresh_token):
        with contextlib.suppress(Exception):  # best effort: a missing entry is what we want
            secrets.delete(name)


def clear_local_authorization(store: Store, secrets: SecretsLike, user_id: int, service: str) -> None:
    """Forget everything local about ``service``: both keyring entries and the metadata row."""
    _delete_secrets(secrets, token_names(store, user_id, service))
    store.oauth_tokens.delete(user_id, PROVIDER, service)


def granted_scopes(store: Store, user_id: int, service: str) -> list[str] | None:
    row = store.oauth_tokens.get(user_id, PROVIDER, service)
    if row is None:
        return None
    return list(row.scopes or [])


def grants_by_service(store: Store, user_id: int) -> dict[str, frozenset[str]]:
    """Every Google service the user has a stored grant for, with its scopes (one query)."""
    return {
        row.service: frozenset(row.scopes or [])
        for row in store.oauth_tokens.list(user_id)
        if row.provider == PROVIDER
    }


def grant_covers(
    settings: Settings, service: str, granted: Iterable[str] | None, scopes: Sequence[str] | None = None
) -> bool:
    """Whether ``granted`` (None: no grant) covers ``scopes`` (default: the service's scopes)."""
    check_service(service)
    if granted is None:
        return False
    needed = scopes_for(settings, service) if scopes is None else scopes
    return set(needed) <= set(granted)


def is_authorized(
    settings: Settings, store: Store, user_id: int, service: str, scopes: Sequence[str] | None = None
) -> bool:
    """Whether ``service`` has a stored grant covering ``scopes`` (default: the service's scopes).

    Reads only ``oauth_tokens`` metadata: no keyring, no network.
    """
    check_service(service)
    return grant_covers(settings, service, granted_scopes(store, user_id, service), scopes)


def require_authorized(
    settings: Settings, store: Store, user_id: int, service: str, scopes: Sequence[str] | None = None
) -> None:
    if not is_authorized(settings, store, user_id, service, scopes):
        raise AuthorizationNeeded(not_authorized_message(service))


def _read_access_token(secrets: SecretsLike, names: TokenNames) -> tuple[str | None, datetime | None]:
    raw = secrets.get(names.access_token)
    if not raw:
        return None, None
    try:
        data = json.loads(raw)
        token = data.get("token")
        expiry = datetime.fromisoformat(data["expiry"]) if data.get("expiry") else None
    except (ValueError, TypeError, AttributeError, KeyError):
        return None, None
    return (token if isinstance(token, str) else None), expiry


def _is_invalid_grant(exc: BaseException) -> bool:
    args: tuple[Any, ...] = getattr(exc, "args", ())
    return len(args) > 1 and isinstance(args[1], dict) and args[1].get("error") == "invalid_grant"


def revoked_grant(store: Store, secrets: SecretsLike, user_id: int, service: str) -> AuthorizationNeeded:
    """Mark ``service`` unauthorized after ``invalid_grant`` and return the error to raise."""
    clear_local_authorization(store, secrets, user_id, service)
    return AuthorizationNeeded(
        f"{service} authorization was revoked or has expired: {authorize_hint(service)}"
    )


def refresh_failure(
    exc: BaseException, store: Store, secrets: SecretsLike, user_id: int, service: str
) -> PaError:
    """Map a google-auth refresh/transport error to a user-facing error (never the token)."""
    if _is_invalid_grant(exc):
        return revoked_grant(store, secrets, user_id, service)
    args: tuple[Any, ...] = getattr(exc, "args", ())
    detail = args[1].get("error") if len(args) > 1 and isinstance(args[1], dict) else None
    if detail in ("invalid_client", "unauthorized_client"):
        return AuthorizationNeeded(
            f"Google rejected the OAuth client ({detail}) while refreshing the {service} token: "
            "run `pa tools setup google --client-secrets FILE`, then " + authorize_hint(service)
        )
    reason = f" ({detail})" if isinstance(detail, str) else ""
    return PaError(
        f"could not refresh the {service} token{reason}: the Google token endpoint failed; try again"
    )


def load_credentials(
    settings: Settings, store: Store, secrets: SecretsLike, user_id: int, service: str
) -> Credentials:
    """The service's credentials, refreshed if expired and saved back when the tokens changed.

    Raises ``AuthorizationNeeded`` when there is no grant, or when Google says the
    grant was revoked (``invalid_grant``: the local state is cleared first).
    """
    import google.auth.exceptions
    import google.auth.transport.requests
    from google.oauth2.credentials import Credentials

    check_service(service)
    row = store.oauth_tokens.get(user_id, PROVIDER, service)
    if row is None:
        raise AuthorizationNeeded(not_authorized_message(service))
    names = token_names(store, user_id, service)
    refresh_token = secrets.get(names.refresh_token)
    if not refresh_token:
        store.oauth_tokens.delete(user_id, PROVIDER, service)
        raise AuthorizationNeeded(not_authorized_message(service))
    config = load_client_config(settings, secrets)
    access_token, expiry = _read_access_token(secrets, names)
    creds = Credentials(
        token=access_token,
        refresh_token=refresh_token,
        token_uri=config.token_uri,
        client_id=config.client_id,
        client_secret=config.client_secret,
        granted_scopes=list(row.scopes or []),
        expiry=_utc_naive(expiry),
    )
    if not creds.valid:
        before = token_snapshot(creds)
        try:
            creds.refresh(google.auth.transport.requests.Request())
        except (google.auth.exceptions.RefreshError, google.auth.exceptions.TransportError) as exc:
            raise refresh_failure(exc, store, secrets, user_id, service) from None
        save_if_changed(store, secrets, user_id, service, creds, before)
    return creds


TokenSnapshot = tuple[Any, Any, Any]


def token_snapshot(creds: Credentials) -> TokenSnapshot:
    return (creds.token, creds.refresh_token, creds.expiry)


def save_if_changed(
    store: Store,
    secrets: SecretsLike,
    user_id: int,
    service: str,
    creds: Credentials,
    before: TokenSnapshot,
) -> bool:
    """Persist refreshed tokens (google-auth refreshes silently inside API calls)."""
    if token_snapshot(creds) == before:
        return False
    names = token_names(store, user_id, service)
    if creds.refresh_token and creds.refresh_token != before[1]:
        secrets.set(names.refresh_token, creds.refresh_token)
    _save_access_token(secrets, names, creds.token, creds.expiry)
    scopes = granted_scopes(store, user_id, service) or []
    store.oauth_tokens.upsert(user_id, PROVIDER, service, scopes=scopes, expiry=_utc_aware(creds.expiry))
    return True
