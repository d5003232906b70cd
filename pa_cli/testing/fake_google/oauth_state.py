"""OAuth 2 state of the fake: the registered client, codes, tokens, knobs and records.

Everything here is plain Python called under the owning ``FakeGoogle``'s lock; the HTTP side
lives in ``oauth_routes``.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pa_cli.testing.fake_google.responses import insufficient_scopes, unauthenticated

CODE_LIFETIME_SECONDS = 600


@dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    code_challenge: str | None
    code_challenge_method: str
    offline: bool
    issued_at: float
    used: bool = False


@dataclass
class RefreshGrant:
    token: str
    client_id: str
    scopes: tuple[str, ...]
    revoked: bool = False


@dataclass
class AccessGrant:
    token: str
    client_id: str
    scopes: tuple[str, ...]
    expires_at: float
    refresh_token: str | None
    revoked: bool = False


@dataclass(frozen=True)
class TokenRequest:
    """One POST to the token endpoint, as received and as answered."""

    grant_type: str
    params: dict[str, str]
    client_auth: str | None  # "basic", "body" or None
    status: int
    error: str | None


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str | None
    scopes: tuple[str, ...]
    expires_in: int


@dataclass(frozen=True)
class TokenOutcome:
    status: int
    body: dict[str, Any]


@dataclass
class OAuthState:
    client_id: str
    client_secret: str
    access_token_lifetime: int = 3600
    auth_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[TokenRequest] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)
    codes: dict[str, AuthCode] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshGrant] = field(default_factory=dict)
    access_tokens: dict[str, AccessGrant] = field(default_factory=dict)
    deny_next: bool = False
    wrong_state_next: bool = False
    fail_exchange_next: bool = False
    untick_next: set[str] = field(default_factory=set)

    # -- knobs --------------------------------------------------------------------------------

    def revoke_all(self) -> None:
        for grant in self.refresh_tokens.values():
            grant.revoked = True
        for access in self.access_tokens.values():
            access.revoked = True

    def invalidate_refresh_tokens(self) -> None:
        for grant in self.refresh_tokens.values():
            grant.revoked = True

    def expire_access_tokens(self) -> None:
        past = time.time() - 1
        for access in self.access_tokens.values():
            access.expires_at = min(access.expires_at, past)

    @property
    def granted_scopes(self) -> set[str]:
        """Scopes the user has granted this client and not revoked (what include_granted_scopes adds)."""
        granted: set[str] = set()
        for grant in self.refresh_tokens.values():
            if not grant.revoked:
                granted.update(grant.scopes)
        for access in self.access_tokens.values():
            if not access.revoked and access.refresh_token is None:
                granted.update(access.scopes)
        return granted

    def issue_tokens(self, scopes: Iterable[str], *, offline: bool = True) -> IssuedTokens:
        scope_tuple = tuple(dict.fromkeys(scopes))
        refresh = None
        if offline:
            refresh = "1//fake-" + secrets.token_urlsafe(24)
            self.refresh_tokens[refresh] = RefreshGrant(refresh, self.client_id, scope_tuple)
        access = self._mint_access(scope_tuple, refresh)
        return IssuedTokens(access.token, refresh, scope_tuple, self.access_token_lifetime)

    def _mint_access(self, scopes: tuple[str, ...], refresh: str | None) -> AccessGrant:
        token = "ya29.fake-" + secrets.token_urlsafe(24)
        grant = AccessGrant(token, self.client_id, scopes, time.time() + self.access_token_lifetime, refresh)
        self.access_tokens[token] = grant
        return grant

    # -- authorization endpoint --------------------------------------------------------------

    def authorize(self, params: Mapping[str, str]) -> tuple[str | None, dict[str, str]]:
        """Answer an authorization request: (error page text, None) or (None, redirect query)."""
        self.auth_requests.append(dict(params))
        if params.get("client_id") != self.client_id:
            return "Error 401: invalid_client. The OAuth client was not found.", {}
        redirect_uri = params.get("redirect_uri", "")
        if not is_loopback_redirect(redirect_uri):
            return f"Error 400: redirect_uri_mismatch ({redirect_uri!r} is not a loopback URI).", {}
        if params.get("response_type") != "code":
            return "Error 400: unsupported_response_type.", {}
        requested = params.get("scope", "").split()
        if not requested:
            return "Error 400: invalid_request. Missing required parameter: scope", {}
        method = params.get("code_challenge_method", "plain")
        if "code_challenge" in params and method not in ("S256", "plain"):
            return "Error 400: invalid_request. Invalid code_challenge_method.", {}
        state = params.get("state")
        query: dict[str, str] = {}
        if self.wrong_state_next:
            self.wrong_state_next = False
            state = "forged-" + secrets.token_urlsafe(8)
        if self.deny_next:
            self.deny_next = False
            query["error"] = "access_denied"
            if state is not None:
                query["state"] = state
            return None, query
        granted = [scope for scope in requested if scope not in self.untick_next]
        self.untick_next = set()
        if params.get("include_granted_scopes") == "true":
            granted += sorted(self.granted_scopes - set(granted))
        code = "4/fake-" + secrets.token_urlsafe(24)
        self.codes[code] = AuthCode(
            code=code,
            client_id=self.client_id,
            redirect_uri=redirect_uri,
            scopes=tuple(granted),
            code_challenge=params.get("code_challenge"),
            code_challenge_method=method,
            offline=params.get("access_type") == "offline",
            issued_at=time.time(),
        )
        query["code"] = code
        if state is not None:
            query["state"] = state
        query["scope"] = " ".join(granted)
        query["authuser"] = "0"
        query["prompt"] = "consent"
        return None, query

    # -- token endpoint ----------------------------------------------------------------------

    def token(self, form: Mapping[str, str], basic: tuple[str, str] | None) -> TokenOutcome:
        grant_type = form.get("grant_type", "")
        client_auth = "basic" if basic else ("body" if "client_id" in form else None)
        outcome = self._token(grant_type, form, basic)
        self.token_requests.append(
            TokenRequest(
                grant_type=grant_type,
                params=dict(form),
                client_auth=client_auth,
                status=outcome.status,
                error=outcome.body.get("error"),
            )
        )
        return outcome

    def _token(self, grant_type: str, form: Mapping[str, str], basic: tuple[str, str] | None) -> TokenOutcome:
        client_id, client_secret = basic or (form.get("client_id", ""), form.get("client_secret", ""))
        if client_id != self.client_id or client_secret != self.client_secret:
            return _error(401, "invalid_client", "The OAuth client was not found.")
        if grant_type == "authorization_code":
            return self._exchange_code(form)
        if grant_type == "refresh_token":
            return self._refresh(form)
        return _error(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")

    def _exchange_code(self, form: Mapping[str, str]) -> TokenOutcome:
        code = self.codes.get(form.get("code", ""))
        if self.fail_exchange_next:
            self.fail_exchange_next = False
            if code is not None:
                code.used = True
            return _error(400, "invalid_grant", "Bad Request")
        if code is None:
            return _error(400, "invalid_grant", "Malformed auth code.")
        if code.used or time.time() - code.issued_at > CODE_LIFETIME_SECONDS:
            return _error(400, "invalid_grant", "Bad Request")
        if form.get("redirect_uri") != code.redirect_uri:
            return _error(400, "redirect_uri_mismatch", "Bad Request")
        if code.code_challenge is not None:
            verifier = form.get("code_verifier")
            if not verifier:
                return _error(400, "invalid_grant", "Missing code verifier.")
            if pkce_challenge(verifier, code.code_challenge_method) != code.code_challenge:
                return _error(400, "invalid_grant", "Invalid code verifier.")
        code.used = True
        issued = self.issue_tokens(code.scopes, offline=code.offline)
        body: dict[str, Any] = {
            "access_token": issued.access_token,
            "expires_in": issued.expires_in,
            "scope": " ".join(issued.scopes),
            "token_type": "Bearer",
        }
        if issued.refresh_token:
            body["refresh_token"] = issued.refresh_token
        return TokenOutcome(200, body)

    def _refresh(self, form: Mapping[str, str]) -> TokenOutcome:
        grant = self.refresh_tokens.get(form.get("refresh_token", ""))
        if grant is None or grant.revoked:
            return _error(400, "invalid_grant", "Token has been expired or revoked.")
        scopes = grant.scopes
        if form.get("scope"):
            wanted = tuple(form["scope"].split())
            if not set(wanted) <= set(grant.scopes):
                return _error(400, "invalid_scope", "Some requested scopes were invalid.")
            scopes = wanted
        access = self._mint_access(scopes, grant.token)
        body = {
            "access_token": access.token,
            "expires_in": self.access_token_lifetime,
            "scope": " ".join(scopes),
            "token_type": "Bearer",
        }
        return TokenOutcome(200, body)

    # -- revocation ---------------------------------------------------------------------------

    def revoke(self, token: str) -> TokenOutcome:
        refresh = self.refresh_tokens.get(token)
        access = self.access_tokens.get(token)
        if access is not None and not access.revoked and access.refresh_token:
            refresh = self.refresh_tokens.get(access.refresh_token)
        if refresh is not None and not refresh.revoked:
            refresh.revoked = True
            for other in self.access_tokens.values():
                if other.refresh_token == refresh.token:
                    other.revoked = True
        elif access is None or access.revoked:
            return _error(400, "invalid_token", "Token expired or revoked")
        if access is not None:
            access.revoked = True
        self.revoked.append(token)
        return TokenOutcome(200, {})

    def is_revoked(self, token: str) -> bool:
        grant = self.refresh_tokens.get(token) or self.access_tokens.get(token)
        return grant is not None and grant.revoked

    # -- API access -------------------------------------------------------------------------

    def check_access(self, authorization: str | None, allowed: Iterable[str]) -> AccessGrant:
        """The access grant behind a Bearer header that may call a method allowing ``allowed``."""
        if not authorization or not authorization.lower().startswith("bearer "):
            raise unauthenticated(
                "Request is missing required authentication credential. Expected OAuth 2 access token, "
                "login cookie or other valid authentication credential."
            )
        grant = self.access_tokens.get(authorization[7:].strip())
        if grant is None or grant.revoked or grant.expires_at <= time.time():
            raise unauthenticated(
                "Request had invalid authentication credentials. Expected OAuth 2 access token, "
                "login cookie or other valid authentication credential."
            )
        if not set(grant.scopes) & set(allowed):
            raise insufficient_scopes()
        return grant


def pkce_challenge(verifier: str, method: str) -> str:
    if method == "plain":
        return verifier
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def is_loopback_redirect(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")


def _error(status: int, error: str, description: str) -> TokenOutcome:
    return TokenOutcome(status, {"error": error, "error_description": description})
