"""``routine_report``: how a routine's turn says, in a structured field, whether anything needs the user.

Offered only in a routine's turn (the runner adds it to that turn's registry).
"Nothing needs you" is the boolean ``needs_attention = false``, never a phrase
matched in the answer, so a real finding cannot be swallowed by wording. A run
that never calls it, fails, or leaves an approval waiting needs attention.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, Field

from pa_cli.tools.base import Tool, ToolArgs, ToolContext, ToolResult

REPORT_TOOL = "routine_report"


class RoutineReportArgs(ToolArgs):
    needs_attention: bool = Field(
        description="true when anything in this run needs the user; false: nothing does"
    )
    summary: str = Field(
        min_length=1, max_length=2000, description="one or two lines: what the user should know"
    )


class RoutineReport(Tool):
    name = REPORT_TOOL
    description = (
        "End a scheduled routine's run: say whether anything needs the user (needs_attention) and sum up "
        "the findings in one or two lines. Call it once, after the checks, then give your answer."
    )
    args_model: ClassVar[type[BaseModel]] = RoutineReportArgs

    async def run(self, args: Any, ctx: ToolContext) -> ToolResult:
        assert isinstance(args, RoutineReportArgs)
        return ToolResult(
            content={"needs_attention": args.needs_attention, "summary": args.summary},
            summary="reported: " + ("needs the user" if args.needs_attention else "nothing needs the user"),
        )
