"""Running one tool directly (`pa tools run`, the server's tool routes), approvals included.

A direct run is recorded like a one-call turn in its own session of kind
"tool_run", so that `pa approve ID` can resume it from any process; such
sessions are not chats and stay out of history listings and the TUI sidebar.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from pa_cli.errors import NotFoundError, UsageError
from pa_cli.tools.base import ToolContext, ToolResult

if TYPE_CHECKING:
    from pa_cli.agent.state import Approver
    from pa_cli.config import Settings
    from pa_cli.store import Store
    from pa_cli.tools.base import ToolGuard
    from pa_cli.tools.registry import ToolRegistry


@dataclass
class DirectRun:
    result: ToolResult | None
    session_id: str
    pending_approval: str | None = None
    preview: str | None = None


async def run_tool_directly(
    settings: Settings,
    store: Store,
    registry: ToolRegistry,
    name: str,
    arguments: dict[str, Any],
    *,
    approver: Approver | None,
    frontend: str = "cli",
    user_id: int | None = None,
    client_id: str | None = None,
    untrusted_in_context: bool = False,
    guard: ToolGuard | None = None,
) -> DirectRun:
    """Run one tool now, or store its approval; ``untrusted_in_context``: the caller's model may have
    read untrusted content (an MCP client's context is unknown to pa), so ``allow`` asks for side effects;
    ``guard`` runs before the tool does (the server's per-device tool limit, for ``/mcp``)."""
    from pa_cli.agent.state import ApprovalRequest
    from pa_cli.tools.policy import decide_policy, disabled_reason
    from pa_cli.tools.registry import audit_refusal, execute_tool

    tool = registry.find(name)
    if tool is None:
        raise NotFoundError(f"no tool named {name!r} (see `pa tools list`)")
    try:
        args = tool.args_model.model_validate(arguments)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "arguments"
        raise UsageError(f"{name}: {where}: {first['msg']}") from None
    uid = user_id if user_id is not None else store.users.local_user().id
    session = store.sessions.create(uid, title=f"pa tools run {name}", kind="tool_run")
    turn_id = uuid.uuid4().hex
    call_id = uuid.uuid4().hex[:12]
    normalized = args.model_dump(mode="json", exclude_none=True)
    ctx = ToolContext(
        settings=settings,
        store=store,
        user_id=uid,
        session_id=session.id,
        frontend=frontend,
        client_id=client_id,
        guard=guard,
    )
    store.messages.add(session.id, "user", f"pa tools run {name}", data={"turn_id": turn_id, "direct": True})
    disabled = disabled_reason(name, store.agent_configs.get(uid).enabled_tools)
    if disabled is not None:
        audit_refusal(name, normalized, ctx, "refused")
        raise UsageError(disabled)
    policy = decide_policy(tool, settings, untrusted_in_context)
    if policy == "deny":
        audit_refusal(name, normalized, ctx, "refused")
        raise UsageError(f"{name} is denied by policy (tools.policy.{name})")
    approval_id = preview = None
    frozen: dict[str, Any] | None = None
    if policy == "ask":  # side effects by default; any tool configured "ask"
        try:
            prepared = await tool.prepare(args, ctx)
        except Exception:
            audit_refusal(name, normalized, ctx, "failed")
            raise
        preview, frozen = prepared.preview, prepared.frozen
        approval = store.approvals.create(
            user_id=uid,
            session_id=session.id,
            tool=name,
            arguments=normalized,
            preview=preview,
            frozen=frozen,
            tool_call_id=call_id,
        )
        decision = (
            await approver(ApprovalRequest(approval.id, name, preview, normalized)) if approver else None
        )
        if decision is None:
            from pa_cli.agent.state import ProposedToolCall
            from pa_cli.agent.tool_step import record_waiting_call

            call = ProposedToolCall(call_id=call_id, tool=name, arguments=normalized)
            record_waiting_call(store, session.id, turn_id, call, approval.id, direct=True)
            return DirectRun(None, session.id, pending_approval=approval.id, preview=preview)
        store.approvals.decide(approval.id, approved=decision, frontend=frontend)
        if not decision:
            audit_refusal(name, normalized, ctx, "denied", approval_id=approval.id, preview=preview)
            return DirectRun(ToolResult(ok=False, summary="denied: it did not run"), session.id)
        approval_id = approval.id
    result = await execute_tool(
        tool, normalized, ctx, approval_id=approval_id, preview=preview, frozen=frozen
    )
    store.messages.add(
        session.id,
        "tool",
        result.summary or ("ok" if result.ok else "failed"),
        tool_name=name,
        tool_call_id=call_id,
        data={
            "turn_id": turn_id,
            "arguments": normalized,
            "ok": result.ok,
            "state": "done" if result.ok else "failed",
        },
    )
    return DirectRun(result, session.id)
