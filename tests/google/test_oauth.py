"""Authorization: loopback redirect, PKCE and state, incremental and least-privilege scopes,
and every way it can fail, each with a clear message and nothing stored."""

from __future__ import annotations

import threading
import webbrowser
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from pa_cli.errors import AuthorizationNeeded
from pa_cli.google.credentials import is_authorized, token_names
from pa_cli.google.oauth import (
    SCOPES,
    AuthorizationFailed,
    AuthorizationResult,
    authorize,
    begin_web_authorization,
    complete_web_authorization,
)
from pa_cli.google.scopes import (
    CALENDAR_READONLY,
    GMAIL_COMPOSE,
    GMAIL_MODIFY,
    GMAIL_READONLY,
    GMAIL_SEND,
)
from tests.google.support import GoogleRig, browser_for


def _authorize(
    rig: GoogleRig, service: str, on_url: Callable[[str], None] | None = None, timeout_seconds: float = 10
) -> AuthorizationResult:
    if on_url is None:
        on_url, _ = browser_for(rig.fake)
    return authorize(
        rig.settings,
        rig.store,
        rig.secrets,
        rig.user_id,
        service,
        open_browser=False,
        on_url=on_url,
        timeout_seconds=timeout_seconds,
    )


def assert_nothing_stored(rig: GoogleRig, service: str) -> None:
    assert rig.store.oauth_tokens.get(rig.user_id, "google", service) is None
    names = token_names(rig.store, rig.user_id, service)
    assert rig.secrets.get(names.refresh_token) is None
    assert rig.secrets.get(names.access_token) is None
    assert not is_authorized(rig.settings, rig.store, rig.user_id, service)


def test_authorize_uses_a_loopback_redirect_with_pkce_and_stores_tokens_in_the_keyring(
    rig: GoogleRig,
) -> None:
    result = _authorize(rig, "gmail")

    assert result.service == "gmail"
    assert result.scopes == SCOPES["gmail"]
    assert result.message == "gmail authorized: gmail.readonly, gmail.compose, gmail.send, gmail.modify"
    request = rig.fake.auth_requests[-1]
    redirect = urlsplit(request["redirect_uri"])
    assert redirect.scheme == "http" and redirect.hostname == "127.0.0.1" and redirect.port
    assert request["code_challenge_method"] == "S256"
    assert request["include_granted_scopes"] == "true"
    assert request["access_type"] == "offline"
    assert request["scope"].split() == SCOPES["gmail"]
    exchange = rig.fake.token_requests[-1]
    assert exchange.status == 200 and exchange.params["code_verifier"]
    row = rig.store.oauth_tokens.get(rig.user_id, "google", "gmail")
    assert row is not None and set(row.scopes) == set(SCOPES["gmail"]) and row.expiry is not None
    names = token_names(rig.store, rig.user_id, "gmail")
    assert names.refresh_token == "google.gmail.refresh_token"
    assert rig.secrets.get(names.refresh_token)
    assert '"token"' in (rig.secrets.get(names.access_token) or "")
    assert is_authorized(rig.settings, rig.store, rig.user_id, "gmail")
    assert not is_authorized(rig.settings, rig.store, rig.user_id, "calendar")


def test_each_service_asks_only_for_its_own_scopes(rig: GoogleRig) -> None:
    _authorize(rig, "calendar")
    assert rig.fake.auth_requests[-1]["scope"].split() == SCOPES["calendar"]
    assert not any("gmail" in s for s in rig.fake.auth_requests[-1]["scope"].split())


def test_draft_only_mode_never_asks_for_the_send_scope(rig: GoogleRig) -> None:
    rig.reload({"gmail.mode": "draft_only"})
    result = _authorize(rig, "gmail")
    assert rig.fake.auth_requests[-1]["scope"].split() == [GMAIL_READONLY, GMAIL_COMPOSE, GMAIL_MODIFY]
    assert GMAIL_SEND not in result.scopes


def test_authorization_is_incremental_and_keeps_earlier_grants(rig: GoogleRig) -> None:
    _authorize(rig, "gmail")
    _authorize(rig, "calendar")
    row = rig.store.oauth_tokens.get(rig.user_id, "google", "calendar")
    assert row is not None
    assert set(SCOPES["calendar"]) <= set(row.scopes)
    assert GMAIL_READONLY in row.scopes  # include_granted_scopes merged the earlier grant
    assert is_authorized(rig.settings, rig.store, rig.user_id, "gmail")
    assert is_authorized(rig.settings, rig.store, rig.user_id, "calendar")


def test_unticked_scopes_are_reported_and_only_granted_ones_count(rig: GoogleRig) -> None:
    rig.fake.untick_scopes(GMAIL_SEND)
    result = _authorize(rig, "gmail")
    assert result.missing_scopes == [GMAIL_SEND]
    assert "not granted: gmail.send" in result.message
    assert not is_authorized(rig.settings, rig.store, rig.user_id, "gmail")
    assert is_authorized(rig.settings, rig.store, rig.user_id, "gmail", [GMAIL_READONLY, GMAIL_COMPOSE])


