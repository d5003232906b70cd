"""`pa doctor`: what pa sees of this machine. Every probe reports; none raises."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from pa_cli import __version__
from pa_cli.errors import PaError

if TYPE_CHECKING:
    from pa_cli.config import Settings


def _redact_url(url: str) -> str:
    """Hide a password in a database URL (postgresql://user:secret@host/db)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":****@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def collect_diagnostics(settings: Settings) -> dict[str, dict[str, Any]]:
    paths = settings.app_paths
    report: dict[str, dict[str, Any]] = {
        "pa": {"version": __version__, "python": sys.version.split()[0]},
        "paths": {
            "config file": str(paths.config_file),
            "data dir": str(paths.data_dir),
            "cache dir": str(paths.cache_dir),
        },
        "database": {"url": _redact_url(settings.database_url)},
        "secrets": {},
        "llm": {
            "provider": settings.llm.provider,
            "model": settings.llm.effective_model,
            "base url": settings.llm.base_url or "(provider default)",
            "api key": "set in the environment" if settings.llm.api_key else "not in the environment",
        },
    }
    try:
        from pa_cli.store import open_store

        store = open_store(settings)
        report["database"]["schema version"] = store.schema_version() or "(none)"
        report["database"]["status"] = "ok"
    except PaError as exc:
        report["database"]["status"] = f"error: {exc.message}"
    try:
        from pa_cli.secrets import open_secret_store

        report["secrets"]["backend"] = open_secret_store(paths).backend_name
    except PaError as exc:
        report["secrets"]["backend"] = f"unavailable: {exc.message}"
    return report
