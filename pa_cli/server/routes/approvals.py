"""GET .../approvals (pending) and POST .../approvals/{id} (decide and resume the turn, as SSE)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from pa_cli.server.errors import error_responses
from pa_cli.server.routes.chat import LastEventId
from pa_cli.server.runtime import FRONTEND, Client, Runtime, reject_unknown_query
from pa_cli.server.schemas import ID_PATTERN, ApprovalDecision, ApprovalOut, ApprovalsResponse
from pa_cli.server.sse import SSE_RESPONSE_DOC, TurnEventStream
from pa_cli.server.turns import replay_stream, start_stream
from pa_cli.tools.selection import choices_json

router = APIRouter(
    prefix="/api/v1/personal-assistant", tags=["approvals"], dependencies=[Depends(reject_unknown_query)]
)

ApprovalId = Annotated[str, Path(pattern=ID_PATTERN, description="The approval's id.")]


@router.get(
    "/approvals",
    response_model=ApprovalsResponse,
    responses=error_responses(401, 422, 503),
    summary="Side effects waiting for a decision",
)
async def list_approvals(client: Client, runtime: Runtime) -> ApprovalsResponse:
    pending = runtime.store.approvals.list_pending(client.user_id)
    return ApprovalsResponse(
        approvals=[
            ApprovalOut(
                id=a.id,
                tool=a.tool,
                preview=a.preview,
                session_id=a.session_id,
                created_at=a.created_at,
                expires_at=a.expires_at,
                choices=choices_json(a.frozen),
            )
            for a in pending
        ]
    )


@router.post(
    "/approvals/{approval_id}",
    response_class=TurnEventStream,
    responses={**SSE_RESPONSE_DOC, **error_responses(400, 401, 403, 404, 409, 413, 422, 429, 503)},
    summary="Approve or deny a side effect; the turn goes on, streamed like chat/stream",
)
async def decide(
    approval_id: ApprovalId,
    body: ApprovalDecision,
    client: Client,
    runtime: Runtime,
    last_event_id: LastEventId = None,
) -> TurnEventStream:
    if last_event_id is not None:
        return replay_stream(runtime, client, int(last_event_id))
    runtime.limiter.admit_turn(client.client_id)
    events = runtime.service.resume(
        approval_id,
        body.approve,
        frontend=FRONTEND,
        user_id=client.user_id,
        client_id=client.client_id,
        deselected=list(body.deselected),
    )
    return await start_stream(runtime, events, client)
