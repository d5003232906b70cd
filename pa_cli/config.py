"""Settings: defaults < config.toml < environment < command-line flags.

One validated object (``Settings``) built by ``load_settings``; nothing reads
``os.environ`` for configuration anywhere else. ``set_config_value`` validates a
change against the whole merged configuration and writes the file atomically,
so a bad ``pa config set`` leaves the file exactly as it was.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from pa_cli.config_keys import ENV_KEYS
from pa_cli.errors import ConfigError
from pa_cli.fileio import atomic_write_text
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
PROVIDER_KEY_ENV: dict[str, str] = {
    "gemini": "GEMINI_API_KEY",
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
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

    _check_base_url = field_validator("base_url")(_http_url)

    @property
    def effective_model(self) -> str:
        return self.model or DEFAULT_MODELS[self.provider]


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


class Settings(_Section):
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    google: GoogleSettings = Field(default_factory=GoogleSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    user: UserSettings = Field(default_factory=UserSettings)
    agent: AgentSettings = Field(default_factory=AgentSettings)
    tools: ToolsSettings = Field(default_factory=ToolsSettings)
    gmail: GmailSettings = Field(default_factory=GmailSettings)
    approvals: ApprovalsSettings = Field(default_factory=ApprovalsSettings)
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


# --- reading and writing single keys (``pa config get|set``) -----------------


def _field_for(dotted: str) -> tuple[type[BaseModel] | None, str]:
    """Return the section model and field name for a dotted key, or raise."""
    parts = dotted.split(".")
    if len(parts) == 3 and parts[0] == "tools" and parts[1] == "policy":
        if not parts[2] or not parts[2].replace("_", "a").isalnum():
            raise ConfigError(f"unknown key {dotted!r}: tool names are lowercase words")
        return None, "policy"
    if len(parts) != 2:
        raise ConfigError(f"unknown key {dotted!r}: keys look like section.name (see `pa config show`)")
    section, name = parts
    section_field = Settings.model_fields.get(section)
    if section_field is None or section == "paths":
        raise ConfigError(f"unknown key {dotted!r}")
    model = section_field.annotation
    assert isinstance(model, type) and issubclass(model, BaseModel)
    if name not in model.model_fields:
        raise ConfigError(f"unknown key {dotted!r}")
    return model, name


def known_keys() -> list[str]:
    keys: list[str] = []
    for section, field in Settings.model_fields.items():
        model = field.annotation
        if section == "paths" or not (isinstance(model, type) and issubclass(model, BaseModel)):
            continue
        for name in model.model_fields:
            keys.append(f"{section}.{name}")
    return keys


def _parse_value(raw: str) -> Any:
    """Read a command-line value: JSON where it parses (numbers, lists, booleans), else text."""
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    return value if not isinstance(value, dict) else raw


def settings_as_dict(settings: Settings, *, mask_secrets: bool = True) -> dict[str, Any]:
    data = settings.model_dump(mode="json")
    key = settings.llm.api_key
    data["llm"]["api_key"] = ("********" if mask_secrets else key.get_secret_value()) if key else None
    return data


def get_config_value(settings: Settings, dotted: str) -> Any:
    _field_for(dotted)
    if dotted == "database.url":
        return settings.database_url  # the URL pa really opens, default included
    node: Any = settings_as_dict(settings)
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def set_config_value(paths: AppPaths, dotted: str, raw: str) -> Any:
    """Validate and write one key to config.toml atomically; return the stored value."""
    if dotted in SECRET_KEYS:
        raise ConfigError(
            f"{dotted} is a secret: set it with `pa config set-secret {dotted}` or the environment"
        )
    model, name = _field_for(dotted)
    value = _parse_value(raw)
    if model is not None:
        annotation = str(model.model_fields[name].annotation)
        if "str" in annotation and not isinstance(value, str) and "list" not in annotation:
            value = raw  # "port" style numbers stay numbers; text fields keep the text as typed
    current = read_config_file(paths.config_file)
    if model is None:
        check_tool_name(dotted.split(".")[2], current)
    candidate = _deep_merge(current, {})
    _deep_set(candidate, dotted, value)
    try:
        Settings.model_validate(candidate)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc, "")) from None
    _write_config_atomically(paths.config_file, dotted, value)
    return value


def _write_config_atomically(path: Path, dotted: str, value: Any) -> None:
    import tomlkit

    text = path.read_text(encoding="utf-8") if path.exists() else ""
    doc = tomlkit.parse(text)
    parts = dotted.split(".")
    node: Any = doc
    for part in parts[:-1]:
        if part not in node:
            node[part] = tomlkit.table()
        node = node[part]
    node[parts[-1]] = value
    rendered = tomlkit.dumps(doc)
    atomic_write_text(path, rendered if rendered.endswith("\n") else rendered + "\n")


def check_tool_name(name: str, file_layer: Mapping[str, Any]) -> None:
    """Refuse a ``tools.policy.<name>`` for a tool pa does not know.

    Known: built-in and plugin tools (the entry points, loaded but not run) and
    MCP tools, which are named ``<server>_<tool>``: any name that starts with a
    configured MCP server's name and ``_`` is accepted, since checking it would
    mean starting the server.
    """
    from pa_cli.tools.mcp_source import sanitize_name_part
    from pa_cli.tools.plugins import discover_entry_point_tools

    found, _warnings = discover_entry_point_tools()
    known = {item.tool.name for item in found}
    if name in known:
        return
    servers = (file_layer.get("tools") or {}).get("mcp_servers") or []
    prefixes = [sanitize_name_part(str(s.get("name", ""))) + "_" for s in servers if isinstance(s, dict)]
    if any(p != "_" and name.startswith(p) for p in prefixes):
        return
    import difflib

    close = difflib.get_close_matches(name, sorted(known), n=1)
    suggestion = f" (did you mean {close[0]!r}?)" if close else ""
    raise ConfigError(f"tools.policy.{name}: no tool named {name!r}{suggestion}; see `pa tools list`")


def unset_config_value(paths: AppPaths, dotted: str) -> bool:
    """Remove one key from config.toml (so its default or environment value applies); False if absent."""
    if dotted in SECRET_KEYS:
        raise ConfigError(f"{dotted} is a secret: it is never in config.toml")
    _field_for(dotted)
    import tomlkit

    path = paths.config_file
    if not path.exists():
        return False
    doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    parts = dotted.split(".")
    trail: list[Any] = [doc]
    for part in parts[:-1]:
        node = trail[-1]
        if part not in node or not isinstance(node[part], dict):
            return False
        trail.append(node[part])
    if parts[-1] not in trail[-1]:
        return False
    del trail[-1][parts[-1]]
    for depth in range(len(parts) - 1, 0, -1):  # drop the tables the removal left empty
        if len(trail[depth]) == 0:
            del trail[depth - 1][parts[depth - 1]]
    try:
        Settings.model_validate(doc.unwrap())
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc, "")) from None
    rendered = tomlkit.dumps(doc)
    atomic_write_text(path, rendered if rendered.endswith("\n") or not rendered else rendered + "\n")
    return True


def env_override(dotted: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The environment variable that overrides ``dotted`` right now, if any."""
    env = os.environ if environ is None else environ
    return next((var for var, key in ENV_KEYS.items() if key == dotted and env.get(var)), None)


def value_sources(settings: Settings, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Where each setting's effective value comes from: "default", "file" or "environment (VAR)"."""
    env = os.environ if environ is None else environ
    file_layer = read_config_file(settings.app_paths.config_file)
    sources: dict[str, str] = {}
    for dotted in known_keys():
        var = env_override(dotted, env)
        section, name = dotted.split(".")
        if var is not None:
            sources[dotted] = f"environment ({var})"
        elif name in (file_layer.get(section) or {}):
            sources[dotted] = "file"
        else:
            sources[dotted] = "default"
    key_var = "PA_LLM_API_KEY" if env.get("PA_LLM_API_KEY") else PROVIDER_KEY_ENV.get(settings.llm.provider)
    sources["llm.api_key"] = (
        f"environment ({key_var})"
        if key_var and env.get(key_var)
        else "secret store (`pa config set-secret`)"
    )
    for tool in (file_layer.get("tools") or {}).get("policy") or {}:
        sources[f"tools.policy.{tool}"] = "file"
    return sources
