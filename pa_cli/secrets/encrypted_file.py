"""Secrets in one encrypted file, for machines with no OS keyring (a headless box, a container).

The file holds a JSON map of name -> value, encrypted as a whole with AES-256-GCM
(authenticated: a wrong passphrase or any changed byte is detected, never
misread). The key comes from a passphrase through scrypt with a random salt.
Layout, all integers unsigned big-endian::

    magic "pasecret" | version 1 | log2(N) | r | p | salt (16) | nonce (12) | ciphertext + tag

The header up to and including the nonce is the associated data, so the KDF
parameters cannot be altered either. Every write uses a fresh random nonce and
goes to a temporary file created 0600, then replaces the old one atomically;
a lock file serialises writers so two processes never lose each other's update.
Plain text is never written anywhere.
"""

from __future__ import annotations

import json
import os
import struct
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pa_cli.errors import SecretStoreError
from pa_cli.fileio import atomic_write_bytes
from pa_cli.secrets.base import SecretStore, check_name, check_value

MAGIC = b"pasecret"
VERSION = 1
HEADER = struct.Struct(">8sBBBB16s12s")
SALT_BYTES = 16
NONCE_BYTES = 12
KEY_BYTES = 32
# scrypt's "interactive" parameters: about 40 ms and 16 MiB here (2 cores, Python 3.11).
# Paid once per process: the derived key is cached for as long as the store lives.
DEFAULT_LOG2_N = 14
DEFAULT_R = 8
DEFAULT_P = 1

PassphraseSource = Callable[[bool], str]
"""Called with ``creating`` (True when a new file is about to be written); returns the passphrase."""


@dataclass(frozen=True)
class KdfParams:
    salt: bytes
    log2_n: int = DEFAULT_LOG2_N
    r: int = DEFAULT_R
    p: int = DEFAULT_P

    @classmethod
    def fresh(cls) -> KdfParams:
        return cls(salt=os.urandom(SALT_BYTES))

    def check(self, path: Path) -> None:
        # Refuse parameters that would make opening the file take minutes or gigabytes.
        if not (10 <= self.log2_n <= 20 and 1 <= self.r <= 32 and 1 <= self.p <= 16):
            raise SecretStoreError(f"{path} has unsupported key-derivation parameters (damaged?)")


@dataclass
class _Contents:
    kdf: KdfParams
    key: bytes
    entries: dict[str, str]


class EncryptedFileSecretStore(SecretStore):
    def __init__(self, path: Path, passphrase: PassphraseSource) -> None:
        self.path = path
        self._passphrase_source = passphrase
        self._passphrase: str | None = None
        self._keys: dict[KdfParams, bytes] = {}

    @property
    def backend_name(self) -> str:
        return f"encrypted file ({self.path})"

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    def get(self, name: str) -> str | None:
        check_name(name)
        contents = self._load()
        return None if contents is None else contents.entries.get(name)

    def set(self, name: str, value: str) -> None:
        check_name(name)
        check_value(value)
        with self._locked():
            contents = self._load()
            if contents is None:
                kdf = KdfParams.fresh()
                contents = _Contents(kdf, self._key(kdf, creating=True), {})
            contents.entries[name] = value
            self._save(contents)

    def delete(self, name: str) -> None:
        check_name(name)
        with self._locked():
            contents = self._load()
            if contents is not None and contents.entries.pop(name, None) is not None:
                self._save(contents)

    # -- reading and writing -------------------------------------------------------

    def _load(self) -> _Contents | None:
        try:
            blob = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise SecretStoreError(f"cannot read {self.path}: {exc.strerror}") from None
        if len(blob) < HEADER.size or not blob.startswith(MAGIC):
            raise SecretStoreError(f"{self.path} is not a pa secrets file (or it is damaged)")
        _, version, log2_n, r, p, salt, nonce = HEADER.unpack_from(blob)
        if version != VERSION:
            raise SecretStoreError(
                f"{self.path} was written by a newer pa (format {version})", hint="upgrade pa"
            )
        kdf = KdfParams(salt=salt, log2_n=log2_n, r=r, p=p)
        kdf.check(self.path)
        key = self._key(kdf, creating=False)

        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        header, ciphertext = blob[: HEADER.size], blob[HEADER.size :]
        try:
            plaintext = AESGCM(key).decrypt(nonce, ciphertext, header)
        except InvalidTag:
            # Forget what produced the wrong key so that a prompt can be answered again.
            self._keys.pop(kdf, None)
            self._passphrase = None
            raise SecretStoreError(
                f"cannot decrypt {self.path}: wrong PA_KEYRING_PASSPHRASE? (or the file was altered)",
                hint="use the passphrase the file was created with",
            ) from None
        try:
            data = json.loads(plaintext)
            entries = data["secrets"]
            if not isinstance(entries, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in entries.items()
            ):
                raise ValueError
        except (ValueError, KeyError, TypeError):
            raise SecretStoreError(f"{self.path} decrypted but its contents are not valid") from None
        return _Contents(kdf, key, entries)

    def _save(self, contents: _Contents) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        kdf = contents.kdf
        nonce = os.urandom(NONCE_BYTES)
        header = HEADER.pack(MAGIC, VERSION, kdf.log2_n, kdf.r, kdf.p, kdf.salt, nonce)
        plaintext = json.dumps({"secrets": contents.entries}, separators=(",", ":")).encode("utf-8")
        blob = header + AESGCM(contents.key).encrypt(nonce, plaintext, header)
        try:
            atomic_write_bytes(self.path, blob)
        except OSError as exc:
            raise SecretStoreError(f"cannot write {self.path}: {exc.strerror}") from None

    def _key(self, kdf: KdfParams, *, creating: bool) -> bytes:
        key = self._keys.get(kdf)
        if key is None:
            if self._passphrase is None:
                self._passphrase = self._passphrase_source(creating)
            key = derive_key(self._passphrase, kdf)
            self._keys[kdf] = key
        return key

    @contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise SecretStoreError(f"cannot lock {self.lock_path}: {exc.strerror}") from None
        try:
            _lock_exclusively(fd)
            yield
        finally:
            os.close(fd)  # releases the lock


def _lock_exclusively(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # Windows: writers are not serialised (it has an OS keyring)
        return
    fcntl.flock(fd, fcntl.LOCK_EX)


def derive_key(passphrase: str, kdf: KdfParams) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    # NFC so that the same passphrase typed on another system gives the same key.
    secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    return Scrypt(salt=kdf.salt, length=KEY_BYTES, n=2**kdf.log2_n, r=kdf.r, p=kdf.p).derive(secret)
