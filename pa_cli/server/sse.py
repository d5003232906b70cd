"""A turn's events as Server-Sent Events, numbered by the database and replayable.

Every event is stored before it is sent (``pa_cli.server.live``), and its row id
is the SSE ``id:``. A connection follows a turn that runs in this process from
memory (``live_events``); a reconnect with ``Last-Event-ID`` gets the rest of the
turn from there, or from the database (``replay``) when the turn runs, or ran, in
another worker. A stream ends with the turn's ``done`` or ``error`` event, or
with an ``error`` of its own when the device's token is revoked
(``token_revoked``) or the server stops (``server_shutdown``); the turn itself
goes on until it ends or is cancelled.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from sse_starlette import EventSourceResponse, ServerSentEvent

from pa_cli.server.live import SHUTDOWN_ERROR, TERMINAL

if TYPE_CHECKING:
    from pa_cli.server.live import Follower, LiveTurn, TurnRunner
    from pa_cli.store import Store

log = logging.getLogger(__name__)

PING_SECONDS = 15.0
#: sse-starlette tells the stream the server is stopping; it then has this long to stop the turn and say so.
SHUTDOWN_GRACE_SECONDS = 12.0
REPLAY_POLL_SECONDS = 0.2

REVOKED = {"code": "token_revoked", "message": "the token was revoked; this stream ends (the turn goes on)"}


class TurnEventStream(EventSourceResponse):  # type: ignore[misc]
    """``text/event-stream`` (the class attribute lets the OpenAPI document say so)."""

    media_type = "text/event-stream"


def encode(event_id: int | None, type: str, data: dict[str, Any]) -> ServerSentEvent:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return ServerSentEvent(text, event=type, id=None if event_id is None else str(event_id), sep="\n")


async def live_events(
    runner: TurnRunner, turn: LiveTurn, start: int, follower: Follower
) -> AsyncIterator[ServerSentEvent]:
    """A turn running in this process, from its item ``start`` to its end."""
    position = start
    while True:
        async for event_id, event in turn.follow(follower, position):
            position += 1
            yield encode(event_id, event.type, event.payload())
            if event.type in TERMINAL:
                return
        if follower.revoked:
            yield encode(None, "error", REVOKED)
            return
        if follower.shutting_down:
            follower.shutting_down = False
            await runner.shutdown()  # every turn stores its end; this one's is sent next
            continue
        if turn.ended:
            return


async def replay(
    store: Store,
    session_id: str,
    turn_id: str,
    last_id: int,
    last_type: str,
    follower: Follower,
    *,
    idle_limit: float,
) -> AsyncIterator[ServerSentEvent]:
    """The turn's events after ``last_id``, following it while it is still running elsewhere."""
    idle = 0.0
    ended = last_type in TERMINAL
    while True:
        rows = store.events.after(session_id, turn_id, last_id)
        for row in rows:
            last_id = row.id
            yield encode(row.id, row.type, row.data)
            if row.type in TERMINAL:
                return
        if rows:
            idle = 0.0
            continue
        if ended:
            return  # the client saw the end already and nothing followed
        if follower.revoked:
            yield encode(None, "error", REVOKED)
            return
        if follower.shutting_down:
            yield encode(None, "error", SHUTDOWN_ERROR.payload())
            return
        if idle >= idle_limit:
            message = "no further events for this turn arrived; it may have been lost (the server that ran it stopped?)"
            yield encode(None, "error", {"code": "turn_unavailable", "message": message})
            return
        await asyncio.sleep(REPLAY_POLL_SECONDS)
        idle += REPLAY_POLL_SECONDS


def sse_response(content: AsyncIterator[ServerSentEvent], follower: Follower, ping: float) -> TurnEventStream:
    return TurnEventStream(
        content,
        ping=ping,
        sep="\n",
        shutdown_event=follower,  # sse-starlette only calls its set()
        shutdown_grace_period=SHUTDOWN_GRACE_SECONDS,
        headers={"Cache-Control": "no-store"},
    )


SSE_RESPONSE_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": (
            "Server-Sent Events, each with an `id:` (replay the rest of the turn after a reconnect by sending "
            "`Last-Event-ID`). `event:` is one of `session` ({session_id, turn_id, resumed}), `token` ({text}), "
            "`tool_start` ({call_id, tool, arguments}), `tool_end` ({call_id, tool, ok, summary, status}), "
            "`approval_required` ({id, tool, preview, expires_at}), `plan` ({steps}), `done` ({response, "
            "session_id, tools_used, usage, pending_approvals, incomplete}) or `error` ({code, message}); "
            "`data:` is JSON. Comment lines (`: ping`) keep the connection alive."
        ),
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }
}
