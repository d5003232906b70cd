"""`pa config show|get|set`."""

from __future__ import annotations

from typing import Annotated

import typer

from pa_cli.cli import runtime

app = typer.Typer(help="Show and change settings (config.toml in the user config dir).", no_args_is_help=True)


@app.command("show")
def show(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show the effective settings (secrets masked) and where they come from."""
    from pa_cli.config import settings_as_dict

    settings = runtime.load()
    data = settings_as_dict(settings)
    if as_json:
        runtime.print_json({"config_file": str(settings.app_paths.config_file), "settings": data})
        return
    typer.echo(f"# config file: {settings.app_paths.config_file}")
    for section, values in data.items():
        typer.echo(f"[{section}]")
        for key, value in values.items():
            typer.echo(f"{key} = {_render(value)}")
        typer.echo("")


def _render(value: object) -> str:
    import json

    return "(unset)" if value is None else json.dumps(value)


@app.command("get")
def get(key: Annotated[str, typer.Argument(help="A dotted key such as llm.provider.")]) -> None:
    """Print one setting's effective value."""
    from pa_cli.config import get_config_value

    value = get_config_value(runtime.load(), key)
    typer.echo("" if value is None else (value if isinstance(value, str) else _render(value)))


@app.command("set")
def set_(
    key: Annotated[str, typer.Argument(help="A dotted key such as llm.provider.")],
    value: Annotated[str, typer.Argument(help="The value (JSON for lists and numbers).")],
) -> None:
    """Validate and store a setting in config.toml (the file is left unchanged on error)."""
    from pa_cli.config import set_config_value
    from pa_cli.paths import app_paths

    stored = set_config_value(app_paths(), key, value)
    typer.echo(f"{key} = {_render(stored)}")


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
