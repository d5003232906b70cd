"""plan_update, plan_show: the per-session todo list the agent keeps for multi-step work."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

from pa_cli.tools.base import NoArgs, Tool, ToolArgs, ToolContext, ToolError, ToolResult

MAX_STEPS = 50
MAX_TITLE_CHARS = 500

StepStatus = Literal["pending", "in_progress", "done"]
_MARKS: dict[str, str] = {"pending": "[ ]", "in_progress": "[~]", "done": "[x]"}


class PlanStep(ToolArgs):
    title: str = Field(min_length=1, max_length=MAX_TITLE_CHARS, description="what this step does")
    status: StepStatus = Field("pending", description="pending, in_progress or done")


class PlanUpdateArgs(ToolArgs):
    steps: list[PlanStep] = Field(
        max_length=MAX_STEPS, description="the whole plan, in order; it replaces the previous one"
    )


def _session(ctx: ToolContext) -> str:
    if ctx.session_id is None:
        raise ToolError("there is no chat session, so there is no plan to keep")
    return ctx.session_id


def render_plan(steps: list[dict[str, Any]]) -> str:
    """The plan as a short checklist, one line per step."""
    return "\n".join(f"{_MARKS.get(str(s.get('status')), '[ ]')} {s.get('title', '')}" for s in steps)


def _summary(steps: list[dict[str, Any]]) -> str:
    if not steps:
        return "the plan is empty"
    done = sum(1 for s in steps if s.get("status") == "done")
    current = next((s.get("title") for s in steps if s.get("status") == "in_progress"), None)
    text = f"plan: {done} of {len(steps)} steps done"
    return f"{text}; now: {current}" if current else text


class PlanUpdate(Tool):
    name = "plan_update"
    description = (
        "Write the plan for a request that takes several steps: the whole ordered list of steps, each "
        "with a title and a status (pending, in_progress or done). It replaces the previous plan of this "
        "chat session. Update it as steps are started and finished; send an empty list to clear it."
    )
    args_model: ClassVar[type[BaseModel]] = PlanUpdateArgs

    async def run(self, args: Any, ctx: ToolContext) -> ToolResult:
        assert isinstance(args, PlanUpdateArgs)
        steps = [step.model_dump() for step in args.steps]
        ctx.store.plans.set(_session(ctx), steps)
        return ToolResult(content={"steps": steps, "text": render_plan(steps)}, summary=_summary(steps))


class PlanShow(Tool):
    name = "plan_show"
    description = "Show the current plan of this chat session: its steps and their status."
    args_model: ClassVar[type[BaseModel]] = NoArgs

    async def run(self, args: Any, ctx: ToolContext) -> ToolResult:
        steps = ctx.store.plans.get(_session(ctx))
        return ToolResult(content={"steps": steps, "text": render_plan(steps)}, summary=_summary(steps))


TOOLS: tuple[type[Tool], ...] = (PlanUpdate, PlanShow)
