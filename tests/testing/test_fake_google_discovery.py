"""The fake Google checks every request against Google's discovery documents (Gmail, Calendar, People)."""

from __future__ import annotations

import httpx
import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from pa_cli.testing.fake_google import FakeGoogle
from pa_cli.testing.fake_google.discovery import find_method, validate

GMAIL_READONLY = "https://www.googleapis.com/auth/gmail.readonly"
GMAIL_MODIFY = "https://www.googleapis.com/auth/gmail.modify"
CALENDAR = "https://www.googleapis.com/auth/calendar"


def _auth(fake: FakeGoogle, *scopes: str) -> dict[str, str]:
    return {"Authorization": "Bearer " + fake.issue_tokens(scopes).access_token}


def test_methods_are_found_by_path_and_the_most_specific_template_wins() -> None:
    assert find_method("POST", "/gmail/v1/users/me/messages/batchModify").id == (  # type: ignore[union-attr]
        "gmail.users.messages.batchModify"
    )
    assert find_method("GET", "/gmail/v1/users/me/messages/abc").id == "gmail.users.messages.get"  # type: ignore[union-attr]
    assert find_method("POST", "/calendar/v3/freeBusy").id == "calendar.freebusy.query"  # type: ignore[union-attr]
    assert find_method("GET", "/v1/people:searchContacts").id == "people.people.searchContacts"  # type: ignore[union-attr]
    assert find_method("GET", "/gmail/v1/users/me/nonsense") is None


def test_an_unknown_query_parameter_is_a_violation() -> None:
    violation = validate("GET", "/gmail/v1/users/me/messages", "q=x&maxResult=5", b"", "")
    assert violation is not None and "unknown query parameter 'maxResult'" in str(violation)


def test_a_query_value_of_the_wrong_type_or_outside_the_enum_is_a_violation() -> None:
    wrong_int = validate("GET", "/gmail/v1/users/me/messages", "maxResults=ten", b"", "")
    assert wrong_int is not None and "expected an integer" in str(wrong_int)
    wrong_enum = validate("GET", "/gmail/v1/users/me/messages/m1", "format=everything", b"", "")
    assert wrong_enum is not None and "'everything' is not one of" in str(wrong_enum)
    twice = validate("GET", "/gmail/v1/users/me/messages", "q=a&q=b", b"", "")
    assert twice is not None and "not repeated" in str(twice)


def test_a_missing_required_query_parameter_is_a_violation() -> None:
    violation = validate("GET", "/v1/people:searchContacts", "readMask=names", b"", "")
    assert violation is not None and "required query parameter 'query' is missing" in str(violation)


def test_unknown_body_fields_wrong_types_and_missing_required_fields_are_violations() -> None:
    path = "/calendar/v3/calendars/primary/events"
    body = b'{"summary": 5, "start": {"dateTime": "2026-01-01T10:00:00Z"}, "colour": "red"}'
    violation = validate("POST", path, "", body, "application/json")
    assert violation is not None
    text = str(violation)
    assert "unknown field 'colour'" in text
    assert "summary: expected a string" in text
    assert "required field 'end' is missing" in text


def test_a_conforming_request_passes() -> None:
    body = b'{"ids": ["a", "b"], "removeLabelIds": ["INBOX"]}'
    assert (
        validate("POST", "/gmail/v1/users/me/messages/batchModify", "alt=json", body, "application/json")
        is None
    )


def test_a_violating_request_over_http_gets_a_400_and_is_recorded(fake_google: FakeGoogle) -> None:
    headers = _auth(fake_google, GMAIL_READONLY)
    with httpx.Client(base_url=fake_google.base_url, timeout=10) as client:
        bad = client.get("/gmail/v1/users/me/messages", params={"q": "x", "bogus": "1"}, headers=headers)
        good = client.get("/gmail/v1/users/me/messages", params={"q": "x"}, headers=headers)
    assert bad.status_code == 400
    assert "unknown query parameter 'bogus'" in bad.json()["error"]["message"]
    assert good.status_code == 200
    taken = fake_google.take_violations()
    assert [v.api_method for v in taken] == ["gmail.users.messages.list"]


def test_the_real_client_sending_an_unknown_body_field_fails(fake_google: FakeGoogle) -> None:
    token = fake_google.issue_tokens([GMAIL_MODIFY]).access_token
    api = build(
        "gmail",
        "v1",
        credentials=Credentials(token),
        client_options={"api_endpoint": fake_google.api_endpoint},
        static_discovery=True,
    )
    message = fake_google.add_message("a@example.com", "me@example.com", "Hi", "hello")
    with pytest.raises(HttpError) as failure:
        api.users().messages().batchModify(
            userId="me", body={"ids": [message.id], "removeLabels": ["INBOX"]}
        ).execute()
    assert failure.value.resp.status == 400
    assert "removeLabels" in str(fake_google.take_violations()[0])
    assert "INBOX" in fake_google.message(message.id).label_ids  # nothing changed


def test_a_method_outside_the_documents_is_a_violation(fake_google: FakeGoogle) -> None:
    headers = _auth(fake_google, CALENDAR)
    with httpx.Client(base_url=fake_google.base_url, timeout=10) as client:
        response = client.post("/calendar/v3/calendars/primary/events/e1/rsvp", headers=headers, json={})
    assert response.status_code == 400
    assert fake_google.take_violations()[0].api_method is None
