"""google/oauth.py's helpers in process: the exact words of every failure, the redirect checks, the
token's scopes and expiry, the environment, and the revocation endpoint's answers.

test_oauth.py and test_credentials.py run the whole flows against the fake Google on loopback; these
pin each branch cheaply (the module's first guard under mutation testing). The revocation endpoint is
a real HTTP server on 127.0.0.1 answering as scripted; the OAuth flow object is a recorded stand-in
(a unit test of what is asked of it).
"""

from __future__ import annotations

import dataclasses
import json
import threading
import webbrowser
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from oauthlib.oauth2.rfc6749.errors import InvalidGrantError  # type: ignore[import-untyped]

from pa_cli.errors import AuthorizationNeeded
from pa_cli.google import oauth
from pa_cli.google.client_config import GoogleClientConfig
from pa_cli.google.credentials import granted_scopes, token_names
from pa_cli.google.oauth import AuthorizationFailed, AuthorizationResult
from pa_cli.google.scopes import CALENDAR_READONLY, CONTACTS_READONLY, GMAIL_COMPOSE, GMAIL_READONLY
from tests.google.support import GoogleRig

HINT = "run `pa tools authorize gmail` to try again"


def failure(what: str, service: str = "gmail") -> str:
    return f"{service} authorization failed: {what}; nothing was stored: {HINT.replace('gmail', service)}"


def test_an_authorization_failure_says_what_failed_and_that_nothing_was_stored() -> None:
    error = oauth._failed("gmail", "it broke")
    assert isinstance(error, AuthorizationNeeded)
    assert (error.code, error.message) == ("authorization_failed", failure("it broke"))


def test_the_result_message_names_the_granted_and_missing_scopes() -> None:
    full = AuthorizationResult("gmail", [GMAIL_READONLY, GMAIL_COMPOSE])
    assert full.message == "gmail authorized: gmail.readonly, gmail.compose"
    partial = AuthorizationResult("gmail", [GMAIL_READONLY], [GMAIL_COMPOSE])
    assert partial.message == "gmail authorized: gmail.readonly (not granted: gmail.compose)"
    with pytest.raises(dataclasses.FrozenInstanceError):
        full.service = "calendar"  # type: ignore[misc]


def _config(auth_uri: str, token_uri: str) -> GoogleClientConfig:
    return GoogleClientConfig("installed", "id", auth_uri, token_uri, client_secret="s")


def test_insecure_transport_is_allowed_only_for_loopback_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OAUTHLIB_RELAX_TOKEN_SCOPE", raising=False)
    monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT", raising=False)
    import os

    oauth._prepare_environment(
        _config("https://accounts.google.com/o/oauth2/auth", "https://oauth2.googleapis.com/token")
    )
    assert os.environ["OAUTHLIB_RELAX_TOKEN_SCOPE"] == "1"
    assert "OAUTHLIB_INSECURE_TRANSPORT" not in os.environ
    oauth._prepare_environment(_config("http://127.0.0.1:9/auth", "http://127.0.0.1:9/token"))
    assert os.environ["OAUTHLIB_INSECURE_TRANSPORT"] == "1"


class RecordingFlow:
    """What _authorization_url and _exchange ask of google-auth-oauthlib's Flow, and its scripted answer."""

    def __init__(self, answer: Any = None) -> None:
        self.answer = answer
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def authorization_url(self, **kwargs: Any) -> tuple[str, str]:
        self.calls.append(("authorization_url", kwargs))
        return "https://auth/?x=1", "state-1"

    def fetch_token(self, **kwargs: Any) -> Any:
        self.calls.append(("fetch_token", kwargs))
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer


def test_the_authorization_url_asks_for_offline_incremental_consent() -> None:
    flow = RecordingFlow()
    assert oauth._authorization_url(flow) == ("https://auth/?x=1", "state-1")
    assert flow.calls == [
        (
            "authorization_url",
            {"access_type": "offline", "include_granted_scopes": "true", "prompt": "consent"},
        )
    ]


