"""server/auth.py in process: the exact claims, the exact leeway, the exact "last used" throttle.

The live-server tests (test_auth.py) show every route refusing bad tokens over real HTTP; these pin the
numbers and branches those cannot reach cheaply, with a real SQLite store and the clock frozen where a
boundary is tested (never a wall-clock threshold).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import jwt.api_jwt
import pytest

from pa_cli.config import load_settings
from pa_cli.secrets.base import SecretStore
from pa_cli.server import auth
from pa_cli.server.errors import ApiError
from pa_cli.store import Store

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


class DictSecrets(SecretStore):
    """An in-process secret store that counts its writes."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.writes = 0

    @property
    def backend_name(self) -> str:
        return "dict (tests)"

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def set(self, name: str, value: str) -> None:
        self.writes += 1
        self.values[name] = value

    def delete(self, name: str) -> None:
        self.values.pop(name, None)


def _frozen(moment: datetime) -> type[datetime]:
    class Frozen(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Frozen:  # type: ignore[override]
            return cls.fromtimestamp(moment.timestamp(), tz)

    return Frozen


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """PyJWT's clock and auth.py's clock both read NOW."""
    monkeypatch.setattr(jwt.api_jwt, "datetime", _frozen(NOW))
    monkeypatch.setattr(auth, "datetime", _frozen(NOW))
    yield


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """One migrated SQLite file for the module (each test makes its own api client): migrating a
    database per test would be most of the time a mutant's run takes."""
    from pa_cli.store import open_store

    opened = open_store(url=f"sqlite:///{tmp_path_factory.mktemp('auth') / 'pa.db'}")
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def secrets() -> DictSecrets:
    return DictSecrets()


def _claims(store: Store, client_id: str, **changes: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": "pa",
        "aud": "pa-serve",
        "sub": str(store.users.local_user().id),
        "jti": client_id,
        "iat": int(NOW.timestamp()) - 3600,
        "exp": int(NOW.timestamp()) + 3600,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(claims: dict[str, Any], key: bytes, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


def _refused(store: Store, key: bytes, header: str | None) -> ApiError:
    with pytest.raises(ApiError) as caught:
        auth.authenticate(store, key, header)
    error = caught.value
    assert error.status == 401
    assert error.headers == {"WWW-Authenticate": 'Bearer realm="pa"'}
    return error


def test_the_signing_key_is_32_random_bytes_created_once(secrets: DictSecrets) -> None:
    assert secrets.get(auth.SIGNING_KEY_NAME) is None
    key = auth.ensure_signing_key(secrets)
    assert len(key) == 32
    stored = secrets.values["server.signing_key"]
    assert base64.urlsafe_b64decode(stored) == key
    assert secrets.writes == 1
    assert auth.ensure_signing_key(secrets) == key
    assert secrets.writes == 1  # the second call reads it, never replaces it
    assert auth.ensure_signing_key(DictSecrets()) != key


def test_issue_token_signs_exactly_these_claims(store: Store, secrets: DictSecrets) -> None:
    settings = load_settings()
    issued = auth.issue_token(settings, store, secrets, "phone", now=NOW)
    key = auth.ensure_signing_key(secrets)
    header = jwt.get_unverified_header(issued.token)
    assert header["alg"] == "HS256"
    claims = jwt.decode(
        issued.token,
        key,
        algorithms=["HS256"],
        options={"verify_signature": True, "verify_aud": False, "verify_exp": False},
    )
    user = store.users.local_user()
    ttl = timedelta(days=settings.server.token_ttl_days)
    assert claims == {
        "iss": "pa",
        "aud": "pa-serve",
        "sub": str(user.id),
        "jti": issued.client.id,
        "iat": int(NOW.timestamp()),
        "exp": int((NOW + ttl).timestamp()),
    }
    assert issued.expires_at == NOW + ttl
    assert issued.client.name == "phone"
    assert issued.client.user_id == user.id
    assert store.api_clients.get(issued.client.id) is not None


def test_issue_token_without_now_uses_the_present(
    store: Store, secrets: DictSecrets, frozen_clock: None
) -> None:
    issued = auth.issue_token(load_settings(), store, secrets, "laptop")
    claims = jwt.decode(issued.token, options={"verify_signature": False})
    assert claims["iat"] == int(NOW.timestamp())


def test_a_good_token_authenticates_as_its_client(
    store: Store, secrets: DictSecrets, frozen_clock: None
) -> None:
    issued = auth.issue_token(load_settings(), store, secrets, "phone", now=NOW)
    key = auth.ensure_signing_key(secrets)
    for header in (f"Bearer {issued.token}", f"bearer   {issued.token}  ", f"BEARER {issued.token}"):
        principal = auth.authenticate(store, key, header)
        assert principal == auth.Principal(
            client_id=issued.client.id, user_id=store.users.local_user().id, name="phone"
        )


@pytest.mark.parametrize("header", [None, ""])
def test_no_token_is_unauthorized(store: Store, header: str | None) -> None:
    error = _refused(store, b"k" * 32, header)
    assert error.code == "unauthorized"
    assert "bearer token is required" in error.message


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Bearer    ", "Token abc", "abc"])
def test_another_scheme_or_an_empty_token_is_unauthorized(store: Store, header: str) -> None:
    error = _refused(store, b"k" * 32, header)
    assert error.code == "unauthorized"
    assert "use the Bearer scheme" in error.message


def test_a_wrong_signature_is_an_invalid_token(
    store: Store, secrets: DictSecrets, frozen_clock: None
) -> None:
    issued = auth.issue_token(load_settings(), store, secrets, "phone", now=NOW)
    error = _refused(store, b"another key, 32 bytes long......", f"Bearer {issued.token}")
    assert (error.code, error.message) == ("invalid_token", "the token is not valid")


@pytest.mark.parametrize(
    "changes",
    [
        {"iss": "other"},
        {"aud": "other"},
        {"iss": None},
        {"aud": None},
        {"sub": None},
        {"jti": None},
        {"iat": None},
        {"exp": None},
        {"sub": "abc"},
        {"sub": "-1"},
        {"jti": 12},
    ],
    ids=repr,
)
def test_wrong_or_missing_claims_are_an_invalid_token(
    store: Store, secrets: DictSecrets, frozen_clock: None, changes: dict[str, Any]
) -> None:
    client = store.api_clients.create(store.users.local_user().id, "phone")
    key = auth.ensure_signing_key(secrets)
    error = _refused(store, key, "Bearer " + _sign(_claims(store, client.id, **changes), key))
    assert (error.code, error.message) == ("invalid_token", "the token is not valid")


def test_only_hs256_is_accepted(store: Store, secrets: DictSecrets, frozen_clock: None) -> None:
    client = store.api_clients.create(store.users.local_user().id, "phone")
    key = auth.ensure_signing_key(secrets)
    good = _sign(_claims(store, client.id), key)
    assert auth.decode_token(good, key)["jti"] == client.id
    other = _sign(_claims(store, client.id), key, algorithm="HS512")
    assert _refused(store, key, "Bearer " + other).code == "invalid_token"


def test_the_leeway_is_exactly_30_seconds(store: Store, secrets: DictSecrets, frozen_clock: None) -> None:
    client = store.api_clients.create(store.users.local_user().id, "phone")
    key = auth.ensure_signing_key(secrets)
    now = int(NOW.timestamp())  # NOW has no fraction of a second: PyJWT refuses when exp <= now - leeway
    inside = _sign(_claims(store, client.id, exp=now - 29), key)
    assert auth.decode_token(inside, key)["exp"] == now - 29
    for past in (30, 31, 3600):
        expired = _sign(_claims(store, client.id, exp=now - past), key)
        error = _refused(store, key, "Bearer " + expired)
        assert error.code == "token_expired"
        assert "pa serve token create" in error.message
    # An "issued at" up to the leeway ahead of our clock is accepted, more is not.
    ahead = _sign(_claims(store, client.id, iat=now + 30), key)
    assert auth.decode_token(ahead, key)["iat"] == now + 30
    too_far = _sign(_claims(store, client.id, iat=now + 31), key)
    assert _refused(store, key, "Bearer " + too_far).code == "invalid_token"


def test_an_unknown_client_or_another_user_is_an_invalid_token(
    store: Store, secrets: DictSecrets, frozen_clock: None
) -> None:
    key = auth.ensure_signing_key(secrets)
    unknown = _sign(_claims(store, "0" * 24), key)
    assert _refused(store, key, "Bearer " + unknown).code == "invalid_token"
    client = store.api_clients.create(store.users.local_user().id, "phone")
    user_id = store.users.local_user().id
    for other_user in (str(user_id + 1), str(user_id - 1)):  # a user after it, and one before it
        wrong_sub = _sign(_claims(store, client.id, sub=other_user), key)
        assert _refused(store, key, "Bearer " + wrong_sub).code == "invalid_token"


def test_a_revoked_client_is_refused_as_revoked(
    store: Store, secrets: DictSecrets, frozen_clock: None
) -> None:
    client = store.api_clients.create(store.users.local_user().id, "phone")
    key = auth.ensure_signing_key(secrets)
    token = "Bearer " + _sign(_claims(store, client.id), key)
    assert auth.authenticate(store, key, token).client_id == client.id
    assert store.api_clients.revoke(client.id)
    error = _refused(store, key, token)
    assert (error.code, error.message) == ("token_revoked", "the token was revoked")


def _set_last_used(store: Store, client_id: str, when: datetime | None) -> None:
    from sqlmodel import Session

    from pa_cli.store.models import ApiClient

    with Session(store.engine) as session:
        row = session.get(ApiClient, client_id)
        assert row is not None
        row.last_used_at = when
        session.add(row)
        session.commit()


@pytest.mark.parametrize(
    ("ago", "marked"),
    [
        (None, True),
        (timedelta(minutes=5), False),
        (timedelta(minutes=4, seconds=59), False),
        (timedelta(minutes=5, microseconds=1), True),
        (timedelta(hours=1), True),
    ],
    ids=["never-used", "exactly-5-min", "under-5-min", "just-over-5-min", "an-hour"],
)
def test_last_used_is_refreshed_at_most_every_5_minutes(
    store: Store, secrets: DictSecrets, frozen_clock: None, ago: timedelta | None, marked: bool
) -> None:
    client = store.api_clients.create(store.users.local_user().id, "phone")
    key = auth.ensure_signing_key(secrets)
    before = None if ago is None else NOW - ago
    _set_last_used(store, client.id, before)
    auth.authenticate(store, key, "Bearer " + _sign(_claims(store, client.id), key))
    after = store.api_clients.get(client.id)
    assert after is not None
    if marked:
        assert after.last_used_at is not None
        assert after.last_used_at != before
    else:
        assert after.last_used_at == before


def test_unauthorized_is_a_401_with_the_bearer_challenge() -> None:
    error = auth.unauthorized("some_code", "some message")
    assert (error.status, error.code, error.message) == (401, "some_code", "some message")
    assert error.headers == {"WWW-Authenticate": 'Bearer realm="pa"'}


def test_a_user_with_a_large_id_authenticates(store: Store, secrets: DictSecrets, frozen_clock: None) -> None:
    """The user ids are compared by value: ids above 256 are distinct int objects in CPython."""
    from sqlalchemy import text

    with store.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO users (id, name, created_at) VALUES (1000, 'big', '2026-01-01 00:00:00')")
        )
    client = store.api_clients.create(1000, "tablet")
    key = auth.ensure_signing_key(secrets)
    token = _sign(_claims(store, client.id, sub="1000"), key)
    assert auth.authenticate(store, key, "Bearer " + token) == auth.Principal(
        client_id=client.id, user_id=1000, name="tablet"
    )


def test_a_principal_and_an_issued_token_cannot_be_changed_after_the_check(
    store: Store, secrets: DictSecrets
) -> None:
    import dataclasses

    issued = auth.issue_token(load_settings(), store, secrets, "phone", now=NOW)
    with pytest.raises(dataclasses.FrozenInstanceError):
        issued.token = "another"  # type: ignore[misc]
    principal = auth.Principal(client_id="c", user_id=1, name="n")
    with pytest.raises(dataclasses.FrozenInstanceError):
        principal.user_id = 2  # type: ignore[misc]
