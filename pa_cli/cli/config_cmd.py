"""`pa config show|get|set|unset|set-secret`."""

from __future__ import annotations

from typing import Annotated

import typer

from pa_cli.cli import runtime
from pa_cli.cli.completion import complete_config_keys

app = typer.Typer(help="Show and change settings (config.toml in the user config dir).", no_args_is_help=True)

KeyArgument = Annotated[
    str,
    typer.Argument(help="A dotted key such as llm.provider.", autocompletion=complete_config_keys),
]


@app.command("show")
def show(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show the effective settings (secrets masked) and where each comes from (default, file, environment)."""
    from pa_cli.config import settings_as_dict
    from pa_cli.config_edit import value_sources

    settings = runtime.load()
    data = settings_as_dict(settings)
    data["database"]["url"] = settings.database_url
    sources = value_sources(settings)
    if as_json:
        runtime.print_json(
            {"config_file": str(settings.app_paths.config_file), "settings": data, "sources": sources}
        )
        return
    typer.echo(f"# config file: {settings.app_paths.config_file}")
    for section, values in data.items():
        typer.echo(f"[{section}]")
        for key, value in values.items():
            if section == "tools" and key == "policy":
                for tool, policy in value.items():
                    typer.echo(f"policy.{tool} = {_render(policy)}  # {sources.get(f'tools.policy.{tool}')}")
                continue
            typer.echo(f"{key} = {_render(value)}  # {sources.get(f'{section}.{key}', 'default')}")
        typer.echo("")


def _render(value: object) -> str:
    import json

    return "(unset)" if value is None else json.dumps(value)


@app.command("get")
def get(
    key: KeyArgument,
    as_json: Annotated[bool, typer.Option("--json", help="Print {key, value, source} as JSON.")] = False,
) -> None:
    """Print one setting's effective value."""
    from pa_cli.config_edit import get_config_value, value_sources

    settings = runtime.load()
    value = get_config_value(settings, key)
    if as_json:
        source = value_sources(settings).get(key, "default")
        runtime.print_json({"key": key, "value": value, "source": source})
        return
    typer.echo("" if value is None else (value if isinstance(value, str) else _render(value)))


@app.command(
    "set",
    # `pa config set agent.max_steps -3`: a negative number is a value, not an option.
    context_settings={"ignore_unknown_options": True},
)
def set_(
    key: KeyArgument,
    value: Annotated[str, typer.Argument(help="The value (JSON for lists and numbers).")],
) -> None:
    """Validate and store a setting in config.toml (the file is left unchanged on error)."""
    from pa_cli.config_edit import env_override, set_config_value
    from pa_cli.paths import app_paths

    stored = set_config_value(app_paths(), key, value)
    typer.echo(f"{key} = {_render(stored)}")
    _warn_if_overridden(key, env_override(key))


@app.command("unset")
def unset(key: KeyArgument) -> None:
    """Remove a setting from config.toml, so its default (or the environment) applies again."""
    from pa_cli.config_edit import env_override, unset_config_value
    from pa_cli.paths import app_paths

    if unset_config_value(app_paths(), key):
        typer.echo(f"{key} removed from config.toml")
    else:
        typer.echo(f"{key} was not set in config.toml")
    _warn_if_overridden(key, env_override(key))


def _warn_if_overridden(key: str, var: str | None) -> None:
    if var is not None:
        typer.echo(f"warning: {var} is set in the environment and overrides {key} from config.toml", err=True)


@app.command("set-secret")
def set_secret(
    key: Annotated[str, typer.Argument(help="The secret's key: llm.api_key.")],
) -> None:
    """Store a secret in the OS keyring (never in config.toml): typed at a prompt, or piped on stdin."""
    import sys

    from pa_cli.config import SECRET_KEYS
    from pa_cli.errors import ConfigError, UsageError
    from pa_cli.paths import app_paths
    from pa_cli.secrets import open_secret_store

    if key not in SECRET_KEYS:
        raise ConfigError(f"{key!r} is not a secret key (secret keys: {', '.join(sorted(SECRET_KEYS))})")
    if sys.stdin.isatty():
        import getpass

        value = getpass.getpass(f"{key}: ")
    else:
        value = sys.stdin.readline().strip()
    if not value:
        raise UsageError("no value given: type it at the prompt or pipe it on stdin")
    store = open_secret_store(app_paths())
    store.set(key, value)
    typer.echo(f"{key} stored in {store.backend_name}")
