"""A keyring backend whose errors carry the secret they were handed (as some real backends' do).

Loaded by the real `pa` through ``PYTHON_KEYRING_BACKEND=leaky_keyring.LeakyKeyring`` with this
folder on ``PYTHONPATH``: it proves that pa scrubs a secret from the backend's error text.
"""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.errors import KeyringError


class LeakyKeyring(KeyringBackend):
    priority = 10  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringError(f"collection locked, could not store {password!r} for {username}")

    def delete_password(self, service: str, username: str) -> None:
        return None
