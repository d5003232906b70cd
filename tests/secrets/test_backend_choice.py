"""Which store ``open_secret_store`` picks, and what it says about it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pa_cli.errors import ConfigError, SecretStoreError, UsageError
from pa_cli.paths import app_paths
from pa_cli.secrets import open_secret_store
from tests.fixtures.secrets import FILE_PASSPHRASE

NOTICE = "pa: no OS keyring found; secrets are kept in an encrypted file at"


@pytest.fixture
def passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PA_KEYRING_PASSPHRASE", FILE_PASSPHRASE)


@pytest.mark.usefixtures("no_os_keyring", "passphrase")
def test_a_headless_box_falls_back_to_the_encrypted_file() -> None:
    store = open_secret_store(app_paths())
    assert store.backend_name == f"encrypted file ({app_paths().secrets_file})"
    store.set("llm.api_key", "sk-headless")
    assert store.get("llm.api_key") == "sk-headless"


@pytest.mark.usefixtures("no_os_keyring", "passphrase")
def test_the_fallback_notice_is_shown_once(capsys: pytest.CaptureFixture[str]) -> None:
    open_secret_store(app_paths())
    first = capsys.readouterr()
    assert first.err == f"{NOTICE} {app_paths().secrets_file}\n"
    assert first.out == ""

    open_secret_store(app_paths()).set("llm.api_key", "sk-second-open")
    assert capsys.readouterr().err == ""


@pytest.mark.usefixtures("no_os_keyring", "passphrase")
def test_a_chainer_without_a_recommended_keyring_counts_as_none() -> None:
    import keyring
    from keyring.backends.chainer import ChainerBackend

    keyring.set_keyring(ChainerBackend())
    assert open_secret_store(app_paths()).backend_name.startswith("encrypted file")


@pytest.mark.usefixtures("file_secret_store_env")
def test_forcing_the_file_backend_shows_no_notice(capsys: pytest.CaptureFixture[str]) -> None:
    open_secret_store(app_paths()).set("llm.api_key", "sk-forced")
    assert capsys.readouterr().err == ""


@pytest.mark.usefixtures("no_os_keyring")
def test_forcing_the_keyring_backend_without_a_keyring_fails_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PA_SECRET_BACKEND", "keyring")
    with pytest.raises(SecretStoreError, match="PA_SECRET_BACKEND=keyring, but no usable OS keyring"):
        open_secret_store(app_paths())


def test_an_unknown_backend_choice_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="PA_SECRET_BACKEND must be one of auto, keyring, file"):
        open_secret_store(app_paths(), {"PA_SECRET_BACKEND": "plaintext"})


def test_a_fresh_process_with_only_the_fail_keyring_uses_the_file_and_says_so() -> None:
    env = dict(
        os.environ,
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        PA_KEYRING_PASSPHRASE=FILE_PASSPHRASE,
    )
    code = (
        "from pa_cli.paths import app_paths; from pa_cli.secrets import open_secret_store\n"
        "s = open_secret_store(app_paths()); s.set('llm.api_key', 'sk-child'); print(s.backend_name)"
    )
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=30)
        for _ in range(2)
    ]
    secrets_file = app_paths().secrets_file
    assert [r.returncode for r in runs] == [0, 0]
    assert runs[0].stdout == runs[1].stdout == f"encrypted file ({secrets_file})\n"
    assert runs[0].stderr == f"{NOTICE} {secrets_file}\n"
    assert runs[1].stderr == ""


def test_importing_the_package_loads_neither_keyring_nor_cryptography() -> None:
    code = (
        "import sys, pa_cli.secrets\n"
        "heavy = ('keyring', 'cryptography', 'secretstorage', 'jeepney')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))"
    )
    child = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True
    )
    assert child.stdout == "[]\n"


@pytest.mark.usefixtures("file_secret_store_env")
@pytest.mark.parametrize("name", ["", "has space", "x" * 129, "-leading-dash", "new\nline"])
def test_malformed_secret_names_are_refused(name: str) -> None:
    with pytest.raises(UsageError, match="invalid secret name"):
        open_secret_store(app_paths()).set(name, "value")


@pytest.mark.usefixtures("file_secret_store_env")
def test_a_value_that_is_not_text_is_refused_without_being_echoed() -> None:
    with pytest.raises(TypeError) as exc:
        open_secret_store(app_paths()).set("llm.api_key", b"bytes-secret-value")  # type: ignore[arg-type]
    assert str(exc.value) == "a secret value must be a str, not bytes"
