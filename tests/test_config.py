"""Settings: defaults < config.toml < environment < flags; validated, atomic writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pa_cli.config import load_settings
from pa_cli.config_edit import get_config_value, set_config_value
from pa_cli.errors import ConfigError
from pa_cli.paths import app_paths


def _write_config(text: str) -> Path:
    paths = app_paths()
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text(text, encoding="utf-8")
    return paths.config_file


def test_defaults_without_any_configuration() -> None:
    settings = load_settings()
    assert settings.llm.provider == "gemini"
    assert settings.server.port == 8765
    assert settings.agent.max_steps == 8
    assert settings.database_url.endswith("pa.db")


def test_pa_home_relocates_config_data_and_cache(tmp_path: Path) -> None:
    paths = app_paths({"PA_HOME": str(tmp_path)})
    assert paths.config_file == tmp_path / "config" / "config.toml"
    assert paths.database_file == tmp_path / "data" / "pa.db"
    assert paths.cache_dir == tmp_path / "cache"


def test_file_overrides_defaults_environment_overrides_file_flags_override_all(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _write_config('[llm]\nprovider = "openai"\nmodel = "from-file"\n[server]\nport = 9000\n')
    assert load_settings().llm.model == "from-file"
    monkeypatch.setenv("PA_LLM_MODEL", "from-env")
    monkeypatch.setenv("PA_SERVER_PORT", "9100")
    settings = load_settings()
    assert (settings.llm.provider, settings.llm.model, settings.server.port) == ("openai", "from-env", 9100)
    flagged = load_settings({"llm.model": "from-flag", "server.port": 9200})
    assert (flagged.llm.model, flagged.server.port) == ("from-flag", 9200)


def test_every_contract_environment_variable_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "PA_DATABASE_URL": "sqlite:////tmp/x.db",
        "PA_LLM_PROVIDER": "openai-generic",
        "PA_LLM_MODEL": "m",
        "PA_LLM_BASE_URL": "http://127.0.0.1:1/v1",
        "PA_LLM_API_KEY": "sk-test-123",
        "PA_GOOGLE_CLIENT_SECRETS": "/tmp/cs.json",
        "PA_GOOGLE_API_ENDPOINT": "http://127.0.0.1:2",
        "PA_GOOGLE_REVOKE_URI": "http://127.0.0.1:2/revoke",
        "PA_SERVER_HOST": "0.0.0.0",
        "PA_SERVER_PORT": "1234",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    s = load_settings()
    assert s.database_url == "sqlite:////tmp/x.db"
    assert (s.llm.provider, s.llm.model, s.llm.base_url) == ("openai-generic", "m", "http://127.0.0.1:1/v1")
    assert s.llm.api_key is not None and s.llm.api_key.get_secret_value() == "sk-test-123"
    assert (s.google.client_secrets, s.google.api_endpoint, s.google.revoke_uri) == (
        "/tmp/cs.json",
        "http://127.0.0.1:2",
        "http://127.0.0.1:2/revoke",
    )
    assert (s.server.host, s.server.port) == ("0.0.0.0", 1234)


def test_provider_key_variable_is_used_for_its_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "g-key")
    monkeypatch.setenv("OPENAI_API_KEY", "o-key")
    assert load_settings().llm.api_key.get_secret_value() == "g-key"  # type: ignore[union-attr]
    assert load_settings({"llm.provider": "openai"}).llm.api_key.get_secret_value() == "o-key"  # type: ignore[union-attr]


def test_api_key_is_masked_when_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PA_LLM_API_KEY", "sk-very-secret")
    assert get_config_value(load_settings(), "llm.api_key") == "********"
    assert "sk-very-secret" not in repr(load_settings())


def test_set_writes_a_validated_value() -> None:
    paths = app_paths()
    assert set_config_value(paths, "server.port", "9001") == 9001
    assert set_config_value(paths, "llm.model", "gemini-2.5-pro") == "gemini-2.5-pro"
    assert set_config_value(paths, "tools.policy.gmail_send", "deny") == "deny"
    settings = load_settings()
    assert settings.server.port == 9001
    assert settings.tools.policy == {"gmail_send": "deny"}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("nope.key", "1"),
        ("llm", "x"),
        ("llm.provider", "skynet"),
        ("server.port", "seventy"),
        ("server.port", "70000"),
        ("user.timezone", "Mars/Olympus"),
        ("tools.policy.gmail_send", "sometimes"),
        ("llm.api_key", "sk-should-not-be-in-a-file"),
    ],
)
def test_bad_key_or_value_is_refused_and_file_left_unchanged(key: str, value: str) -> None:
    path = _write_config('# my settings\n[llm]\nprovider = "openai"\n')
    before = path.read_bytes()
    with pytest.raises(ConfigError):
        set_config_value(app_paths(), key, value)
    assert path.read_bytes() == before


def test_set_keeps_comments_and_other_keys() -> None:
    path = _write_config('# my settings\n[llm]\nprovider = "openai" # chosen\n')
    set_config_value(app_paths(), "llm.model", "gpt-4o")
    text = path.read_text()
    assert "# my settings" in text and "# chosen" in text and 'model = "gpt-4o"' in text


def test_write_is_atomic_when_interrupted(monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write_config('[llm]\nprovider = "openai"\n')
    before = path.read_bytes()

    def boom(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        set_config_value(app_paths(), "llm.model", "x")
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == ["config.toml"]


def test_broken_config_file_is_a_clear_error() -> None:
    _write_config("[llm\nprovider = ")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings()


def test_invalid_value_in_file_names_the_key() -> None:
    _write_config("[server]\nport = -5\n")
    with pytest.raises(ConfigError, match=r"server\.port"):
        load_settings()
