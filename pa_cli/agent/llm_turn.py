"""Render a ``TurnContext`` into the BAML ``TurnInput``, and read JSON back out of raw replies.

Text from outside the user's control (tool results, earlier assistant and tool messages,
attached input) is placed inside ``<data>`` blocks by the prompt; here any look-alike of
those tags inside the text is neutralised so that a mail body cannot close the block and
pose as the user. Very long results are cut with a note saying so.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pa_cli.agent.llm_schema import schema_text
from pa_cli.agent.llm_signature import short_description, signature
from pa_cli.agent.llm_types import ToolSpec, TurnContext
from pa_cli.agent.prompt_text import (
    MAX_HISTORY_TOOL_CHARS,
    MAX_MESSAGE_CHARS,
    MAX_TOOL_RESULT_CHARS,
    attached_text,
    clip,
    describe_now,
    neutralize,
    user_message_text,
)

__all__ = ["clip", "describe_now", "extract_json", "neutralize", "tool_info", "turn_input"]


def _arguments_text(arguments: dict[str, Any]) -> str:
    return json.dumps(arguments, ensure_ascii=False, default=str)


def tool_info(types: Any, spec: ToolSpec, *, compact: bool = False) -> Any:
    """What the prompt says about a tool: its full JSON schema, or (``compact``) a one-line signature."""
    return types.ToolInfo(
        name=spec.name,
        description=short_description(spec.description) if compact else spec.description,
        parameters=signature(spec.parameters) if compact else schema_text(spec.parameters),
        side_effect=spec.side_effect,
        available=spec.available,
        note=spec.note,
    )


def turn_input(
    types: Any, ctx: TurnContext, feedback: str | None, *, tools: list[ToolSpec] | None = None
) -> Any:
    today, now = describe_now(ctx.now, ctx.timezone)
    history = [
        types.HistoryEntry(
            role=item.role,
            content=neutralize(
                clip(item.content, MAX_HISTORY_TOOL_CHARS if item.role == "tool" else MAX_MESSAGE_CHARS)
            ),
        )
        for item in ctx.history
    ]
    outcomes = [
        types.ToolOutcomeInfo(
            tool=outcome.tool,
            arguments=neutralize(_arguments_text(outcome.arguments)),
            ok=outcome.ok,
            content=neutralize(clip(outcome.content, MAX_TOOL_RESULT_CHARS)),
            untrusted=outcome.untrusted,
        )
        for outcome in ctx.tool_outcomes
    ]
    plan = [
        types.PlanStep(title=str(step.get("title", "")), status=str(step.get("status", "pending")))
        for step in ctx.plan
        if isinstance(step, dict)
    ]
    return types.TurnInput(
        system_prompt=ctx.system_prompt,
        today=today,
        now=now,
        timezone=ctx.timezone,
        tools=[tool_info(types, spec, compact=True) for spec in (ctx.tools if tools is None else tools)],
        skills=[types.SkillInfo(name=name, description=text) for name, text in ctx.skills],
        history=history,
        plan=plan,
        user_message=user_message_text(ctx.user_message),
        attached_context=attached_text(ctx.attached_context) if ctx.attached_context else None,
        tool_outcomes=outcomes,
        feedback=feedback,
        memories=[
            types.MemoryNote(id=m.id, text=neutralize(m.text), untrusted=m.untrusted) for m in ctx.memories
        ]
        or None,
    )


_FENCE = re.compile(r"```(?:json)?\s*\n(.*?)```", re.DOTALL)


def extract_json(text: str | None) -> dict[str, Any] | None:
    """The JSON object a reply holds (bare, in a ``` fence, or after some prose), or None.

    Only the first ``{`` of each candidate is tried: when the outer object is not strict
    JSON, an inner object that is must not be mistaken for the reply.
    """
    if not text:
        return None
    decoder = json.JSONDecoder()
    for candidate in [m.group(1) for m in _FENCE.finditer(text)] + [text]:
        start = candidate.find("{")
        if start < 0:
            continue
        try:
            value, _ = decoder.raw_decode(candidate, start)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None
