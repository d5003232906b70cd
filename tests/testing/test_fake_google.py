"""The fake Google speaks real HTTP, and the real Google client libraries accept what it says."""

from __future__ import annotations

import base64
import hashlib
import secrets
import webbrowser
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import google.auth.transport.requests
import httpx
import pytest
from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import InstalledAppFlow
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from oauthlib.oauth2.rfc6749.errors import (  # type: ignore[import-untyped]
    AccessDeniedError,
    MismatchingStateError,
)

from pa_cli.testing.fake_google import FakeGoogle

GMAIL_READONLY = "https://www.googleapis.com/auth/gmail.readonly"
GMAIL_SEND = "https://www.googleapis.com/auth/gmail.send"
GMAIL_COMPOSE = "https://www.googleapis.com/auth/gmail.compose"
CALENDAR = "https://www.googleapis.com/auth/calendar"
CALENDAR_READONLY = "https://www.googleapis.com/auth/calendar.readonly"
BERLIN = ZoneInfo("Europe/Berlin")
REDIRECT = "http://127.0.0.1:5555/"


# -- helpers ----------------------------------------------------------------------------------------


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize(
    http: httpx.Client, fake: FakeGoogle, scopes: list[str], challenge: str, **extra: str
) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": fake.client_id,
        "redirect_uri": REDIRECT,
        "scope": " ".join(scopes),
        "state": "state-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "access_type": "offline",
        "include_granted_scopes": "true",
        "prompt": "consent",
        **extra,
    }
    response = http.get(fake.auth_uri, params=params)
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(REDIRECT)
    return dict(parse_qsl(urlsplit(location).query))


def exchange(http: httpx.Client, fake: FakeGoogle, code: str, verifier: str) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
    }
    return http.post(fake.token_uri, data=form)


def refresh(http: httpx.Client, fake: FakeGoogle, refresh_token: str) -> httpx.Response:
    form = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
    }
    return http.post(fake.token_uri, data=form)


def gmail_service(fake: FakeGoogle, *scopes: str) -> Any:
    token = fake.issue_tokens(scopes or (GMAIL_READONLY, GMAIL_COMPOSE)).access_token
    options = {"api_endpoint": fake.api_endpoint}
    return build("gmail", "v1", credentials=Credentials(token), client_options=options, static_discovery=True)


def calendar_service(fake: FakeGoogle, *scopes: str) -> Any:
    token = fake.issue_tokens(scopes or (CALENDAR,)).access_token
    options = {"api_endpoint": fake.calendar_endpoint}
    return build(
        "calendar", "v3", credentials=Credentials(token), client_options=options, static_discovery=True
    )


def raw_mail(**headers: str) -> str:
    body = headers.pop("body", "Hello there")
    message = EmailMessage()
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return base64.urlsafe_b64encode(message.as_bytes()).decode("ascii")


def b64decode(data: str) -> bytes:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


