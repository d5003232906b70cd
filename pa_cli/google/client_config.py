"""The OAuth client: a Google client-secrets JSON, validated and stored.

``setup_client`` keeps the non-secret part in ``<config_dir>/google_client.json``
(mode 0600) and the client secret in the keyring (``google.client_secret``).
``load_client_config`` reads it back, or reads ``google.client_secrets`` /
``PA_GOOGLE_CLIENT_SECRETS`` directly when that is set. ``auth_uri`` and
``token_uri`` are honoured as given: https, or plain http for loopback hosts only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from pa_cli.errors import AuthorizationNeeded, UsageError
from pa_cli.fileio import atomic_write_text

if TYPE_CHECKING:
    from pa_cli.config import Settings

CLIENT_SECRET_NAME = "google.client_secret"
CLIENT_FILE_NAME = "google_client.json"
SETUP_HINT = (
    "run `pa tools setup google --client-secrets FILE` "
    "(FILE: the OAuth client JSON downloaded from Google Cloud Console)"
)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

GOOGLE_AUTH_URI = "https://accounts.google.com/o/oauth2/auth"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"


class SecretsLike(Protocol):
    """What pa needs from a secret store (``pa_cli.secrets.SecretStore``)."""

    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str) -> None: ...

    def delete(self, name: str) -> None: ...


@dataclass(frozen=True)
class GoogleClientConfig:
    client_type: str  # "installed" or "web"
    client_id: str
    auth_uri: str
    token_uri: str
    client_secret: str = field(repr=False)
    redirect_uris: tuple[str, ...] = ()
    project_id: str | None = None

    @property
    def uses_loopback_endpoints(self) -> bool:
        return any(_is_loopback_http(uri) for uri in (self.auth_uri, self.token_uri))

    def public_dict(self) -> dict[str, Any]:
        """Everything but the secret: what goes into ``google_client.json``."""
        data: dict[str, Any] = {
            "client_type": self.client_type,
            "client_id": self.client_id,
            "auth_uri": self.auth_uri,
            "token_uri": self.token_uri,
            "redirect_uris": list(self.redirect_uris),
        }
        if self.project_id:
            data["project_id"] = self.project_id
        return data

    def flow_config(self) -> dict[str, Any]:
        """The client-secrets mapping google-auth-oauthlib expects (secret included)."""
        inner: dict[str, Any] = {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "auth_uri": self.auth_uri,
            "token_uri": self.token_uri,
            "redirect_uris": list(self.redirect_uris),
        }
        return {self.client_type: inner}


def _is_loopback_http(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme == "http" and (parts.hostname or "") in LOOPBACK_HOSTS


def check_endpoint(name: str, uri: object, source: str) -> str:
    if not isinstance(uri, str) or not uri.strip():
        raise UsageError(f"{source}: {name} must be a URL")
    parts = urlsplit(uri.strip())
    if not parts.hostname:
        raise UsageError(f"{source}: {name} is not a URL: {uri!r}")
    if parts.scheme == "https":
        return uri.strip()
    if parts.scheme == "http":
        if parts.hostname in LOOPBACK_HOSTS:
            return uri.strip()
        raise UsageError(
            f"{source}: {name} uses plain http for {parts.hostname}: only loopback hosts may use http"
        )
    raise UsageError(f"{source}: {name} must be an https URL, got scheme {parts.scheme!r}")


def parse_client_secrets(data: object, source: str) -> GoogleClientConfig:
    """Validate a client-secrets mapping (``{"installed": {...}}`` or ``{"web": {...}}``)."""
    if not isinstance(data, dict):
        raise UsageError(f"{source}: not a Google client-secrets file (expected a JSON object)")
    kinds = [kind for kind in ("installed", "web") if kind in data]
    if not kinds:
        raise UsageError(
            f"{source}: not a Google OAuth client file: "
            'expected an "installed" (Desktop app) or "web" section'
        )
    client_type = kinds[0]
    inner = data[client_type]
    if not isinstance(inner, dict):
        raise UsageError(f'{source}: "{client_type}" must be an object')
    client_id = inner.get("client_id")
    if not isinstance(client_id, str) or not client_id.strip():
        raise UsageError(f"{source}: client_id is missing")
    client_secret = inner.get("client_secret")
    if not isinstance(client_secret, str) or not client_secret.strip():
        raise UsageError(f"{source}: client_secret is missing")
    auth_uri = check_endpoint("auth_uri", inner.get("auth_uri", GOOGLE_AUTH_URI), source)
    token_uri = check_endpoint("token_uri", inner.get("token_uri", GOOGLE_TOKEN_URI), source)
    redirect_uris = inner.get("redirect_uris", [])
    if not isinstance(redirect_uris, list) or not all(isinstance(u, str) for u in redirect_uris):
        raise UsageError(f"{source}: redirect_uris must be a list of URLs")
    project_id = inner.get("project_id")
    return GoogleClientConfig(
        client_type=client_type,
        client_id=client_id.strip(),
        auth_uri=auth_uri,
        token_uri=token_uri,
        client_secret=client_secret.strip(),
        redirect_uris=tuple(redirect_uris),
        project_id=project_id if isinstance(project_id, str) else None,
    )


def read_client_secrets_file(path: Path) -> GoogleClientConfig:
    source = str(path)
    try:
        text = path.expanduser().read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{source}: no such file") from None
    except OSError as exc:
        raise UsageError(f"{source}: cannot be read ({exc.strerror})") from None
    try:
        data = json.loads(text)
    except ValueError:
        raise UsageError(f"{source}: not valid JSON") from None
    return parse_client_secrets(data, source)


def client_file(settings: Settings) -> Path:
    return Path(settings.app_paths.config_dir) / CLIENT_FILE_NAME


def _write_private_json(path: Path, data: dict[str, Any]) -> None:
    atomic_write_text(path, json.dumps(data, indent=2) + "\n")


def setup_client(settings: Settings, secrets: SecretsLike, client_secrets_file: Path) -> GoogleClientConfig:
    """Validate ``client_secrets_file`` and store it: the secret in the keyring, the rest in a 0600 file."""
    config = read_client_secrets_file(Path(client_secrets_file))
    secrets.set(CLIENT_SECRET_NAME, config.client_secret)
    _write_private_json(client_file(settings), config.public_dict())
    return config


def load_client_config(settings: Settings, secrets: SecretsLike) -> GoogleClientConfig:
    """The OAuth client, from ``google.client_secrets`` if set, else from ``pa tools setup google``."""
    if settings.google.client_secrets:
        return read_client_secrets_file(Path(settings.google.client_secrets))
    path = client_file(settings)
    if not path.exists():
        raise AuthorizationNeeded(f"Google is not set up: {SETUP_HINT}")
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise AuthorizationNeeded(f"{path} is unreadable: {SETUP_HINT}") from None
    secret = secrets.get(CLIENT_SECRET_NAME)
    if not secret:
        raise AuthorizationNeeded(f"the Google client secret is missing from the secret store: {SETUP_HINT}")
    if not isinstance(stored, dict):
        raise AuthorizationNeeded(f"{path} is not a stored Google client: {SETUP_HINT}")
    kind = stored.get("client_type", "installed")
    inner = {k: v for k, v in stored.items() if k != "client_type"}
    inner["client_secret"] = secret
    try:
        return parse_client_secrets({kind: inner}, str(path))
    except UsageError as exc:
        raise AuthorizationNeeded(f"{exc.message}: {SETUP_HINT}") from None


def is_client_configured(settings: Settings) -> bool:
    """Cheap check (no keyring): a client file is stored or configured."""
    return bool(settings.google.client_secrets) or client_file(settings).exists()
