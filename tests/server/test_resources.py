"""Tools, Google authorization, config and history over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pa_cli.testing.fake_google import FakeGoogle
from pa_cli.testing.fake_llm import FakeLLM
from tests.agent.scripts import thinking
from tests.server.support import API, LiveServer, issue, server_env


@pytest.fixture
def google_server(fake_llm: FakeLLM, fake_google: FakeGoogle, tmp_path: Path) -> Iterator[LiveServer]:
    secrets_file = fake_google.client_secrets_json(tmp_path / "client_secret.json")
    env = server_env(tmp_path / "server-home", fake_llm.env(), **fake_google.env(secrets_file))
    live = LiveServer.start(env)
    try:
        yield live
    finally:
        live.stop()


def _tools(http: httpx.Client) -> dict[str, dict[str, object]]:
    response = http.get(f"{API}/tools")
    assert response.status_code == 200
    return {t["name"]: t for t in response.json()["tools"]}


def test_the_tools_list_has_schemas_and_authorization(server: LiveServer) -> None:
    with server.client() as http:
        tools = _tools(http)
    assert {"fs_write", "plan_update", "system_prompt_update", "gmail_search", "calendar_list_events"} <= set(
        tools
    )
    assert tools["fs_write"]["authorized"] is True
    assert tools["gmail_search"]["authorized"] is False
    assert tools["fs_write"]["schema"]["properties"].keys() >= {"path", "content"}  # type: ignore[index]
    assert set(tools["fs_write"]) >= {"name", "description", "schema", "authorized"}


def test_authorizing_a_google_tool_over_http_completes_in_the_callback(
    google_server: LiveServer, fake_google: FakeGoogle
) -> None:
    with google_server.client() as http:
        started = http.post(f"{API}/tools/gmail_search/authorize")
        assert started.status_code == 200, started.text
        auth_url, state = started.json()["auth_url"], started.json()["state"]
        assert auth_url.startswith(fake_google.auth_uri) and f"state={state}" in auth_url

        callback = fake_google.browse(auth_url, follow=False).headers["location"]
        assert callback.startswith(google_server.base_url + "/api/v1/oauth/google/callback?")
        done = httpx.get(callback)  # the browser: no bearer token
        assert done.status_code == 200, done.text
        assert done.json()["service"] == "gmail"
        assert _tools(http)["gmail_search"]["authorized"] is True
        assert _tools(http)["calendar_list_events"]["authorized"] is False

        again = httpx.get(callback)  # a state works once
        assert again.status_code == 400 and again.json()["error"]["code"] == "invalid_state"


def test_the_callback_shows_a_page_to_a_browser(google_server: LiveServer, fake_google: FakeGoogle) -> None:
    with google_server.client() as http:
        auth_url = http.get("/api/v1/oauth/google/authorize", params={"service": "calendar"}).json()[
            "auth_url"
        ]
    callback = fake_google.browse(auth_url, follow=False).headers["location"]
    page = httpx.get(callback, headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "calendar authorized" in page.text


def test_a_denied_consent_or_a_revoked_device_stores_nothing(
    google_server: LiveServer, fake_google: FakeGoogle
) -> None:
    from pa_cli.config import load_settings
    from pa_cli.store import open_store

    with google_server.client() as http:
        fake_google.deny_next()
        auth_url = http.get("/api/v1/oauth/google/authorize", params={"service": "gmail"}).json()["auth_url"]
        denied = httpx.get(fake_google.browse(auth_url, follow=False).headers["location"])
        assert denied.status_code == 400 and denied.json()["error"]["code"] == "authorization_failed"

        token, client_id = issue(google_server.env, name="lost phone")
        with google_server.client(token) as lost:
            auth_url = lost.get("/api/v1/oauth/google/authorize", params={"service": "gmail"}).json()[
                "auth_url"
            ]
        with open_store(load_settings(environ=google_server.env)) as store:
            store.api_clients.revoke(client_id)
        revoked = httpx.get(fake_google.browse(auth_url, follow=False).headers["location"])
        assert revoked.status_code == 401
        assert _tools(http)["gmail_search"]["authorized"] is False


def test_authorize_refuses_unknown_services_and_tools_that_need_none(server: LiveServer) -> None:
    with server.client() as http:
        assert http.get("/api/v1/oauth/google/authorize", params={"service": "drive"}).status_code == 422
        assert http.post(f"{API}/tools/no_such_tool/authorize").status_code == 404
        plain = http.post(f"{API}/tools/fs_write/authorize")
        assert plain.status_code == 400 and plain.json()["error"]["code"] == "no_authorization_needed"
        # Without a Google client set up, the error says how to set it up.
        unset = http.post(f"{API}/tools/gmail_search/authorize")
        assert unset.status_code == 403
        assert "pa tools setup google" in unset.json()["error"]["message"]


def test_config_reads_and_validates_changes(own_server: LiveServer) -> None:
    with own_server.client() as http:
        assert http.get(f"{API}/config").json() == {
            "system_prompt": None,
            "enabled_tools": None,
            "preferences": {},
        }
        changed = http.put(
            f"{API}/config", json={"system_prompt": "Be terse.", "preferences": {"units": "metric"}}
        )
        assert changed.status_code == 200
        assert changed.json() == {
            "system_prompt": "Be terse.",
            "enabled_tools": None,
            "preferences": {"units": "metric"},
        }
        tools = http.put(f"{API}/config", json={"enabled_tools": ["fs_read", "fs_list"]}).json()
        assert tools["enabled_tools"] == ["fs_read", "fs_list"] and tools["system_prompt"] == "Be terse."
        for bad in (
            {"enabled_tools": ["no_such_tool"]},
            {"enabled_tools": ["Not A Name"]},
            {"system_prompt": "x" * 20_001},
            {"unknown": 1},
            {"preferences": "metric"},
        ):
            response = http.put(f"{API}/config", json=bad)
            assert response.status_code == 422, bad
            assert response.json()["error"]["code"] == "invalid_request"
        reset = http.put(f"{API}/config", json={"system_prompt": None, "enabled_tools": None}).json()
        assert reset == {"system_prompt": None, "enabled_tools": None, "preferences": {"units": "metric"}}


def test_sessions_and_messages_are_paged(server: LiveServer, fake_llm: FakeLLM) -> None:
    for n in range(3):
        fake_llm.reply_text(thinking(f"answer {n}"))
    with server.client() as http:
        ids = [
            http.post(f"{API}/chat", json={"message": f"question {n}"}).json()["session_id"] for n in range(3)
        ]
        page = http.get(f"{API}/sessions", params={"limit": 2}).json()
        assert [s["id"] for s in page["sessions"]] == ids[::-1][:2]
        assert page["next_offset"] == 2 and page["sessions"][0]["messages"] == 2
        rest = http.get(f"{API}/sessions", params={"limit": 2, "offset": 2}).json()
        assert rest["sessions"][0]["id"] == ids[0]  # older sessions (other tests') may follow

        messages = http.get(f"{API}/sessions/{ids[0]}/messages", params={"limit": 1}).json()
        assert [m["content"] for m in messages["messages"]] == ["question 0"] and messages["next_offset"] == 1
        rest = http.get(f"{API}/sessions/{ids[0]}/messages", params={"offset": 1}).json()
        assert [(m["role"], m["content"]) for m in rest["messages"]] == [("assistant", "answer 0")]

        assert http.get(f"{API}/sessions/{'f' * 32}/messages").status_code == 404
        assert http.get(f"{API}/sessions", params={"limit": 0}).status_code == 422
        assert http.get(f"{API}/sessions", params={"limit": 201}).status_code == 422