@pytest.fixture
def oauthlib_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    monkeypatch.setenv("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
    yield


# -- OAuth --------------------------------------------------------------------------------------------


def test_code_flow_with_pkce_issues_tokens(fake_google: FakeGoogle, http: httpx.Client) -> None:
    verifier, challenge = pkce_pair()
    redirect = authorize(http, fake_google, [GMAIL_READONLY], challenge)
    assert redirect["state"] == "state-1"
    assert redirect["scope"] == GMAIL_READONLY

    response = exchange(http, fake_google, redirect["code"], verifier)

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == GMAIL_READONLY
    assert body["expires_in"] == 3600
    assert body["access_token"] and body["refresh_token"]
    assert fake_google.token_requests[-1].grant_type == "authorization_code"
    assert fake_google.token_requests[-1].status == 200
    assert fake_google.auth_requests[-1]["code_challenge_method"] == "S256"


def test_code_exchange_with_wrong_verifier_is_invalid_grant(
    fake_google: FakeGoogle, http: httpx.Client
) -> None:
    _, challenge = pkce_pair()
    code = authorize(http, fake_google, [GMAIL_READONLY], challenge)["code"]

    response = exchange(http, fake_google, code, pkce_pair()[0])

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_authorization_code_works_only_once(fake_google: FakeGoogle, http: httpx.Client) -> None:
    verifier, challenge = pkce_pair()
    code = authorize(http, fake_google, [GMAIL_READONLY], challenge)["code"]

    assert exchange(http, fake_google, code, verifier).status_code == 200
    second = exchange(http, fake_google, code, verifier)

    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"


def test_authorize_rejects_unknown_client_and_non_loopback_redirect(
    fake_google: FakeGoogle, http: httpx.Client
) -> None:
    base = {"response_type": "code", "scope": GMAIL_READONLY, "state": "s"}
    unknown = http.get(fake_google.auth_uri, params={**base, "client_id": "nobody", "redirect_uri": REDIRECT})
    remote = http.get(
        fake_google.auth_uri,
        params={**base, "client_id": fake_google.client_id, "redirect_uri": "https://evil.example/cb"},
    )
    assert unknown.status_code == 401
    assert remote.status_code == 400
    assert "redirect_uri_mismatch" in remote.text


def test_refresh_issues_new_access_token_and_keeps_refresh_token(
    fake_google: FakeGoogle, http: httpx.Client
) -> None:
    issued = fake_google.issue_tokens([GMAIL_READONLY])
    assert issued.refresh_token is not None

    response = refresh(http, fake_google, issued.refresh_token)

    assert response.status_code == 200
    body = response.json()
    assert body["access_token"] != issued.access_token
    assert "refresh_token" not in body
    assert body["scope"] == GMAIL_READONLY


def test_invalidated_or_revoked_refresh_tokens_give_invalid_grant(
    fake_google: FakeGoogle, http: httpx.Client
) -> None:
    first = fake_google.issue_tokens([GMAIL_READONLY]).refresh_token
    assert first is not None
    fake_google.invalidate_refresh_tokens()
    second = fake_google.issue_tokens([CALENDAR]).refresh_token
    assert second is not None

    assert refresh(http, fake_google, first).json() == {
        "error": "invalid_grant",
        "error_description": "Token has been expired or revoked.",
    }
    assert refresh(http, fake_google, second).status_code == 200
    fake_google.revoke_all()
    assert refresh(http, fake_google, second).json()["error"] == "invalid_grant"


def test_token_endpoint_rejects_wrong_client_secret(fake_google: FakeGoogle, http: httpx.Client) -> None:
    refresh_token = fake_google.issue_tokens([GMAIL_READONLY]).refresh_token
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": fake_google.client_id}

    response = http.post(fake_google.token_uri, data={**form, "client_secret": "wrong"})

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_revoking_refresh_token_kills_its_access_tokens(fake_google: FakeGoogle, http: httpx.Client) -> None:
    issued = fake_google.issue_tokens([GMAIL_READONLY])
    headers = {"Authorization": f"Bearer {issued.access_token}"}
    messages_url = fake_google.api_endpoint + "/gmail/v1/users/me/messages"
    assert http.get(messages_url, headers=headers).status_code == 200

    first = http.post(fake_google.revoke_uri, data={"token": issued.refresh_token})
    again = http.post(fake_google.revoke_uri, data={"token": issued.refresh_token})

    assert first.status_code == 200
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_token"
    assert http.get(messages_url, headers=headers).status_code == 401
    assert fake_google.revoked == [issued.refresh_token]
    assert fake_google.is_revoked(issued.access_token)


def test_knobs_deny_forge_state_and_fail_exchange(fake_google: FakeGoogle, http: httpx.Client) -> None:
    verifier, challenge = pkce_pair()
    fake_google.deny_next()
    assert authorize(http, fake_google, [GMAIL_READONLY], challenge) == {
        "error": "access_denied",
        "state": "state-1",
    }

    fake_google.wrong_state_next()
    forged = authorize(http, fake_google, [GMAIL_READONLY], challenge)
    assert forged["state"] != "state-1" and "code" in forged

    fake_google.fail_exchange_next()
    code = authorize(http, fake_google, [GMAIL_READONLY], challenge)["code"]
    assert exchange(http, fake_google, code, verifier).json()["error"] == "invalid_grant"


def test_unticked_scopes_are_not_granted_and_earlier_grants_are_included(
    fake_google: FakeGoogle, http: httpx.Client
) -> None:
    verifier, challenge = pkce_pair()
    fake_google.untick_scopes(GMAIL_SEND)
    first = authorize(http, fake_google, [GMAIL_READONLY, GMAIL_SEND], challenge)
    assert first["scope"] == GMAIL_READONLY
    assert exchange(http, fake_google, first["code"], verifier).json()["scope"] == GMAIL_READONLY

    second = authorize(http, fake_google, [CALENDAR], challenge)
    without = authorize(http, fake_google, [CALENDAR], challenge, include_granted_scopes="false")

    assert second["scope"].split() == [CALENDAR, GMAIL_READONLY]
    assert without["scope"] == CALENDAR


def test_installed_app_flow_completes_against_the_fake(
    fake_google: FakeGoogle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, oauthlib_env: None
) -> None:
    secrets_file = fake_google.client_secrets_json(tmp_path / "client_secret.json")
    browser = fake_google.browser()
    monkeypatch.setattr(webbrowser, "get", lambda using=None: browser)
    flow = InstalledAppFlow.from_client_secrets_file(str(secrets_file), scopes=[GMAIL_READONLY])

    credentials = flow.run_local_server(
        host="127.0.0.1",
        port=0,
        authorization_prompt_message="",
        timeout_seconds=10,
        access_type="offline",
        include_granted_scopes="true",
        prompt="consent",
    )
    browser.wait()

    assert credentials.token and credentials.refresh_token
    assert credentials.granted_scopes == [GMAIL_READONLY]
    assert browser.responses[0].status_code == 200
    assert fake_google.token_requests[-1].client_auth in ("basic", "body")
    assert fake_google.auth_requests[-1]["redirect_uri"].startswith("http://127.0.0.1:")
    assert fake_google.auth_requests[-1]["code_challenge_method"] == "S256"
    assert fake_google.token_requests[-1].params["code_verifier"]


@pytest.mark.parametrize(
    ("knob", "error"),
    [("deny_next", AccessDeniedError), ("wrong_state_next", MismatchingStateError)],
)
def test_installed_app_flow_sees_denial_and_forged_state(
    fake_google: FakeGoogle,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    oauthlib_env: None,
    knob: str,
    error: type[Exception],
) -> None:
    secrets_file = fake_google.client_secrets_json(tmp_path / "client_secret.json")
    browser = fake_google.browser()
    monkeypatch.setattr(webbrowser, "get", lambda using=None: browser)
    getattr(fake_google, knob)()
    flow = InstalledAppFlow.from_client_secrets_file(str(secrets_file), scopes=[GMAIL_READONLY])

    with pytest.raises(error):
        flow.run_local_server(host="127.0.0.1", port=0, authorization_prompt_message="", timeout_seconds=10)
    browser.wait()


def test_google_auth_refreshes_and_reports_revoked_grant(fake_google: FakeGoogle) -> None:
    issued = fake_google.issue_tokens([GMAIL_READONLY])
    credentials = Credentials(
        token=issued.access_token,
        refresh_token=issued.refresh_token,
        token_uri=fake_google.token_uri,
        client_id=fake_google.client_id,
        client_secret=fake_google.client_secret,
    )
    request = google.auth.transport.requests.Request()

    credentials.refresh(request)
    assert credentials.token != issued.access_token
    fake_google.revoke_all()

    with pytest.raises(RefreshError) as caught:
        credentials.refresh(request)
    assert caught.value.args[1]["error"] == "invalid_grant"


# -- API authentication ------------------------------------------------------------------------------


def test_api_rejects_missing_bad_and_expired_tokens_with_google_errors(
    fake_google: FakeGoogle, http: httpx.Client
) -> None:
    url = fake_google.api_endpoint + "/gmail/v1/users/me/messages"
    token = fake_google.issue_tokens([GMAIL_READONLY]).access_token
    fake_google.expire_access_tokens()

    for headers in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": f"Bearer {token}"}):
        response = http.get(url, headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["status"] == "UNAUTHENTICATED"
        assert response.json()["error"]["code"] == 401


def test_api_refuses_a_token_without_the_needed_scope(fake_google: FakeGoogle) -> None:
    gmail = gmail_service(fake_google, GMAIL_READONLY)
    calendar = calendar_service(fake_google, CALENDAR_READONLY)
    event = {"summary": "x", "start": {"date": "2024-05-01"}, "end": {"date": "2024-05-02"}}

    with pytest.raises(HttpError) as sending:
        gmail.users().messages().send(userId="me", body={"raw": raw_mail(To="a@example.org")}).execute()
    with pytest.raises(HttpError) as inserting:
        calendar.events().insert(calendarId="primary", body=event).execute()

    assert sending.value.status_code == 403
    assert inserting.value.status_code == 403
    assert "insufficient authentication scopes" in sending.value.reason
    assert fake_google.sent == [] and fake_google.events() == []


def test_expired_access_token_is_refreshed_by_the_client_library(fake_google: FakeGoogle) -> None:
    issued = fake_google.issue_tokens([GMAIL_READONLY])
    credentials = Credentials(
        token=issued.access_token,
        refresh_token=issued.refresh_token,
        token_uri=fake_google.token_uri,
        client_id=fake_google.client_id,
        client_secret=fake_google.client_secret,
    )
    options = {"api_endpoint": fake_google.api_endpoint}
    gmail = build("gmail", "v1", credentials=credentials, client_options=options, static_discovery=True)
    fake_google.expire_access_tokens()

    result = gmail.users().messages().list(userId="me").execute()

    assert result == {"resultSizeEstimate": 0}
    assert credentials.token != issued.access_token
    assert fake_google.token_requests[-1].grant_type == "refresh_token"


# -- Gmail ------------------------------------------------------------------------------------------


def test_gmail_search_pages_newest_first(fake_google: FakeGoogle) -> None:
    ids = [
        fake_google.add_message(
            "a@example.org", "me@example.com", f"Note {day}", "hi", date=datetime(2024, 3, day)
        )
        for day in range(1, 6)
    ]
    gmail = gmail_service(fake_google)

    pages: list[list[str]] = []
    request = gmail.users().messages().list(userId="me", maxResults=2)
    while request is not None:
        response = request.execute()
        pages.append([m["id"] for m in response["messages"]])
        request = gmail.users().messages().list_next(request, response)

    assert pages == [[ids[4].id, ids[3].id], [ids[2].id, ids[1].id], [ids[0].id]]
    assert gmail.users().messages().list(userId="me", q="from:nobody").execute() == {"resultSizeEstimate": 0}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("from:alice", ["lunch_reply", "report"]),
        ("to:carol", ["lunch"]),
        ("subject:lunch", ["lunch_reply", "lunch"]),
        ("is:unread", ["report"]),
        ("after:2024/03/02 before:2024/03/06", ["lunch"]),
        ("lunch -from:alice", ["lunch"]),
        ("from:bob OR has:attachment", ["lunch", "report"]),
        ('"meet for lunch"', ["lunch"]),
        ("numbers", ["report"]),
        ("in:spam lunch", ["spam"]),
    ],
)
def test_gmail_query_filters(fake_google: FakeGoogle, query: str, expected: list[str]) -> None:
    alice = "Alice Example <alice@example.org>"
    me = "me@example.com"
    names = {
        fake_google.add_message(
            alice, me, "Quarterly report", "The numbers are attached.",
            attachments=[("report.pdf", b"%PDF-1.4", "application/pdf")], date=datetime(2024, 3, 1, 9),
        ).id: "report",
        fake_google.add_message(
            "bob@example.org", me, "Lunch?", "Shall we meet for lunch?", cc="carol@example.org",
            date=datetime(2024, 3, 5, 12), labels=["INBOX"],
        ).id: "lunch",
        fake_google.add_message(
            alice, me, "Re: Lunch?", "Yes!", date=datetime(2024, 3, 6, 10), labels=["INBOX"]
        ).id: "lunch_reply",
        fake_google.add_message(
            "spam@example.net", me, "lunch deal", "cheap", date=datetime(2024, 3, 4), labels=["SPAM"]
        ).id: "spam",
    }  # fmt: skip
    gmail = gmail_service(fake_google)

    response = gmail.users().messages().list(userId="me", q=query).execute()

    assert [names[m["id"]] for m in response.get("messages", [])] == expected


