"""The LLM client is chosen at run time from the settings, never by regenerating the BAML client."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr

from pa_cli.agent.llm import LLMError
from pa_cli.agent.llm_registry import build_registry, client_options, client_spec
from pa_cli.config import LLMSettings, Settings, load_settings


def settings(**llm: Any) -> Settings:
    return Settings(llm=LLMSettings(**llm))


def test_gemini_is_the_default_provider() -> None:
    spec = client_spec(settings(api_key=SecretStr("g-key")))

    assert spec.baml_provider == "google-ai"
    assert spec.options["model"] == "gemini-2.5-flash"
    assert spec.options["api_key"] == "g-key"
    assert "base_url" not in spec.options
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

    assert anthropic.baml_provider == "anthropic" and client_options(anthropic)["max_tokens"] > 0
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


def test_timeouts_follow_the_three_settings() -> None:
    from pa_cli.agent.llm import AssistantLLM
    from pa_cli.agent.llm_wait import Timeouts

    assert AssistantLLM(settings(timeout_seconds=30, api_key=SecretStr("k"))).timeouts == Timeouts(
        connect=10, first_byte=30, idle=30
    )
    own = settings(
        connect_timeout_seconds=0.25,
        first_byte_timeout_seconds=90,
        idle_timeout_seconds=5,
        api_key=SecretStr("k"),
    )
    assert AssistantLLM(own).timeouts == Timeouts(connect=0.25, first_byte=90, idle=5)


@pytest.mark.parametrize(
    ("provider", "expected"),
    [
        ("gemini", {"generationConfig": {"maxOutputTokens": 300}}),
        ("openai", {"max_completion_tokens": 300}),
        ("anthropic", {"max_tokens": 300}),
        ("ollama", {"max_tokens": 300}),
        ("openai-generic", {"max_tokens": 300}),
    ],
)
def test_each_budget_sends_its_own_max_tokens_in_the_providers_spelling(
    provider: str, expected: dict[str, object]
) -> None:
    spec = client_spec(
        settings(
            provider=provider,
            base_url="http://127.0.0.1:9/v1",
            api_key=SecretStr("k"),
            max_tokens_thinking=300,
            max_tokens_response=900,
        )
    )

    thinking = client_options(spec, "thinking")
    response = client_options(spec, "response")

    assert {key: thinking[key] for key in expected} == expected
    key = next(iter(expected))
    assert response[key] != thinking[key]


def test_the_registry_is_built_with_the_runtime_client() -> None:
    registry = build_registry(client_spec(settings(api_key=SecretStr("k"))))

    assert type(registry).__name__ == "ClientRegistry"
