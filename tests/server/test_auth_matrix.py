"""Every route of the FastAPI app x every way a token can be wrong, over real HTTP (one server).

The routes are read from the app itself (``create_app(...).routes``), not listed by hand: a route added
tomorrow is in this matrix at once, and fails it unless it refuses each bad token with the contract's
401 (or is added to PUBLIC, the short list of routes that need no token, each checked below).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest

from pa_cli.config import load_settings
from tests.server import test_auth as auth_tests
from tests.server.support import LiveServer, issue

#: Routes that answer without a token, and what each answers without one.
PUBLIC: dict[tuple[str, str], int] = {
    ("GET", "/health"): 200,
    ("GET", "/"): 200,
    ("GET", "/static/{name:path}"): 404,  # an unknown file; no 401
    ("GET", "/api/v1/oauth/google/callback"): 400,  # authenticated by its one-time state instead
    ("GET", "/manifest.webmanifest"): 200,  # the installable page's manifest: no data in it
    ("GET", "/sw.js"): 200,  # the page's service worker (a static file; it caches only what a token fetched)
}
FAILURES = ("no token", "bad signature", "expired", "revoked", "unknown client")


def _walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, set[str]]]:
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI's lazily included routers
        if included is not None:
            context = getattr(route, "include_context", None)
            yield from _walk(included.routes, prefix + (getattr(context, "prefix", "") or ""))
        elif isinstance(getattr(route, "methods", None), set) and isinstance(
            getattr(route, "path", None), str
        ):
            yield prefix + route.path, route.methods


def app_operations(env: dict[str, str]) -> list[tuple[str, str]]:
    """(method, path template) of every route the app serves (HEAD and OPTIONS aside)."""
    from pa_cli.server.app import create_app

    app = create_app(load_settings(environ=env))
    found = {
        (method, path) for path, methods in _walk(app.routes) for method in methods - {"HEAD", "OPTIONS"}
    }
    return sorted(found)


def _concrete(method: str, template: str) -> str:
    path = re.sub(r"\{[^}]+\}", "abc123", template)
    if template.endswith("/authorize") and method == "GET":
        path += "?service=gmail"
    return path


@pytest.fixture(scope="module")
def bad_tokens(_shared_server: LiveServer) -> Iterator[dict[str, dict[str, str]]]:
    from pa_cli.store import open_store

    env = _shared_server.env
    good, _ = issue(env, name="good")
    expired, _ = issue(env, name="old", now=datetime.now(UTC) - timedelta(days=400))
    revoked, revoked_id = issue(env, name="lost phone")
    with open_store(load_settings(environ=env)) as store:
        assert store.api_clients.revoke(revoked_id)
    header, payload, _signature = good.split(".")
    forged_signature = jwt.encode({"x": 1}, "another key, long enough for HS256!").split(".")[2]
    unknown = jwt.encode(
        {**jwt.decode(good, options={"verify_signature": False}), "jti": "0" * 24},
        "not the server's key, long enough for HS256",
    )
    yield {
        "no token": {},
        "bad signature": {"Authorization": f"Bearer {header}.{payload}.{forged_signature}"},
        "expired": {"Authorization": f"Bearer {expired}"},
        "revoked": {"Authorization": f"Bearer {revoked}"},
        "unknown client": {"Authorization": f"Bearer {unknown}"},
    }


EXPECTED_CODE = {
    "no token": "unauthorized",
    "bad signature": "invalid_token",
    "expired": "token_expired",
    "revoked": "token_revoked",
    "unknown client": "invalid_token",
}


def test_the_matrix_covers_every_documented_operation(_shared_server: LiveServer) -> None:
    served = set(app_operations(_shared_server.env))
    documented = {(method, template) for method, _path, template in auth_tests._operations(_shared_server)}
    assert documented <= served
    assert len(served - set(PUBLIC)) >= len(documented)
    assert set(PUBLIC) <= served  # the exceptions are real routes, not stale names


def test_public_routes_answer_without_a_token(_shared_server: LiveServer) -> None:
    with httpx.Client(base_url=_shared_server.base_url, timeout=30) as http:
        for (method, template), status in PUBLIC.items():
            path = _concrete(method, template)
            if template.endswith("/callback"):
                path += "?state=abcdefghijklmnopqrstu&code=x"
            response = http.request(method, path)
            assert response.status_code == status, (method, path, response.text)


def test_every_route_refuses_every_bad_token(
    _shared_server: LiveServer, bad_tokens: dict[str, dict[str, str]]
) -> None:
    operations = [op for op in app_operations(_shared_server.env) if op not in PUBLIC]
    assert len(operations) >= 12
    failures: list[str] = []
    with httpx.Client(base_url=_shared_server.base_url, timeout=30) as http:
        for method, template in operations:
            for failure in FAILURES:
                response = http.request(
                    method,
                    _concrete(method, template),
                    headers=bad_tokens[failure],
                    json=auth_tests.DUMMY_BODIES.get(template),
                )
                body = (
                    response.json()
                    if response.headers.get("content-type", "").startswith("application/json")
                    else {}
                )
                got = (
                    response.status_code,
                    body.get("error", {}).get("code"),
                    response.headers.get("www-authenticate"),
                )
                if got != (401, EXPECTED_CODE[failure], 'Bearer realm="pa"'):
                    failures.append(f"{method} {template} with {failure}: {got}")
    assert failures == [], "\n".join(failures)


def test_the_same_requests_with_the_good_token_are_not_refused(_shared_server: LiveServer) -> None:
    """The control: the 401s above come from the token, not from the dummy paths or bodies."""
    token, _ = issue(_shared_server.env, name="control")
    with httpx.Client(base_url=_shared_server.base_url, timeout=30) as http:
        for method, template in app_operations(_shared_server.env):
            if (method, template) in PUBLIC or template.endswith("/stream"):
                continue  # a stream would start a real turn; the matrix above covers its refusals
            response = http.request(
                method,
                _concrete(method, template),
                headers={"Authorization": f"Bearer {token}"},
                json=auth_tests.DUMMY_BODIES.get(template),
            )
            assert response.status_code != 401, (method, template, response.text)
