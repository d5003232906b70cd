"""Where the LLM API key comes from: the environment first, then the keyring (``pa config set-secret``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pa_cli.config import Settings

KEYRING_NAME = "llm.api_key"
#: Providers that work without a key (a local server).
KEYLESS_PROVIDERS = frozenset({"ollama", "openai-generic"})


def resolve_api_key(settings: Settings) -> str | None:
    if settings.llm.api_key is not None:
        return settings.llm.api_key.get_secret_value()
    if settings.llm.provider in KEYLESS_PROVIDERS:
        return None
    from pa_cli.errors import SecretStoreError
    from pa_cli.secrets import open_secret_store

    try:
        return open_secret_store(settings.app_paths).get(KEYRING_NAME)
    except SecretStoreError:
        return None