def test_a_wrong_state_fails_clearly_and_stores_nothing(rig: GoogleRig) -> None:
    rig.fake.wrong_state_next()
    with pytest.raises(AuthorizationFailed) as caught:
        _authorize(rig, "gmail")
    assert "state did not match" in str(caught.value)
    assert "nothing was stored" in str(caught.value)
    assert "pa tools authorize gmail" in str(caught.value)
    assert caught.value.exit_code == 3
    assert not rig.fake.token_requests  # the code was never exchanged
    assert_nothing_stored(rig, "gmail")


def test_access_denied_in_the_browser_fails_clearly_and_stores_nothing(rig: GoogleRig) -> None:
    rig.fake.deny_next()
    with pytest.raises(AuthorizationFailed, match=r"denied in the browser \(access_denied\)"):
        _authorize(rig, "calendar")
    assert_nothing_stored(rig, "calendar")


def test_no_answer_from_the_browser_times_out_and_stores_nothing(rig: GoogleRig) -> None:
    urls: list[str] = []
    with pytest.raises(AuthorizationFailed, match=r"no answer from the browser within 0.3 s"):
        _authorize(rig, "gmail", on_url=urls.append, timeout_seconds=0.3)
    assert len(urls) == 1
    assert_nothing_stored(rig, "gmail")


def test_a_failed_code_exchange_fails_clearly_and_stores_nothing(rig: GoogleRig) -> None:
    rig.fake.fail_exchange_next()
    with pytest.raises(AuthorizationFailed, match=r"authorization code was refused \(invalid_grant\)"):
        _authorize(rig, "gmail")
    assert rig.fake.token_requests[-1].status == 400
    assert_nothing_stored(rig, "gmail")


def test_stray_requests_to_the_listener_do_not_end_the_flow(rig: GoogleRig) -> None:
    consent, _ = browser_for(rig.fake)

    def on_url(url: str) -> None:
        redirect = parse_qs(urlsplit(url).query)["redirect_uri"][0]

        def visit() -> None:
            assert httpx.get(redirect + "favicon.ico").status_code == 404
            assert httpx.get(redirect).status_code == 404  # no code, no error, no state
            consent(url)

        threading.Thread(target=visit, daemon=True).start()

    assert _authorize(rig, "gmail", on_url=on_url).scopes == SCOPES["gmail"]


def test_the_url_goes_to_on_url_and_the_browser_is_opened_only_when_asked(
    rig: GoogleRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = rig.fake.browser()
    monkeypatch.setattr(webbrowser, "open", browser.open)
    urls: list[str] = []
    result = authorize(
        rig.settings, rig.store, rig.secrets, rig.user_id, "gmail", on_url=urls.append, timeout_seconds=10
    )
    assert browser.opened == urls and len(urls) == 1
    assert result.scopes == SCOPES["gmail"]

    def no_browser(*args: object, **kwargs: object) -> bool:
        raise AssertionError("--no-browser must not open a browser")

    monkeypatch.setattr(webbrowser, "open", no_browser)
    on_url, opened = browser_for(rig.fake)
    _authorize(rig, "calendar", on_url=on_url)
    assert len(opened) == 1 and opened[0].startswith(rig.fake.auth_uri + "?")


def test_web_authorization_for_the_server_checks_the_pkce_verifier(rig: GoogleRig) -> None:
    redirect_uri = "http://127.0.0.1:8765/api/v1/oauth/google/callback"
    auth_url, state, verifier = begin_web_authorization(rig.settings, rig.secrets, "calendar", redirect_uri)
    assert f"state={state}" in auth_url and len(verifier) >= 43
    location = rig.fake.browse(auth_url, follow=False).headers["location"]
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == [state]

    with pytest.raises(AuthorizationFailed, match="invalid_grant"):
        complete_web_authorization(
            rig.settings, rig.store, rig.secrets, rig.user_id, "calendar",
            code=query["code"][0], code_verifier="x" * 64, redirect_uri=redirect_uri,
        )  # fmt: skip
    assert_nothing_stored(rig, "calendar")

    location = rig.fake.browse(auth_url, follow=False).headers["location"]
    code = parse_qs(urlsplit(location).query)["code"][0]
    result = complete_web_authorization(
        rig.settings, rig.store, rig.secrets, rig.user_id, "calendar",
        code=code, code_verifier=verifier, redirect_uri=redirect_uri,
    )  # fmt: skip
    assert result.scopes == SCOPES["calendar"]
    assert is_authorized(rig.settings, rig.store, rig.user_id, "calendar", [CALENDAR_READONLY])


def test_unknown_services_are_a_usage_error(rig: GoogleRig) -> None:
    from pa_cli.errors import UsageError

    with pytest.raises(UsageError, match="unknown Google service 'drive'"):
        _authorize(rig, "drive")


def test_authorization_without_client_setup_says_how_to_set_it_up(
    rig: GoogleRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PA_GOOGLE_CLIENT_SECRETS")
    rig.reload()
    with pytest.raises(AuthorizationNeeded, match="pa tools setup google --client-secrets FILE"):
        _authorize(rig, "gmail")