def test_gmail_get_returns_multipart_bodies_and_attachments(fake_google: FakeGoogle) -> None:
    stored = fake_google.add_message(
        "Alice <alice@example.org>",
        ["me@example.com"],
        "Agenda",
        "Plain agenda",
        body_html="<p>HTML agenda</p>",
        attachments=[("agenda.ics", b"BEGIN:VCALENDAR", "text/calendar")],
    )
    gmail = gmail_service(fake_google)

    full = gmail.users().messages().get(userId="me", id=stored.id, format="full").execute()
    payload = full["payload"]
    alternative, attachment = payload["parts"]
    plain, html = alternative["parts"]
    data = (
        gmail.users()
        .messages()
        .attachments()
        .get(userId="me", messageId=stored.id, id=attachment["body"]["attachmentId"])
        .execute()
    )
    metadata = (
        gmail.users()
        .messages()
        .get(userId="me", id=stored.id, format="metadata", metadataHeaders=["Subject"])
    )
    raw = gmail.users().messages().get(userId="me", id=stored.id, format="raw").execute()

    assert payload["mimeType"] == "multipart/mixed"
    assert {"name": "Subject", "value": "Agenda"} in payload["headers"]
    assert alternative["mimeType"] == "multipart/alternative"
    assert (plain["mimeType"], html["mimeType"]) == ("text/plain", "text/html")
    assert b64decode(plain["body"]["data"]).decode().strip() == "Plain agenda"
    assert b64decode(html["body"]["data"]).decode().strip() == "<p>HTML agenda</p>"
    assert (attachment["filename"], attachment["partId"]) == ("agenda.ics", "1")
    assert "data" not in attachment["body"]
    assert b64decode(data["data"]) == b"BEGIN:VCALENDAR"
    assert full["snippet"] == "Plain agenda"
    assert full["labelIds"] == ["INBOX", "UNREAD"]
    assert metadata.execute()["payload"]["headers"] == [{"name": "Subject", "value": "Agenda"}]
    assert message_from_bytes(b64decode(raw["raw"]))["Subject"] == "Agenda"


