"""What the LLM is shown each step: system prompt, time, tools, history, plan, this turn's tool results."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Collection, Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from pa_cli.agent.llm import HistoryItem, ToolSpec, TurnContext
    from pa_cli.agent.state import TurnState
    from pa_cli.config import Settings
    from pa_cli.store import Store
    from pa_cli.tools.registry import ToolRegistry

#: Short on purpose: the prompt's rules (baml_src) already say never to invent facts and that side
#: effects wait for the user's approval; every character here is paid on every step.
DEFAULT_SYSTEM_PROMPT = (
    "You are pa, a personal assistant in the user's terminal, for their mail, calendar, notes and "
    "plans. Be concise and concrete; use tools when they help."
)
HISTORY_LIMIT = 40


def system_timezone_name() -> str:
    """The machine's IANA zone: $TZ, /etc/timezone, the /etc/localtime link, else UTC."""
    tz = os.environ.get("TZ", "").lstrip(":")
    candidates = [tz] if tz else []
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    try:
        target = os.readlink("/etc/localtime")
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    except OSError:
        pass
    for name in candidates:
        try:
            ZoneInfo(name)
            return name
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return "UTC"


def user_timezone(settings: Settings) -> ZoneInfo:
    return ZoneInfo(settings.user.timezone or system_timezone_name())


def load_history(store: Store, session_id: str, *, before_turn: str | None = None) -> list[HistoryItem]:
    """Earlier turns of the session, oldest first, as the LLM sees them (tool results summarised)."""
    return load_history_and_taint(store, session_id, before_turn=before_turn)[0]


def load_history_and_taint(
    store: Store, session_id: str, *, before_turn: str | None = None
) -> tuple[list[HistoryItem], list[str]]:
    """The history the LLM sees, and why untrusted content is in it (empty: none is).

    A turn that read untrusted content (a tool message marked ``untrusted``) taints every message
    of that turn (its answer was written with the content in view): the history is tainted while
    any message of such a turn is still among the ones the LLM is shown.
    """
    return history_of_messages(store.messages.list(session_id), before_turn=before_turn)


def history_of_messages(
    messages: Iterable[Any], *, before_turn: str | None = None
) -> tuple[list[HistoryItem], list[str]]:
    """``load_history_and_taint`` on messages read already (``store.Message`` or the light read's rows)."""
    from pa_cli.agent.llm import HistoryItem

    taint_of_turn: dict[str, list[str]] = {}
    shown: list[tuple[HistoryItem, str | None]] = []
    for message in messages:
        data = message.data or {}
        turn = data.get("turn_id")
        if before_turn is not None and turn == before_turn:
            break
        if message.role == "tool":
            if data.get("untrusted") and turn is not None:
                reason = str(data.get("taint") or f"this session read the output of {message.tool_name}")
                reasons = taint_of_turn.setdefault(str(turn), [])
                if reason not in reasons:
                    reasons.append(reason)
            item = HistoryItem(role="tool", content=f"{message.tool_name}: {message.content}")
        elif message.role == "user":
            item = HistoryItem(role="user", content=message.content)
        elif message.role == "assistant":
            suffix = " [answer interrupted]" if message.status == "incomplete" else ""
            item = HistoryItem(role="assistant", content=message.content + suffix)
        else:
            continue
        shown.append((item, str(turn) if turn is not None else None))
    window = shown[-HISTORY_LIMIT:]
    taint: list[str] = []
    for turn in dict.fromkeys(t for _, t in window if t is not None):
        for reason in taint_of_turn.get(turn, ()):
            if reason not in taint:
                taint.append(reason)
    return [item for item, _ in window], taint


def tool_specs(
    registry: ToolRegistry,
    settings: Settings,
    store: Store | None,
    user_id: int,
    enabled_tools: Collection[str] | None = None,
    grants: dict[str, frozenset[str]] | None = None,
) -> list[ToolSpec]:
    """The tools offered to the LLM: the registry's, limited to ``enabled_tools`` when the user set them.

    ``store`` may be None when ``grants`` (service -> scopes) were read already."""
    from pa_cli.agent.catalog import tool_availability
    from pa_cli.agent.llm import ToolSpec

    specs = []
    tools = [t for t in registry.all() if enabled_tools is None or t.name in enabled_tools]
    availability = tool_availability(tools, settings, store, user_id, grants)
    for tool in tools:
        available, note = availability[tool.name]
        specs.append(
            ToolSpec(
                name=tool.name,
                description=tool.description,
                parameters=tool.json_schema(),
                side_effect=tool.side_effect,
                available=available,
                note=note,
            )
        )
    return specs


def turn_tool_specs(state: TurnState) -> list[ToolSpec]:
    if state.tool_specs is None:
        state.tool_specs = tool_specs(
            state.registry, state.settings, state.store, state.user_id, state.enabled_tools
        )
    return state.tool_specs


def turn_skills(state: TurnState) -> list[tuple[str, str]]:
    """One line per skill, offered only while skill_read is among the turn's tools."""
    if not any(spec.name == "skill_read" and spec.available for spec in turn_tool_specs(state)):
        return []
    if state.skills is None:
        from pa_cli.skills import load_skills, one_line

        paths = state.settings.paths
        state.skills = one_line(load_skills(paths.skills_dir if paths is not None else None).all())
    return state.skills


def turn_plan(state: TurnState) -> list[dict[str, Any]]:
    """The session's plan; the first step of a turn uses the one read before the store opened."""
    if state.initial_plan is not None:
        plan, state.initial_plan = state.initial_plan, None
        return plan
    return state.store.plans.get(state.session_id)


def build_turn_context(state: TurnState) -> TurnContext:
    from pa_cli.agent.llm import TurnContext
    from pa_cli.agent.request_ahead import take_started_at

    zone = user_timezone(state.settings)
    started = take_started_at()  # the clock the request sent ahead was filled with, if any
    return TurnContext(
        skills=turn_skills(state),
        system_prompt=state.system_prompt,
        now=started.astimezone(zone) if started is not None else datetime.now(zone),
        timezone=zone.key,
        tools=turn_tool_specs(state),
        history=state.history,
        plan=turn_plan(state),
        user_message=state.user_message,
        attached_context=state.attached_context,
        tool_outcomes=list(state.outcomes),
        memories=state.memories,
    )
