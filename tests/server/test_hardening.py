"""What an attacker tries at the HTTP level: trickled headers, bad Unicode, OAuth codes in logs,
a flood of authorization starts."""

from __future__ import annotations

import select
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from pa_cli.config import load_settings
from pa_cli.store import open_store
from pa_cli.testing.fake_google import FakeGoogle
from pa_cli.testing.fake_llm import FakeLLM
from tests.server.support import API, LiveServer, server_env

REQUEST = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow-loris\r\nAccept: */*\r\n\r\n"


def test_a_client_trickling_its_headers_is_disconnected(fake_llm: FakeLLM, tmp_path: Path) -> None:
    env = server_env(tmp_path / "home", fake_llm.env())
    config = load_settings(environ=env).app_paths.config_file
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[server]\nheader_timeout_seconds = 3\n", encoding="utf-8")
    server = LiveServer.start(env)
    try:
        host, port = urlsplit(server.base_url).hostname, urlsplit(server.base_url).port
        with socket.create_connection((host, port), timeout=30) as sock:
            sent = 0
            closed = False
            for byte in REQUEST:  # one byte a second
                try:
                    sock.sendall(bytes([byte]))
                except (BrokenPipeError, ConnectionResetError):
                    closed = True
                    break
                sent += 1
                readable, _, _ = select.select([sock], [], [], 1.0)
                if readable:
                    try:
                        closed = sock.recv(1024) == b""
                    except ConnectionResetError:
                        closed = True
                    break
        assert closed, "the server answered or kept the connection"
        assert sent < len(REQUEST)  # it did not wait for the headers to be complete
        # A request whose headers come at once is served as ever.
        assert httpx.get(server.base_url + "/health").status_code == 200
    finally:
        server.stop()


LONE_SURROGATE_BODIES = [
    ("POST", f"{API}/chat", b'{"message": "hi \\ud800 there"}'),
    ("POST", f"{API}/chat/stream", b'{"message": "x", "context": "\\udfff"}'),
    ("PUT", f"{API}/config", b'{"system_prompt": "be \\udc00 nice"}'),
    ("PUT", f"{API}/config", b'{"preferences": {"k\\ud801": "v"}}'),
    ("PUT", f"{API}/config", b'{"preferences": {"k": ["a", {"b": "\\ud802"}]}}'),
    ("POST", f"{API}/approvals/abc", b'{"approve": true, "\\ud800": 1}'),
]


@pytest.mark.parametrize(("method", "path", "body"), LONE_SURROGATE_BODIES)
def test_a_lone_surrogate_in_a_json_body_is_a_422(
    server: LiveServer, method: str, path: str, body: bytes
) -> None:
    with server.client() as http:
        response = http.request(method, path, content=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "invalid_request"
        assert http.get(f"{API}/config").json()["system_prompt"] is None  # nothing was stored


@pytest.mark.parametrize(
    "path",
    [
        f"{API}/sessions/%ED%A0%80/messages",
        f"{API}/sessions/%ED%A0%80/cancel",
        f"{API}/sessions?limit=%ED%A0%80",
        f"{API}/audit?tool=%ED%A0%80",
        f"{API}/audit?session_id=%F0%28%8C%28",
        "/api/v1/oauth/google/authorize?service=%ED%A0%80",
        "/api/v1/oauth/google/callback?state=%ED%A0%80aaaaaaaaaaaaaaaaa&code=%ED%A0%80",
        f"{API}/tools/%ED%A0%80/authorize",
    ],
)
def test_bad_unicode_in_a_path_or_query_is_a_4xx_with_the_error_body(server: LiveServer, path: str) -> None:
    with server.client() as http:
        method = "POST" if path.endswith(("/cancel", "/authorize")) and "oauth" not in path else "GET"
        response = http.request(method, path)
    assert 400 <= response.status_code < 500, response.text
    assert set(response.json()["error"]) >= {"code", "message"}


@pytest.fixture
def google_server(fake_llm: FakeLLM, fake_google: FakeGoogle, tmp_path: Path) -> Iterator[LiveServer]:
    secrets_file = fake_google.client_secrets_json(tmp_path / "client_secret.json")
    env = server_env(tmp_path / "server-home", fake_llm.env(), **fake_google.env(secrets_file))
    live = LiveServer.start(env)
    try:
        yield live
    finally:
        live.stop()


def test_the_oauth_code_and_state_never_reach_the_access_log(
    google_server: LiveServer, fake_google: FakeGoogle
) -> None:
    with google_server.client() as http:
        started = http.get("/api/v1/oauth/google/authorize", params={"service": "gmail"})
        assert started.status_code == 200, started.text
        callback = fake_google.browse(started.json()["auth_url"], follow=False).headers["location"]
    query = parse_qs(urlsplit(callback).query)
    code, state = query["code"][0], query["state"][0]
    done = httpx.get(callback)
    assert done.status_code == 200, done.text
    google_server.stop()
    log = google_server.output
    assert '"GET /api/v1/oauth/google/callback?state=[redacted]&code=[redacted]' in log.replace(
        "code=[redacted]&state=[redacted]", "state=[redacted]&code=[redacted]"
    )
    assert code not in log and state not in log


def test_authorize_is_rate_limited_and_its_pending_states_are_swept(
    google_server: LiveServer,
) -> None:
    settings = load_settings(environ=google_server.env)
    secrets_file = settings.app_paths.secrets_file
    size_before = secrets_file.stat().st_size
    with google_server.client() as http:
        statuses = [
            http.get("/api/v1/oauth/google/authorize", params={"service": "calendar"}).status_code
            for _ in range(12)
        ]
        refused = http.post(f"{API}/tools/gmail_search/authorize")
    assert statuses == [200] * 10 + [429] * 2
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) >= 1
    # The pending states are rows of their own (not entries of the secrets file), with an expiry.
    assert secrets_file.stat().st_size == size_before
    with open_store(settings) as store, store.engine.begin() as connection:
        assert store.oauth_states.count() == 10
        from sqlalchemy import text

        # Expire them all: the next authorization (another device) sweeps them.
        connection.execute(text("UPDATE oauth_states SET expires_at = 0"))
    from tests.server.support import issue

    token, _ = issue(google_server.env, name="another device")
    with google_server.client(token) as http:
        assert http.get("/api/v1/oauth/google/authorize", params={"service": "gmail"}).status_code == 200
    with open_store(settings) as store:
        assert store.oauth_states.count() == 1
