"""``POST /v1/chat/completions`` and ``GET /v1/models``: pa's agent behind the OpenAI wire format.

The device token is the API key (``Authorization: Bearer``). Errors on these
routes use OpenAI's error shape, which keeps pa's ``code`` and ``message``.
The turn runs as a task of the server like any other (a client that hangs up
stops nothing); approvals that wait are told at the end of the answer, with
their ids.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import ValidationError

from pa_cli.agent.events import ApprovalRequired, Done, Error, SessionStarted, TextDelta
from pa_cli.errors import PaError
from pa_cli.interop import openai_chat as oa
from pa_cli.server.errors import ApiError

router = APIRouter(prefix="/v1", tags=["openai"], include_in_schema=False)

FRONTEND = "openai"
_STATUS = {"not_found": 404, "invalid_request": 400, "authorization_needed": 403}


def _error(
    status: int, message: str, code: str, kind: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """OpenAI's error shape; ``headers`` keep an auth failure's challenge (WWW-Authenticate)."""
    if kind is None:
        kind = {401: "authentication_error", 429: "rate_limit_error", 404: "not_found_error"}.get(
            status, "invalid_request_error" if status < 500 else "server_error"
        )
    return JSONResponse(oa.error_body(message, code, kind), status_code=status, headers=headers)


def _authenticate(request: Request) -> Any:
    from pa_cli.server.auth import authenticate

    runtime = request.app.state.runtime
    return authenticate(runtime.store, runtime.signing_key, request.headers.get("authorization"))


@router.get("/models")
async def list_models(request: Request) -> JSONResponse:
    try:
        _authenticate(request)
    except ApiError as exc:
        return _error(exc.status, exc.message, exc.code, headers=exc.headers)
    return JSONResponse(oa.models())


@router.post("/chat/completions", response_model=None)
async def chat_completions(request: Request) -> JSONResponse | StreamingResponse:
    from pa_cli.server.live import Follower
    from pa_cli.server.turns import run_for, start_turn

    runtime = request.app.state.runtime
    try:
        client = _authenticate(request)
        body = oa.ChatCompletionRequest.model_validate(json.loads(await request.body() or b"null"))
        plan = oa.plan_turn(
            body, client.user_id, lambda key: runtime.store.conversations.session_for(client.user_id, key)
        )
        events = run_for(
            runtime, client, plan.message, session_id=plan.session_id, context=plan.context, frontend=FRONTEND
        )
        turn = await start_turn(runtime, events, client)
    except ApiError as exc:
        return _error(exc.status, exc.message, exc.code, headers=exc.headers)
    except (ValidationError, json.JSONDecodeError) as exc:
        return _error(400, _first_problem(exc), "invalid_request")
    except oa.BadRequest as exc:
        return _error(400, str(exc), "invalid_request")
    except PaError as exc:
        return _error(_STATUS.get(exc.code, 400), exc.message, exc.code)
    if plan.explicit is not None:
        runtime.store.conversations.remember(client.user_id, plan.explicit, turn.session_id)
    cid = oa.completion_id(turn.turn_id)

    def remember(answer: str) -> None:
        key = oa.key_after_answer(client.user_id, plan, answer)
        runtime.store.conversations.remember(client.user_id, key, turn.session_id)

    if body.stream:
        return StreamingResponse(
            _stream(turn.follow(Follower()), cid, remember),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    text = ""
    pending: list[tuple[str, str]] = []
    async for _, event in turn.follow(Follower()):
        if isinstance(event, ApprovalRequired):
            pending.append((event.id, event.tool))
        elif isinstance(event, Error):
            status = _STATUS.get(event.code, 502)
            return _error(status, event.message, event.code)
        elif isinstance(event, Done):
            waiting = [(a, t) for a, t in pending if a in event.pending_approvals]
            text = event.response + oa.approval_note(waiting)
            remember(text)
            usage = oa.openai_usage(event.usage.input_tokens, event.usage.output_tokens)
            return JSONResponse(oa.completion(cid, text, usage, event.session_id, waiting))
    return _error(502, "the turn ended without an answer", "incomplete_turn", "server_error")


async def _stream(
    events: AsyncIterator[tuple[int | None, Any]], cid: str, remember: Any
) -> AsyncIterator[str]:
    created = int(time.time())

    def data(payload: dict[str, Any]) -> str:
        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

    yield data(oa.chunk(cid, created, {"role": "assistant", "content": ""}))
    streamed = ""
    pending: list[tuple[str, str]] = []
    async for _, event in events:
        if isinstance(event, SessionStarted):
            continue
        if isinstance(event, TextDelta) and event.text:
            streamed += event.text
            yield data(oa.chunk(cid, created, {"content": event.text}))
        elif isinstance(event, ApprovalRequired):
            pending.append((event.id, event.tool))
        elif isinstance(event, Error):
            yield data(oa.error_body(event.message, event.code, "server_error"))
            break
        elif isinstance(event, Done):
            rest = event.response[len(streamed) :] if event.response.startswith(streamed) else ""
            if not streamed and event.response:
                rest = event.response
            waiting = [(a, t) for a, t in pending if a in event.pending_approvals]
            rest += oa.approval_note(waiting)
            if rest:
                yield data(oa.chunk(cid, created, {"content": rest}))
            remember(streamed + rest)
            final = oa.chunk(cid, created, {}, "stop")
            final["usage"] = oa.openai_usage(event.usage.input_tokens, event.usage.output_tokens)
            yield data(final)
            break
    yield "data: [DONE]\n\n"


def _first_problem(exc: ValidationError | json.JSONDecodeError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"the body is not valid JSON: {exc.msg}"
    err = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(p) for p in err["loc"]) or "body"
    return f"{where}: {err['msg']}"