def test_the_code_is_exchanged_within_30_seconds() -> None:
    flow = RecordingFlow({"access_token": "at", "refresh_token": "rt"})
    assert oauth._exchange(flow, "the-code", "gmail") == {"access_token": "at", "refresh_token": "rt"}
    assert flow.calls == [("fetch_token", {"code": "the-code", "timeout": 30.0})]


@pytest.mark.parametrize(
    ("answer", "what"),
    [
        (InvalidGrantError(), "the authorization code was refused (invalid_grant)"),
        (requests.ConnectionError("secret"), "the Google token endpoint could not be reached"),
        (KeyError("secret"), "the code exchange failed (KeyError)"),
        ({"refresh_token": "rt"}, "the token endpoint returned no access token"),
        ({"access_token": ""}, "the token endpoint returned no access token"),
        ("at", "the token endpoint returned no access token"),
    ],
    ids=["refused", "unreachable", "unexpected", "no-access-token", "empty-access-token", "not-a-dict"],
)
def test_a_failed_exchange_says_why_without_the_details(answer: Any, what: str) -> None:
    with pytest.raises(AuthorizationFailed) as caught:
        oauth._exchange(RecordingFlow(answer), "c", "gmail")
    assert caught.value.message == failure(what)
    # No chained exception carries the library's text (which may hold the code) into a traceback.
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None or caught.value.__suppress_context__


@pytest.mark.parametrize(
    ("params", "what"),
    [
        ({"code": "c"}, "the redirect's state did not match this request (a stale or forged redirect)"),
        (
            {"state": "other", "code": "c"},
            "the redirect's state did not match this request (a stale or forged redirect)",
        ),
        (
            # Built at run time, as a parsed redirect is (not the interned literal the code compares with).
            {"state": "s1", "error": "".join(["access", "_denied"])},
            "access was denied in the browser (access_denied)",
        ),
        ({"state": "s1", "error": "server_error", "code": "c"}, "Google returned an error (server_error)"),
        ({"state": "s1", "error": "<b>x</b>"}, "Google returned an error (bxb)"),
        ({"state": "s1"}, "the redirect carried no authorization code"),
        ({"state": "s1", "code": ""}, "the redirect carried no authorization code"),
    ],
)
def test_a_bad_redirect_fails_with_its_reason(params: dict[str, str], what: str) -> None:
    with pytest.raises(AuthorizationFailed) as caught:
        oauth._check_callback(params, "s1", "gmail")
    assert caught.value.message == failure(what)


def test_a_good_redirect_gives_its_code() -> None:
    assert oauth._check_callback({"state": "s1", "code": "4/0Ab"}, "s1", "gmail") == "4/0Ab"


def test_an_error_code_is_cut_to_60_safe_characters() -> None:
    assert oauth._safe_code("a.b-c_d e/f") == "a.b-c_def"
    assert oauth._safe_code("x" * 61) == "x" * 60
    assert oauth._safe_code("<>/") == "unknown"
    assert oauth._safe_code(None) == "None"


def test_granted_scopes_come_from_the_token_or_are_the_requested_ones() -> None:
    assert oauth._granted({"scope": "a b"}, ["r"]) == ["a", "b"]
    assert oauth._granted({"scope": ["a", 1]}, ["r"]) == ["a", "1"]
    assert oauth._granted({"scope": ("a",)}, ["r"]) == ["a"]
    assert oauth._granted({}, ["r1", "r2"]) == ["r1", "r2"]


def test_the_expiry_is_the_tokens_expires_at_in_utc() -> None:
    assert oauth._expiry({"expires_at": 1_800_000_000}) == datetime(2027, 1, 15, 8, 0, tzinfo=UTC)
    assert oauth._expiry({"expires_at": 1_800_000_000.5}) == datetime(
        2027, 1, 15, 8, 0, 0, 500000, tzinfo=UTC
    )
    assert oauth._expiry({"expires_at": "1800000000"}) is None
    assert oauth._expiry({}) is None


