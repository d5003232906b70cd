"""Render a ``TurnContext`` into the BAML ``TurnInput``, and read JSON back out of raw replies.

Text from outside the user's control (tool results, earlier assistant and tool messages,
attached input) is placed inside ``<data>`` blocks by the prompt; here any look-alike of
those tags inside the text is neutralised so that a mail body cannot close the block and
pose as the user. Very long results are cut with a note saying so.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pa_cli.agent.llm_schema import schema_text
from pa_cli.agent.llm_signature import short_description, signature
from pa_cli.agent.llm_types import ToolSpec, TurnContext

MAX_TOOL_RESULT_CHARS = 24_000
MAX_HISTORY_TOOL_CHARS = 6_000
MAX_MESSAGE_CHARS = 32_000
MAX_ATTACHED_CHARS = 48_000

_TAGS = re.compile(r"<(/?)(data|user|assistant)\b", re.IGNORECASE)


def neutralize(text: str) -> str:
    """Make ``<data>``, ``<user>`` and ``<assistant>`` look-alikes harmless (``&lt;user>``)."""
    return _TAGS.sub(r"&lt;\1\2", text)


def clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n[... {len(text) - limit} more characters not shown]"


def local_time(now: datetime, timezone: str) -> datetime:
    try:
        return now.astimezone(ZoneInfo(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        return now


def describe_now(now: datetime, timezone: str) -> tuple[str, str]:
    """("Tuesday 24 November 2026, 09:30", "2026-11-24T09:30:00+01:00") in the user's zone."""
    local = local_time(now, timezone)
    return f"{local:%A} {local.day} {local:%B %Y, %H:%M}", local.isoformat(timespec="seconds")


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
        user_message=neutralize(clip(ctx.user_message, MAX_MESSAGE_CHARS)),
        attached_context=(
            neutralize(clip(ctx.attached_context, MAX_ATTACHED_CHARS)) if ctx.attached_context else None
        ),
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
