"""The page's files over HTTP from a real `pa serve`: the vendored libraries as recorded, the right
types and headers, and nothing under static/ that is not on the list."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import httpx
import pytest

from pa_cli.server.routes.meta import STATIC_DIR
from tests.server.support import LiveServer

VENDOR_README = Path(STATIC_DIR) / "vendor" / "README.md"
PAGE_FILES = {
    "/static/app.js": "text/javascript",
    "/static/markdown.js": "text/javascript",
    "/static/app.css": "text/css",
    "/static/vendor/marked.umd.js": "text/javascript",
    "/static/vendor/purify.min.js": "text/javascript",
}


def _get(server: LiveServer, path: str) -> httpx.Response:
    with server.client() as http:
        return http.get(path)


def _recorded_hashes() -> dict[str, str]:
    """file name -> sha256, from the table in static/vendor/README.md."""
    rows = re.findall(r"^\| `([^`]+)` \|.*\| `([0-9a-f]{64})` \|$", VENDOR_README.read_text(), re.MULTILINE)
    return dict(rows)


def test_the_vendored_libraries_are_served_exactly_as_recorded(server: LiveServer) -> None:
    recorded = _recorded_hashes()
    assert set(recorded) == {"marked.umd.js", "purify.min.js"}
    for name, digest in recorded.items():
        response = _get(server, f"/static/vendor/{name}")
        assert response.status_code == 200
        assert hashlib.sha256(response.content).hexdigest() == digest
        assert (Path(STATIC_DIR) / "vendor" / name).read_bytes() == response.content


@pytest.mark.parametrize(("path", "media_type"), sorted(PAGE_FILES.items()))
def test_page_files_have_their_type_and_the_page_headers(
    server: LiveServer, path: str, media_type: str
) -> None:
    response = _get(server, path)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "script-src 'self';" in response.headers["content-security-policy"]


def test_the_page_references_only_served_files(server: LiveServer) -> None:
    html = _get(server, "/").text
    referenced = set(re.findall(r'(?:src|href)="(/static/[^"]+)"', html))
    assert {
        "/static/vendor/marked.umd.js",
        "/static/vendor/purify.min.js",
        "/static/markdown.js",
    } <= referenced
    for path in referenced:
        assert _get(server, path).status_code == 200, path


@pytest.mark.parametrize(
    "path",
    [
        "/static/vendor/README.md",
        "/static/vendor/marked.LICENSE",
        "/static/vendor/",
        "/static/%2e%2e/routes/meta.py",
        "/static/index.html/x",
    ],
)
def test_nothing_else_under_static_is_served(server: LiveServer, path: str) -> None:
    response = _get(server, path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
