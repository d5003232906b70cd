"""GET /health (no token), GET /openapi.json (token), and the web chat page at / (static files shipped
in the package; the page holds nothing until its user gives it a token)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from pa_cli import __version__
from pa_cli.server.errors import error_responses
from pa_cli.server.runtime import Client, reject_unknown_query
from pa_cli.server.schemas import Health

router = APIRouter()
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
#: The page holds a bearer token in localStorage: no third-party anything, no framing.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        "manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}
#: Every file the page may load, and its type: nothing else under static/ is served.
_ASSETS = {
    "app.js": "text/javascript",
    "markdown.js": "text/javascript",
    "routines.js": "text/javascript",
    "app.css": "text/css",
    "icon.svg": "image/svg+xml",
    "vendor/marked.umd.js": "text/javascript",
    "vendor/purify.min.js": "text/javascript",
}


@router.get(
    "/health",
    response_model=Health,
    responses=error_responses(422),
    dependencies=[Depends(reject_unknown_query)],
    tags=["meta"],
    summary="Liveness; needs no token",
)
def health() -> Health:
    return Health(status="ok", version=__version__)


@router.get("/openapi.json", include_in_schema=False, dependencies=[Depends(reject_unknown_query)])
def openapi_document(request: Request, _client: Client) -> JSONResponse:
    """The OpenAPI document, for token holders only: it names every route and tool this server offers."""
    return JSONResponse(request.app.openapi())


@router.get("/", include_in_schema=False)
def index() -> Response:
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html", headers=PAGE_HEADERS)


@router.get("/sw.js", include_in_schema=False)
def service_worker() -> Response:
    """At the root, so that its scope is the whole page (it caches the page, never the API)."""
    return FileResponse(STATIC_DIR / "sw.js", media_type="text/javascript", headers=PAGE_HEADERS)


@router.get("/manifest.webmanifest", include_in_schema=False)
def manifest() -> Response:
    return FileResponse(
        STATIC_DIR / "manifest.webmanifest", media_type="application/manifest+json", headers=PAGE_HEADERS
    )


@router.get("/static/{name:path}", include_in_schema=False)
def asset(name: str) -> Response:
    media_type = _ASSETS.get(name)
    if media_type is None:
        from pa_cli.server.errors import error_response

        return error_response(404, "not_found", "no such file")
    return FileResponse(STATIC_DIR / name, media_type=media_type, headers=PAGE_HEADERS)
