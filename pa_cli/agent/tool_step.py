"""One tool call of a turn: find the tool, repair its arguments, gate side effects, run it, record it.

Side effects never run without a decision from the user: the approval is
stored bound to the exact arguments, shown through the front-end's approver,
and, when no decision can be had now, the turn suspends until
``pa approve ID`` / ``POST .../approvals/{id}``.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from pa_cli.agent.context import build_turn_context, turn_tool_specs
from pa_cli.agent.events import ApprovalRequired, PlanUpdated, ToolCallFinished, ToolCallStarted
from pa_cli.agent.state import ApprovalRequest, ProposedToolCall, TurnState
from pa_cli.errors import PaError
from pa_cli.tools.base import PreparedCall, Tool, ToolContext, ToolResult
from pa_cli.tools.selection import choices_json, choices_of, with_deselected

if TYPE_CHECKING:
    from pa_cli.agent.llm import ToolOutcome
    from pa_cli.store import Store

log = logging.getLogger(__name__)
MAX_RESULT_CHARS = 20_000


def tool_context(state: TurnState) -> ToolContext:
    """The context a call of this turn runs in; ``taint`` is what the model has seen until this step."""
    return ToolContext(
        taint=tuple(current_taint(state)),
        settings=state.settings,
        store=state.store,
        user_id=state.user_id,
        session_id=state.session_id,
        turn_id=state.turn_id,
        frontend=state.frontend,
        client_id=state.client_id,
        guard=state.tool_guard,
    )


def result_text(result: ToolResult) -> str:
    """The tool result as the JSON text the LLM reads (bounded)."""
    body = json.dumps(
        {"ok": result.ok, "summary": result.summary, "content": result.content},
        ensure_ascii=False,
        default=str,
    )
    if len(body) > MAX_RESULT_CHARS:
        body = body[:MAX_RESULT_CHARS] + "... [truncated]"
    return body


def _outcome(call: ProposedToolCall, result: ToolResult, arguments: dict[str, Any]) -> ToolOutcome:
    from pa_cli.agent.llm import ToolOutcome

    return ToolOutcome(
        tool=call.tool,
        arguments=arguments,
        ok=result.ok,
        content=result_text(result),
        untrusted=result.untrusted,
    )


async def _repair_arguments(
    state: TurnState, tool: Tool, call: ProposedToolCall
) -> tuple[BaseModel | None, str]:
    """Validate; on failure ask the LLM once (PersonalAssistantToolCall, or Planning for plans)."""
    try:
        return tool.args_model.model_validate(call.arguments), ""
    except ValidationError as exc:
        error = _validation_message(exc)
    ctx = build_turn_context(state)
    if tool.name == "plan_update":
        steps = await state.llm.plan(ctx)
        repaired: dict[str, Any] = {"steps": [{"title": s, "status": "pending"} for s in steps]}
    else:
        spec = next(
            (s for s in turn_tool_specs(state) if s.name == tool.name),
            None,
        )
        if spec is None:
            return None, error
        repaired = await state.llm.fill_tool_arguments(ctx, spec, call.arguments, error)
    try:
        args = tool.args_model.model_validate(repaired)
    except ValidationError as exc:
        return None, _validation_message(exc)
    call.arguments = args.model_dump(mode="json", exclude_none=True)
    return args, ""


def _validation_message(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "arguments"
        parts.append(f"{where}: {err['msg']}")
    return "invalid arguments: " + "; ".join(parts)


async def run_tool_call(state: TurnState, call: ProposedToolCall) -> ToolOutcome | None:
    """Run one call to completion; None when it awaits an approval (the turn will suspend).

    Whatever fails in this call (its preview, the LLM's argument repair, its run) is this call's
    failed outcome, told to the LLM: it never stops the other calls of the step or the turn.
    """
    await state.emit(ToolCallStarted(call_id=call.call_id, tool=call.tool, arguments=call.arguments))
    try:
        return await _run_tool_call(state, call)
    except PaError as exc:
        return await _finish(state, call, ToolResult(ok=False, summary=f"{call.tool} failed: {_said(exc)}"))
    except Exception as exc:
        log.error("tool call %s failed: %s", call.tool, type(exc).__name__)
        summary = f"{call.tool} failed unexpectedly ({type(exc).__name__}); it did not run"
        return await _finish(state, call, ToolResult(ok=False, summary=summary))


def _said(exc: PaError) -> str:
    return exc.message if not exc.hint else f"{exc.message} ({exc.hint})"


async def _run_tool_call(state: TurnState, call: ProposedToolCall) -> ToolOutcome | None:
    from pa_cli.tools.policy import decide_policy, disabled_reason
    from pa_cli.tools.registry import audit_refusal, execute_tool

    ctx = tool_context(state)
    tool = state.registry.find(call.tool)
    disabled = disabled_reason(call.tool, state.enabled_tools)
    if tool is None or disabled is not None:
        audit_refusal(call.tool, call.arguments, ctx, "refused")
        offered = ", ".join(s.name for s in turn_tool_specs(state))
        summary = disabled or f"no tool named {call.tool!r}"
        return await _finish(state, call, ToolResult(ok=False, summary=f"{summary}; tools: {offered}"))
    args, error = await _repair_arguments(state, tool, call)
    if args is None:
        audit_refusal(tool.name, call.arguments, ctx, "invalid_arguments")
        return await _finish(state, call, ToolResult(ok=False, summary=error))
    policy = decide_policy(tool, state.settings, state.untrusted_in_context, unattended=state.unattended)
    if policy == "deny":
        audit_refusal(tool.name, call.arguments, ctx, "refused")
        return await _finish(
            state,
            call,
            ToolResult(ok=False, summary=f"{tool.name} is denied by policy (tools.policy.{tool.name})"),
        )
    approval_id = preview = None
    frozen: dict[str, Any] | None = None
    if policy == "ask":
        try:
            prepared = await tool.prepare(args, ctx)
        except PaError as exc:
            audit_refusal(tool.name, call.arguments, ctx, "failed")
            summary = f"{tool.name} could not be prepared: {_said(exc)}; it did not run"
            return await _finish(state, call, ToolResult(ok=False, summary=summary))
        decision, approval_id, preview, frozen = await _ask_approval(state, tool, call, prepared)
        if decision is None:
            await _record_waiting(state, call, approval_id)
            return None
        if not decision:
            audit_refusal(tool.name, call.arguments, ctx, "denied", approval_id=approval_id, preview=preview)
            return await _finish(
                state,
                call,
                ToolResult(ok=False, summary="the user denied this action; it did not run"),
                "denied",
            )
    if tool.name not in state.tools_used:
        state.tools_used.append(tool.name)
    result = await execute_tool(
        tool, call.arguments, ctx, approval_id=approval_id, preview=preview, frozen=frozen
    )
    if tool.name == "plan_update" and result.ok:
        await state.emit(PlanUpdated(steps=state.store.plans.get(state.session_id)))
    return await _finish(state, call, result)


UNATTENDED_NOTICE = (
    "Proposed by a routine while no one was present: nothing ran; approve only if you want it."
)


def taint_notice(taint: list[str]) -> str:
    """The line an approval preview starts with while untrusted content is in the model's context."""
    return (
        "Asking because untrusted content is in this conversation ("
        + "; ".join(taint)
        + "): check that this is what you want."
    )


async def _ask_approval(
    state: TurnState, tool: Tool, call: ProposedToolCall, prepared: PreparedCall
) -> tuple[bool | None, str, str, dict[str, Any] | None]:
    preview = prepared.preview
    if state.untrusted_in_context and (tool.side_effect or tool.asks_when_untrusted):
        preview = f"{taint_notice(current_taint(state))}\n\n{preview}"
    if state.unattended:
        preview = f"{UNATTENDED_NOTICE}\n\n{preview}"
    approval = state.store.approvals.create(
        user_id=state.user_id,
        session_id=state.session_id,
        tool=tool.name,
        arguments=call.arguments,
        preview=preview,
        frozen=prepared.frozen,
        tool_call_id=call.call_id,
    )
    expires = approval.expires_at.isoformat() if approval.expires_at else None
    await state.emit(
        ApprovalRequired(
            id=approval.id,
            tool=tool.name,
            preview=preview,
            expires_at=expires,
            choices=choices_json(prepared.frozen),
        )
    )
    if state.approver is None or state.unattended:
        # No person is present in an unattended turn: whatever approver a caller passed, it waits.
        return None, approval.id, preview, prepared.frozen
    choices = tuple((c.id, c.label) for c in choices_of(prepared.frozen))
    request = ApprovalRequest(approval.id, tool.name, preview, call.arguments, choices)
    decision = await state.approver(request)
    frozen = prepared.frozen
    if decision and request.deselected:
        frozen = state.store.approvals.deselect(approval.id, request.deselected, with_deselected).frozen
    if decision is not None:
        state.store.approvals.decide(approval.id, approved=decision, frontend=state.frontend)
    return decision, approval.id, preview, frozen


def current_taint(state: TurnState) -> list[str]:
    """Why untrusted content is in context now, for the user (never empty when it is)."""
    if state.taint:
        return list(state.taint)
    return [f"this session read the output of {o.tool}" for o in state.outcomes if o.untrusted][:3]


def record_waiting_call(
    store: Store,
    session_id: str,
    turn_id: str,
    call: ProposedToolCall,
    approval_id: str,
    *,
    direct: bool = False,
) -> None:
    """Store the call that waits for a decision: what `pa approve ID` finds to resume its turn."""
    data: dict[str, Any] = {
        "turn_id": turn_id,
        "arguments": call.arguments,
        "approval_id": approval_id,
        "state": "awaiting_approval",
    }
    if direct:
        data["direct"] = True
    store.messages.add(
        session_id,
        "tool",
        "awaiting approval",
        status="incomplete",
        tool_name=call.tool,
        tool_call_id=call.call_id,
        data=data,
    )


async def _record_waiting(state: TurnState, call: ProposedToolCall, approval_id: str) -> None:
    state.pending_approvals.append(approval_id)
    record_waiting_call(state.store, state.session_id, state.turn_id, call, approval_id)
    await state.emit(
        ToolCallFinished(
            call_id=call.call_id,
            tool=call.tool,
            ok=False,
            summary="awaiting approval",
            status="awaiting_approval",
        )
    )


async def _finish(
    state: TurnState, call: ProposedToolCall, result: ToolResult, status: str | None = None
) -> ToolOutcome:
    outcome = _outcome(call, result, call.arguments)
    taint = (result.taint or f"this session read the output of {call.tool}") if result.untrusted else None
    if taint is not None:
        state.step_taint.append(taint)
    state.store.messages.add(
        state.session_id,
        "tool",
        result.summary or ("ok" if result.ok else "failed"),
        tool_name=call.tool,
        tool_call_id=call.call_id,
        data={
            "turn_id": state.turn_id,
            "arguments": call.arguments,
            "ok": result.ok,
            "content": outcome.content,
            "untrusted": result.untrusted,
            **({"taint": taint} if taint else {}),
            "state": status or ("done" if result.ok else "failed"),
        },
    )
    final_status = status or ("done" if result.ok else "failed")
    await state.emit(
        ToolCallFinished(
            call_id=call.call_id,
            tool=call.tool,
            ok=result.ok,
            summary=result.summary,
            status=final_status,
        )
    )
    return outcome
