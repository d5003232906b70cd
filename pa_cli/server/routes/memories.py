"""GET|POST|PATCH|DELETE .../memories: the user's remembered facts, to see and change from any device."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from pa_cli.memory.book import MAX_FACT_CHARS, MemoryBook, MemoryDisabled, memory_dict
from pa_cli.server.errors import ApiError, error_responses
from pa_cli.server.runtime import Client, Runtime, reject_unknown_query
from pa_cli.server.schemas import ID_PATTERN, _Request

router = APIRouter(
    prefix="/api/v1/personal-assistant", tags=["memories"], dependencies=[Depends(reject_unknown_query)]
)

MemoryId = Annotated[str, Path(pattern=ID_PATTERN, description="A memory id (a unique prefix is enough).")]


class MemoryOut(BaseModel):
    id: str
    text: str
    pinned: bool
    source: str = Field(description='"you" (given by the user) or "turn" (saved by the assistant in a turn).')
    session_id: str | None
    turn_id: str | None
    untrusted: bool = Field(description="Saved while untrusted content was in the conversation.")
    taint: str | None = Field(description="Which untrusted content, when untrusted.")
    created_at: str
    updated_at: str
    last_used_at: str | None


class MemoriesResponse(BaseModel):
    memories: list[MemoryOut]
    enabled: bool = Field(description="memory.enabled: false means nothing new is remembered or recalled.")


class MemoryCreate(_Request):
    text: str = Field(min_length=1, max_length=MAX_FACT_CHARS)
    pinned: bool = False


class MemoryUpdate(_Request):
    text: str | None = Field(default=None, min_length=1, max_length=MAX_FACT_CHARS)
    pinned: bool | None = None


class Forgotten(BaseModel):
    forgotten: str


def _book(client: Any, runtime: Any) -> MemoryBook:
    return MemoryBook(runtime.settings, runtime.store, client.user_id)


def _out(memory: Any) -> MemoryOut:
    return MemoryOut.model_validate(memory_dict(memory))


@router.get(
    "/memories",
    response_model=MemoriesResponse,
    responses=error_responses(401, 422, 503),
    summary="The remembered facts (pinned first, then newest), or those matching q",
)
async def list_memories(
    client: Client,
    runtime: Runtime,
    q: Annotated[str | None, Query(max_length=500, description="Only facts with every word.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> MemoriesResponse:
    book = _book(client, runtime)
    found = book.search(q, limit=limit) if q and q.strip() else book.list(limit=limit)
    return MemoriesResponse(memories=[_out(m) for m in found], enabled=book.enabled)


@router.post(
    "/memories",
    response_model=MemoryOut,
    status_code=201,
    responses=error_responses(400, 401, 409, 413, 422, 503),
    summary="Remember a fact (given by you: no approval needed)",
)
async def add_memory(body: MemoryCreate, client: Client, runtime: Runtime) -> MemoryOut:
    try:
        return _out(_book(client, runtime).add(body.text, pinned=body.pinned))
    except MemoryDisabled as exc:
        raise ApiError(409, exc.code, exc.message) from None


@router.patch(
    "/memories/{memory_id}",
    response_model=MemoryOut,
    responses=error_responses(400, 401, 404, 413, 422, 503),
    summary="Change a fact's text or pin it (fields left out keep their value)",
)
async def update_memory(
    memory_id: MemoryId, body: MemoryUpdate, client: Client, runtime: Runtime
) -> MemoryOut:
    book = _book(client, runtime)
    memory = book.resolve(memory_id)
    if body.text is not None:
        memory = book.edit(memory.id, body.text)
    if body.pinned is not None:
        memory = book.pin(memory.id, body.pinned)
    return _out(memory)


@router.delete(
    "/memories/{memory_id}",
    response_model=Forgotten,
    responses=error_responses(401, 404, 422, 503),
    summary="Forget a fact",
)
async def forget_memory(memory_id: MemoryId, client: Client, runtime: Runtime) -> Forgotten:
    return Forgotten(forgotten=_book(client, runtime).forget(memory_id).id)
