"""Service construction: static discovery under the configured API root (Gmail root, Calendar /calendar/v3/)."""

from __future__ import annotations

import time

from pa_cli.google.credentials import load_credentials
from pa_cli.google.services import calendar_service, gmail_service
from tests.google.support import GoogleRig


def test_both_apis_keep_their_usual_paths_under_the_configured_root(rig: GoogleRig) -> None:
    rig.grant("gmail")
    rig.grant("calendar")
    gmail = gmail_service(
        load_credentials(rig.settings, rig.store, rig.secrets, rig.user_id, "gmail"), rig.settings
    )
    calendar = calendar_service(
        load_credentials(rig.settings, rig.store, rig.secrets, rig.user_id, "calendar"), rig.settings
    )
    gmail.users().messages().list(userId="me").execute()
    calendar.calendarList().list().execute()
    deadline = time.monotonic() + 5  # the fake records a request just after answering it
    while len(rig.fake.api_requests) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    paths = [r.path for r in rig.fake.api_requests]
    assert paths == ["/gmail/v1/users/me/messages", "/calendar/v3/users/me/calendarList"]


def test_without_an_endpoint_the_real_google_hosts_are_used(rig: GoogleRig) -> None:
    rig.grant("gmail")
    rig.settings.google.api_endpoint = None
    creds = load_credentials(rig.settings, rig.store, rig.secrets, rig.user_id, "gmail")
    assert gmail_service(creds, rig.settings)._baseUrl == "https://gmail.googleapis.com/"
    assert calendar_service(creds, rig.settings)._baseUrl == "https://www.googleapis.com/calendar/v3/"
