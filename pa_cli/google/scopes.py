"""OAuth scopes per Google service: least privilege, one service at a time.

Read tools need only the read-only scopes; the write tools add compose/send
(Gmail) or events (Calendar). ``gmail.mode = draft_only`` never asks for send.
This module imports nothing heavy: the registry reads it to report ``authorized``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pa_cli.errors import UsageError

if TYPE_CHECKING:
    from pa_cli.config import Settings

PROVIDER = "google"
SERVICES: tuple[str, ...] = ("gmail", "calendar", "contacts")

GMAIL_READONLY = "https://www.googleapis.com/auth/gmail.readonly"
GMAIL_COMPOSE = "https://www.googleapis.com/auth/gmail.compose"
GMAIL_SEND = "https://www.googleapis.com/auth/gmail.send"
#: Labels and trash, for gmail_modify and gmail_label_create (never delete for good: no mail.google.com).
GMAIL_MODIFY = "https://www.googleapis.com/auth/gmail.modify"
CALENDAR_READONLY = "https://www.googleapis.com/auth/calendar.readonly"
CALENDAR_EVENTS = "https://www.googleapis.com/auth/calendar.events"
#: People API, read only: the user's contacts, and the "other contacts" Gmail collects from mail.
CONTACTS_READONLY = "https://www.googleapis.com/auth/contacts.readonly"
CONTACTS_OTHER_READONLY = "https://www.googleapis.com/auth/contacts.other.readonly"

#: Every scope a service's tool set can use (``gmail.mode = full``).
SCOPES: dict[str, list[str]] = {
    "gmail": [GMAIL_READONLY, GMAIL_COMPOSE, GMAIL_SEND, GMAIL_MODIFY],
    "calendar": [CALENDAR_READONLY, CALENDAR_EVENTS],
    "contacts": [CONTACTS_READONLY, CONTACTS_OTHER_READONLY],
}


def check_service(service: str) -> str:
    if service not in SERVICES:
        raise UsageError(f"unknown Google service {service!r}: choose one of {', '.join(SERVICES)}")
    return service


def scopes_for(settings: Settings, service: str) -> list[str]:
    """The scopes to request for ``service`` under the current settings."""
    scopes = list(SCOPES[check_service(service)])
    if service == "gmail" and settings.gmail.mode == "draft_only":
        scopes.remove(GMAIL_SEND)
    return scopes


def short_scope(scope: str) -> str:
    """``https://www.googleapis.com/auth/gmail.readonly`` -> ``gmail.readonly``."""
    return scope.rsplit("/", 1)[-1]


def authorize_hint(service: str) -> str:
    return f"run `pa tools authorize {service}`"


def not_authorized_message(service: str) -> str:
    return f"{service} is not authorized: {authorize_hint(service)}"
