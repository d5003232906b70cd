"""Driving one agent turn for a request: as an SSE stream, as one JSON answer, or replayed.

The turn itself runs as a task of the server process (``TurnRunner``); the
request only follows it, so a client that goes away stops nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

from pa_cli.agent.events import ApprovalRequired, Done, Error, SessionStarted
from pa_cli.server.errors import ApiError
from pa_cli.server.live import Follower
from pa_cli.server.schemas import ChatResponse, PendingApproval, Usage
from pa_cli.server.sse import live_events, replay, sse_response

if TYPE_CHECKING:
    from sse_starlette import ServerSentEvent

    from pa_cli.agent.events import Event
    from pa_cli.server.auth import Principal
    from pa_cli.server.live import LiveTurn
    from pa_cli.server.runtime import ServerRuntime
    from pa_cli.server.sse import TurnEventStream


def run_for(
    runtime: ServerRuntime,
    client: Principal,
    message: str,
    *,
    session_id: str | None,
    context: str | None,
    frontend: str,
) -> AsyncIterator[Event]:
    """The client's turn, once its per-device turn limit admits it (429 when it does not)."""
    runtime.limiter.admit_turn(client.client_id)
    return runtime.service.run(
        message,
        session_id=session_id,
        context=context,
        frontend=frontend,
        user_id=client.user_id,
        client_id=client.client_id,
    )


#: Error event codes that are the client's doing; anything else from the agent is an upstream failure.
_ERROR_STATUS = {
    "invalid_request": 400,
    "invalid_config": 400,
    "not_found": 404,
    "authorization_needed": 403,
    "approval_state": 409,
    "approval_expired": 409,
    "approval_already_decided": 409,
    "cancelled": 409,
    "internal": 500,
    "store_error": 503,
    "secret_store_unavailable": 503,
    "server_shutdown": 503,
}


async def start_turn(runtime: ServerRuntime, events: AsyncIterator[Event], client: Principal) -> LiveTurn:
    """Start the turn now (so a bad session or approval is a plain 4xx) as a task of this process."""
    first = await anext(events)
    if not isinstance(first, SessionStarted):  # the agent always starts with it; be safe anyway
        raise ApiError(500, "internal", "the turn did not start")
    return await runtime.runner.start(first, events, client.client_id)


async def start_stream(
    runtime: ServerRuntime, events: AsyncIterator[Event], client: Principal
) -> TurnEventStream:
    turn = await start_turn(runtime, events, client)
    return _follow(runtime, client, lambda f: live_events(runtime.runner, turn, 0, f))


def replay_stream(runtime: ServerRuntime, client: Principal, last_event_id: int) -> TurnEventStream:
    anchor = runtime.store.events.get(last_event_id)
    session = runtime.store.sessions.get(anchor.session_id) if anchor is not None else None
    if anchor is None or session is None or session.user_id != client.user_id:
        raise ApiError(404, "not_found", f"no event {last_event_id} to resume from")
    turn = runtime.runner.get(anchor.turn_id)
    if turn is not None:  # running here: follow it from memory
        start = turn.index_after(anchor.id)
        return _follow(runtime, client, lambda f: live_events(runtime.runner, turn, start, f))
    idle_limit = max(60.0, runtime.settings.llm.timeout_seconds * 2)
    return _follow(
        runtime,
        client,
        lambda f: replay(
            runtime.store, anchor.session_id, anchor.turn_id, anchor.id, anchor.type, f, idle_limit=idle_limit
        ),
    )


def _follow(
    runtime: ServerRuntime,
    client: Principal,
    make: Callable[[Follower], AsyncIterator[ServerSentEvent]],
) -> TurnEventStream:
    follower = Follower()

    async def content() -> AsyncIterator[ServerSentEvent]:
        runtime.revocations.add(client.client_id, follower)
        try:
            async for sse in make(follower):
                yield sse
        finally:
            runtime.revocations.discard(client.client_id, follower)

    return sse_response(content(), follower, runtime.ping_seconds)


async def collect(runtime: ServerRuntime, events: AsyncIterator[Event], client: Principal) -> ChatResponse:
    """Wait for the turn's end (a client that hangs up meanwhile stops nothing)."""
    turn = await start_turn(runtime, events, client)
    approvals: dict[str, PendingApproval] = {}
    async for _, event in turn.follow(Follower()):
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
                memories=event.memories,
            )
    raise ApiError(502, "incomplete_turn", "the turn ended without an answer")
