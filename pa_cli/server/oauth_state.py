"""Pending Google authorizations started over HTTP, kept in the secret store (never in memory).

The entry is named after the OAuth ``state``, holds the PKCE code verifier and
says which API client started the flow and until when it may finish. The
callback takes it (read and delete), so a state works once, in any worker.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pa_cli.secrets import SecretStore

STATE_TTL_SECONDS = 600
_PREFIX = "server.oauth_state."
_STATE = re.compile(r"^[A-Za-z0-9_-]{16,100}$")


@dataclass(frozen=True)
class PendingAuthorization:
    client_id: str
    user_id: int
    service: str
    code_verifier: str
    redirect_uri: str
    expires_at: float

    @property
    def expired(self) -> bool:
        return time.time() > self.expires_at


def remember(
    secrets: SecretStore,
    state: str,
    *,
    client_id: str,
    user_id: int,
    service: str,
    code_verifier: str,
    redirect_uri: str,
) -> PendingAuthorization:
    if not _STATE.match(state):
        raise ValueError("unexpected OAuth state format")
    pending = PendingAuthorization(
        client_id=client_id,
        user_id=user_id,
        service=service,
        code_verifier=code_verifier,
        redirect_uri=redirect_uri,
        expires_at=time.time() + STATE_TTL_SECONDS,
    )
    secrets.set(_PREFIX + state, json.dumps(asdict(pending)))
    return pending


def take(secrets: SecretStore, state: str) -> PendingAuthorization | None:
    """The pending authorization for ``state``, removed so it cannot be used again; None if unknown or expired."""
    if not _STATE.match(state):
        return None
    name = _PREFIX + state
    raw = secrets.get(name)
    if raw is None:
        return None
    secrets.delete(name)
    try:
        pending = PendingAuthorization(**json.loads(raw))
    except (ValueError, TypeError):
        return None
    return None if pending.expired else pending