def test_gmail_thread_holds_messages_oldest_first(fake_google: FakeGoogle) -> None:
    first = fake_google.add_message(
        "a@example.org", "me@example.com", "Plan", "v1", date=datetime(2024, 1, 1)
    )
    second = fake_google.add_message(
        "me@example.com",
        "a@example.org",
        "Re: Plan",
        "v2",
        date=datetime(2024, 1, 2),
        thread_id=first.thread_id,
    )
    gmail = gmail_service(fake_google)

    thread = gmail.users().threads().get(userId="me", id=first.thread_id).execute()

    assert [m["id"] for m in thread["messages"]] == [first.id, second.id]
    assert second.header("In-Reply-To") == first.header("Message-ID")


def test_gmail_draft_is_recorded(fake_google: FakeGoogle) -> None:
    gmail = gmail_service(fake_google)
    raw = raw_mail(To="bob@example.org", Cc="carol@example.org", Subject="Draft me", body="Draft body")

    draft = gmail.users().drafts().create(userId="me", body={"message": {"raw": raw}}).execute()

    assert draft["message"]["labelIds"] == ["DRAFT"]
    (record,) = fake_google.drafts
    assert (record.draft_id, record.id) == (draft["id"], draft["message"]["id"])
    assert (record.to, record.cc, record.subject) == (["bob@example.org"], ["carol@example.org"], "Draft me")
    assert record.body.strip() == "Draft body"
    assert fake_google.sent == []


