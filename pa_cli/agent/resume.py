"""Resuming a turn after a decision on one of its approvals (`pa approve ID`, the HTTP approvals route).

The turn is rebuilt from the database alone (its user message, the tool
results it already had, the call that waited), so any process can resume it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pa_cli.agent.events import Done, ToolCallFinished, ToolCallStarted
from pa_cli.agent.state import TurnState
from pa_cli.errors import PaError

if TYPE_CHECKING:
    from pa_cli.agent.llm import HistoryItem, ToolOutcome
    from pa_cli.store import Store


@dataclass
class ResumePlan:
    approval: Any
    waiting_message: Any
    turn_id: str
    user_message: str
    context: str | None
    history: list[HistoryItem]
    outcomes: list[ToolOutcome] = field(default_factory=list)
    tools_used: list[str] = field(default_factory=list)
    still_pending: list[str] = field(default_factory=list)
    #: Why untrusted content is in the resumed turn's context (its history and its own tool results).
    taint: list[str] = field(default_factory=list)


def prepare_resume(store: Store, approval: Any) -> ResumePlan:
    from pa_cli.agent.context import load_history_and_taint
    from pa_cli.agent.llm import ToolOutcome

    if approval.session_id is None:
        raise PaError(f"approval {approval.id} has no turn to resume (its session was deleted)")
    messages = store.messages.list(approval.session_id)
    waiting = next((m for m in messages if (m.data or {}).get("approval_id") == approval.id), None)
    if waiting is None or not waiting.data:
        raise PaError(f"approval {approval.id} has no turn to resume")
    turn_id = str(waiting.data["turn_id"])
    history, taint = load_history_and_taint(store, approval.session_id, before_turn=turn_id)
    plan = ResumePlan(approval, waiting, turn_id, "", None, history, taint=taint)
    for m in messages:
        data = m.data or {}
        if data.get("turn_id") != turn_id:
            continue
        if m.role == "user":
            plan.user_message, plan.context = m.content, data.get("context")
        elif m.role == "tool" and data.get("state") in ("done", "failed", "denied"):
            plan.outcomes.append(
                ToolOutcome(
                    tool=m.tool_name or "",
                    arguments=data.get("arguments") or {},
                    ok=bool(data.get("ok")),
                    content=str(data.get("content") or m.content),
                    untrusted=bool(data.get("untrusted")),
                )
            )
            if data.get("untrusted"):
                reason = str(data.get("taint") or f"this session read the output of {m.tool_name}")
                if reason not in plan.taint:
                    plan.taint.append(reason)
            if data.get("state") == "done" and m.tool_name and m.tool_name not in plan.tools_used:
                plan.tools_used.append(m.tool_name)
        elif m.role == "tool" and data.get("state") == "awaiting_approval" and m.id != waiting.id:
            plan.still_pending.append(data["approval_id"])
    return plan


async def run_decided_call(state: TurnState, plan: ResumePlan) -> bool:
    """Run (or record the denial of) the decided call; False when other approvals still hold the turn."""
    from pa_cli.agent.tool_step import result_text, tool_context
    from pa_cli.store import arguments_digest
    from pa_cli.tools.base import ToolResult
    from pa_cli.tools.policy import disabled_reason
    from pa_cli.tools.registry import audit_refusal, execute_tool

    approval, waiting = plan.approval, plan.waiting_message
    arguments = (waiting.data or {}).get("arguments") or {}
    call_id = waiting.tool_call_id or approval.id
    await state.emit(ToolCallStarted(call_id=call_id, tool=approval.tool, arguments=arguments))
    tool = state.registry.find(approval.tool)
    ctx = tool_context(state)
    disabled = disabled_reason(approval.tool, state.enabled_tools)
    refusal: str | None = None
    if approval.status != "approved":
        result = ToolResult(ok=False, summary="the user denied this action; it did not run")
        status, refusal = "denied", "denied"
    elif tool is None or disabled is not None:
        why = disabled or f"{approval.tool} is no longer available"
        result = ToolResult(ok=False, summary=f"{why}; it did not run")
        status, refusal = "failed", "refused"
    elif arguments_digest(arguments) != approval.arguments_hash:
        result = ToolResult(ok=False, summary="the arguments changed after approval; it did not run")
        status, refusal = "failed", "refused"
    else:
        if tool.name not in state.tools_used:
            state.tools_used.append(tool.name)
        result = await execute_tool(
            tool,
            arguments,
            ctx,
            approval_id=approval.id,
            preview=approval.preview,
            frozen=approval.frozen,
        )
        status = "done" if result.ok else "failed"
    if refusal is not None:
        audit_refusal(
            approval.tool, arguments, ctx, refusal, approval_id=approval.id, preview=approval.preview
        )
    taint = (result.taint or f"this session read the output of {approval.tool}") if result.untrusted else None
    if taint is not None:
        state.add_taint([taint])
    from pa_cli.agent.llm import ToolOutcome

    content = result_text(result)
    state.store.messages.update(
        waiting.id,
        content=result.summary,
        status="complete",
        data={
            **(waiting.data or {}),
            "ok": result.ok,
            "content": content,
            "untrusted": result.untrusted,
            **({"taint": taint} if taint else {}),
            "state": status,
        },
    )
    state.outcomes.append(
        ToolOutcome(
            tool=approval.tool, arguments=arguments, ok=result.ok, content=content, untrusted=result.untrusted
        )
    )
    await state.emit(
        ToolCallFinished(
            call_id=call_id, tool=approval.tool, ok=result.ok, summary=result.summary, status=status
        )
    )
    if (waiting.data or {}).get("direct"):
        # `pa tools run`: the decided call was the whole "turn".
        state.finished = True
        await state.emit(
            Done(response=result.summary, session_id=state.session_id, tools_used=state.tools_used)
        )
        return False
    pending = [a for a in plan.still_pending if _is_pending(state, a)]
    if pending:
        state.finished = True
        await state.emit(
            Done(
                response="",
                session_id=state.session_id,
                tools_used=state.tools_used,
                pending_approvals=pending,
            )
        )
        return False
    return True


def _is_pending(state: TurnState, approval_id: str) -> bool:
    approval = state.store.approvals.get(approval_id)
    return approval is not None and approval.status == "pending"
