"""The one interface every secret store implements, and the rules shared by all of them."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod

from pa_cli.errors import UsageError

# "google.gmail.refresh_token", "llm.api_key", "server.signing_key": dotted words.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@/-]{0,127}$")


class SecretStore(ABC):
    """A small map of secret name -> value, kept somewhere that is not plain text.

    Each secret is its own entry (Windows Credential Manager holds about 1,280
    characters per entry: keep a refresh token and an access-token cache apart).
    """

    @property
    @abstractmethod
    def backend_name(self) -> str:
        """Where the secrets live, for ``pa doctor``: e.g. "SecretService Keyring"."""

    @abstractmethod
    def get(self, name: str) -> str | None:
        """The stored value, or None when there is none."""

    @abstractmethod
    def set(self, name: str, value: str) -> None:
        """Store (or replace) a value."""

    @abstractmethod
    def delete(self, name: str) -> None:
        """Forget a value; deleting one that does not exist is not an error."""


def check_name(name: str) -> None:
    """Secret names are short identifiers chosen by code, never user data."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise UsageError(
            f"invalid secret name {name!r}",
            hint="use letters, digits and . _ - : @ / (at most 128 characters)",
        )


def check_value(value: str) -> None:
    # The message names the type only: the value itself must never reach an error.
    if not isinstance(value, str):
        raise TypeError(f"a secret value must be a str, not {type(value).__name__}")


def redact(text: str, *values: str | None) -> str:
    """``text`` with every occurrence of the given secret values masked."""
    for value in values:
        if value:
            text = text.replace(value, "***")
    return text
