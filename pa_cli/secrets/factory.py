"""Choosing the secret store: the OS keyring when there is one, else the encrypted file."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from pa_cli.errors import ConfigError, SecretStoreError
from pa_cli.paths import AppPaths
from pa_cli.secrets.base import SecretStore
from pa_cli.secrets.encrypted_file import EncryptedFileSecretStore, PassphraseSource

BACKEND_ENV = "PA_SECRET_BACKEND"
PASSPHRASE_ENV = "PA_KEYRING_PASSPHRASE"
NOTICE_MARKER = "secrets-file-notice-shown"
_CHOICES = ("auto", "keyring", "file")

_NO_PASSPHRASE_HINT = (
    f"set {PASSPHRASE_ENV}, run pa on a terminal to be asked for it, "
    "or install and unlock an OS keyring (Secret Service, macOS Keychain, Windows Credential Manager)"
)


def open_secret_store(
    paths: AppPaths,
    environ: Mapping[str, str] | None = None,
    *,
    interactive: bool | None = None,
    notice: bool = True,
) -> SecretStore:
    """The secret store for this installation.

    ``PA_SECRET_BACKEND`` = ``auto`` (default) | ``keyring`` | ``file`` forces a choice.
    With ``auto``, the encrypted file is used only when ``keyring`` finds no usable OS
    keyring, and a one-time notice on stderr says so. ``interactive`` says whether the
    file's passphrase may be asked for with a prompt (default: when stdin is a terminal);
    ``PA_KEYRING_PASSPHRASE`` always takes precedence. Nothing is prompted for, decrypted
    or created until a secret is read or written. ``notice=False`` skips the one-time notice (for
    background uses such as the audit anchor, which must not write to a command's stderr).
    """
    env: Mapping[str, str] = os.environ if environ is None else environ
    choice = (env.get(BACKEND_ENV) or "auto").strip().lower()
    if choice not in _CHOICES:
        raise ConfigError(
            f"{BACKEND_ENV} must be one of {', '.join(_CHOICES)}, not {choice!r}",
        )
    if choice == "file":
        return _file_store(paths, env, interactive)

    from pa_cli.secrets.os_keyring import KeyringSecretStore, service_name, usable_os_keyring

    backend = usable_os_keyring()
    if backend is not None:
        return KeyringSecretStore(backend, service_name(env))
    if choice == "keyring":
        raise SecretStoreError(
            f"{BACKEND_ENV}=keyring, but no usable OS keyring was found",
            hint="install or unlock an OS keyring, or unset PA_SECRET_BACKEND to use the encrypted file",
        )
    store = _file_store(paths, env, interactive)
    if notice:
        _notice_once(paths, store.path)
    return store


def _file_store(
    paths: AppPaths, env: Mapping[str, str], interactive: bool | None
) -> EncryptedFileSecretStore:
    path = paths.secrets_file
    if interactive is None:
        interactive = _stdin_is_terminal()
    return EncryptedFileSecretStore(path, _passphrase_source(env, path, interactive))


def _passphrase_source(env: Mapping[str, str], path: Path, interactive: bool) -> PassphraseSource:
    def passphrase(creating: bool) -> str:
        value = env.get(PASSPHRASE_ENV)
        if value:
            return value
        if not interactive:
            raise SecretStoreError(
                f"no OS keyring is available and {PASSPHRASE_ENV} is not set, "
                f"so the encrypted secret store at {path} cannot be opened",
                hint=_NO_PASSPHRASE_HINT,
            )
        return _prompt(path, creating)

    return passphrase


def _prompt(path: Path, creating: bool) -> str:
    import getpass

    try:
        if creating:
            first = getpass.getpass(f"pa: choose a passphrase for the new secret store {path}: ")
            if first and getpass.getpass("pa: repeat the passphrase: ") != first:
                raise SecretStoreError("the two passphrases differ; nothing was stored")
        else:
            first = getpass.getpass(f"pa: passphrase for the secret store {path}: ")
    except (EOFError, KeyboardInterrupt):
        raise SecretStoreError("no passphrase given", hint=_NO_PASSPHRASE_HINT) from None
    if not first:
        raise SecretStoreError("an empty passphrase is not accepted", hint=_NO_PASSPHRASE_HINT)
    return first


def _stdin_is_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _notice_once(paths: AppPaths, secrets_file: Path) -> None:
    marker = paths.data_dir / NOTICE_MARKER
    if marker.exists():
        return
    sys.stderr.write(f"pa: no OS keyring found; secrets are kept in an encrypted file at {secrets_file}\n")
    sys.stderr.flush()
    try:
        paths.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        marker.write_text(f"{secrets_file}\n", encoding="utf-8")
    except OSError:
        pass  # a read-only data dir only means the notice shows again next time