def test_gmail_send_records_the_mail_and_threads_a_proper_reply(fake_google: FakeGoogle) -> None:
    original = fake_google.add_message("bob@example.org", "me@example.com", "Budget", "Numbers?")
    gmail = gmail_service(fake_google, GMAIL_SEND)
    reply = raw_mail(
        To="bob@example.org",
        Bcc="boss@example.org",
        Subject="Re: Budget",
        In_Reply_To=original.header("Message-ID"),
        References=original.header("Message-ID"),
        body="Here they are.",
    )
    unrelated = raw_mail(To="bob@example.org", Subject="Something else", body="New topic")

    sent = (
        gmail.users()
        .messages()
        .send(userId="me", body={"raw": reply, "threadId": original.thread_id})
        .execute()
    )
    other = (
        gmail.users().messages().send(userId="me", body={"raw": unrelated, "threadId": original.thread_id})
    )

    assert sent["threadId"] == original.thread_id
    assert other.execute()["threadId"] != original.thread_id  # Gmail needs matching headers and subject
    record = fake_google.sent[0]
    assert (record.to, record.bcc, record.subject) == (
        ["bob@example.org"],
        ["boss@example.org"],
        "Re: Budget",
    )
    assert record.body.strip() == "Here they are."
    assert record.in_reply_to == record.references == original.header("Message-ID")
    assert record.from_ == "me@example.com"
    assert b"boss@example.org" not in fake_google.message(record.id).raw


