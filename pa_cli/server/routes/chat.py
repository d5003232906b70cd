"""POST .../chat and POST .../chat/stream."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header

from pa_cli.server.errors import error_responses
from pa_cli.server.runtime import FRONTEND, Client, Runtime, reject_unknown_query
from pa_cli.server.schemas import ChatRequest, ChatResponse
from pa_cli.server.sse import SSE_RESPONSE_DOC, TurnEventStream
from pa_cli.server.turns import collect, replay_stream, run_for, start_stream

router = APIRouter(
    prefix="/api/v1/personal-assistant", tags=["chat"], dependencies=[Depends(reject_unknown_query)]
)

LastEventId = Annotated[
    str | None,
    Header(
        alias="Last-Event-ID",
        pattern=r"^[0-9]{1,18}$",
        description="Resume a stream: the id of the last event received; the rest of that turn is replayed.",
    ),
]


@router.post(
    "/chat",
    response_model=ChatResponse,
    responses=error_responses(400, 401, 403, 404, 413, 422, 429, 502, 503),
    summary="Ask and wait for the whole answer (the turn runs to its end even if the client goes away)",
)
async def chat(body: ChatRequest, client: Client, runtime: Runtime) -> ChatResponse:
    events = run_for(
        runtime, client, body.message, session_id=body.session_id, context=body.context, frontend=FRONTEND
    )
    return await collect(runtime, events, client)


@router.post(
    "/chat/stream",
    response_class=TurnEventStream,
    responses={**SSE_RESPONSE_DOC, **error_responses(400, 401, 403, 404, 413, 422, 429, 503)},
    summary="Ask and stream the answer as Server-Sent Events",
)
async def chat_stream(
    body: ChatRequest, client: Client, runtime: Runtime, last_event_id: LastEventId = None
) -> TurnEventStream:
    if last_event_id is not None:
        return replay_stream(runtime, client, int(last_event_id))
    events = run_for(
        runtime, client, body.message, session_id=body.session_id, context=body.context, frontend=FRONTEND
    )
    return await start_stream(runtime, events, client)
