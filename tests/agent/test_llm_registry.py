"""The LLM client is chosen at run time from the settings, never by regenerating the BAML client."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr

from pa_cli.agent.llm import LLMError
from pa_cli.agent.llm_registry import build_registry, client_spec, http_timeouts
from pa_cli.config import LLMSettings, Settings, load_settings


def settings(**llm: Any) -> Settings:
    return Settings(llm=LLMSettings(**llm))


def test_gemini_is_the_default_provider() -> None:
    spec = client_spec(settings(api_key=SecretStr("g-key")))

    assert spec.baml_provider == "google-ai"
    assert spec.options["model"] == "gemini-2.5-flash"
    assert spec.options["api_key"] == "g-key"
    assert "base_url" not in spec.options
    assert spec.options["finish_reason_deny_list"] == ["MAX_TOKENS"]
    spec.check()


def test_an_explicit_key_wins_over_the_settings() -> None:
    spec = client_spec(settings(provider="openai", api_key=SecretStr("env-key")), api_key="keyring-key")

    assert spec.baml_provider == "openai"
    assert spec.options["api_key"] == "keyring-key"
    assert spec.options["model"] == "gpt-4o-mini"


def test_openai_generic_needs_a_base_url_and_asks_for_streamed_usage() -> None:
    spec = client_spec(settings(provider="openai-generic", base_url="http://127.0.0.1:9/v1/", model="local"))

    assert spec.options["base_url"] == "http://127.0.0.1:9/v1"
    assert spec.options["stream_options"] == {"include_usage": True}
    assert "api_key" not in spec.options
    spec.check()

    with pytest.raises(LLMError) as caught:
        client_spec(settings(provider="openai-generic")).check()
    assert caught.value.code == "config" and "llm.base_url" in str(caught.value)


def test_anthropic_gets_a_token_limit_and_ollama_a_local_url() -> None:
    anthropic = client_spec(settings(provider="anthropic", api_key=SecretStr("a")))
    ollama = client_spec(settings(provider="ollama"))

    assert anthropic.baml_provider == "anthropic" and anthropic.options["max_tokens"] > 0
    assert ollama.baml_provider == "ollama"
    assert ollama.options["base_url"] == "http://localhost:11434/v1"
    ollama.check()  # no key needed


def test_a_missing_key_says_where_to_put_one_without_leaking_anything() -> None:
    spec = client_spec(settings(provider="anthropic"))

    with pytest.raises(LLMError) as caught:
        spec.check()

    assert caught.value.code == "no_api_key"
    assert caught.value.hint is not None and "ANTHROPIC_API_KEY" in caught.value.hint


def test_the_key_is_not_in_the_specs_repr() -> None:
    spec = client_spec(settings(api_key=SecretStr("sk-very-secret")))

    assert "sk-very-secret" not in repr(spec)


def test_settings_from_the_environment_select_the_client(pa_home: object) -> None:
    env = {
        "PA_LLM_PROVIDER": "openai-generic",
        "PA_LLM_BASE_URL": "http://127.0.0.1:8080/v1",
        "PA_LLM_MODEL": "qwen",
        "PA_LLM_API_KEY": "local-key",
        "PA_HOME": str(pa_home),
    }
    spec = client_spec(load_settings(environ=env))

    assert (spec.baml_provider, spec.options["model"], spec.options["base_url"], spec.options["api_key"]) == (
        "openai-generic",
        "qwen",
        "http://127.0.0.1:8080/v1",
        "local-key",
    )


def test_timeouts_follow_llm_timeout_seconds() -> None:
    assert http_timeouts(30) == {
        "connect_timeout_ms": 10_000,
        "time_to_first_token_timeout_ms": 30_000,
        "idle_timeout_ms": 30_000,
        "request_timeout_ms": 300_000,
    }
    assert http_timeouts(0.25)["connect_timeout_ms"] == 250
    assert client_spec(settings(timeout_seconds=5, api_key=SecretStr("k"))).options["http"] == http_timeouts(
        5
    )


def test_the_registry_is_built_with_the_runtime_client() -> None:
    registry = build_registry(client_spec(settings(api_key=SecretStr("k"))))

    assert type(registry).__name__ == "ClientRegistry"
