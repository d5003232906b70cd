"""Client setup: the client-secrets JSON is validated; the secret goes to the keyring, the rest to a 0600 file."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from pa_cli.config import load_settings
from pa_cli.errors import AuthorizationNeeded, UsageError
from pa_cli.google.client_config import (
    CLIENT_SECRET_NAME,
    client_file,
    load_client_config,
    parse_client_secrets,
    setup_client,
)
from pa_cli.secrets import open_secret_store
from pa_cli.testing.fake_google import FakeGoogle


def _installed(**overrides: Any) -> dict[str, Any]:
    inner = {
        "client_id": "123-abc.apps.googleusercontent.com",
        "client_secret": "GOCSPX-not-a-real-secret",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
        "redirect_uris": ["http://localhost"],
    }
    inner.update(overrides)
    return {"installed": inner}


@pytest.fixture
def secrets_env(file_secret_store_env: dict[str, str]) -> None:
    return None


def test_setup_stores_the_secret_in_the_keyring_and_the_rest_in_a_private_file(
    secrets_env: None, fake_google: FakeGoogle, tmp_path: Path
) -> None:
    settings = load_settings()
    secrets = open_secret_store(settings.app_paths)
    source = fake_google.client_secrets_json(tmp_path / "client_secret.json")

    config = setup_client(settings, secrets, source)

    stored = client_file(settings)
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    text = stored.read_text()
    assert fake_google.client_secret not in text
    assert json.loads(text)["client_id"] == fake_google.client_id
    assert secrets.get(CLIENT_SECRET_NAME) == fake_google.client_secret
    loaded = load_client_config(settings, secrets)
    assert loaded == config
    assert loaded.token_uri == fake_google.token_uri  # honoured as given
    assert fake_google.client_secret not in repr(loaded)


def test_missing_setup_says_exactly_what_to_run(secrets_env: None) -> None:
    settings = load_settings()
    with pytest.raises(AuthorizationNeeded) as caught:
        load_client_config(settings, open_secret_store(settings.app_paths))
    assert "run `pa tools setup google --client-secrets FILE`" in str(caught.value)
    assert caught.value.exit_code == 3


def test_stored_client_without_its_keyring_secret_asks_for_setup_again(
    secrets_env: None, fake_google: FakeGoogle, tmp_path: Path
) -> None:
    settings = load_settings()
    secrets = open_secret_store(settings.app_paths)
    setup_client(settings, secrets, fake_google.client_secrets_json(tmp_path / "c.json"))
    secrets.delete(CLIENT_SECRET_NAME)
    with pytest.raises(AuthorizationNeeded, match="pa tools setup google --client-secrets FILE"):
        load_client_config(settings, secrets)


def test_client_secrets_from_the_environment_are_used_directly(
    secrets_env: None, fake_google: FakeGoogle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = fake_google.client_secrets_json(tmp_path / "c.json")
    monkeypatch.setenv("PA_GOOGLE_CLIENT_SECRETS", str(path))
    settings = load_settings()
    config = load_client_config(settings, open_secret_store(settings.app_paths))
    assert config.client_id == fake_google.client_id
    assert config.client_secret == fake_google.client_secret
    assert not client_file(settings).exists()


def test_web_clients_are_accepted() -> None:
    config = parse_client_secrets({"web": _installed()["installed"]}, "file.json")
    assert config.client_type == "web"
    assert config.flow_config()["web"]["client_id"] == "123-abc.apps.googleusercontent.com"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "expected a JSON object"),
        ({"service_account": {}}, '"installed" (Desktop app) or "web"'),
        (_installed(client_id=""), "client_id is missing"),
        (_installed(client_secret=None), "client_secret is missing"),
        (_installed(token_uri="http://oauth.example.com/token"), "only loopback hosts may use http"),
        (_installed(auth_uri="ftp://accounts.google.com/auth"), "must be an https URL"),
        (_installed(token_uri="not a url"), "is not a URL"),
        (_installed(redirect_uris="http://localhost"), "redirect_uris must be a list"),
    ],
)
def test_invalid_client_files_are_refused_with_the_reason(data: object, message: str) -> None:
    with pytest.raises(UsageError, match=r"file\.json") as caught:
        parse_client_secrets(data, "file.json")
    assert message in str(caught.value)
    assert "GOCSPX" not in str(caught.value)


@pytest.mark.parametrize("host", ["127.0.0.1:8080", "localhost:9", "[::1]:8000"])
def test_plain_http_is_accepted_for_loopback_hosts(host: str) -> None:
    config = parse_client_secrets(_installed(token_uri=f"http://{host}/token"), "file.json")
    assert config.uses_loopback_endpoints


def test_setup_refuses_a_file_that_is_not_json_and_stores_nothing(secrets_env: None, tmp_path: Path) -> None:
    settings = load_settings()
    secrets = open_secret_store(settings.app_paths)
    bad = tmp_path / "c.json"
    bad.write_text("{not json")
    with pytest.raises(UsageError, match="not valid JSON"):
        setup_client(settings, secrets, bad)
    with pytest.raises(UsageError, match="no such file"):
        setup_client(settings, secrets, tmp_path / "missing.json")
    assert not client_file(settings).exists()
    assert secrets.get(CLIENT_SECRET_NAME) is None
