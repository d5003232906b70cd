"""Secrets: OAuth tokens, LLM API keys and the server's signing key.

One small API over two backends::

    from pa_cli.secrets import open_secret_store
    secrets = open_secret_store(app_paths())
    secrets.set("llm.api_key", "...")
    secrets.get("llm.api_key")      # -> str | None
    secrets.delete("llm.api_key")   # absent is fine
    secrets.backend_name            # "SecretService Keyring", "encrypted file (/.../secrets.enc)"

Backends, chosen by ``open_secret_store``:

* the OS keyring through ``keyring`` (Secret Service, macOS Keychain, Windows
  Credential Manager). Entries live under the service ``pa``, or ``pa:<hash>``
  when ``PA_HOME`` is set, so separate homes (and test runs) never collide; the
  username is the secret's name.
* where ``keyring`` finds no usable OS keyring (a headless box has only its
  ``fail`` backend): an encrypted file, ``<data dir>/secrets.enc``, AES-256-GCM
  with a scrypt key from ``PA_KEYRING_PASSPHRASE`` (or a prompt on a terminal;
  with neither, a clear ``SecretStoreError``). A one-time notice on stderr says
  that this fallback is in use.

Environment:

* ``PA_SECRET_BACKEND`` = ``auto`` (default) | ``keyring`` | ``file``: force a backend
  (``keyring`` fails when there is none; ``file`` skips the OS keyring entirely).
* ``PA_KEYRING_PASSPHRASE``: the encrypted file's passphrase.
* ``PYTHON_KEYRING_BACKEND``: ``keyring``'s own override of its backend.

No value ever appears in an exception, a log line or output. Nothing is imported
(``keyring``, ``cryptography``) until a store is opened or used.
"""

from __future__ import annotations

from pa_cli.secrets.base import SecretStore
from pa_cli.secrets.factory import open_secret_store

__all__ = ["SecretStore", "open_secret_store"]
