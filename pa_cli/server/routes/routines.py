"""``.../routines``: list, create, read, pause/resume, delete and run routines; their recent results.

Thin: everything is ``pa_cli.routines`` (the CLI's code); errors are the usual JSON bodies.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from pa_cli.server.errors import error_responses
from pa_cli.server.runtime import Client, Runtime, reject_unknown_query

router = APIRouter(
    prefix="/api/v1/personal-assistant", tags=["routines"], dependencies=[Depends(reject_unknown_query)]
)
RoutineRef = Annotated[str, Path(min_length=1, max_length=80, description="The routine's id or name.")]


class RoutineCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=80)
    at: str = Field(min_length=1, max_length=200, description='"weekdays 08:00", "daily 07:30" or cron')
    text: str = Field(min_length=1, max_length=4000)
    also: list[str] = Field(default_factory=list, max_length=10)
    active_hours: str | None = Field(None, max_length=20, description="HH:MM-HH:MM")


class RoutinePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    paused: bool


class RoutineOut(BaseModel):
    id: str
    name: str
    schedule: str
    cron: str
    schedule_explained: str
    timezone: str
    prompt: str
    also: list[str]
    active_hours: str | None
    paused: bool
    next_run_at: str | None
    last_run_at: str | None


class RunOut(BaseModel):
    id: int
    routine_id: str
    routine: str | None = None
    slot: str
    trigger: str
    late: bool
    status: str
    session_id: str | None
    needs_attention: bool
    summary: str
    pending_approvals: list[str]
    llm_calls: int
    input_tokens: int
    output_tokens: int
    started_at: str
    finished_at: str | None
    read: bool


class WeekUsageOut(BaseModel):
    week_start: str
    runs: int
    llm_calls: int
    input_tokens: int
    output_tokens: int


class RoutineDetail(RoutineOut):
    runs: list[RunOut]
    usage_by_week: list[WeekUsageOut]


class RoutinesResponse(BaseModel):
    routines: list[RoutineOut]


class ResultsResponse(BaseModel):
    results: list[RunOut]
    unread: int


class RunNowResponse(BaseModel):
    routine: str
    run_id: int
    session_id: str | None
    status: str
    late: bool
    needs_attention: bool
    summary: str
    pending_approvals: list[dict[str, str]]
    llm_calls: int
    input_tokens: int
    output_tokens: int


@router.get("/routines", response_model=RoutinesResponse, responses=error_responses(401, 422, 503))
async def list_routines(client: Client, runtime: Runtime) -> dict[str, Any]:
    from pa_cli.routines.manage import routine_view

    found = runtime.store.routines.list(client.user_id)
    return {"routines": [routine_view(runtime.settings, r) for r in found]}


@router.post(
    "/routines",
    status_code=201,
    response_model=RoutineOut,
    responses=error_responses(400, 401, 409, 422, 503),
)
async def create_routine(body: RoutineCreate, client: Client, runtime: Runtime) -> dict[str, Any]:
    from pa_cli.routines.manage import add_routine, routine_view

    routine = add_routine(
        runtime.settings,
        runtime.store,
        client.user_id,
        name=body.name,
        when=body.at,
        prompt=body.text,
        also=body.also,
        active_hours=body.active_hours,
    )
    return routine_view(runtime.settings, routine)


@router.get(
    "/routines/results",
    response_model=ResultsResponse,
    responses=error_responses(401, 422, 503),
    summary="The latest runs of every routine, newest first (what the web page shows)",
)
async def routine_results(
    client: Client, runtime: Runtime, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> dict[str, Any]:
    from pa_cli.routines.manage import run_view

    store = runtime.store
    found = store.routines.recent_results(client.user_id, limit=limit)
    return {
        "results": [run_view(runtime.settings, run, name) for run, name in found],
        "unread": store.routines.unread_count(client.user_id),
    }


@router.get("/routines/{ref}", response_model=RoutineDetail, responses=error_responses(401, 404, 422, 503))
async def get_routine(ref: RoutineRef, client: Client, runtime: Runtime) -> dict[str, Any]:
    from pa_cli.routines.manage import find_routine, routine_detail

    routine = find_routine(runtime.store, client.user_id, ref)
    return routine_detail(runtime.settings, runtime.store, routine)


@router.patch(
    "/routines/{ref}",
    response_model=RoutineOut,
    responses=error_responses(401, 404, 422, 503),
    summary='Pause (`{"paused": true}`) or resume a routine',
)
async def patch_routine(
    ref: RoutineRef, body: RoutinePatch, client: Client, runtime: Runtime
) -> dict[str, Any]:
    from pa_cli.routines.manage import find_routine, routine_view, set_paused

    routine = find_routine(runtime.store, client.user_id, ref)
    return routine_view(runtime.settings, set_paused(runtime.settings, runtime.store, routine, body.paused))


@router.delete("/routines/{ref}", status_code=204, responses=error_responses(401, 404, 422, 503))
async def delete_routine(ref: RoutineRef, client: Client, runtime: Runtime) -> Response:
    from pa_cli.routines.manage import find_routine

    routine = find_routine(runtime.store, client.user_id, ref)
    runtime.store.routines.delete(routine.id)
    return Response(status_code=204)


@router.post(
    "/routines/{ref}/run",
    response_model=RunNowResponse,
    responses=error_responses(401, 404, 409, 422, 503),
    summary="Run a routine now (its side effects wait for approval, as in every routine run)",
)
async def run_routine(ref: RoutineRef, client: Client, runtime: Runtime) -> dict[str, Any]:
    from pa_cli.routines.manage import find_routine
    from pa_cli.routines.runner import RoutineRunner

    routine = find_routine(runtime.store, client.user_id, ref)
    runner = RoutineRunner(runtime.settings, runtime.store, runtime.registry, llm_factory=runtime.llm_factory)
    result = await runner.run_now(routine)
    return result.as_json()


@router.post(
    "/routines/{ref}/read",
    status_code=204,
    responses=error_responses(401, 404, 422, 503),
    summary="Mark the routine's results read",
)
async def mark_read(ref: RoutineRef, client: Client, runtime: Runtime) -> Response:
    from pa_cli.routines.manage import find_routine

    routine = find_routine(runtime.store, client.user_id, ref)
    runtime.store.routines.mark_read(routine.id)
    return Response(status_code=204)
