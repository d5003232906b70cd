"""``FakeGoogle``: the fake's state, its knobs, and the loopback HTTP server that serves it."""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware

from pa_cli.testing.fake_google.browser import FakeBrowser
from pa_cli.testing.fake_google.calendar_routes import calendar_routes
from pa_cli.testing.fake_google.calendar_state import CalendarStore, Event, EventChange
from pa_cli.testing.fake_google.discovery import DiscoveryValidator, Violation
from pa_cli.testing.fake_google.gmail_labels import Labels, gmail_label_routes
from pa_cli.testing.fake_google.gmail_routes import gmail_routes
from pa_cli.testing.fake_google.gmail_state import AttachmentLike, Mailbox
from pa_cli.testing.fake_google.http_server import ApiRequest, LoopbackServer, RequestRecorder
from pa_cli.testing.fake_google.mime import MailRecord, StoredMessage
from pa_cli.testing.fake_google.oauth_routes import oauth_routes
from pa_cli.testing.fake_google.oauth_state import IssuedTokens, OAuthState, TokenRequest
from pa_cli.testing.fake_google.people_routes import PeopleBook, people_routes
from pa_cli.testing.fake_google.responses import ApiError, api_error_handler


class FakeGoogle:
    """A fake Google OAuth + Gmail v1 + Calendar v3 server on 127.0.0.1 for tests.

    Use ``start()`` (returns the base URL) and ``stop()``, or ``with FakeGoogle() as fake:``.
    State can be inspected and changed from the test thread at any time.
    """

    def __init__(
        self,
        *,
        user_email: str = "me@example.com",
        client_id: str | None = None,
        client_secret: str | None = None,
        time_zone: str = "UTC",
    ) -> None:
        self.user_email = user_email
        self.time_zone = time_zone
        self._client_id = client_id or f"{secrets.token_hex(6)}-fake.apps.googleusercontent.com"
        self._client_secret = client_secret or "GOCSPX-" + secrets.token_urlsafe(18)
        self.lock = threading.RLock()
        self._http: LoopbackServer | None = None
        self.reset()

    # -- lifecycle ------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget all mail, events, tokens, knobs and records (the OAuth client stays the same)."""
        with self.lock:
            self.oauth = OAuthState(self._client_id, self._client_secret)
            self.mail = Mailbox(self.user_email)
            self.labels = Labels()
            self.calendar = CalendarStore(self.user_email, self.time_zone)
            self.people = PeopleBook()
            self.api_requests: list[ApiRequest] = []
            #: Requests that broke Google's discovery documents (answered 400); tests assert it stays empty.
            self.violations: list[Violation] = []

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                *oauth_routes(self),
                *gmail_label_routes(self),  # before gmail_routes: messages/batchModify is not a message id
                *gmail_routes(self),
                *calendar_routes(self),
                *people_routes(self),
            ],
            middleware=[
                Middleware(RequestRecorder, record=self._record_request),
                Middleware(DiscoveryValidator, report=self._record_violation),
            ],
            exception_handlers={ApiError: api_error_handler},
        )

    def _record_request(self, request: ApiRequest) -> None:
        with self.lock:
            self.api_requests.append(request)

    def _record_violation(self, violation: Violation) -> None:
        with self.lock:
            self.violations.append(violation)

    def take_violations(self) -> list[Violation]:
        """The discovery violations so far, forgotten (for a test that provokes them on purpose)."""
        with self.lock:
            taken, self.violations = self.violations, []
            return taken

    def start(self) -> str:
        """Serve on 127.0.0.1 and a free port; returns the base URL (idempotent)."""
        if self._http is None:
            self._http = LoopbackServer(self.app(), "fake-google")
        return self._http.start()

    def stop(self) -> None:
        if self._http is not None:
            self._http.stop()
            self._http = None

    def __enter__(self) -> FakeGoogle:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- addresses and client secrets -------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._http is None or self._http.base_url is None:
            raise RuntimeError("FakeGoogle is not started")
        return self._http.base_url

    @property
    def auth_uri(self) -> str:
        return self.base_url + "/o/oauth2/auth"

    @property
    def token_uri(self) -> str:
        return self.base_url + "/token"

    @property
    def revoke_uri(self) -> str:
        return self.base_url + "/revoke"

    @property
    def api_endpoint(self) -> str:
        """The root for PA_GOOGLE_API_ENDPOINT (Gmail at /gmail/v1, Calendar at /calendar/v3)."""
        return self.base_url

    @property
    def calendar_endpoint(self) -> str:
        return self.base_url + "/calendar/v3/"

    @property
    def client_id(self) -> str:
        return self._client_id

    @property
    def client_secret(self) -> str:
        return self._client_secret

    def client_config(self) -> dict[str, Any]:
        return {
            "installed": {
                "client_id": self._client_id,
                "project_id": "pa-fake-google",
                "auth_uri": self.auth_uri,
                "token_uri": self.token_uri,
                "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
                "client_secret": self._client_secret,
                "redirect_uris": ["http://127.0.0.1"],
            }
        }

    def client_secrets_json(self, path: str | Path) -> Path:
        """Write an "installed" client-secrets file pointing at this fake; return its path."""
        target = Path(path)
        target.write_text(json.dumps(self.client_config(), indent=2), encoding="utf-8")
        return target

    def env(self, client_secrets: str | Path | None = None) -> dict[str, str]:
        """PA_GOOGLE_* variables that point production code at this fake."""
        values = {"PA_GOOGLE_API_ENDPOINT": self.api_endpoint, "PA_GOOGLE_REVOKE_URI": self.revoke_uri}
        if client_secrets is not None:
            values["PA_GOOGLE_CLIENT_SECRETS"] = str(client_secrets)
        return values

    # -- OAuth knobs and records ------------------------------------------------------------------

    def deny_next(self) -> None:
        """The next authorization redirects with error=access_denied."""
        with self.lock:
            self.oauth.deny_next = True

    def wrong_state_next(self) -> None:
        """The next authorization redirects with a state the client did not send."""
        with self.lock:
            self.oauth.wrong_state_next = True

    def fail_exchange_next(self) -> None:
        """The next authorization_code exchange fails with 400 invalid_grant."""
        with self.lock:
            self.oauth.fail_exchange_next = True

    def untick_scopes(self, *scopes: str) -> None:
        """At the next authorization the user unticks these scopes: they are not granted."""
        with self.lock:
            self.oauth.untick_next = set(scopes)

    def revoke_all(self) -> None:
        """Revoke every refresh and access token (the user removed the app's access)."""
        with self.lock:
            self.oauth.revoke_all()

    def invalidate_refresh_tokens(self) -> None:
        """Refresh tokens stop working (invalid_grant); live access tokens keep working until expiry."""
        with self.lock:
            self.oauth.invalidate_refresh_tokens()

    def expire_access_tokens(self) -> None:
        """Every access token issued so far is now expired (APIs answer 401)."""
        with self.lock:
            self.oauth.expire_access_tokens()

    @property
    def access_token_lifetime(self) -> int:
        return self.oauth.access_token_lifetime

    @access_token_lifetime.setter
    def access_token_lifetime(self, seconds: int) -> None:
        with self.lock:
            self.oauth.access_token_lifetime = seconds

    def issue_tokens(self, scopes: Iterable[str], *, offline: bool = True) -> IssuedTokens:
        """Grant scopes without the browser dance; returns valid access (and refresh) tokens."""
        with self.lock:
            return self.oauth.issue_tokens(scopes, offline=offline)

    def is_revoked(self, token: str) -> bool:
        with self.lock:
            return self.oauth.is_revoked(token)

    @property
    def granted_scopes(self) -> set[str]:
        with self.lock:
            return self.oauth.granted_scopes

    @property
    def auth_requests(self) -> list[dict[str, str]]:
        return self.oauth.auth_requests

    @property
    def token_requests(self) -> list[TokenRequest]:
        return self.oauth.token_requests

    @property
    def revoked(self) -> list[str]:
        return self.oauth.revoked

    def browse(self, auth_url: str, *, follow: bool = True, timeout: float = 10.0) -> httpx.Response:
        """Play the user's browser: open ``auth_url``, consent, and follow the redirect to the app.

        With ``follow=False`` the fake's 302 response is returned (its ``location`` header holds the
        redirect with ``code``/``state`` or ``error``).
        """
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            response = client.get(auth_url)
            if not follow or response.status_code != 302:
                return response
            return client.get(response.headers["location"])

    def browser(self) -> FakeBrowser:
        """A ``webbrowser`` stand-in that consents on this fake (see ``FakeBrowser``)."""
        return FakeBrowser(self.browse)

    # -- Gmail ------------------------------------------------------------------------------------

    def add_message(
        self,
        from_: str,
        to: str | Sequence[str],
        subject: str,
        body_text: str,
        body_html: str | None = None,
        attachments: Iterable[AttachmentLike] = (),
        date: datetime | None = None,
        thread_id: str | None = None,
        labels: Sequence[str] = ("INBOX", "UNREAD"),
        **extra: Any,
    ) -> StoredMessage:
        """Put a message in the mailbox. ``extra``: cc, in_reply_to, references, headers."""
        with self.lock:
            return self.mail.add_message(
                from_, to, subject, body_text, body_html, attachments, date, thread_id, labels, **extra
            )

    def add_raw_message(
        self, raw: bytes, *, labels: Sequence[str] = ("INBOX", "UNREAD"), thread_id: str | None = None
    ) -> StoredMessage:
        with self.lock:
            return self.mail.store_raw(raw, labels=labels, thread_id=thread_id)

    def message(self, message_id: str) -> StoredMessage:
        with self.lock:
            return self.mail.get(message_id)

    @property
    def messages(self) -> list[StoredMessage]:
        with self.lock:
            return list(self.mail.messages.values())

    @property
    def sent(self) -> list[MailRecord]:
        return self.mail.sent

    @property
    def drafts(self) -> list[MailRecord]:
        return self.mail.drafts

    # -- Calendar ---------------------------------------------------------------------------------

    def add_calendar(
        self, calendar_id: str, summary: str | None = None, time_zone: str | None = None
    ) -> None:
        with self.lock:
            self.calendar.add_calendar(calendar_id, summary, time_zone)

    def add_event(
        self,
        summary: str,
        start: date | datetime | str,
        end: date | datetime | str,
        *,
        calendar_id: str = "primary",
        time_zone: str | None = None,
        description: str | None = None,
        location: str | None = None,
        attendees: Iterable[str] = (),
        recurrence: Iterable[str] = (),
        event_id: str | None = None,
        organizer: str | None = None,
        **fields: Any,
    ) -> Event:
        """Put an event in a calendar (not recorded as a change). Dates make all-day events;
        datetimes need an offset or ``time_zone``; recurring timed events default to the calendar's zone;
        ``organizer`` (an address) makes it an invitation from that person to the attendees."""
        with self.lock:
            rules = list(recurrence)
            if rules and time_zone is None and isinstance(start, datetime):
                time_zone = self.calendar.calendar(calendar_id).time_zone
            body: Event = {
                "summary": summary,
                "start": _side(start, time_zone),
                "end": _side(end, time_zone),
                **fields,
            }
            optional = {"description": description, "location": location, "id": event_id}
            body.update({key: value for key, value in optional.items() if value is not None})
            if rules:
                body["recurrence"] = rules
            if attendees:
                body["attendees"] = [{"email": email} for email in attendees]
            invited_by = {"email": organizer} if organizer else None
            return self.calendar.insert(calendar_id, body, record=False, organizer=invited_by)

    def edit_event(self, event_id: str, calendar_id: str = "primary", **fields: Any) -> Event:
        """Someone edits an event elsewhere (another device): a patch that gives it a new etag."""
        with self.lock:
            return self.calendar.write(calendar_id, event_id, fields, "none", patch=True)

    def calendar_writes(self) -> list[ApiRequest]:
        """The Calendar requests that asked to change something (POST, PUT, PATCH, DELETE), in order."""
        with self.lock:
            return [
                r
                for r in self.api_requests
                if r.path.startswith("/calendar/v3/calendars/")
                and r.method in ("POST", "PUT", "PATCH", "DELETE")
            ]

    def event(self, event_id: str, calendar_id: str = "primary") -> Event:
        """A stored event, or an instance of a recurring one by its instance id."""
        with self.lock:
            return self.calendar.get(calendar_id, event_id)

    def events(self, calendar_id: str = "primary") -> list[Event]:
        """Stored events (series masters, single events, exceptions; cancelled ones included)."""
        with self.lock:
            return list(self.calendar.calendar(calendar_id).events.values())

    @property
    def event_changes(self) -> list[EventChange]:
        return self.calendar.changes


def _side(value: date | datetime | str, time_zone: str | None) -> dict[str, str]:
    if isinstance(value, datetime):
        text = value.isoformat()
    elif isinstance(value, date):
        return {"date": value.isoformat()}
    elif len(value) == 10:
        return {"date": value}
    else:
        text = value
    side = {"dateTime": text}
    if time_zone:
        side["timeZone"] = time_zone
    return side
