"""Tokens: refresh before expiry and on 401, a revoked grant clears local state, revoke at the endpoint."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from pa_cli.errors import AuthorizationNeeded, PaError, UsageError
from pa_cli.google.credentials import is_authorized, load_credentials, token_names
from pa_cli.google.oauth import revoke
from pa_cli.google.scopes import GMAIL_READONLY
from pa_cli.tools.google.gmail import GmailSearch
from tests.fixtures.secrets import assert_not_leaked
from tests.google.support import GoogleRig
from tests.google.test_oauth import _authorize, assert_nothing_stored


def _stored_access_token(rig: GoogleRig, service: str) -> str:
    raw = rig.secrets.get(token_names(rig.store, rig.user_id, service).access_token)
    assert raw is not None
    token = json.loads(raw)["token"]
    assert isinstance(token, str)
    return token


def _refreshes(rig: GoogleRig) -> list[int]:
    return [r.status for r in rig.fake.token_requests if r.grant_type == "refresh_token"]


def test_an_expiring_access_token_is_refreshed_and_saved_back(rig: GoogleRig) -> None:
    rig.fake.access_token_lifetime = 60  # inside google-auth's refresh margin: refresh before use
    rig.grant("gmail")
    before = _stored_access_token(rig, "gmail")

    creds = load_credentials(rig.settings, rig.store, rig.secrets, rig.user_id, "gmail")

    assert _refreshes(rig) == [200]
    assert creds.token != before
    assert _stored_access_token(rig, "gmail") == creds.token
    row = rig.store.oauth_tokens.get(rig.user_id, "google", "gmail")
    assert row is not None and row.expiry is not None


def test_a_valid_access_token_is_used_without_refreshing(rig: GoogleRig) -> None:
    rig.grant("gmail")
    creds = load_credentials(rig.settings, rig.store, rig.secrets, rig.user_id, "gmail")
    assert creds.token == _stored_access_token(rig, "gmail")
    assert _refreshes(rig) == []


def test_a_401_from_the_api_refreshes_once_and_saves_the_new_token(rig: GoogleRig) -> None:
    rig.grant("gmail")
    before = _stored_access_token(rig, "gmail")
    rig.fake.expire_access_tokens()  # Google says 401 although our cache thinks it is valid

    result = rig.run(GmailSearch(), query="anything")

    assert result.ok
    assert _refreshes(rig) == [200]
    after = _stored_access_token(rig, "gmail")
    assert after != before
    assert not rig.fake.is_revoked(after)


def test_a_revoked_grant_marks_the_service_unauthorized_and_says_to_reauthorize(rig: GoogleRig) -> None:
    rig.fake.access_token_lifetime = 60
    rig.grant("gmail")
    rig.fake.invalidate_refresh_tokens()

    with pytest.raises(AuthorizationNeeded) as caught:
        load_credentials(rig.settings, rig.store, rig.secrets, rig.user_id, "gmail")

    assert (
        str(caught.value) == "gmail authorization was revoked or has expired: run `pa tools authorize gmail`"
    )
    assert caught.value.exit_code == 3
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert_not_leaked(caught.value, *rig.issued)
    assert_nothing_stored(rig, "gmail")


def test_a_grant_revoked_during_a_tool_call_clears_local_state(rig: GoogleRig) -> None:
    rig.grant("gmail")
    rig.fake.revoke_all()  # the user removed pa's access in their Google account

    with pytest.raises(AuthorizationNeeded, match=r"run `pa tools authorize gmail`"):
        rig.run(GmailSearch(), query="x")
    assert_nothing_stored(rig, "gmail")


def test_a_tool_without_authorization_says_how_to_authorize(rig: GoogleRig) -> None:
    with pytest.raises(AuthorizationNeeded) as caught:
        rig.run(GmailSearch(), query="x")
    assert str(caught.value) == "gmail is not authorized: run `pa tools authorize gmail`"
    assert rig.fake.api_requests == []


def test_a_tool_whose_scope_was_not_granted_is_not_authorized(rig: GoogleRig) -> None:
    rig.grant("gmail", ["https://www.googleapis.com/auth/gmail.send"])
    assert not is_authorized(rig.settings, rig.store, rig.user_id, "gmail", [GMAIL_READONLY])
    with pytest.raises(AuthorizationNeeded, match="gmail is not authorized"):
        rig.run(GmailSearch(), query="x")


def test_is_authorized_reads_only_metadata_without_keyring_or_google_libraries(rig: GoogleRig) -> None:
    rig.grant("calendar")
    code = (
        "import sys\n"
        "from pa_cli.config import load_settings\n"
        "from pa_cli.store import open_store\n"
        "from pa_cli.google.credentials import is_authorized\n"
        "settings = load_settings(); store = open_store(settings)\n"
        f"print(is_authorized(settings, store, {rig.user_id}, 'calendar'),"
        f" is_authorized(settings, store, {rig.user_id}, 'gmail'))\n"
        "heavy = ('google.', 'googleapiclient', 'google_auth', 'httplib2', 'keyring', 'cryptography', 'oauthlib')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PA_KEYRING")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["True False", "[]"]


def test_revoke_revokes_at_the_endpoint_and_deletes_everything_local(rig: GoogleRig) -> None:
    rig.grant("gmail")
    refresh = rig.secrets.get("google.gmail.refresh_token")
    assert refresh

    assert revoke(rig.settings, rig.store, rig.secrets, rig.user_id, "gmail") == ["gmail"]

    assert rig.fake.revoked == [refresh]
    assert rig.fake.is_revoked(refresh)
    assert_nothing_stored(rig, "gmail")


def test_revoking_a_grant_that_was_extended_incrementally_clears_both_services(rig: GoogleRig) -> None:
    _authorize(rig, "gmail")
    _authorize(rig, "calendar")
    cleared = revoke(rig.settings, rig.store, rig.secrets, rig.user_id, "calendar")
    assert cleared == ["calendar", "gmail"]
    assert_nothing_stored(rig, "calendar")
    assert_nothing_stored(rig, "gmail")


def test_revoking_an_already_revoked_grant_still_succeeds(rig: GoogleRig) -> None:
    rig.grant("calendar")
    rig.fake.revoke_all()
    assert revoke(rig.settings, rig.store, rig.secrets, rig.user_id, "calendar") == ["calendar"]
    assert_nothing_stored(rig, "calendar")


def test_revoke_deletes_locally_and_says_so_when_google_cannot_be_reached(
    rig: GoogleRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig.grant("gmail")
    monkeypatch.setenv("PA_GOOGLE_REVOKE_URI", "http://127.0.0.1:9/revoke")
    rig.reload()
    with pytest.raises(
        PaError, match="deleted locally, but the revocation endpoint could not be reached"
    ) as caught:
        revoke(rig.settings, rig.store, rig.secrets, rig.user_id, "gmail")
    assert_not_leaked(caught.value, *rig.issued)
    assert_nothing_stored(rig, "gmail")


def test_revoke_never_sends_a_token_over_plain_http_to_another_host(
    rig: GoogleRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig.grant("gmail")
    monkeypatch.setenv("PA_GOOGLE_REVOKE_URI", "http://revoke.example.com/revoke")
    rig.reload()
    with pytest.raises(UsageError, match="only loopback hosts may use http"):
        revoke(rig.settings, rig.store, rig.secrets, rig.user_id, "gmail")
    assert is_authorized(rig.settings, rig.store, rig.user_id, "gmail")


def test_metadata_without_a_keyring_token_counts_as_not_authorized_and_is_cleaned_up(rig: GoogleRig) -> None:
    rig.grant("gmail")
    rig.secrets.delete("google.gmail.refresh_token")
    with pytest.raises(
        AuthorizationNeeded, match=r"^gmail is not authorized: run `pa tools authorize gmail`$"
    ):
        load_credentials(rig.settings, rig.store, rig.secrets, rig.user_id, "gmail")
    assert rig.store.oauth_tokens.get(rig.user_id, "google", "gmail") is None


def test_other_users_tokens_live_under_their_own_names(rig: GoogleRig) -> None:
    other = rig.store.users.ensure("phone-user")
    names = token_names(rig.store, other.id, "calendar")
    assert names.refresh_token == f"google.user{other.id}.calendar.refresh_token"
    assert token_names(rig.store, rig.user_id, "calendar").refresh_token == "google.calendar.refresh_token"