def test_the_browser_is_opened_in_a_new_window_and_its_failure_ignored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened: list[tuple[str, int, bool]] = []

    def fake_open(url: str, new: int = 0, autoraise: bool = True) -> bool:
        opened.append((url, new, autoraise))
        raise webbrowser.Error("no browser")

    monkeypatch.setattr(webbrowser, "open", fake_open)
    oauth._open_browser("https://auth/")
    assert opened == [("https://auth/", 1, True)]


# --- finishing: what is stored ----------------------------------------------------------------


def _token(scope: str, refresh: Any = "rt-1") -> dict[str, Any]:
    return {"access_token": "at-1", "refresh_token": refresh, "scope": scope, "expires_at": 1_800_000_000}


def test_finish_stores_the_granted_scopes_and_reports_the_missing(rig: GoogleRig) -> None:
    result = oauth._finish(
        rig.store, rig.secrets, rig.user_id, "gmail", _token(GMAIL_READONLY), [GMAIL_READONLY, GMAIL_COMPOSE]
    )
    assert result == AuthorizationResult("gmail", [GMAIL_READONLY], [GMAIL_COMPOSE])
    assert granted_scopes(rig.store, rig.user_id, "gmail") == [GMAIL_READONLY]
    names = token_names(rig.store, rig.user_id, "gmail")
    assert rig.secrets.get(names.refresh_token) == "rt-1"


@pytest.mark.parametrize(
    ("token", "what"),
    [
        (_token(CALENDAR_READONLY), "none of the gmail permissions were granted"),
        (_token(GMAIL_READONLY, refresh=None), "Google returned no refresh token"),
        (_token(GMAIL_READONLY, refresh=""), "Google returned no refresh token"),
        (_token(GMAIL_READONLY, refresh=7), "Google returned no refresh token"),
    ],
)
def test_finish_stores_nothing_without_a_granted_scope_or_a_refresh_token(
    rig: GoogleRig, token: dict[str, Any], what: str
) -> None:
    with pytest.raises(AuthorizationFailed) as caught:
        oauth._finish(rig.store, rig.secrets, rig.user_id, "gmail", token, [GMAIL_READONLY])
    assert caught.value.message.startswith(f"gmail authorization failed: {what}")
    assert granted_scopes(rig.store, rig.user_id, "gmail") is None


# --- revocation -------------------------------------------------------------------------------------


@pytest.fixture
def revoke_endpoint() -> Iterator[tuple[str, list[tuple[int, bytes]], list[str]]]:
    """A revocation endpoint on loopback: answers each POST with the next scripted (status, body)."""
    script: list[tuple[int, bytes]] = []
    received: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            received.append(self.rfile.read(length).decode())
            status, body = script.pop(0)
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/revoke", script, received
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("status", "body", "problem"),
    [
        (200, b"", None),
        (400, json.dumps({"error": "invalid_token"}).encode(), None),
        (400, json.dumps({"error": "invalid_request"}).encode(), "the revocation endpoint answered HTTP 400"),
        (400, b"not json", "the revocation endpoint answered HTTP 400"),
        (201, b"", "the revocation endpoint answered HTTP 201"),
        # "invalid_token" means "already revoked" only in a 400: elsewhere it is no answer.
        (201, json.dumps({"error": "invalid_token"}).encode(), "the revocation endpoint answered HTTP 201"),
        (401, json.dumps({"error": "invalid_token"}).encode(), "the revocation endpoint answered HTTP 401"),
        (503, b"", "the revocation endpoint answered HTTP 503"),
        # No status below 200 ever reaches the check: httpx reads past interim 1xx answers and takes an
        # unasked-for 101 as a broken connection (why `<= 200` is listed in equivalent.md).
        (101, b"", "the revocation endpoint could not be reached"),
    ],
)
def test_the_revocation_endpoints_answers(
    revoke_endpoint: tuple[str, list[tuple[int, bytes]], list[str]],
    status: int,
    body: bytes,
    problem: str | None,
) -> None:
    url, script, received = revoke_endpoint
    script.append((status, body))
    assert oauth._revoke_at_google(url, "tok-1") == problem
    assert received == ["token=tok-1"]


