"""The OS-keyring backend against a real Secret Service (gnome-keyring on a private D-Bus)."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from pa_cli.errors import SecretStoreError
from pa_cli.paths import app_paths
from pa_cli.secrets import open_secret_store
from pa_cli.secrets.os_keyring import service_name
from tests.fixtures.secrets import (
    SecretService,
    assert_not_leaked,
    open_bus_connection,
    reset_keyring_detection,
    run_secret_service,
)

pytestmark = pytest.mark.usefixtures("secret_service")

API_KEY = "sk-test-9f1c0e5a-OS-KEYRING-ROUND-TRIP"


def test_secret_service_is_chosen_when_it_is_available() -> None:
    store = open_secret_store(app_paths())
    assert store.backend_name == "SecretService Keyring"


def test_secret_service_round_trip() -> None:
    store = open_secret_store(app_paths())
    store.set("llm.api_key", API_KEY)
    assert store.get("llm.api_key") == API_KEY
    store.set("llm.api_key", API_KEY + "-rotated")
    assert store.get("llm.api_key") == API_KEY + "-rotated"
    store.delete("llm.api_key")
    assert store.get("llm.api_key") is None


def test_missing_secret_reads_as_none_and_deletes_quietly() -> None:
    store = open_secret_store(app_paths())
    assert store.get("google.gmail.refresh_token") is None
    store.delete("google.gmail.refresh_token")  # no error


def test_each_secret_is_its_own_entry_under_the_home_service(secret_service: SecretService) -> None:
    import secretstorage

    store = open_secret_store(app_paths())
    store.set("google.gmail.refresh_token", "1//refresh-token-value")
    store.set("google.gmail.access_token", '{"token": "ya29.access", "expiry": null}')

    service = service_name(os.environ)
    with closing(open_bus_connection(secret_service.address)) as conn:
        collection = secretstorage.get_default_collection(conn)
        items = {
            item.get_attributes()["username"]: item.get_secret().decode()
            for item in collection.search_items({"service": service})
        }
    assert items == {
        "google.gmail.refresh_token": "1//refresh-token-value",
        "google.gmail.access_token": '{"token": "ya29.access", "expiry": null}',
    }


def test_separate_pa_homes_do_not_see_each_others_secrets(tmp_path: Path) -> None:
    env_a = {"PA_HOME": str(tmp_path / "home-a")}
    env_b = {"PA_HOME": str(tmp_path / "home-b")}
    a = open_secret_store(app_paths(env_a), env_a)
    b = open_secret_store(app_paths(env_b), env_b)
    a.set("server.signing_key", "signing-key-of-home-a")
    assert b.get("server.signing_key") is None
    b.set("server.signing_key", "signing-key-of-home-b")
    assert a.get("server.signing_key") == "signing-key-of-home-a"


def test_service_name_is_pa_by_default_and_hashed_per_pa_home(tmp_path: Path) -> None:
    assert service_name({}) == "pa"
    named = service_name({"PA_HOME": str(tmp_path)})
    assert named.startswith("pa:") and len(named) == len("pa:") + 12
    assert service_name({"PA_HOME": str(tmp_path / "." / "")}) == named  # same resolved path


def test_a_secret_stored_here_is_read_by_another_process() -> None:
    open_secret_store(app_paths()).set("llm.api_key", API_KEY)
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "from pa_cli.paths import app_paths; from pa_cli.secrets import open_secret_store;"
            "s = open_secret_store(app_paths()); print(s.backend_name); print(s.get('llm.api_key') == "
            f"{API_KEY!r})",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert child.stdout.splitlines() == ["SecretService Keyring", "True"]
    assert child.stderr == ""


def test_forcing_the_keyring_backend_uses_the_secret_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PA_SECRET_BACKEND", "keyring")
    assert open_secret_store(app_paths()).backend_name == "SecretService Keyring"


def test_keyring_failing_at_run_time_is_a_clear_error_without_the_value(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    store = open_secret_store(app_paths())
    # The session bus goes away after the store was chosen (D-Bus restarted, session ended).
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-such-bus'}")

    with pytest.raises(SecretStoreError) as excinfo:
        store.set("llm.api_key", API_KEY)
    assert "OS keyring (SecretService Keyring) could not store 'llm.api_key'" in str(excinfo.value)
    assert excinfo.value.hint is not None and "PA_SECRET_BACKEND=file" in excinfo.value.hint
    assert_not_leaked(excinfo.value, API_KEY)

    with pytest.raises(SecretStoreError, match=r"could not read 'llm\.api_key'"):
        store.get("llm.api_key")


def test_a_locked_keyring_is_a_clear_error_not_a_hang(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import secretstorage

    # A keyring of its own: locking the session's shared one would break the other tests.
    with run_secret_service(tmp_path / "ss") as service:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", service.address)
        reset_keyring_detection()
        store = open_secret_store(app_paths())
        store.set("llm.api_key", API_KEY)
        with closing(open_bus_connection(service.address)) as conn:
            secretstorage.get_default_collection(conn).lock()

        # Unlocking needs a prompt, and there is no one to answer it: fail at once, clearly.
        with pytest.raises(SecretStoreError, match=r"could not read 'llm\.api_key': KeyringLocked") as exc:
            store.get("llm.api_key")
        assert_not_leaked(exc.value, API_KEY)
        with pytest.raises(SecretStoreError, match=r"could not store 'llm\.api_key'") as exc:
            store.set("llm.api_key", API_KEY + "-new")
        assert_not_leaked(exc.value, API_KEY)
    reset_keyring_detection()