def test_gmail_send_without_recipient_is_rejected(fake_google: FakeGoogle) -> None:
    gmail = gmail_service(fake_google, GMAIL_SEND)

    with pytest.raises(HttpError) as caught:
        gmail.users().messages().send(userId="me", body={"raw": raw_mail(Subject="nobody")}).execute()

    assert caught.value.status_code == 400
    assert fake_google.sent == []


# -- Calendar ----------------------------------------------------------------------------------------


def test_calendar_lists_all_day_and_time_zoned_events(fake_google: FakeGoogle) -> None:
    new_york = ZoneInfo("America/New_York")
    fake_google.add_event("Holiday", date(2024, 5, 1), date(2024, 5, 2))
    fake_google.add_event(
        "Call", datetime(2024, 5, 1, 15, tzinfo=new_york), datetime(2024, 5, 1, 16, tzinfo=new_york),
        time_zone="America/New_York",
    )  # fmt: skip
    fake_google.add_event("Tomorrow", date(2024, 5, 2), date(2024, 5, 3))
    calendar = calendar_service(fake_google, CALENDAR_READONLY)
    window = {"timeMin": "2024-05-01T00:00:00Z", "timeMax": "2024-05-02T00:00:00Z"}

    listed = calendar.events().list(calendarId="primary", singleEvents=True, orderBy="startTime", **window)
    in_berlin = calendar.events().list(calendarId="primary", timeZone="Europe/Berlin", q="call", **window)
    holiday, call = listed.execute()["items"]

    assert holiday["start"] == {"date": "2024-05-01"} and holiday["end"] == {"date": "2024-05-02"}
    assert call["start"] == {"dateTime": "2024-05-01T15:00:00-04:00", "timeZone": "America/New_York"}
    assert in_berlin.execute()["items"][0]["start"]["dateTime"] == "2024-05-01T21:00:00+02:00"


def test_weekly_recurring_event_expands_in_local_time_across_dst(fake_google: FakeGoogle) -> None:
    master = fake_google.add_event(
        "Standup", datetime(2024, 3, 20, 9, tzinfo=BERLIN), datetime(2024, 3, 20, 9, 15, tzinfo=BERLIN),
        time_zone="Europe/Berlin", recurrence=["RRULE:FREQ=WEEKLY;BYDAY=WE;COUNT=3"],
    )  # fmt: skip
    calendar = calendar_service(fake_google)
    window = {"timeMin": "2024-03-01T00:00:00Z", "timeMax": "2024-05-01T00:00:00Z"}

    items = calendar.events().list(calendarId="primary", singleEvents=True, orderBy="startTime", **window)
    items = items.execute()["items"]
    series = calendar.events().list(calendarId="primary", **window).execute()["items"]
    instances = calendar.events().instances(calendarId="primary", eventId=master["id"]).execute()["items"]

    assert [i["id"] for i in items] == [
        f"{master['id']}_20240320T080000Z",
        f"{master['id']}_20240327T080000Z",
        f"{master['id']}_20240403T070000Z",
    ]
    assert [i["start"]["dateTime"] for i in items] == [
        "2024-03-20T09:00:00+01:00",
        "2024-03-27T09:00:00+01:00",
        "2024-04-03T09:00:00+02:00",
    ]
    assert {i["recurringEventId"] for i in items} == {master["id"]}
    assert items[2]["originalStartTime"]["dateTime"] == "2024-04-03T09:00:00+02:00"
    assert [s["recurrence"] for s in series] == [["RRULE:FREQ=WEEKLY;BYDAY=WE;COUNT=3"]]
    assert len(instances) == 3
    with pytest.raises(HttpError) as caught:
        calendar.events().list(calendarId="primary", orderBy="startTime", **window).execute()
    assert caught.value.status_code == 400


