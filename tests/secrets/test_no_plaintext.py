"""No secret is ever kept in clear under PA_HOME, and no error ever shows one."""

from __future__ import annotations

import base64
import json
import os
import uuid
from pathlib import Path

import pytest

from pa_cli.errors import SecretStoreError
from pa_cli.paths import app_paths
from pa_cli.secrets import open_secret_store
from tests.fixtures.secrets import FILE_PASSPHRASE, SecretService, assert_not_leaked


def _distinctive_secrets(tag: str) -> dict[str, str]:
    token = uuid.uuid4().hex
    return {
        "google.client_secret": f"GOCSPX-{tag}-{token}",
        "google.gmail.refresh_token": f"1//0g{tag}-refresh-{token}",
        "google.gmail.access_token": f'{{"token": "ya29.{tag}-{token}", "expiry": "2030-01-01T00:00:00Z"}}',
        "llm.api_key": f"sk-{tag}-{token}-ünïcödé",
        "server.signing_key": f"{tag}-signing-{token}{token}",
    }


def _base64_cores(data: bytes) -> list[bytes]:
    """The base64 text that ``data`` produces wherever it sits in a larger encoded blob.

    Depending on its offset modulo 3, only the characters of whole 3-byte groups inside
    ``data`` are fixed: one core per offset, standard and URL-safe alphabets.
    """
    cores = []
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + data)
        start = -(-offset // 3) * 4  # first group that starts inside data
        end = (offset + len(data)) // 3 * 4  # last group that ends inside data
        core = encoded[start:end]
        cores += [core, core.replace(b"+", b"-").replace(b"/", b"_")]
    return cores


def _clear_forms(secret: str) -> list[bytes]:
    raw = secret.encode("utf-8")
    forms = [raw, secret.encode("utf-16-le"), raw.hex().encode(), *_base64_cores(raw)]
    forms.append(json.dumps(secret)[1:-1].encode("ascii"))  # as JSON with ensure_ascii writes it
    return forms


def _files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_no_secret_is_found_in_clear_under_pa_home(secret_service: SecretService, pa_home: Path) -> None:
    paths = app_paths()
    paths.ensure()
    via_keyring = _distinctive_secrets("kr")
    via_file = _distinctive_secrets("file")

    keyring_store = open_secret_store(paths)
    assert keyring_store.backend_name == "SecretService Keyring"
    file_env = {**os.environ, "PA_SECRET_BACKEND": "file", "PA_KEYRING_PASSPHRASE": FILE_PASSPHRASE}
    file_store = open_secret_store(paths, file_env)
    for name, value in via_keyring.items():
        keyring_store.set(name, value)
    for name, value in via_file.items():
        file_store.set(name, value)
    file_store.set("google.gmail.refresh_token", via_file["google.gmail.refresh_token"] + "-rotated")
    file_store.delete("server.signing_key")

    # They really are stored (and readable back) ...
    assert keyring_store.get("llm.api_key") == via_keyring["llm.api_key"]
    assert file_store.get("llm.api_key") == via_file["llm.api_key"]
    files = _files_under(pa_home)
    assert paths.secrets_file in files
    # ... and no file under PA_HOME holds any of them, in any encoding a careless store might use.
    secrets = [*via_keyring.values(), *via_file.values(), FILE_PASSPHRASE]
    for path in files:
        content = path.read_bytes()
        for secret in secrets:
            for form in _clear_forms(secret):
                assert form not in content, f"{path.relative_to(pa_home)} holds a secret in clear"


def test_no_error_mentions_a_secret_value(
    secret_service: SecretService, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    value = f"sk-never-shown-{uuid.uuid4().hex}"
    errors: list[BaseException] = []

    file_env = {**os.environ, "PA_SECRET_BACKEND": "file", "PA_KEYRING_PASSPHRASE": FILE_PASSPHRASE}
    open_secret_store(app_paths(), file_env).set("llm.api_key", value)
    for env in (
        {**file_env, "PA_KEYRING_PASSPHRASE": "wrong"},  # wrong passphrase
        {k: v for k, v in file_env.items() if k != "PA_KEYRING_PASSPHRASE"},  # none, no terminal
    ):
        try:
            open_secret_store(app_paths(), env, interactive=False).get("llm.api_key")
        except SecretStoreError as exc:
            errors.append(exc)

    keyring_store = open_secret_store(app_paths())
    keyring_store.set("llm.api_key", value)
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'gone'}")
    try:
        keyring_store.set("llm.api_key", value)
    except SecretStoreError as exc:
        errors.append(exc)
    try:
        keyring_store.get("llm.api_key")
    except SecretStoreError as exc:
        errors.append(exc)
    try:
        keyring_store.set("llm.api_key", value.encode())  # type: ignore[arg-type]
    except TypeError as exc:
        errors.append(exc)

    assert len(errors) == 5
    for error in errors:
        assert_not_leaked(error, value, FILE_PASSPHRASE)
