"""Driving one agent turn for a request: as an SSE stream, as one JSON answer, or replayed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import anyio

from pa_cli.agent.events import ApprovalRequired, Done, Error, SessionStarted
from pa_cli.server.errors import ApiError
from pa_cli.server.schemas import ChatResponse, PendingApproval, Usage
from pa_cli.server.sse import TurnStream, replay, sse_response

if TYPE_CHECKING:
    from fastapi import Request

    from pa_cli.agent.events import Event
    from pa_cli.server.auth import Principal
    from pa_cli.server.runtime import ServerRuntime
    from pa_cli.server.sse import TurnEventStream

#: Error event codes that are the client's doing; anything else from the agent is an upstream failure.
_ERROR_STATUS = {
    "invalid_request": 400,
    "invalid_config": 400,
    "not_found": 404,
    "authorization_needed": 403,
    "approval_state": 409,
    "approval_expired": 409,
    "approval_already_decided": 409,
    "internal": 500,
    "store_error": 503,
    "secret_store_unavailable": 503,
}


async def start_stream(runtime: ServerRuntime, events: AsyncIterator[Event]) -> TurnEventStream:
    """Start the turn now (so a bad session or approval is a plain 4xx), then stream the rest."""
    first = await anext(events)
    if not isinstance(first, SessionStarted):  # the agent always starts with it; be safe anyway
        raise ApiError(500, "internal", "the turn did not start")
    shutdown = anyio.Event()
    stream = TurnStream(runtime.store, runtime.journal, first, events, shutdown)
    return sse_response(stream.events(), shutdown, runtime.ping_seconds)


def replay_stream(runtime: ServerRuntime, client: Principal, last_event_id: int) -> TurnEventStream:
    anchor = runtime.store.events.get(last_event_id)
    session = runtime.store.sessions.get(anchor.session_id) if anchor is not None else None
    if anchor is None or session is None or session.user_id != client.user_id:
        raise ApiError(404, "not_found", f"no event {last_event_id} to resume from")
    shutdown = anyio.Event()
    idle_limit = max(60.0, runtime.settings.llm.timeout_seconds * 2)
    content = replay(
        runtime.store,
        anchor.session_id,
        anchor.turn_id,
        anchor.id,
        anchor.type,
        shutdown,
        idle_limit=idle_limit,
    )
    return sse_response(content, shutdown, runtime.ping_seconds)


async def collect(events: AsyncIterator[Event], request: Request) -> ChatResponse:
    """Run the turn to its end; a client that hangs up cancels it."""
    task = asyncio.create_task(_consume(events))
    watcher = asyncio.create_task(_disconnected(request))
    try:
        await asyncio.wait([task, watcher], return_when=asyncio.FIRST_COMPLETED)
    finally:
        watcher.cancel()
        if not task.done():
            task.cancel()
            with anyio.move_on_after(5, shield=True), contextlib.suppress(asyncio.CancelledError):
                await task
    if not task.done() or task.cancelled():
        raise ApiError(499, "cancelled", "the client went away")
    return task.result()


async def _disconnected(request: Request) -> None:
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return


async def _consume(events: AsyncIterator[Event]) -> ChatResponse:
    approvals: dict[str, PendingApproval] = {}
    try:
        async for event in events:
            if isinstance(event, ApprovalRequired):
                approvals[event.id] = PendingApproval(
                    id=event.id, tool=event.tool, preview=event.preview, expires_at=event.expires_at
                )
            elif isinstance(event, Error):
                raise ApiError(_ERROR_STATUS.get(event.code, 502), event.code, event.message)
            elif isinstance(event, Done):
                return ChatResponse(
                    response=event.response,
                    session_id=event.session_id,
                    tools_used=event.tools_used,
                    pending_approvals=[approvals[i] for i in event.pending_approvals if i in approvals],
                    incomplete=event.incomplete,
                    usage=Usage(**event.usage.model_dump()),
                )
    finally:
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            await aclose()
    raise ApiError(502, "incomplete_turn", "the turn ended without an answer")
