"""GET .../sessions and GET .../sessions/{id}/messages, paged; POST .../sessions/{id}/cancel."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from pa_cli.server.errors import ApiError, error_responses
from pa_cli.server.live import CANCEL_POLL_SECONDS, TERMINAL
from pa_cli.server.runtime import Client, Runtime, reject_unknown_query
from pa_cli.server.schemas import (
    ID_PATTERN,
    CancelResponse,
    MessageOut,
    MessagesResponse,
    SessionOut,
    SessionsResponse,
)

router = APIRouter(
    prefix="/api/v1/personal-assistant", tags=["history"], dependencies=[Depends(reject_unknown_query)]
)

#: How long a cancel waits for another worker's turn to end before it says nothing runs it.
REMOTE_CANCEL_SECONDS = 15.0

Limit = Annotated[int, Query(ge=1, le=200, description="Page size.")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Items to skip.")]


def _session_out(session: Any, messages: int) -> SessionOut:
    return SessionOut(
        id=session.id,
        title=session.title or "(untitled)",
        created_at=session.created_at,
        updated_at=session.updated_at,
        messages=messages,
    )


def _next(offset: int, limit: int, got: int) -> int | None:
    return offset + limit if got == limit else None


@router.get(
    "/sessions",
    response_model=SessionsResponse,
    responses=error_responses(401, 422, 503),
    summary="Sessions, most recent activity first",
)
async def list_sessions(
    client: Client, runtime: Runtime, limit: Limit = 20, offset: Offset = 0
) -> SessionsResponse:
    store = runtime.store
    found = store.sessions.list(client.user_id, limit=limit, offset=offset)
    return SessionsResponse(
        sessions=[_session_out(s, store.messages.count(s.id)) for s in found],
        limit=limit,
        offset=offset,
        next_offset=_next(offset, limit, len(found)),
    )


def _message_out(message: Any) -> MessageOut:
    data = message.data if isinstance(message.data, dict) else {}
    approval_id = data.get("approval_id") if data.get("state") == "awaiting_approval" else None
    return MessageOut(
        id=message.id,
        role=message.role,
        content=message.content,
        status=message.status,
        tool_name=message.tool_name,
        approval_id=approval_id if isinstance(approval_id, str) else None,
        created_at=message.created_at,
    )


@router.get(
    "/sessions/{session_id}/messages",
    response_model=MessagesResponse,
    responses=error_responses(401, 404, 422, 503),
    summary="A session's messages, oldest first",
)
async def list_messages(
    session_id: Annotated[str, Path(pattern=ID_PATTERN)],
    client: Client,
    runtime: Runtime,
    limit: Limit = 50,
    offset: Offset = 0,
) -> MessagesResponse:
    store = runtime.store
    session = store.sessions.get(session_id)
    if session is None or session.user_id != client.user_id:
        raise ApiError(404, "not_found", f"no session {session_id!r}")
    messages = store.messages.list(session.id, limit=limit, offset=offset)
    return MessagesResponse(
        session=_session_out(session, store.messages.count(session.id)),
        messages=[_message_out(m) for m in messages],
        limit=limit,
        offset=offset,
        next_offset=_next(offset, limit, len(messages)),
    )


@router.post(
    "/sessions/{session_id}/cancel",
    response_model=CancelResponse,
    responses=error_responses(401, 404, 409, 422, 503),
    summary="Stop the session's running turn (the only way to stop one)",
    description=(
        "The turn stops, its partial answer is kept marked incomplete, and its event stream ends with an "
        "`error` event whose code is `cancelled`; the answer comes once that end is stored. Any worker "
        "or host on the same database can be asked. 409 (`not_running`) when no turn of the session is "
        "running (it has ended, or the server that ran it stopped)."
    ),
)
async def cancel_turn(
    session_id: Annotated[str, Path(pattern=ID_PATTERN)], client: Client, runtime: Runtime
) -> CancelResponse:
    store = runtime.store
    session = store.sessions.get(session_id)
    if session is None or session.user_id != client.user_id:
        raise ApiError(404, "not_found", f"no session {session_id!r}")
    turns = runtime.runner.running_in(session_id)
    if turns:
        for turn in turns:
            await runtime.runner.cancel(turn)
        return CancelResponse(session_id=session_id, cancelled_turns=[t.turn_id for t in turns])
    last = store.events.last_of_session(session_id)
    if last is None or last.type in TERMINAL:
        raise ApiError(409, "not_running", "no turn of this session is running")
    # The turn runs in another worker or host (or ran in one that stopped): ask it, and wait for its end.
    store.turn_cancels.request(last.turn_id, session_id, now=time.time())
    waited = 0.0
    while waited < REMOTE_CANCEL_SECONDS:
        await asyncio.sleep(CANCEL_POLL_SECONDS)
        waited += CANCEL_POLL_SECONDS
        if any(e.type in TERMINAL for e in store.events.after(session_id, last.turn_id, last.id)):
            return CancelResponse(session_id=session_id, cancelled_turns=[last.turn_id])
    store.turn_cancels.clear(last.turn_id)
    raise ApiError(
        409, "not_running", "no server is running this session's turn (the one that ran it stopped?)"
    )
