"""server/oauth_state.py in process, on a real SQLite store: the exact TTL, the state format, the
sealing of the PKCE verifier, taking a state once, and expiry to the second.

test_hardening.py shows the same over a live `pa serve` and the fake Google; these pin the numbers and
branches cheaply (the first guard of the module under mutation testing). The clock is frozen where a
boundary is tested (never a wall-clock threshold).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from types import SimpleNamespace

import pytest

from pa_cli.server import oauth_state
from pa_cli.store import Store

KEY = bytes(range(32))
STATE = "Abc_def-0123456789xyz"
NOW = 1_800_000_000.0


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """oauth_state's clock, frozen at NOW until a test moves it."""
    frozen = SimpleNamespace(now=NOW)
    monkeypatch.setattr(oauth_state, "time", SimpleNamespace(time=lambda: frozen.now))
    return frozen


def _remember(store: Store, state: str = STATE, key: bytes = KEY) -> oauth_state.PendingAuthorization:
    return oauth_state.remember(
        store,
        key,
        state,
        client_id="client-1",
        user_id=7,
        service="gmail",
        code_verifier="verifier-" + "v" * 40,
        redirect_uri="http://127.0.0.1:8765/api/v1/oauth/google/callback",
    )


def test_the_state_hash_is_the_hex_sha256_of_the_state() -> None:
    assert oauth_state.state_hash(STATE) == hashlib.sha256(STATE.encode()).hexdigest()


def test_a_sealed_verifier_opens_only_with_the_same_key_and_state() -> None:
    sealed = oauth_state.seal(KEY, STATE, "the verifier")
    raw = base64.urlsafe_b64decode(sealed)
    # 12-byte nonce + the text + the 16-byte GCM tag; the verifier is not in it in clear.
    assert len(raw) == 12 + len("the verifier") + 16
    assert b"the verifier" not in raw
    assert oauth_state.unseal(KEY, STATE, sealed) == "the verifier"
    assert oauth_state.unseal(bytes(32), STATE, sealed) is None  # another signing key
    assert oauth_state.unseal(KEY, STATE + "x", sealed) is None  # another state
    assert oauth_state.unseal(KEY, STATE, "not base64!") is None  # garbage (a ValueError)
    # Each seal has a fresh nonce.
    assert oauth_state.seal(KEY, STATE, "the verifier") != sealed


def test_remember_stores_a_row_that_expires_in_exactly_600_seconds(
    store: Store, clock: SimpleNamespace
) -> None:
    pending = _remember(store)
    assert oauth_state.STATE_TTL_SECONDS == 600
    assert pending == oauth_state.PendingAuthorization(
        client_id="client-1",
        user_id=7,
        service="gmail",
        code_verifier="verifier-" + "v" * 40,
        redirect_uri="http://127.0.0.1:8765/api/v1/oauth/google/callback",
        expires_at=NOW + 600,
    )
    assert store.oauth_states.count() == 1
    taken = oauth_state.take(store, KEY, STATE)
    assert taken == pending


def test_a_state_works_once(store: Store, clock: SimpleNamespace) -> None:
    _remember(store)
    assert oauth_state.take(store, KEY, STATE) is not None
    assert oauth_state.take(store, KEY, STATE) is None
    assert store.oauth_states.count() == 0


def test_a_state_is_good_until_its_expiry_and_gone_just_after(store: Store, clock: SimpleNamespace) -> None:
    _remember(store, "a" * 16)
    _remember(store, "b" * 16)
    clock.now = NOW + 600  # exactly the expiry: still good
    assert oauth_state.take(store, KEY, "a" * 16) is not None
    clock.now = NOW + 600.001
    assert oauth_state.take(store, KEY, "b" * 16) is None
    assert store.oauth_states.count() == 0  # taken, even though expired


def test_expired_is_strictly_after_the_expiry(clock: SimpleNamespace) -> None:
    pending = dataclasses.replace(_pending(), expires_at=NOW)
    assert pending.expired is False
    clock.now = NOW + 0.001
    assert pending.expired is True
    clock.now = NOW - 0.001
    assert pending.expired is False


def _pending() -> oauth_state.PendingAuthorization:
    return oauth_state.PendingAuthorization("c", 1, "gmail", "v", "http://x", NOW)


def test_a_pending_authorization_cannot_be_changed() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        _pending().user_id = 2  # type: ignore[misc]


def test_taken_with_another_signing_key_is_none_and_the_state_is_spent(
    store: Store, clock: SimpleNamespace
) -> None:
    _remember(store)
    assert oauth_state.take(store, bytes(32), STATE) is None
    assert oauth_state.take(store, KEY, STATE) is None


@pytest.mark.parametrize("state", ["a" * 16, "a" * 100, "Az09_-" * 3])
def test_states_of_16_to_100_url_safe_characters_are_accepted(
    store: Store, clock: SimpleNamespace, state: str
) -> None:
    _remember(store, state)
    assert oauth_state.take(store, KEY, state) is not None


@pytest.mark.parametrize("state", ["a" * 15, "a" * 101, "a" * 15 + "=", " " + "a" * 16, "", "a" * 16 + "\n"])
def test_other_states_are_refused_when_remembered(store: Store, state: str) -> None:
    with pytest.raises(ValueError, match="unexpected OAuth state format"):
        _remember(store, state)
    assert store.oauth_states.count() == 0


@pytest.mark.parametrize("state", ["a" * 15, "a" * 101, "é" * 20, "a" * 16 + "/", "a" * 16 + "\n"])
def test_other_states_are_none_when_taken_without_an_error(store: Store, state: str) -> None:
    assert oauth_state.take(store, KEY, state) is None


def test_remembering_sweeps_the_expired_states_only(store: Store, clock: SimpleNamespace) -> None:
    _remember(store, "a" * 16)
    clock.now = NOW + 300
    _remember(store, "b" * 16)
    clock.now = NOW + 600  # "a" expires now (the sweep takes expires_at <= now), "b" in 300 s
    _remember(store, "c" * 16)
    assert store.oauth_states.count() == 2
    assert oauth_state.take(store, KEY, "a" * 16) is None
    assert oauth_state.take(store, KEY, "b" * 16) is not None
