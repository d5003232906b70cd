"""The flow's nodes. Each reads the typed turn state in ``prep``, works in ``exec``, and routes in ``post``.

Nodes hold no per-run attributes; everything lives in ``TurnState``.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Any

from pocketflow import AsyncNode

from pa_cli.agent.context import build_turn_context
from pa_cli.agent.events import Done, Usage
from pa_cli.agent.state import ProposedToolCall, TurnState
from pa_cli.agent.tool_step import run_tool_call

if TYPE_CHECKING:
    from pa_cli.agent.llm import Thinking, ToolOutcome

# Actions (every one is wired in flow.py; an unwired action would silently end the flow).
TOOLS, ANSWER, RESPOND, LIMIT, THINK, SUSPEND, FINISH = (
    "tools",
    "answer",
    "respond",
    "limit",
    "think",
    "suspend",
    "finish",
)


class ThinkNode(AsyncNode):  # type: ignore[misc]
    """PersonalAssistantThinking, streamed: its answer reaches the user as it is written."""

    async def prep_async(self, shared: TurnState) -> TurnState | None:
        if shared.steps >= shared.settings.agent.max_steps:
            return None
        return shared

    async def exec_async(self, state: TurnState | None) -> Thinking | None:
        if state is None:
            return None
        return await state.llm.think(
            build_turn_context(state), on_answer_delta=state.stream_answer, on_tool_calls=state.store_warm
        )

    async def post_async(self, shared: TurnState, prep_res: Any, thinking: Thinking | None) -> str:
        if shared.store_ready is not None:  # the next nodes use the store: wait for it here
            # A plain answer only adds a message (written without the ORM); tools need the whole store.
            await shared.store_ready(orm=bool(thinking and thinking.tool_calls))
        if thinking is None:
            shared.step_limit_reached = True
            return LIMIT
        shared.steps += 1
        if thinking.tool_calls:
            shared.pending_calls = [
                ProposedToolCall(call_id=uuid.uuid4().hex[:12], tool=c.tool, arguments=dict(c.arguments))
                for c in thinking.tool_calls
            ]
            return TOOLS
        if thinking.answer is not None:
            if not shared.answer and thinking.answer:
                # The stream delivered nothing (e.g. a non-streaming provider): send it whole.
                await shared.stream_answer(thinking.answer)
            return ANSWER
        return RESPOND


class ToolsNode(AsyncNode):  # type: ignore[misc]
    """Run the step's tool calls concurrently, each its own transaction; side effects wait for approval.

    A call that fails (its preview, its run, anything) becomes that call's failed outcome for the
    LLM; it never stops the other calls of the step or the turn.
    """

    async def prep_async(self, shared: TurnState) -> TurnState:
        return shared

    async def exec_async(self, state: TurnState) -> list[ToolOutcome | None]:
        calls, state.pending_calls = state.pending_calls, []
        return list(await asyncio.gather(*(run_tool_call(state, call) for call in calls)))

    async def post_async(self, shared: TurnState, prep_res: Any, outcomes: list[ToolOutcome | None]) -> str:
        shared.outcomes.extend(o for o in outcomes if o is not None)
        shared.add_taint(shared.step_taint)
        shared.step_taint = []
        return SUSPEND if shared.pending_approvals else THINK


class RespondNode(AsyncNode):  # type: ignore[misc]
    """PersonalAssistantResponse: the final answer when thinking gave none, or at the step limit."""

    async def prep_async(self, shared: TurnState) -> TurnState:
        return shared

    async def exec_async(self, state: TurnState) -> None:
        ctx = build_turn_context(state)
        if state.step_limit_reached:
            limit = state.settings.agent.max_steps
            await state.stream_answer(
                f"(Stopped after {limit} steps, the limit set by agent.max_steps; here is where things stand.)\n\n"
            )
        await state.llm.respond(ctx, on_delta=state.stream_answer)

    async def post_async(self, shared: TurnState, prep_res: Any, exec_res: None) -> str:
        return FINISH


def _done(state: TurnState) -> Done:
    u = state.llm.usage
    return Done(
        response=state.answer,
        session_id=state.session_id,
        tools_used=state.tools_used,
        usage=Usage(llm_calls=u.calls, input_tokens=u.input_tokens, output_tokens=u.output_tokens),
        pending_approvals=list(state.pending_approvals),
        memories=[m.id for m in state.memories],
        incomplete=bool(getattr(state.llm, "truncated", False)),
    )


class FinishNode(AsyncNode):  # type: ignore[misc]
    """Store the answer and report the turn done."""

    async def prep_async(self, shared: TurnState) -> TurnState:
        return shared

    async def post_async(self, shared: TurnState, prep_res: Any, exec_res: Any) -> None:
        shared.store.messages.add(
            shared.session_id, "assistant", shared.answer, data={"turn_id": shared.turn_id}
        )
        shared.finished = True
        await shared.emit(_done(shared))


class SuspendNode(AsyncNode):  # type: ignore[misc]
    """Side effects await a decision: end the process's part of the turn; `pa approve` resumes it."""

    async def prep_async(self, shared: TurnState) -> TurnState:
        return shared

    async def post_async(self, shared: TurnState, prep_res: Any, exec_res: Any) -> None:
        if shared.answer:
            shared.store.messages.add(
                shared.session_id,
                "assistant",
                shared.answer,
                data={"turn_id": shared.turn_id, "partial": True},
            )
        shared.finished = True
        await shared.emit(_done(shared))
