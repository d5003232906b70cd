"""The FastAPI app factory: ``create_app(settings)``; ``create_app_from_environment`` for uvicorn workers.

The app holds no conversation state: everything a request needs is in the
database (sessions, turns and their events, approvals, api clients) or in the
secret store (signing key, pending OAuth states). Several workers or hosts can
share one database.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from pa_cli import __version__

if TYPE_CHECKING:
    from fastapi import FastAPI

    from pa_cli.config import Settings
    from pa_cli.server.runtime import RuntimeOptions

DESCRIPTION = """\
The HTTP and SSE API of `pa`, the personal assistant. Every route but `GET /health` and the
OAuth callback (authenticated by its single-use state) needs `Authorization: Bearer <token>` with a
token from `pa serve token create`; so does this document, `GET /openapi.json`.
Errors are always `{"error": {"code": str, "message": str}}`.
"""


def create_app(settings: Settings, options: RuntimeOptions | None = None) -> FastAPI:
    from fastapi import FastAPI
    from fastapi.middleware.cors import CORSMiddleware

    from pa_cli.outbox.send import run_outbox_worker
    from pa_cli.server.errors import install_error_handlers
    from pa_cli.server.heap import preload_turn_modules, settle_heap
    from pa_cli.server.limits import BodySizeLimit, Limits
    from pa_cli.server.openapi import finish_openapi
    from pa_cli.server.routes import (
        agent_config,
        approvals,
        audit,
        chat,
        mcp_http,
        memories,
        meta,
        oauth,
        openai_api,
        outbox,
        routines,
        sessions,
        tools,
    )
    from pa_cli.server.runtime import RuntimeOptions, open_runtime

    opts = options or RuntimeOptions()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from pa_cli.server import access_log

        access_log.install()  # here, in each worker, after uvicorn has configured its logging
        runtime = await open_runtime(settings, opts)
        app.state.runtime = runtime
        if opts.settle_heap:
            preload_turn_modules()
            settle_heap()
        outbox = asyncio.create_task(run_outbox_worker(runtime.store, settings, runtime.secrets))
        try:
            async with mcp_running():
                yield
        finally:
            outbox.cancel()
            await runtime.aclose()

    app = FastAPI(
        title="pa",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # served by routes.meta, behind the token like every API route
    )
    install_error_handlers(app)
    for module in (
        chat,
        approvals,
        tools,
        agent_config,
        sessions,
        audit,
        memories,
        oauth,
        meta,
        openai_api,
        routines,
        outbox,
    ):
        app.include_router(module.router)
    mcp_running = mcp_http.install(app)
    app.add_middleware(
        BodySizeLimit, max_bytes=(opts.limits or Limits.from_settings(settings.server)).max_body_bytes
    )
    origins = settings.server.cors_origins
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Last-Event-ID"],
            expose_headers=["Retry-After"],
            max_age=600,
        )
    finish_openapi(app)
    return app


def create_app_from_environment() -> FastAPI:
    """For ``uvicorn --factory`` (each worker process builds its own app from the same settings)."""
    from pa_cli.config import load_settings
    from pa_cli.server.runtime import RuntimeOptions

    return create_app(load_settings(), RuntimeOptions(settle_heap=True))
