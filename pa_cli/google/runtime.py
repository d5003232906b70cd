"""Running Google API calls for tools: authorization check, credentials, a worker thread, errors.

The blocking client (googleapiclient + httplib2) runs in ``asyncio.to_thread`` so
the event loop never blocks. Tokens refreshed during a call (before expiry, or on
a 401) are saved back; a revoked grant clears the local state and raises
``AuthorizationNeeded``; API errors become one-line ``ToolError``s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from pa_cli.errors import AuthorizationNeeded, PaError
from pa_cli.google.client_config import SecretsLike
from pa_cli.google.credentials import (
    load_credentials,
    refresh_failure,
    require_authorized,
    save_if_changed,
    token_snapshot,
)
from pa_cli.google.scopes import authorize_hint
from pa_cli.google.services import service_for

if TYPE_CHECKING:
    from pa_cli.tools.base import ToolContext

T = TypeVar("T")

SECRETS_KEY = "secrets"
_LABEL = {"gmail": "Gmail", "calendar": "Google Calendar", "contacts": "Google Contacts"}


def secrets_for(ctx: ToolContext) -> SecretsLike:
    """The secret store: the one the front-end put in ``ctx.extra["secrets"]``, else the default one."""
    given = ctx.extra.get(SECRETS_KEY)
    if given is not None:
        return given  # type: ignore[no-any-return]
    from pa_cli.secrets import open_secret_store

    store = open_secret_store(ctx.settings.app_paths)
    ctx.extra[SECRETS_KEY] = store
    return store


def _tool_error(message: str) -> PaError:
    from pa_cli.errors import ToolError

    return ToolError(message)


def http_error(service: str, exc: Any) -> PaError:
    """A googleapiclient ``HttpError`` as a user-facing error (Google's reason, shortened)."""
    status = int(getattr(getattr(exc, "resp", None), "status", 0) or 0)
    try:
        reason = str(exc._get_reason() or "").strip()
    except Exception:
        reason = ""
    reason = " ".join(reason.split())[:200]
    label = _LABEL.get(service, service)
    if status == 401:
        return AuthorizationNeeded(f"{label} refused the stored credentials: {authorize_hint(service)}")
    if status == 403 and ("scope" in reason.lower() or "insufficient" in reason.lower()):
        return AuthorizationNeeded(f"{service} is not authorized for this action: {authorize_hint(service)}")
    if status == 404:
        return _tool_error(f"{label}: not found" + (f" ({reason})" if reason else ""))
    if status == 410:
        return _tool_error(f"{label}: already deleted" + (f" ({reason})" if reason else ""))
    return _tool_error(f"{label} API error {status}" + (f": {reason}" if reason else ""))


def call_sync(ctx: ToolContext, service: str, fn: Callable[[Any], T]) -> T:
    """Load credentials, build the client, run ``fn(client)``; save refreshed tokens. Blocking."""
    import google.auth.exceptions
    import httplib2  # type: ignore[import-untyped]
    from googleapiclient.errors import HttpError

    secrets = secrets_for(ctx)
    creds = load_credentials(ctx.settings, ctx.store, secrets, ctx.user_id, service)
    before = token_snapshot(creds)
    grant_gone = False
    try:
        api = service_for(service, creds, ctx.settings)
        return fn(api)
    except (google.auth.exceptions.RefreshError, google.auth.exceptions.TransportError) as exc:
        error = refresh_failure(exc, ctx.store, secrets, ctx.user_id, service)
        grant_gone = isinstance(error, AuthorizationNeeded)
        raise error from None
    except HttpError as exc:
        raise http_error(service, exc) from None
    except (httplib2.HttpLib2Error, OSError):
        raise _tool_error(f"{_LABEL.get(service, service)} could not be reached; try again") from None
    finally:
        if not grant_gone:
            save_if_changed(ctx.store, secrets, ctx.user_id, service, creds, before)


async def call_google(ctx: ToolContext, service: str, scopes: Sequence[str], fn: Callable[[Any], T]) -> T:
    """Check authorization (no network), then run ``fn(client)`` in a worker thread."""
    require_authorized(ctx.settings, ctx.store, ctx.user_id, service, scopes)
    return await asyncio.to_thread(call_sync, ctx, service, fn)
