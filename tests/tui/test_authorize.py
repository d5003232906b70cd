"""/authorize gmail: the Google OAuth flow from the TUI, against the fake Google on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from pa_cli.tui.widgets.chat_items import Notice
from tests.tui.conftest import type_and_send, wait_until

if TYPE_CHECKING:
    from pa_cli.agent.service import AgentService
    from pa_cli.testing.fake_google import FakeGoogle
    from pa_cli.tui.app import ChatApp

MakeApp = Callable[..., "ChatApp"]


def _notices(app: ChatApp) -> list[Notice]:
    return list(app.conversation.query(Notice))


async def test_authorize_gmail_shows_the_address_and_completes_in_the_background(
    fake_google_env: FakeGoogle,
    file_secret_store_env: dict[str, str],
    make_app: MakeApp,
    service: AgentService,
) -> None:
    app = make_app()
    async with app.run_test() as pilot:
        await type_and_send(pilot, "/authorize gmail")
        await wait_until(pilot, lambda: any("open this address" in n.text for n in _notices(app)))
        url = next(n.text for n in _notices(app) if "open this address" in n.text).splitlines()[-1]
        assert url.startswith(fake_google_env.base_url)
        await type_and_send(pilot, "/help")  # the app keeps answering while it waits for the browser
        await wait_until(pilot, lambda: app.screen.id == "help")
        await pilot.press("escape")
        response = await asyncio.to_thread(fake_google_env.browse, url)
        assert response.status_code == 200
        await wait_until(pilot, lambda: any(n.text.startswith("gmail authorized") for n in _notices(app)))
        assert not [n for n in _notices(app) if n.kind == "error"]
    user_id = service.store.users.local_user().id
    assert service.store.oauth_tokens.get(user_id, "google", "gmail") is not None


async def test_authorize_without_a_google_client_is_a_readable_error(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test() as pilot:
        await type_and_send(pilot, "/authorize gmail")
        await wait_until(pilot, lambda: any(n.kind == "error" for n in _notices(app)))
        error = next(n for n in _notices(app) if n.kind == "error")
        assert error.text.startswith("Authorization failed: ")
        assert "pa tools setup google" in error.text
        assert "Traceback" not in error.text


async def test_authorize_names_the_services_it_knows(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test() as pilot:
        await type_and_send(pilot, "/authorize dropbox")
        await wait_until(pilot, lambda: any("Usage: /authorize gmail" in n.text for n in _notices(app)))
