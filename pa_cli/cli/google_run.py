"""`pa tools setup google`, `pa tools authorize`, `pa tools revoke`: thin over pa_cli.google."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pa_cli.config import Settings


def setup_google(settings: Settings, client_secrets: Path) -> None:
    from pa_cli.google.client_config import setup_client
    from pa_cli.secrets import open_secret_store

    config = setup_client(settings, open_secret_store(settings.app_paths), client_secrets)
    sys.stdout.write(
        f"Google OAuth client saved (client id {config.client_id}); "
        "next: `pa tools authorize gmail` or `pa tools authorize calendar`\n"
    )


def authorize_google(settings: Settings, service: str, *, open_browser: bool, timeout_seconds: float) -> None:
    from pa_cli.google.oauth import authorize
    from pa_cli.secrets import open_secret_store
    from pa_cli.store import open_store

    def show_url(url: str) -> None:
        if open_browser:
            sys.stderr.write(
                f"Opening your browser to authorize {service}. If it does not open, visit:\n{url}\n"
            )
        else:
            sys.stdout.write(url + "\n")
            sys.stdout.flush()
            sys.stderr.write("Waiting for the authorization to complete in your browser...\n")
        sys.stderr.flush()

    store = open_store(settings)
    result = authorize(
        settings,
        store,
        open_secret_store(settings.app_paths),
        store.users.local_user().id,
        service,
        open_browser=open_browser,
        on_url=show_url,
        timeout_seconds=timeout_seconds,
    )
    sys.stderr.write(result.message + "\n")


def revoke_google(settings: Settings, service: str) -> None:
    from pa_cli.google.oauth import revoke
    from pa_cli.secrets import open_secret_store
    from pa_cli.store import open_store

    store = open_store(settings)
    cleared = revoke(
        settings, store, open_secret_store(settings.app_paths), store.users.local_user().id, service
    )
    also = [s for s in cleared if s != service]
    note = f" (Google revokes the whole grant, so {', '.join(also)} was cleared too)" if also else ""
    sys.stderr.write(f"{service} access revoked at Google and deleted locally{note}\n")
