"""Google OAuth for pa: installed-app flow on a loopback redirect, web flow for ``pa serve``, revoke.

PKCE (S256) and state are checked; authorization is incremental
(``include_granted_scopes``) and asks only for the one service's scopes.
Nothing is stored unless the whole flow succeeds. google-auth-oauthlib is
imported inside the functions: ``pa --help`` must not pay for it.
"""

from __future__ import annotations

import contextlib
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pa_cli.errors import AuthorizationNeeded, PaError
from pa_cli.google.client_config import GoogleClientConfig, SecretsLike, check_endpoint, load_client_config
from pa_cli.google.credentials import (
    clear_local_authorization,
    granted_scopes,
    save_tokens,
    token_names,
)
from pa_cli.google.loopback import LoopbackListener, LoopbackTimeout
from pa_cli.google.scopes import SCOPES, SERVICES, authorize_hint, check_service, scopes_for, short_scope

if TYPE_CHECKING:
    from pa_cli.config import Settings
    from pa_cli.store import Store

__all__ = [
    "SCOPES",
    "SERVICES",
    "AuthorizationFailed",
    "AuthorizationResult",
    "authorize",
    "begin_web_authorization",
    "complete_web_authorization",
    "revoke",
]


EXCHANGE_TIMEOUT_SECONDS = 30.0


class AuthorizationFailed(AuthorizationNeeded):
    """The authorization flow did not complete; nothing was stored."""

    code = "authorization_failed"


@dataclass(frozen=True)
class AuthorizationResult:
    service: str
    scopes: list[str]
    #: Requested scopes the user did not grant (unticked boxes on the consent screen).
    missing_scopes: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        line = f"{self.service} authorized: {', '.join(short_scope(s) for s in self.scopes)}"
        if self.missing_scopes:
            line += f" (not granted: {', '.join(short_scope(s) for s in self.missing_scopes)})"
        return line


def _prepare_environment(config: GoogleClientConfig) -> None:
    # Granted scopes differ from requested ones with incremental authorization or
    # unticked boxes; oauthlib would discard such a token without this.
    os.environ["OAUTHLIB_RELAX_TOKEN_SCOPE"] = "1"
    if config.uses_loopback_endpoints:
        # Only ever for loopback endpoints: client_config refuses http anywhere else.
        os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"


def _make_flow(
    config: GoogleClientConfig, scopes: list[str], redirect_uri: str, code_verifier: str | None = None
) -> Any:
    from google_auth_oauthlib.flow import Flow

    return Flow.from_client_config(
        config.flow_config(),
        scopes=scopes,
        redirect_uri=redirect_uri,
        code_verifier=code_verifier,
        autogenerate_code_verifier=True,
    )


def _authorization_url(flow: Any) -> tuple[str, str]:
    url, state = flow.authorization_url(
        access_type="offline",
        include_granted_scopes="true",
        prompt="consent",
    )
    return str(url), str(state)


def _failed(service: str, what: str) -> AuthorizationFailed:
    return AuthorizationFailed(
        f"{service} authorization failed: {what}; nothing was stored: {authorize_hint(service)} to try again"
    )


def _check_callback(params: dict[str, str], state: str, service: str) -> str:
    """The authorization code from a redirect, after the state and error checks."""
    if not hmac.compare_digest(params.get("state", "").encode(), state.encode()):
        raise _failed(service, "the redirect's state did not match this request (a stale or forged redirect)")
    error = params.get("error")
    if error == "access_denied":
        raise _failed(service, "access was denied in the browser (access_denied)")
    if error:
        raise _failed(service, f"Google returned an error ({_safe_code(error)})")
    code = params.get("code")
    if not code:
        raise _failed(service, "the redirect carried no authorization code")
    return code


def _safe_code(value: object) -> str:
    text = str(value)
    return "".join(ch for ch in text if ch.isalnum() or ch in "_-.")[:60] or "unknown"


def _exchange(flow: Any, code: str, service: str) -> dict[str, Any]:
    import requests
    from oauthlib.oauth2.rfc6749.errors import OAuth2Error  # type: ignore[import-untyped]

    try:
        token = flow.fetch_token(code=code, timeout=EXCHANGE_TIMEOUT_SECONDS)
    except OAuth2Error as exc:
        raise _failed(service, f"the authorization code was refused ({_safe_code(exc.error)})") from None
    except requests.RequestException:
        raise _failed(service, "the Google token endpoint could not be reached") from None
    except Exception as exc:
        raise _failed(service, f"the code exchange failed ({type(exc).__name__})") from None
    if not isinstance(token, dict) or not token.get("access_token"):
        raise _failed(service, "the token endpoint returned no access token")
    return dict(token)


def _granted(token: dict[str, Any], requested: list[str]) -> list[str]:
    raw = token.get("scope")
    if isinstance(raw, str):
        return raw.split()
    if isinstance(raw, list | tuple):
        return [str(s) for s in raw]
    return list(requested)


def _expiry(token: dict[str, Any]) -> datetime | None:
    expires_at = token.get("expires_at")
    if isinstance(expires_at, int | float):
        return datetime.fromtimestamp(expires_at, UTC)
    return None


