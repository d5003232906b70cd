"""system_prompt_show, system_prompt_update: the user's own instructions to the assistant.

The prompt is stored per user in ``agent_configs``; ``None`` means pa's default.
Changing it changes how the assistant behaves in every later turn, so
``system_prompt_update`` is a side effect: the user approves the exact text,
shown next to the current one.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, Field

from pa_cli.tools.base import NoArgs, Tool, ToolArgs, ToolContext, ToolResult

MAX_PROMPT_CHARS = 20_000
DEFAULT_LABEL = "(pa's default system prompt)"


class SystemPromptUpdateArgs(ToolArgs):
    text: str = Field(min_length=1, max_length=MAX_PROMPT_CHARS, description="the complete new system prompt")


def _current(ctx: ToolContext) -> str | None:
    return ctx.store.agent_configs.get(ctx.user_id).system_prompt


class SystemPromptShow(Tool):
    name = "system_prompt_show"
    description = (
        "Show the user's custom system prompt. It holds their standing instructions for the assistant."
    )
    args_model: ClassVar[type[BaseModel]] = NoArgs

    async def run(self, args: Any, ctx: ToolContext) -> ToolResult:
        current = _current(ctx)
        if current is None:
            return ToolResult(
                content={"system_prompt": None, "is_default": True},
                summary="no custom system prompt: pa's default is in use",
            )
        return ToolResult(
            content={"system_prompt": current, "is_default": False},
            summary=f"custom system prompt ({len(current)} characters)",
        )


class SystemPromptUpdate(Tool):
    name = "system_prompt_update"
    description = (
        "Replace the user's system prompt with a complete new text. It holds their standing instructions "
        "for every later conversation. Needs the user's approval. Show the current one first with system_prompt_show "
        "if you mean to edit rather than replace it."
    )
    args_model: ClassVar[type[BaseModel]] = SystemPromptUpdateArgs
    side_effect = True

    async def preview(self, args: Any, ctx: ToolContext) -> str:
        assert isinstance(args, SystemPromptUpdateArgs)
        current = _current(ctx)
        old = DEFAULT_LABEL if current is None else current
        return f"Replace the system prompt.\n\n--- current\n{old}\n\n+++ new\n{args.text}"

    async def run(self, args: Any, ctx: ToolContext) -> ToolResult:
        assert isinstance(args, SystemPromptUpdateArgs)
        ctx.store.agent_configs.update(ctx.user_id, system_prompt=args.text)
        return ToolResult(
            content={"system_prompt": args.text},
            summary=f"system prompt updated ({len(args.text)} characters)",
        )


TOOLS: tuple[type[Tool], ...] = (SystemPromptShow, SystemPromptUpdate)