def test_daily_all_day_series_honours_until_and_exdate(fake_google: FakeGoogle) -> None:
    master = fake_google.add_event(
        "Trip", date(2024, 6, 1), date(2024, 6, 2),
        recurrence=["RRULE:FREQ=DAILY;UNTIL=20240605", "EXDATE;VALUE=DATE:20240603"],
    )  # fmt: skip
    calendar = calendar_service(fake_google)

    items = (
        calendar.events()
        .list(calendarId="primary", singleEvents=True, orderBy="startTime")
        .execute()["items"]
    )

    assert [i["start"]["date"] for i in items] == ["2024-06-01", "2024-06-02", "2024-06-04", "2024-06-05"]
    assert items[0]["id"] == f"{master['id']}_20240601"


def test_event_insert_patch_delete_are_recorded(fake_google: FakeGoogle) -> None:
    calendar = calendar_service(fake_google)
    body = {
        "summary": "Review",
        "start": {"dateTime": "2024-05-02T10:00:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2024-05-02T11:00:00", "timeZone": "Europe/Berlin"},
        "attendees": [{"email": "bob@example.org"}],
    }

    created = calendar.events().insert(calendarId="primary", body=body, sendUpdates="all").execute()
    patched = calendar.events().patch(
        calendarId="primary", eventId=created["id"], body={"summary": "Design review"}, sendUpdates="none"
    )
    patched = patched.execute()
    calendar.events().delete(calendarId="primary", eventId=created["id"], sendUpdates="all").execute()
    after = calendar.events().get(calendarId="primary", eventId=created["id"]).execute()
    listed = calendar.events().list(calendarId="primary").execute()["items"]

    assert created["start"] == {"dateTime": "2024-05-02T10:00:00+02:00", "timeZone": "Europe/Berlin"}
    assert created["attendees"] == [{"email": "bob@example.org", "responseStatus": "needsAction"}]
    assert (patched["summary"], patched["sequence"]) == ("Design review", 1)
    assert patched["start"] == created["start"]
    assert after["status"] == "cancelled" and listed == []
    changes = [(c.action, c.event_id, c.send_updates) for c in fake_google.event_changes]
    assert changes == [
        ("insert", created["id"], "all"),
        ("patch", created["id"], "none"),
        ("delete", created["id"], "all"),
    ]
    with pytest.raises(HttpError) as gone:
        calendar.events().delete(calendarId="primary", eventId=created["id"]).execute()
    assert gone.value.status_code == 410


def test_event_update_replaces_the_whole_event(fake_google: FakeGoogle) -> None:
    event = fake_google.add_event(
        "Dentist",
        datetime(2024, 5, 3, 8, tzinfo=UTC),
        datetime(2024, 5, 3, 9, tzinfo=UTC),
        location="Main St",
    )
    calendar = calendar_service(fake_google)
    body = {"summary": "Dentist (moved)", "start": {"date": "2024-05-04"}, "end": {"date": "2024-05-05"}}

    updated = calendar.events().update(calendarId="primary", eventId=event["id"], body=body).execute()

    assert (updated["summary"], updated["start"], updated["sequence"]) == (
        "Dentist (moved)",
        body["start"],
        1,
    )
    assert "location" not in updated
    assert fake_google.event(event["id"]) == updated
    assert [(c.action, c.send_updates) for c in fake_google.event_changes] == [("update", None)]


