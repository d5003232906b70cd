"""Settings: defaults < config.toml < environment < command-line flags.

One validated object (``Settings``) built by ``load_settings``; nothing reads
``os.environ`` for configuration anywhere else. Changing single keys
(``pa config get|set|unset``) is ``pa_cli.config_edit``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from pa_cli.config_keys import ENV_KEYS, PROVIDER_KEY_ENV
from pa_cli.errors import ConfigError
from pa_cli.paths import AppPaths, app_paths

Provider = Literal["gemini", "openai", "anthropic", "ollama", "openai-generic"]
Policy = Literal["ask", "allow", "deny"]

DEFAULT_MODELS: dict[str, str] = {
    "gemini": "gemini-2.5-flash",
    "openai": "gpt-4o-mini",
    "anthropic": "claude-sonnet-4-5",
    "ollama": "llama3.1",
    "openai-generic": "default",
}


def _http_url(value: str | None) -> str | None:
    """An http(s) URL with a host (and a valid port if any), or None."""
    if value is None:
        return None
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        raise ValueError(f"{value!r} is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) URL with a host, such as https://example.com/v1")
    return value


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class DatabaseSettings(_Section):
    url: str | None = Field(None, description="SQLAlchemy URL; default: SQLite pa.db in the data dir")

    @field_validator("url")
    @classmethod
    def _sqlalchemy_url(cls, value: str | None) -> str | None:
        import re

        if value is not None and not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*(\+[A-Za-z0-9_]+)?://.*", value):
            raise ValueError(
                f"{value!r} is not a database URL, such as sqlite:///path/pa.db or postgresql+psycopg://host/db"
            )
        return value


class LLMSettings(_Section):
    provider: Provider = "gemini"
    model: str | None = Field(None, description="model name; default depends on the provider")
    base_url: str | None = Field(None, description="API base URL (required for openai-generic)")
    api_key: SecretStr | None = Field(None, exclude=True, description="from the environment only")
    requests_per_minute: int = Field(60, ge=1, le=100_000)
    max_retries: int = Field(3, ge=0, le=10)
    timeout_seconds: float = Field(60.0, gt=0, le=3600)
    connect_timeout_seconds: float = Field(
        10.0, gt=0, le=600, description="time to open the connection to the LLM server"
    )
    first_byte_timeout_seconds: float | None = Field(
        None,
        gt=0,
        le=3600,
        description="time from the request to the reply's first byte (keep-alives count); default timeout_seconds",
    )
    idle_timeout_seconds: float | None = Field(
        None,
        gt=0,
        le=3600,
        description="silence allowed between parts of a reply (keep-alives count); default timeout_seconds",
    )
    max_tokens_thinking: int = Field(
        2048,
        ge=16,
        le=200_000,
        description="output token limit of a thinking step (tool calls or a short answer)",
    )
    max_tokens_response: int = Field(
        4096, ge=16, le=200_000, description="output token limit of a final answer written on its own"
    )

    _check_base_url = field_validator("base_url")(_http_url)

    @property
    def effective_model(self) -> str:
        return self.model or DEFAULT_MODELS[self.provider]

    @property
    def first_byte_timeout(self) -> float:
        return self.first_byte_timeout_seconds or self.timeout_seconds

    @property
    def idle_timeout(self) -> float:
        return self.idle_timeout_seconds or self.timeout_seconds


class GoogleSettings(_Section):
    client_secrets: str | None = None
    api_endpoint: str | None = None
    revoke_uri: str = "https://oauth2.googleapis.com/revoke"

    _check_urls = field_validator("api_endpoint", "revoke_uri")(_http_url)


class ServerSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8765, ge=0, le=65535)
    cors_origins: list[str] = Field(default_factory=list)
    token_ttl_days: int = Field(90, ge=1, le=3650)
    #: A client must send a request's complete headers within this time, or its connection is closed.
    header_timeout_seconds: float = Field(15.0, gt=0, le=600)


class UserSettings(_Section):
    timezone: str | None = Field(None, description="IANA time zone; default: the system's")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


class AgentSettings(_Section):
    max_steps: int = Field(8, ge=1, le=100)


class ApprovalsSettings(_Section):
    expire_hours: int = Field(24, ge=1, le=8760, description="hours an approval waits before it expires")


class RoutinesSettings(_Section):
    run_in_server: bool = Field(True, description="`pa serve` runs due routines (each worker ticks)")
    tick_seconds: float = Field(
        30.0, ge=0.05, le=3600, description="how often `pa serve` looks for due routines"
    )


class MemorySettings(_Section):
    enabled: bool = Field(True, description="remember facts about you and recall them in later turns")
    recall_limit: int = Field(
        300, ge=0, le=20_000, description="token budget for the memories recalled into each turn"
    )


class MCPServerSettings(_Section):
    name: str
    command: str
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)


class ToolsSettings(_Section):
    policy: dict[str, Policy] = Field(default_factory=dict)
    mcp_servers: list[MCPServerSettings] = Field(default_factory=list)


class GmailSettings(_Section):
    mode: Literal["full", "draft_only"] = "full"
    #: How long an approved gmail_send waits in the outbox, so that `pa undo` can take it back.
    undo_seconds: int = Field(10, ge=0, le=600)
    #: The largest attachment gmail_attachment downloads and parses (bytes); Gmail's own cap is 25 MB.
    attachment_max_bytes: int = Field(10 * 1024 * 1024, ge=1024, le=25 * 1024 * 1024)


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_WORK_DAYS: list[Weekday] = ["mon", "tue", "wed", "thu", "fri"]


class CalendarSettings(_Section):
    #: The calendars calendar_list_events reads when no calendar_id is given (ids from calendar_list_calendars).
    calendars: list[str] = Field(default_factory=lambda: ["primary"], min_length=1)
    #: Working hours (HH:MM, in each person's own zone) and days that calendar_find_time proposes.
    work_start: str = Field("09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    work_end: str = Field("17:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    work_days: list[Weekday] = Field(default_factory=lambda: list(_WORK_DAYS), min_length=1)


class Settings(_Section):
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    google: GoogleSettings = Field(default_factory=GoogleSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    user: UserSettings = Field(default_factory=UserSettings)
    agent: AgentSettings = Field(default_factory=AgentSettings)
    tools: ToolsSettings = Field(default_factory=ToolsSettings)
    gmail: GmailSettings = Field(default_factory=GmailSettings)
    calendar: CalendarSettings = Field(default_factory=CalendarSettings)
    approvals: ApprovalsSettings = Field(default_factory=ApprovalsSettings)
    routines: RoutinesSettings = Field(default_factory=RoutinesSettings)
    memory: MemorySettings = Field(default_factory=MemorySettings)
    paths: Any = Field(None, exclude=True)

    @property
    def app_paths(self) -> AppPaths:
        assert isinstance(self.paths, AppPaths)
        return self.paths

    @property
    def database_url(self) -> str:
        if self.database.url:
            return self.database.url
        return f"sqlite:///{self.app_paths.database_file}"


# Environment variables of the contract: see pa_cli.config_keys (imported by shell completion).
SECRET_KEYS = frozenset({"llm.api_key"})


def _deep_set(tree: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = tree
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"{dotted}: {part} is not a table")
        node = child
    node[parts[-1]] = value


def _deep_merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def read_config_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None


def _environment_layer(env: Mapping[str, str]) -> dict[str, Any]:
    layer: dict[str, Any] = {}
    for var, dotted in ENV_KEYS.items():
        if env.get(var):
            _deep_set(layer, dotted, env[var])
    return layer


def _api_key_from_env(env: Mapping[str, str], provider: str) -> str | None:
    if env.get("PA_LLM_API_KEY"):
        return env["PA_LLM_API_KEY"]
    var = PROVIDER_KEY_ENV.get(provider)
    return env.get(var) if var else None


_PLAIN_MESSAGES: dict[str, str] = {
    "greater_than_equal": "must be at least {ge}",
    "greater_than": "must be greater than {gt}",
    "less_than_equal": "must be at most {le}",
    "less_than": "must be less than {lt}",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "bool_parsing": "must be true or false",
    "literal_error": "must be one of {expected}",
    "extra_forbidden": "unknown key",
    "missing": "is required",
}


def _plain_message(error: Any) -> str:
    """pydantic's message for one error, in the words of a config file."""
    template = _PLAIN_MESSAGES.get(error["type"])
    if template is not None:
        try:
            return template.format(**error.get("ctx", {}))
        except (KeyError, IndexError):
            pass
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def _format_validation_error(exc: ValidationError, source: str) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    message = _plain_message(first)
    return f"{source}: {where}: {message}" if source else f"{where}: {message}"


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build the settings from every layer; ``overrides`` are dotted keys from flags."""
    env = os.environ if environ is None else environ
    paths = app_paths(dict(env))
    file_layer = read_config_file(paths.config_file)
    try:
        Settings.model_validate(file_layer)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc, str(paths.config_file))) from None
    tree = _deep_merge(file_layer, _environment_layer(env))
    for dotted, value in (overrides or {}).items():
        if value is not None:
            _deep_set(tree, dotted, value)
    try:
        settings = Settings.model_validate(tree)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc, "configuration")) from None
    settings.paths = paths
    key = _api_key_from_env(env, settings.llm.provider)
    if key:
        settings.llm.api_key = SecretStr(key)
    return settings


def known_keys() -> list[str]:
    keys: list[str] = []
    for section, field in Settings.model_fields.items():
        model = field.annotation
        if section == "paths" or not (isinstance(model, type) and issubclass(model, BaseModel)):
            continue
        for name in model.model_fields:
            keys.append(f"{section}.{name}")
    return keys


def settings_as_dict(settings: Settings, *, mask_secrets: bool = True) -> dict[str, Any]:
    data = settings.model_dump(mode="json")
    key = settings.llm.api_key
    data["llm"]["api_key"] = ("********" if mask_secrets else key.get_secret_value()) if key else None
    return data
