"""MCP over streamable HTTP at ``/mcp``: ``pa mcp``'s tools and policies, behind the device token.

Every request (POST, GET, DELETE) must carry ``Authorization: Bearer <token>``
from ``pa serve token create``; without a good one it is a 401 with pa's JSON
error body, before the MCP transport sees it. The device's user is who the
tools run for, and its id is on the audit rows.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

    from pa_cli.interop.mcp_server import MCPBinding

PATH = "/mcp"
PRINCIPAL_KEY = "pa.principal"


class _AuthenticatedMCP:
    """ASGI: check the bearer token, then hand the request to the MCP session manager."""

    def __init__(self, app: FastAPI, manager: Any) -> None:
        self.app = app
        self.manager = manager

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        from pa_cli.server.auth import authenticate
        from pa_cli.server.errors import ApiError

        runtime = self.app.state.runtime
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        try:
            principal = authenticate(runtime.store, runtime.signing_key, headers.get("authorization"))
        except ApiError as exc:
            body = json.dumps({"error": {"code": exc.code, "message": exc.message}}).encode()
            extra = [(k.lower().encode(), v.encode()) for k, v in (exc.headers or {}).items()]
            await send(
                {
                    "type": "http.response.start",
                    "status": exc.status,
                    "headers": [(b"content-type", b"application/json"), *extra],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.manager.handle_request({**scope, PRINCIPAL_KEY: principal}, receive, send)


def _binding_for(app: FastAPI) -> Any:
    from pa_cli.interop.mcp_server import MCPBinding
    from pa_cli.server.limits import tool_execution_guard

    def binding_for(ctx: Any) -> MCPBinding:
        runtime = app.state.runtime
        request = getattr(ctx, "request", None)
        principal = getattr(request, "scope", {}).get(PRINCIPAL_KEY) if request is not None else None
        if principal is None:  # cannot happen behind _AuthenticatedMCP; refuse rather than guess a user
            raise PermissionError("no authenticated device for this MCP request")
        return MCPBinding(
            runtime.settings,
            runtime.store,
            runtime.registry,
            principal.user_id,
            frontend="mcp",
            client_id=principal.client_id,
            guard=tool_execution_guard(runtime.limiter),
        )

    return binding_for


def install(app: FastAPI) -> Any:
    """Add the ``/mcp`` route; returns the context manager the app's lifespan must enter."""
    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
    from starlette.routing import Route

    from pa_cli.interop.mcp_server import build_server

    manager = StreamableHTTPSessionManager(app=build_server(_binding_for(app)))
    app.router.routes.append(
        Route(PATH, endpoint=_AuthenticatedMCP(app, manager), methods=["GET", "POST", "DELETE"])
    )

    @asynccontextmanager
    async def running() -> AsyncIterator[None]:
        async with manager.run():
            yield

    return running