def test_event_without_a_time_zone_is_rejected(fake_google: FakeGoogle) -> None:
    calendar = calendar_service(fake_google)
    naive = {
        "summary": "x",
        "start": {"dateTime": "2024-05-02T10:00:00"},
        "end": {"dateTime": "2024-05-02T11:00:00"},
    }

    with pytest.raises(HttpError) as caught:
        calendar.events().insert(calendarId="primary", body=naive).execute()

    assert caught.value.status_code == 400
    assert "Missing time zone definition" in caught.value.reason


def test_editing_one_instance_leaves_the_rest_of_the_series(fake_google: FakeGoogle) -> None:
    start = datetime(2024, 5, 6, 9, tzinfo=BERLIN)
    master = fake_google.add_event(
        "Sync", start, start + timedelta(hours=1), time_zone="Europe/Berlin",
        recurrence=["RRULE:FREQ=DAILY;COUNT=3"],
    )  # fmt: skip
    calendar = calendar_service(fake_google)
    second, third = (f"{master['id']}_2024050{day}T070000Z" for day in (7, 8))

    calendar.events().patch(calendarId="primary", eventId=second, body={"summary": "Moved sync"}).execute()
    calendar.events().delete(calendarId="primary", eventId=third).execute()
    items = (
        calendar.events()
        .list(calendarId="primary", singleEvents=True, orderBy="startTime")
        .execute()["items"]
    )

    assert [(i["id"], i["summary"]) for i in items] == [
        (f"{master['id']}_20240506T070000Z", "Sync"),
        (second, "Moved sync"),
    ]
    assert items[1]["recurringEventId"] == master["id"]


def test_free_busy_merges_and_clips_busy_time(fake_google: FakeGoogle) -> None:
    day = datetime(2024, 5, 1, tzinfo=UTC)
    fake_google.add_event("A", day.replace(hour=9), day.replace(hour=10))
    fake_google.add_event("B", day.replace(hour=9, minute=30), day.replace(hour=11))
    fake_google.add_event("Free", day.replace(hour=12), day.replace(hour=13), transparency="transparent")
    fake_google.add_event("Late", day.replace(hour=15), day.replace(hour=17))
    calendar = calendar_service(fake_google, CALENDAR_READONLY)
    body = {
        "timeMin": "2024-05-01T08:00:00Z",
        "timeMax": "2024-05-01T16:00:00Z",
        "items": [{"id": "primary"}, {"id": "nobody@example.org"}],
    }

    result = calendar.freebusy().query(body=body).execute()

    assert result["calendars"]["primary"]["busy"] == [
        {"start": "2024-05-01T09:00:00Z", "end": "2024-05-01T11:00:00Z"},
        {"start": "2024-05-01T15:00:00Z", "end": "2024-05-01T16:00:00Z"},
    ]
    assert result["calendars"]["nobody@example.org"]["errors"][0]["reason"] == "notFound"


def test_calendar_list_pages_with_the_client_library(fake_google: FakeGoogle) -> None:
    for day in range(1, 6):
        fake_google.add_event(f"Day {day}", date(2024, 7, day), date(2024, 7, day + 1))
    calendar = calendar_service(fake_google)

    summaries: list[str] = []
    request = calendar.events().list(
        calendarId="primary", singleEvents=True, orderBy="startTime", maxResults=2
    )
    while request is not None:
        response = request.execute()
        summaries += [item["summary"] for item in response["items"]]
        request = calendar.events().list_next(request, response)

    assert summaries == [f"Day {day}" for day in range(1, 6)]


def test_client_secrets_and_env_point_at_the_fake(fake_google: FakeGoogle, tmp_path: Path) -> None:
    import json

    path = fake_google.client_secrets_json(tmp_path / "secrets.json")
    installed = json.loads(path.read_text())["installed"]

    assert installed["auth_uri"] == fake_google.base_url + "/o/oauth2/auth"
    assert installed["token_uri"] == fake_google.base_url + "/token"
    assert installed["redirect_uris"] == ["http://127.0.0.1"]
    assert fake_google.env(path) == {
        "PA_GOOGLE_API_ENDPOINT": fake_google.base_url,
        "PA_GOOGLE_REVOKE_URI": fake_google.base_url + "/revoke",
        "PA_GOOGLE_CLIENT_SECRETS": str(path),
    }