def _finish(
    store: Store,
    secrets: SecretsLike,
    user_id: int,
    service: str,
    token: dict[str, Any],
    requested: list[str],
) -> AuthorizationResult:
    granted = _granted(token, requested)
    usable = [s for s in requested if s in granted]
    if not usable:
        raise _failed(service, f"none of the {service} permissions were granted")
    refresh_token = token.get("refresh_token")
    if not isinstance(refresh_token, str) or not refresh_token:
        raise _failed(
            service,
            "Google returned no refresh token (remove pa's access at "
            "https://myaccount.google.com/permissions, then authorize again)",
        )
    save_tokens(
        store,
        secrets,
        user_id,
        service,
        refresh_token=refresh_token,
        access_token=str(token["access_token"]),
        expiry=_expiry(token),
        scopes=granted,
    )
    missing = [s for s in requested if s not in granted]
    return AuthorizationResult(service=service, scopes=usable, missing_scopes=missing)


def _open_browser(url: str) -> None:
    import webbrowser

    with contextlib.suppress(webbrowser.Error):  # the URL was already handed to on_url
        webbrowser.open(url, new=1, autoraise=True)


def authorize(
    settings: Settings,
    store: Store,
    secrets: SecretsLike,
    user_id: int,
    service: str,
    *,
    open_browser: bool = True,
    on_url: Callable[[str], None],
    timeout_seconds: float = 300,
) -> AuthorizationResult:
    """Run the installed-app flow: URL to ``on_url`` (and the browser), wait for the loopback redirect."""
    check_service(service)
    config = load_client_config(settings, secrets)
    requested = scopes_for(settings, service)
    _prepare_environment(config)
    with LoopbackListener() as listener:
        flow = _make_flow(config, requested, listener.redirect_uri)
        auth_url, state = _authorization_url(flow)
        on_url(auth_url)
        if open_browser:
            _open_browser(auth_url)
        try:
            params = listener.wait(timeout_seconds)
        except LoopbackTimeout:
            raise _failed(service, f"no answer from the browser within {timeout_seconds:g} s") from None
    code = _check_callback(params, state, service)
    token = _exchange(flow, code, service)
    return _finish(store, secrets, user_id, service, token, requested)


def begin_web_authorization(
    settings: Settings, secrets: SecretsLike, service: str, redirect_uri: str
) -> tuple[str, str, str]:
    """Start a browser flow for ``pa serve``: ``(auth_url, state, code_verifier)``.

    The caller keeps state and code_verifier server-side and checks the state on the callback.
    """
    check_service(service)
    config = load_client_config(settings, secrets)
    _prepare_environment(config)
    flow = _make_flow(config, scopes_for(settings, service), redirect_uri)
    auth_url, state = _authorization_url(flow)
    return auth_url, state, str(flow.code_verifier)


def complete_web_authorization(
    settings: Settings,
    store: Store,
    secrets: SecretsLike,
    user_id: int,
    service: str,
    *,
    code: str,
    code_verifier: str,
    redirect_uri: str,
) -> AuthorizationResult:
    """Exchange the code from ``pa serve``'s callback (the caller has checked the state)."""
    check_service(service)
    config = load_client_config(settings, secrets)
    requested = scopes_for(settings, service)
    _prepare_environment(config)
    flow = _make_flow(config, requested, redirect_uri, code_verifier=code_verifier)
    token = _exchange(flow, code, service)
    return _finish(store, secrets, user_id, service, token, requested)


def _revoke_at_google(revoke_uri: str, token: str) -> str | None:
    """POST the token to the revocation endpoint; a problem description, or None when revoked."""
    import httpx

    try:
        response = httpx.post(revoke_uri, data={"token": token}, timeout=30.0)
    except httpx.HTTPError:
        return "the revocation endpoint could not be reached"
    if response.status_code == 200:
        return None
    if response.status_code == 400:
        try:
            error = response.json().get("error")
        except ValueError:
            error = None
        if error == "invalid_token":
            return None  # already revoked or expired: the grant is gone either way
    return f"the revocation endpoint answered HTTP {response.status_code}"


def revoke(settings: Settings, store: Store, secrets: SecretsLike, user_id: int, service: str) -> list[str]:
    """Revoke the service's grant at Google and delete everything local.

    Returns the services whose local authorization was deleted: Google revokes a
    whole grant, so a service authorized incrementally on top of it goes too.
    Raises ``PaError`` (after the local deletion) when Google could not be told.
    """
    check_service(service)
    revoke_uri = check_endpoint("google.revoke_uri", settings.google.revoke_uri, "configuration")
    names = token_names(store, user_id, service)
    token = secrets.get(names.refresh_token)
    if not token:
        import json

        cached = secrets.get(names.access_token)
        try:
            token = json.loads(cached).get("token") if cached else None
        except (ValueError, AttributeError):
            token = None
    problem = _revoke_at_google(revoke_uri, token) if token else None
    mine = set(granted_scopes(store, user_id, service) or [])
    cleared = [service]
    for other in SERVICES:
        if other == service:
            continue
        theirs = granted_scopes(store, user_id, other)
        if theirs is not None and mine & set(theirs):
            clear_local_authorization(store, secrets, user_id, other)
            cleared.append(other)
    clear_local_authorization(store, secrets, user_id, service)
    if problem:
        raise PaError(
            f"{service} was deleted locally, but {problem}: remove pa's access at "
            "https://myaccount.google.com/permissions"
        )
    return cleared
