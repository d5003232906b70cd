"""Fixtures and helpers shared by tests/google and tests/tools/google.

A ``GoogleRig`` is a real setup against the fake Google on loopback: settings from
the environment (PA_GOOGLE_* pointing at the fake), a migrated SQLite store in the
test's PA_HOME, and the encrypted-file secret store (forced with PA_SECRET_BACKEND=file).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    # Imported where used: this module is loaded by tests/google's and tests/tools/google's conftest
    # for every test there, and the pure unit tests (timeutil, calendar requests) need none of it
    # (SQLAlchemy, the fake Google server, the secret stores: a second of start-up per pytest run,
    # paid by every mutant in mutation testing).
    from pa_cli.config import Settings
    from pa_cli.secrets import SecretStore
    from pa_cli.store import Store
    from pa_cli.testing.fake_google import FakeGoogle
    from pa_cli.tools.base import Tool, ToolContext, ToolResult


@dataclass
class GoogleRig:
    fake: FakeGoogle
    settings: Settings
    store: Store
    secrets: SecretStore
    user_id: int
    home: Path
    issued: list[str] = field(default_factory=list)  # every token value handed out, for leak checks

    def reload(self, overrides: dict[str, Any] | None = None) -> None:
        """Settings again from the environment (after monkeypatching it)."""
        from pa_cli.config import load_settings

        paths = self.settings.paths
        self.settings = load_settings(overrides)
        assert self.settings.paths == paths

    def ctx(self) -> ToolContext:
        from pa_cli.tools.base import ToolContext

        return ToolContext(
            settings=self.settings, store=self.store, user_id=self.user_id, extra={"secrets": self.secrets}
        )

    def grant(self, service: str, scopes: list[str] | None = None) -> None:
        """Authorize ``service`` without the browser dance (tokens issued by the fake)."""
        from pa_cli.google.credentials import save_tokens
        from pa_cli.google.scopes import scopes_for

        wanted = scopes if scopes is not None else scopes_for(self.settings, service)
        issued = self.fake.issue_tokens(wanted)
        assert issued.refresh_token is not None
        self.issued += [issued.access_token, issued.refresh_token]
        from datetime import UTC, datetime, timedelta

        save_tokens(
            self.store,
            self.secrets,
            self.user_id,
            service,
            refresh_token=issued.refresh_token,
            access_token=issued.access_token,
            expiry=datetime.now(UTC) + timedelta(seconds=issued.expires_in),
            scopes=list(issued.scopes),
        )

    def run(self, tool: Tool, **arguments: Any) -> ToolResult:
        args = tool.args_model.model_validate(arguments)
        return asyncio.run(tool.run(args, self.ctx()))

    def preview(self, tool: Tool, **arguments: Any) -> str:
        args = tool.args_model.model_validate(arguments)
        return asyncio.run(tool.preview(args, self.ctx()))


@pytest.fixture
def rig(
    fake_google_env: FakeGoogle, file_secret_store_env: dict[str, str], tmp_path: Path
) -> Iterator[GoogleRig]:
    from pa_cli.config import load_settings
    from pa_cli.secrets import open_secret_store
    from pa_cli.store import open_store

    settings = load_settings()
    store = open_store(settings)
    secrets = open_secret_store(settings.app_paths)
    try:
        yield GoogleRig(
            fake=fake_google_env,
            settings=settings,
            store=store,
            secrets=secrets,
            user_id=store.users.local_user().id,
            home=tmp_path / "pa-home",
        )
    finally:
        store.close()


def browser_for(fake: FakeGoogle) -> tuple[Callable[[str], None], list[str]]:
    """An ``on_url`` that plays the user's browser in a thread (consents, follows the redirect)."""
    browser = fake.browser()

    def on_url(url: str) -> None:
        browser.open(url)

    return on_url, browser.opened


def files_containing(root: Path, values: list[str]) -> list[Path]:
    """Every file under ``root`` whose bytes contain one of ``values``."""
    hits = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if any(value.encode() in data for value in values if value):
                hits.append(path)
    return hits
