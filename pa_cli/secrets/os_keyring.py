"""Secrets in the OS keyring (Secret Service, macOS Keychain, Windows Credential Manager) via ``keyring``.

``keyring`` is imported inside functions only: it costs ~60 ms at start-up and most
commands never touch a secret.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from contextlib import suppress
from pathlib import Path
from typing import Any, TypeVar

from pa_cli.errors import SecretStoreError
from pa_cli.secrets.base import SecretStore, check_name, check_value, redact

T = TypeVar("T")

SERVICE = "pa"

_UNUSABLE_HINT = (
    "unlock the OS keyring, or use the encrypted file instead: "
    "set PA_SECRET_BACKEND=file and PA_KEYRING_PASSPHRASE"
)


def service_name(environ: Mapping[str, str]) -> str:
    """The keyring service: "pa", or "pa:<hash of PA_HOME>" so separate homes never share entries."""
    home = environ.get("PA_HOME")
    if not home:
        return SERVICE
    resolved = str(Path(home).expanduser().resolve())
    return f"{SERVICE}:{hashlib.sha256(resolved.encode('utf-8')).hexdigest()[:12]}"


def usable_os_keyring() -> Any | None:
    """The keyring backend ``keyring`` selected, or None when it is not a real OS keyring.

    None for the ``fail`` backend (a headless box), the ``null`` one, any backend
    ``keyring`` does not recommend (priority < 1, e.g. keyrings.alt plain-text files),
    a chainer with no recommended backend in it, and a backend whose probe raises.
    """
    try:
        import keyring
        from keyring.backends import chainer, fail

        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring) or float(backend.priority) < 1:
            return None
        if isinstance(backend, chainer.ChainerBackend) and not any(
            float(b.priority) >= 1 for b in backend.backends
        ):
            return None
    except Exception:
        return None
    return backend


class KeyringSecretStore(SecretStore):
    """One keyring entry per secret: service = ``service_name(...)``, username = the secret's name."""

    def __init__(self, backend: Any, service: str) -> None:
        self._backend = backend
        self.service = service

    @property
    def backend_name(self) -> str:
        return str(getattr(self._backend, "name", type(self._backend).__name__))

    def get(self, name: str) -> str | None:
        check_name(name)
        value = self._call("read", name, None, lambda: self._backend.get_password(self.service, name))
        return None if value is None else str(value)

    def set(self, name: str, value: str) -> None:
        check_name(name)
        check_value(value)
        self._call("store", name, value, lambda: self._backend.set_password(self.service, name, value))

    def delete(self, name: str) -> None:
        check_name(name)
        from keyring.errors import PasswordDeleteError

        def delete() -> None:
            with suppress(PasswordDeleteError):  # nothing stored under that name
                self._backend.delete_password(self.service, name)

        self._call("delete", name, None, delete)

    def _call(self, action: str, name: str, value: str | None, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except Exception as exc:
            # A locked collection, a vanished D-Bus, a dismissed prompt... Say which, but
            # scrub the value from the backend's text and drop the chained exception.
            detail = redact(f"{type(exc).__name__}: {exc}", value)
            raise SecretStoreError(
                f"the OS keyring ({self.backend_name}) could not {action} {name!r}: {detail}",
                hint=_UNUSABLE_HINT,
            ) from None
