"""GET .../audit: the user's rows of the audit log, newest first, paged and filtered."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from pa_cli.server.errors import error_responses
from pa_cli.server.runtime import Client, Runtime, reject_unknown_query
from pa_cli.server.schemas import ID_PATTERN, TOOL_NAME_PATTERN, AuditResponse, AuditRowOut, IsoDay

router = APIRouter(
    prefix="/api/v1/personal-assistant", tags=["audit"], dependencies=[Depends(reject_unknown_query)]
)


@router.get(
    "/audit",
    response_model=AuditResponse,
    responses=error_responses(401, 422, 503),
    summary="The audit log of this user's tool executions, newest first",
)
async def list_audit(
    client: Client,
    runtime: Runtime,
    tool: Annotated[
        str | None, Query(pattern=TOOL_NAME_PATTERN, description="Only this tool's rows.")
    ] = None,
    session_id: Annotated[
        str | None, Query(pattern=ID_PATTERN, description="Only this session's rows.")
    ] = None,
    since: Annotated[
        IsoDay | None, Query(description="From this day on (YYYY-MM-DD, server's time zone).")
    ] = None,
    until: Annotated[IsoDay | None, Query(description="Up to this day, inclusive.")] = None,
    limit: Annotated[int, Query(ge=1, le=200, description="Page size.")] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Rows to skip.")] = 0,
) -> AuditResponse:
    from pa_cli.audit import day_bounds, row_dict

    start, end = day_bounds(since, until)
    rows = runtime.store.audit.list(
        user_id=client.user_id,
        tool=tool,
        session_id=session_id,
        since=start,
        until=end,
        limit=limit,
        offset=offset,
    )
    return AuditResponse(
        rows=[AuditRowOut.model_validate(row_dict(r)) for r in rows],
        limit=limit,
        offset=offset,
        next_offset=offset + limit if len(rows) == limit else None,
    )
