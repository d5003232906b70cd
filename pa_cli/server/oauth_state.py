"""Pending Google authorizations started over HTTP, in the database with an expiry.

A row is keyed by the SHA-256 of the OAuth ``state`` (the state itself is not
stored), says which API client started the flow and until when it may finish,
and holds the PKCE code verifier sealed with AES-GCM under a key derived from the
server's signing key (which is in the secret store) and the state: a copy of the
database alone opens nothing. The callback takes the row (read and delete), so a
state works once, in any worker; each new authorization sweeps the expired rows.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pa_cli.store import Store

STATE_TTL_SECONDS = 600
_STATE = re.compile(r"[A-Za-z0-9_-]{16,100}")  # fullmatch: "$" would let a trailing newline in
_INFO = b"pa oauth pkce verifier"


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


def state_hash(state: str) -> str:
    return hashlib.sha256(state.encode("ascii")).hexdigest()


def _key(signing_key: bytes, state: str) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=state.encode("ascii"), info=_INFO).derive(
        signing_key
    )


def seal(signing_key: bytes, state: str, verifier: str) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    sealed = AESGCM(_key(signing_key, state)).encrypt(
        nonce, verifier.encode("utf-8"), state_hash(state).encode()
    )
    return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def unseal(signing_key: bytes, state: str, sealed: str) -> str | None:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        raw = base64.urlsafe_b64decode(sealed.encode("ascii"))
        plain = AESGCM(_key(signing_key, state)).decrypt(raw[:12], raw[12:], state_hash(state).encode())
    except (InvalidTag, ValueError):
        return None
    return plain.decode("utf-8")


def remember(
    store: Store,
    signing_key: bytes,
    state: str,
    *,
    client_id: str,
    user_id: int,
    service: str,
    code_verifier: str,
    redirect_uri: str,
) -> PendingAuthorization:
    from pa_cli.store.models import OAuthState

    if not _STATE.fullmatch(state):
        raise ValueError("unexpected OAuth state format")
    now = time.time()
    pending = PendingAuthorization(
        client_id=client_id,
        user_id=user_id,
        service=service,
        code_verifier=code_verifier,
        redirect_uri=redirect_uri,
        expires_at=now + STATE_TTL_SECONDS,
    )
    row = OAuthState(
        state_hash=state_hash(state),
        client_id=client_id,
        user_id=user_id,
        service=service,
        redirect_uri=redirect_uri,
        sealed_verifier=seal(signing_key, state, code_verifier),
        expires_at=pending.expires_at,
    )
    store.oauth_states.add(row, now=now)
    return pending


def take(store: Store, signing_key: bytes, state: str) -> PendingAuthorization | None:
    """The pending authorization for ``state``, removed so it cannot be used again; None if unknown or expired."""
    if not _STATE.fullmatch(state):
        return None
    row = store.oauth_states.take(state_hash(state))
    if row is None:
        return None
    verifier = unseal(signing_key, state, row.sealed_verifier)
    if verifier is None:
        return None
    pending = PendingAuthorization(
        client_id=row.client_id,
        user_id=row.user_id,
        service=row.service,
        code_verifier=verifier,
        redirect_uri=row.redirect_uri,
        expires_at=row.expires_at,
    )
    return None if pending.expired else pending
