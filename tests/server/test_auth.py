"""Every route but /health needs a good bearer token; anything else is a 401 with the JSON error body."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest

from tests.server.support import API, LiveServer, issue

DUMMY_BODIES = {
    "/api/v1/personal-assistant/chat": {"message": "hi"},
    "/api/v1/personal-assistant/chat/stream": {"message": "hi"},
    "/api/v1/personal-assistant/config": {"preferences": {}},
    "/api/v1/personal-assistant/approvals/{approval_id}": {"approve": True},
}


def _operations(server: LiveServer) -> list[tuple[str, str, str]]:
    """(method, concrete path, template) of every operation the OpenAPI document says needs the token."""
    schema = httpx.get(server.base_url + "/openapi.json", headers=server.headers()).json()
    found = []
    for template, item in schema["paths"].items():
        for method, operation in item.items():
            if operation.get("security", schema.get("security")) == []:
                continue
            if not operation.get("security"):
                continue
            path = re.sub(r"\{[^}]+\}", "abc123", template)
            if template.endswith("/authorize") and method == "get":
                path += "?service=gmail"
            found.append((method.upper(), path, template))
    return found


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "999"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def _assert_401(response: httpx.Response, code: str | None = None) -> None:
    assert response.status_code == 401, (response.request.url, response.text)
    error = response.json()["error"]
    assert error["message"]
    assert response.headers["www-authenticate"].startswith("Bearer")
    if code is not None:
        assert error["code"] == code


def test_health_and_the_web_page_need_no_token(server: LiveServer) -> None:
    assert httpx.get(server.base_url + "/health").json()["status"] == "ok"
    page = httpx.get(server.base_url + "/")
    assert page.status_code == 200 and "<html" in page.text.lower()


def test_the_openapi_document_needs_the_token_as_readme_says(server: LiveServer) -> None:
    _assert_401(httpx.get(server.base_url + "/openapi.json"), "unauthorized")
    _assert_401(httpx.get(server.base_url + "/openapi.json", headers=server.headers(_tamper(server.token))))
    document = httpx.get(server.base_url + "/openapi.json", headers=server.headers())
    assert document.status_code == 200
    assert document.json()["paths"]["/health"]["get"]["summary"] == "Liveness; needs no token"
    assert "/openapi.json" not in document.json()["paths"]


def test_every_other_route_refuses_missing_and_malformed_tokens(server: LiveServer) -> None:
    operations = _operations(server)
    assert len(operations) >= 11
    other_key = jwt.encode({"sub": "1", "jti": server.client_id, "exp": 2**33, "iat": 1}, "x" * 32)
    unsigned = jwt.encode(
        {"iss": "pa", "aud": "pa-serve", "sub": "1", "jti": server.client_id, "iat": 1, "exp": 2**33},
        key="",
        algorithm="none",
    )
    variants: list[tuple[dict[str, str], str]] = [
        ({}, "unauthorized"),
        ({"Authorization": f"Basic {server.token}"}, "unauthorized"),
        ({"Authorization": "Bearer"}, "unauthorized"),
        ({"Authorization": "Bearer not-a-jwt"}, "invalid_token"),
        ({"Authorization": f"Bearer {_tamper(server.token)}"}, "invalid_token"),
        ({"Authorization": f"Bearer {other_key}"}, "invalid_token"),
        ({"Authorization": f"Bearer {unsigned}"}, "invalid_token"),
    ]
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        for method, path, template in operations:
            for headers, code in variants:
                response = http.request(method, path, headers=headers, json=DUMMY_BODIES.get(template))
                _assert_401(response, code)


def test_an_expired_token_is_refused(server: LiveServer) -> None:
    token, _ = issue(server.env, now=datetime.now(UTC) - timedelta(days=400))
    with server.client(token) as http:
        _assert_401(http.get(f"{API}/tools"), "token_expired")


def test_a_token_of_an_unknown_client_is_refused(server: LiveServer) -> None:
    from pa_cli.config import load_settings
    from pa_cli.secrets import open_secret_store
    from pa_cli.server.auth import ensure_signing_key

    settings = load_settings(environ=server.env)
    key = ensure_signing_key(open_secret_store(settings.app_paths, server.env))
    claims = {"iss": "pa", "aud": "pa-serve", "sub": "1", "jti": "no-such-client", "iat": 1, "exp": 2**33}
    with server.client(jwt.encode(claims, key, algorithm="HS256")) as http:
        _assert_401(http.get(f"{API}/tools"), "invalid_token")


def test_revoking_a_token_takes_effect_at_once(server: LiveServer) -> None:
    token, client_id = issue(server.env, name="phone")
    with server.client(token) as http:
        assert http.get(f"{API}/tools").status_code == 200
        result = subprocess.run(
            [sys.executable, "-m", "pa_cli", "serve", "token", "revoke", client_id],
            env=server.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert f"revoked token {client_id} (phone)" in result.stdout
        _assert_401(http.get(f"{API}/tools"), "token_revoked")
    with server.client() as http:  # other devices are unaffected
        assert http.get(f"{API}/tools").status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/oauth/google/callback?state=abcdefghijklmnopqrstu&code=x"])
def test_the_oauth_callback_is_authenticated_by_its_state_not_a_token(server: LiveServer, path: str) -> None:
    response = httpx.get(server.base_url + path)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_state"


def test_tokens_never_reach_the_server_log(own_server: LiveServer) -> None:
    with own_server.client() as http:
        http.get(f"{API}/tools")
    token, _ = issue(own_server.env)
    httpx.get(own_server.base_url + f"{API}/tools", headers={"Authorization": f"Bearer {token}"})
    own_server.stop()
    assert own_server.token not in own_server.output and token not in own_server.output
