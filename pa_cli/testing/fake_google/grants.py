"""Google services authorized in a pa home with tokens the fake issued, without the browser dance.

For tests and benchmarks whose subject is not the authorization flow (that has its own tests): the
tokens are saved exactly as ``pa tools authorize`` saves them (the refresh token in the secret store,
the grant's scopes and expiry in the database).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pa_cli.testing.fake_google.server import FakeGoogle


def grant_services(
    env: Mapping[str, str], fake: FakeGoogle, services: Iterable[str] = ("gmail", "calendar")
) -> None:
    """Authorize ``services`` in the home that ``env`` names (``PA_HOME``, the secret store's settings)."""
    from pa_cli.config import load_settings
    from pa_cli.google.credentials import save_tokens
    from pa_cli.google.scopes import scopes_for
    from pa_cli.secrets import open_secret_store
    from pa_cli.store import open_store

    settings = load_settings(environ=env)
    with open_store(settings) as store:
        secrets = open_secret_store(settings.app_paths, env, interactive=False)
        user = store.users.local_user().id
        for service in services:
            issued = fake.issue_tokens(scopes_for(settings, service))
            if issued.refresh_token is None:
                raise RuntimeError(f"the fake Google issued no refresh token for {service}")
            save_tokens(
                store,
                secrets,
                user,
                service,
                refresh_token=issued.refresh_token,
                access_token=issued.access_token,
                expiry=datetime.now(UTC) + timedelta(seconds=issued.expires_in),
                scopes=list(issued.scopes),
            )
