"""plan_* keep a per-session todo list; system_prompt_* show and (with approval) change the prompt."""

from __future__ import annotations

from pa_cli.tools.base import ToolContext, ToolResult
from pa_cli.tools.builtin import plan, system_prompt
from pa_cli.tools.registry import ToolRegistry, execute_tool

REGISTRY = ToolRegistry.from_tools([t() for t in (*plan.TOOLS, *system_prompt.TOOLS)])


async def call(ctx: ToolContext, name: str, **arguments: object) -> ToolResult:
    return await execute_tool(REGISTRY.get(name), arguments, ctx)


async def test_plan_update_stores_the_plan_for_the_session(ctx: ToolContext) -> None:
    steps = [
        {"title": "find the thread", "status": "done"},
        {"title": "draft the reply", "status": "in_progress"},
        {"title": "send it", "status": "pending"},
    ]
    result = await call(ctx, "plan_update", steps=steps)
    assert result.ok and result.summary == "plan: 1 of 3 steps done; now: draft the reply"
    assert result.content["text"] == "[x] find the thread\n[~] draft the reply\n[ ] send it"
    assert ctx.session_id is not None and ctx.store.plans.get(ctx.session_id) == steps
    shown = await call(ctx, "plan_show")
    assert shown.content["steps"] == steps and shown.summary == result.summary


async def test_plans_belong_to_one_session(ctx: ToolContext) -> None:
    await call(ctx, "plan_update", steps=[{"title": "one", "status": "pending"}])
    other = ctx.store.sessions.create(ctx.user_id)
    other_ctx = ToolContext(settings=ctx.settings, store=ctx.store, user_id=ctx.user_id, session_id=other.id)
    shown = await call(other_ctx, "plan_show")
    assert shown.ok and shown.content["steps"] == [] and shown.summary == "the plan is empty"


async def test_plan_update_rejects_an_unknown_status(ctx: ToolContext) -> None:
    result = await call(ctx, "plan_update", steps=[{"title": "x", "status": "started"}])
    assert not result.ok
    assert result.summary.startswith("invalid arguments: steps.0.status: Input should be 'pending'")
    assert ctx.session_id is not None and ctx.store.plans.get(ctx.session_id) == []


async def test_plan_needs_a_session(ctx: ToolContext) -> None:
    no_session = ToolContext(settings=ctx.settings, store=ctx.store, user_id=ctx.user_id)
    result = await call(no_session, "plan_show")
    assert not result.ok and "no chat session" in result.summary


async def test_system_prompt_show_reports_the_default(ctx: ToolContext) -> None:
    result = await call(ctx, "system_prompt_show")
    assert result.ok and result.content == {"system_prompt": None, "is_default": True}


async def test_system_prompt_update_previews_old_and_new_then_stores(ctx: ToolContext) -> None:
    tool = REGISTRY.get("system_prompt_update")
    assert tool.side_effect
    args = tool.args_model.model_validate({"text": "Answer in French."})
    preview = await tool.preview(args, ctx)
    assert "--- current\n(pa's default system prompt)" in preview and "+++ new\nAnswer in French." in preview

    result = await execute_tool(
        tool, {"text": "Answer in French."}, ctx, approval_id="abc123", preview=preview
    )
    assert result.ok and ctx.store.agent_configs.get(ctx.user_id).system_prompt == "Answer in French."
    shown = await call(ctx, "system_prompt_show")
    assert shown.content == {"system_prompt": "Answer in French.", "is_default": False}

    second = await tool.preview(tool.args_model.model_validate({"text": "Be brief."}), ctx)
    assert "--- current\nAnswer in French." in second and "+++ new\nBe brief." in second

    close, begin = [e for e in ctx.store.audit.list(user_id=ctx.user_id) if e.tool == "system_prompt_update"]
    assert begin.approval_id == "abc123" and begin.preview == preview and begin.outcome == "executing"
    assert (close.approval_id, close.ref_id, close.outcome) == ("abc123", begin.id, "executed")


async def test_system_prompt_update_refuses_empty_text(ctx: ToolContext) -> None:
    result = await call(ctx, "system_prompt_update", text="")
    assert not result.ok and "text: String should have at least 1 character" in result.summary