def test_an_unreachable_revocation_endpoint_is_a_problem() -> None:
    assert (
        oauth._revoke_at_google("http://127.0.0.1:9/revoke", "t")
        == "the revocation endpoint could not be reached"
    )


@pytest.mark.parametrize("cached", ["not json", "[1, 2]", json.dumps({"token": None})])
def test_revoke_without_a_readable_token_deletes_locally_and_tells_google_nothing(
    rig: GoogleRig, cached: str
) -> None:
    rig.grant("gmail")
    names = token_names(rig.store, rig.user_id, "gmail")
    rig.secrets.delete(names.refresh_token)
    rig.secrets.set(names.access_token, cached)
    assert oauth.revoke(rig.settings, rig.store, rig.secrets, rig.user_id, "gmail") == ["gmail"]
    assert granted_scopes(rig.store, rig.user_id, "gmail") is None
    assert rig.secrets.get(names.access_token) is None


def test_the_revocation_post_waits_30_seconds(
    revoke_endpoint: tuple[str, list[tuple[int, bytes]], list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real POST, with the timeout it was given recorded on the way."""
    import httpx

    url, script, received = revoke_endpoint
    script.append((200, b""))
    real_post = httpx.post
    timeouts: list[object] = []

    def post(*args: Any, **kwargs: Any) -> httpx.Response:
        timeouts.append(kwargs.get("timeout"))
        return real_post(*args, **kwargs)

    monkeypatch.setattr(httpx, "post", post)
    assert oauth._revoke_at_google(url, "tok-1") is None
    assert (timeouts, received) == ([30.0], ["token=tok-1"])


def test_revoke_sends_the_cached_access_token_when_no_refresh_token_is_left(rig: GoogleRig) -> None:
    rig.grant("gmail")
    access_token = rig.issued[-2]
    names = token_names(rig.store, rig.user_id, "gmail")
    rig.secrets.delete(names.refresh_token)
    assert json.loads(rig.secrets.get(names.access_token) or "")["token"] == access_token
    assert rig.fake.revoked == []
    assert oauth.revoke(rig.settings, rig.store, rig.secrets, rig.user_id, "gmail") == ["gmail"]
    assert rig.fake.revoked == [access_token]


def test_revoke_clears_exactly_the_services_sharing_a_scope_with_the_revoked_grant(rig: GoogleRig) -> None:
    """Google revokes the whole grant: a service granted one of its scopes goes too, the others stay.

    gmail is revoked (the first of SERVICES: every other service is still looked at after it);
    calendar's grant holds a gmail scope, contacts' does not. The service name is built at run time,
    so it is equal to, not the same object as, the literal in SERVICES."""
    rig.grant("gmail", [GMAIL_READONLY])
    rig.grant("calendar", [CALENDAR_READONLY, GMAIL_READONLY])
    rig.grant("contacts", [CONTACTS_READONLY])
    service = "".join(["gm", "ail"])
    assert oauth.revoke(rig.settings, rig.store, rig.secrets, rig.user_id, service) == ["gmail", "calendar"]
    assert granted_scopes(rig.store, rig.user_id, "gmail") is None
    assert granted_scopes(rig.store, rig.user_id, "calendar") is None
    assert granted_scopes(rig.store, rig.user_id, "contacts") == [CONTACTS_READONLY]


def test_the_browser_is_given_300_seconds_by_default(rig: GoogleRig, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the TUI waits (it passes no timeout); the loopback's wait is stood in for, not slept through."""
    from pa_cli.google.loopback import LoopbackListener, LoopbackTimeout

    waited: list[float] = []

    def wait(self: LoopbackListener, timeout: float) -> dict[str, str]:
        waited.append(timeout)
        raise LoopbackTimeout()

    monkeypatch.setattr(LoopbackListener, "wait", wait)
    with pytest.raises(AuthorizationFailed) as caught:
        oauth.authorize(
            rig.settings, rig.store, rig.secrets, rig.user_id, "gmail", open_browser=False, on_url=print
        )
    assert waited == [300]
    assert caught.value.message == failure("no answer from the browser within 300 s")
