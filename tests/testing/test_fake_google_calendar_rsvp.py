"""The fake Calendar's answers, reminders and free/busy hold to Google's rules and to discovery."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from pa_cli.testing.fake_google import FakeGoogle

CALENDAR = "https://www.googleapis.com/auth/calendar"
PARIS = ZoneInfo("Europe/Paris")


def _api(fake: FakeGoogle) -> object:
    token = fake.issue_tokens([CALENDAR]).access_token
    return build(
        "calendar", "v3", credentials=Credentials(token),
        client_options={"api_endpoint": fake.calendar_endpoint}, static_discovery=True,
    )  # fmt: skip


def _invite(fake: FakeGoogle) -> dict[str, object]:
    return fake.add_event(
        "Offsite", datetime(2030, 3, 5, 10, 0, tzinfo=PARIS), datetime(2030, 3, 5, 11, 0, tzinfo=PARIS),
        attendees=["lee@example.com", fake.user_email], organizer="lee@example.com",
    )  # fmt: skip


def test_an_rsvp_with_a_field_outside_discovery_fails_and_changes_nothing(fake_google: FakeGoogle) -> None:
    event = _invite(fake_google)
    api = _api(fake_google)
    body = {"attendees": [{"email": fake_google.user_email, "responseStatuss": "accepted"}]}
    with pytest.raises(HttpError) as failure:
        api.events().patch(calendarId="primary", eventId=event["id"], body=body).execute()  # type: ignore[attr-defined]
    assert failure.value.resp.status == 400
    assert "responseStatuss" in str(fake_google.take_violations()[0])
    assert [a["responseStatus"] for a in fake_google.event(str(event["id"]))["attendees"]] == [
        "accepted", "needsAction",
    ]  # fmt: skip


def test_invitations_keep_their_organizer_and_bad_answers_or_reminders_are_refused(
    fake_google: FakeGoogle,
) -> None:
    event = _invite(fake_google)
    api = _api(fake_google)
    events = api.events()  # type: ignore[attr-defined]
    me = {"email": fake_google.user_email, "responseStatus": "perhaps"}
    with pytest.raises(HttpError):
        events.patch(calendarId="primary", eventId=event["id"], body={"attendees": [me]}).execute()
    both = {"useDefault": True, "overrides": [{"method": "popup", "minutes": 5}]}
    with pytest.raises(HttpError):
        events.patch(calendarId="primary", eventId=event["id"], body={"reminders": both}).execute()
    patched = events.patch(
        calendarId="primary", eventId=event["id"], body={"summary": "Offsite v2"}, sendUpdates="none"
    ).execute()
    assert patched["organizer"]["email"] == "lee@example.com"
    assert [a.get("organizer", False) for a in patched["attendees"]] == [True, False]
