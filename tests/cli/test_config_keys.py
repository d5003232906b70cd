"""`pa config` validates every key, unsets, says where each value comes from, and warns about the environment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pa_cli.errors import EXIT_OK, EXIT_USAGE
from tests.conftest import PaRunner


def _config_file(pa: PaRunner) -> Path:
    return Path(pa.env()["PA_HOME"]) / "config" / "config.toml"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("agent.max_steps", "-3", "error: agent.max_steps: must be at least 1\n"),
        ("agent.max_steps", "101", "error: agent.max_steps: must be at most 100\n"),
        ("llm.max_retries", "-1", "error: llm.max_retries: must be at least 0\n"),
        ("server.port", "eighty", "error: server.port: must be a whole number\n"),
        (
            "llm.base_url",
            "not a url",
            "error: llm.base_url: 'not a url' is not an http(s) URL with a host, such as https://example.com/v1\n",
        ),
        (
            "google.api_endpoint",
            "ftp://files.example.com",
            "error: google.api_endpoint: 'ftp://files.example.com' is not an http(s) URL with a host,"
            " such as https://example.com/v1\n",
        ),
        (
            "google.revoke_uri",
            "https://",
            "error: google.revoke_uri: 'https://' is not an http(s) URL with a host,"
            " such as https://example.com/v1\n",
        ),
        (
            "database.url",
            "pa.db",
            "error: database.url: 'pa.db' is not a database URL, such as sqlite:///path/pa.db"
            " or postgresql+psycopg://host/db\n",
        ),
        (
            "tools.policy.fs_write",
            "sometimes",
            "error: tools.policy.fs_write: must be one of 'ask', 'allow' or 'deny'\n",
        ),
        (
            "tools.policy.fs_wrte",
            "ask",
            "error: tools.policy.fs_wrte: no tool named 'fs_wrte' (did you mean 'fs_write'?); see `pa tools list`\n",
        ),
    ],
)
def test_config_set_refuses_a_bad_value_in_one_line(pa: PaRunner, key: str, value: str, message: str) -> None:
    result = pa("config", "set", key, value)
    assert (result.returncode, result.stderr) == (EXIT_USAGE, message)
    assert not _config_file(pa).exists()


def test_config_set_accepts_negative_numbers_where_they_are_valid(pa: PaRunner) -> None:
    pa("config", "set", "llm.max_retries", "2")
    result = pa("config", "set", "llm.max_retries", "0")
    assert result.returncode == EXIT_OK, result.stderr
    assert pa("config", "get", "llm.max_retries").stdout == "0\n"


def test_config_set_accepts_good_urls_and_known_tools(pa: PaRunner) -> None:
    for key, value in [
        ("llm.base_url", "http://127.0.0.1:9/v1"),
        ("google.api_endpoint", "https://proxy.example.com"),
        ("tools.policy.gmail_send", "deny"),
        ("database.url", "postgresql+psycopg://db.example.com/pa"),
    ]:
        result = pa("config", "set", key, value)
        assert result.returncode == EXIT_OK, (key, result.stderr)


def test_policy_of_an_mcp_tool_is_accepted_by_its_server_prefix(pa: PaRunner) -> None:
    _config_file(pa).parent.mkdir(parents=True)
    _config_file(pa).write_text('[[tools.mcp_servers]]\nname = "notes"\ncommand = "notes-mcp"\n')
    assert pa("config", "set", "tools.policy.notes_search", "allow").returncode == EXIT_OK
    refused = pa("config", "set", "tools.policy.other_search", "allow")
    assert refused.returncode == EXIT_USAGE and "no tool named 'other_search'" in refused.stderr


def test_config_unset_removes_the_key_and_its_empty_table(pa: PaRunner) -> None:
    pa("config", "set", "agent.max_steps", "5")
    pa("config", "set", "llm.model", "gpt-4o")
    assert pa("config", "get", "agent.max_steps").stdout == "5\n"
    removed = pa("config", "unset", "agent.max_steps")
    assert (removed.returncode, removed.stdout) == (EXIT_OK, "agent.max_steps removed from config.toml\n")
    assert pa("config", "get", "agent.max_steps").stdout == "8\n"  # the default again
    assert _config_file(pa).read_text() == '[llm]\nmodel = "gpt-4o"\n'
    again = pa("config", "unset", "agent.max_steps")
    assert (again.returncode, again.stdout) == (EXIT_OK, "agent.max_steps was not set in config.toml\n")
    assert pa("config", "unset", "agent.nothing").returncode == EXIT_USAGE


def test_config_unset_a_tool_policy(pa: PaRunner) -> None:
    pa("config", "set", "tools.policy.fs_write", "ask")
    assert pa("config", "unset", "tools.policy.fs_write").returncode == EXIT_OK
    assert _config_file(pa).read_text() == ""


def test_config_show_says_where_each_value_comes_from(pa: PaRunner) -> None:
    pa("config", "set", "llm.model", "from-file")
    pa("config", "set", "agent.max_steps", "3")
    shown = pa("config", "show", "--json", env={"PA_LLM_MODEL": "from-env"})
    sources = json.loads(shown.stdout)["sources"]
    assert sources["llm.model"] == "environment (PA_LLM_MODEL)"
    assert sources["agent.max_steps"] == "file"
    assert sources["llm.provider"] == "default"
    plain = pa("config", "show", env={"PA_LLM_MODEL": "from-env"}).stdout.splitlines()
    assert 'model = "from-env"  # environment (PA_LLM_MODEL)' in plain
    assert "max_steps = 3  # file" in plain
    assert 'provider = "gemini"  # default' in plain


def test_config_set_warns_when_the_environment_overrides_it(pa: PaRunner) -> None:
    result = pa("config", "set", "llm.model", "gpt-4o", env={"PA_LLM_MODEL": "other"})
    assert result.returncode == EXIT_OK
    assert result.stderr == (
        "warning: PA_LLM_MODEL is set in the environment and overrides llm.model from config.toml\n"
    )
    quiet = pa("config", "set", "llm.model", "gpt-4o")
    assert quiet.stderr == ""


def test_config_get_json_and_the_real_database_url(pa: PaRunner) -> None:
    home = Path(pa.env()["PA_HOME"])
    got = pa("config", "get", "database.url")
    assert got.stdout == f"sqlite:///{home / 'data' / 'pa.db'}\n"
    as_json = json.loads(pa("config", "get", "agent.max_steps", "--json").stdout)
    assert as_json == {"key": "agent.max_steps", "value": 8, "source": "default"}


def test_secrets_stay_masked_in_get_and_show(pa: PaRunner) -> None:
    env = {"PA_LLM_API_KEY": "sk-live-abcdef123456"}
    for args in (
        ["config", "get", "llm.api_key", "--json"],
        ["config", "show"],
        ["config", "show", "--json"],
    ):
        result = pa(*args, env=env)
        assert result.returncode == EXIT_OK
        assert "sk-live-abcdef123456" not in result.stdout + result.stderr
        assert "********" in result.stdout


def test_config_keys_for_completion_match_the_settings() -> None:
    from pa_cli.config import known_keys
    from pa_cli.config_keys import CONFIG_KEYS

    assert sorted(CONFIG_KEYS) == sorted(k for k in known_keys() if k != "tools.policy")
