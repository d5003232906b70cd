"""Reading and writing single settings: `pa config get|set|unset` and where each value comes from.

``set_config_value`` validates a change against the whole merged configuration
and writes the file atomically, so a bad ``pa config set`` leaves the file
exactly as it was.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from pa_cli.config import (
    SECRET_KEYS,
    Settings,
    _deep_merge,
    _deep_set,
    _format_validation_error,
    known_keys,
    read_config_file,
    settings_as_dict,
)
from pa_cli.config_keys import ENV_KEYS, PROVIDER_KEY_ENV
from pa_cli.errors import ConfigError
from pa_cli.fileio import atomic_write_text
from pa_cli.paths import AppPaths


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


def _parse_value(raw: str) -> Any:
    """Read a command-line value: JSON where it parses (numbers, lists, booleans), else text."""
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    return value if not isinstance(value, dict) else raw


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
