"""POST .../outbox/undo: take back the latest approved mail while it waits to go out (the page's button)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from pa_cli.server.errors import error_responses
from pa_cli.server.runtime import Client, Runtime, reject_unknown_query

router = APIRouter(
    prefix="/api/v1/personal-assistant", tags=["outbox"], dependencies=[Depends(reject_unknown_query)]
)


class UndoneOut(BaseModel):
    id: str
    summary: str
    status: str


@router.post(
    "/outbox/undo",
    response_model=UndoneOut,
    responses=error_responses(401, 404, 503),
    summary="Undo the latest send that still waits in the outbox",
)
async def undo_send(client: Client, runtime: Runtime) -> UndoneOut:
    from pa_cli.outbox.send import undo_latest

    item = undo_latest(runtime.store, client.user_id)
    return UndoneOut(id=item.id, summary=item.summary, status="cancelled")
