"""Where the LLM API key comes from: the environment first, then the secret store (``pa config set-secret``).

When there is no key, ``KeyLookup.problem`` says why in the user's terms: nothing stored
anywhere (and where pa looked), or a secret store that could not be opened (a locked
keyring, a missing or wrong ``PA_KEYRING_PASSPHRASE``), which is not the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pa_cli.agent.llm_types import LLMError
from pa_cli.config_keys import KEYLESS_PROVIDERS, KEYRING_NAME

if TYPE_CHECKING:
    from pa_cli.config import Settings

__all__ = ["KEYLESS_PROVIDERS", "KEYRING_NAME", "KeyLookup", "lookup_api_key", "resolve_api_key"]
PASSPHRASE_ENV = "PA_KEYRING_PASSPHRASE"


@dataclass(frozen=True)
class KeyLookup:
    key: str | None = None
    #: Why there is no key (None when there is one, or when the provider needs none).
    problem: LLMError | None = None


def lookup_api_key(settings: Settings) -> KeyLookup:
    if settings.llm.api_key is not None:
        return KeyLookup(settings.llm.api_key.get_secret_value())
    provider = settings.llm.provider
    if provider in KEYLESS_PROVIDERS:
        return KeyLookup()
    from pa_cli.config_keys import PROVIDER_KEY_ENV
    from pa_cli.errors import SecretStoreError
    from pa_cli.secrets import open_secret_store

    env_var = PROVIDER_KEY_ENV.get(provider, "PA_LLM_API_KEY")
    try:
        store = open_secret_store(settings.app_paths)
        key = store.get(KEYRING_NAME)
    except SecretStoreError as exc:
        return KeyLookup(problem=locked_store_error(exc, env_var))
    if key:
        return KeyLookup(key)
    return KeyLookup(problem=missing_key_error(provider, env_var, store.backend_name))


def resolve_api_key(settings: Settings) -> str | None:
    return lookup_api_key(settings).key


def missing_key_error(provider: str, env_var: str, store_name: str | None = None) -> LLMError:
    places = (
        f"{env_var}, PA_LLM_API_KEY and the secret store ({store_name})"
        if store_name
        else (f"{env_var} and PA_LLM_API_KEY")
    )
    return LLMError(
        "no_api_key",
        f"no API key for the {provider} provider: pa looked in {places}",
        hint=f"store one with `pa config set-secret {KEYRING_NAME}`, or set {env_var}",
    )


def locked_store_error(exc: Exception, env_var: str) -> LLMError:
    """The key may well be stored: the store holding it could not be opened."""
    from pa_cli.errors import PaError

    detail = exc.message if isinstance(exc, PaError) else type(exc).__name__
    return LLMError(
        "secret_store_locked",
        f"the secret store is locked, so the stored API key cannot be read: {detail}",
        hint=(
            f"set {PASSPHRASE_ENV} to the passphrase the secret store was created with "
            f"(or unlock the OS keyring), or set {env_var}"
        ),
    )
