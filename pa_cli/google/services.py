"""Gmail and Calendar API clients from the bundled (static) discovery documents.

``google.api_endpoint`` is a root under which both APIs keep their usual paths:
Gmail's discovery document wants the root only, Calendar's wants root + ``/calendar/v3/``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from google.oauth2.credentials import Credentials

    from pa_cli.config import Settings

HTTP_TIMEOUT_SECONDS = 60.0


def _root(settings: Settings) -> str | None:
    endpoint = settings.google.api_endpoint
    return endpoint.rstrip("/") if endpoint else None


def _build(name: str, version: str, creds: Credentials, api_endpoint: str | None) -> Any:
    import google_auth_httplib2  # type: ignore[import-untyped]
    import httplib2  # type: ignore[import-untyped]
    from googleapiclient.discovery import build

    http = google_auth_httplib2.AuthorizedHttp(creds, http=httplib2.Http(timeout=HTTP_TIMEOUT_SECONDS))
    options = {"api_endpoint": api_endpoint} if api_endpoint else None
    return build(
        name,
        version,
        http=http,
        static_discovery=True,
        cache_discovery=False,
        client_options=options,
        num_retries=1,
    )


def gmail_service(creds: Credentials, settings: Settings) -> Any:
    root = _root(settings)
    return _build("gmail", "v1", creds, f"{root}/" if root else None)


def calendar_service(creds: Credentials, settings: Settings) -> Any:
    root = _root(settings)
    return _build("calendar", "v3", creds, f"{root}/calendar/v3/" if root else None)


def people_service(creds: Credentials, settings: Settings) -> Any:
    """People v1 (contacts): its discovery document wants the root only, like Gmail's."""
    root = _root(settings)
    return _build("people", "v1", creds, f"{root}/" if root else None)


def service_for(name: str, creds: Credentials, settings: Settings) -> Any:
    if name == "gmail":
        return gmail_service(creds, settings)
    if name == "calendar":
        return calendar_service(creds, settings)
    if name == "contacts":
        return people_service(creds, settings)
    raise ValueError(f"unknown Google service {name!r}")
