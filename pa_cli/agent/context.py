"""What the LLM is shown each step: system prompt, time, tools, history, plan, this turn's tool results."""

from __future__ import annotations

import contextlib
import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from pa_cli.agent.llm import HistoryItem, ToolSpec, TurnContext
    from pa_cli.agent.state import TurnState
    from pa_cli.config import Settings
    from pa_cli.store import Store
    from pa_cli.tools.registry import ToolRegistry

DEFAULT_SYSTEM_PROMPT = (
    "You are pa, a personal assistant that lives in the user's terminal. You help with their mail, "
    "calendar, notes and plans. Be concise and concrete. Use tools when they help; never invent mail, "
    "events or facts you have not read. Actions that send, create, change or delete anything are "
    "shown to the user for approval before they run."
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
    from pa_cli.agent.llm import HistoryItem

    items: list[HistoryItem] = []
    for message in store.messages.list(session_id):
        data = message.data or {}
        if before_turn is not None and data.get("turn_id") == before_turn:
            break
        if message.role == "tool":
            items.append(HistoryItem(role="tool", content=f"{message.tool_name}: {message.content}"))
        elif message.role == "user":
            items.append(HistoryItem(role="user", content=message.content))
        elif message.role == "assistant":
            suffix = " [answer interrupted]" if message.status == "incomplete" else ""
            items.append(HistoryItem(role="assistant", content=message.content + suffix))
    return items[-HISTORY_LIMIT:]


def tool_specs(registry: ToolRegistry, settings: Settings, store: Store, user_id: int) -> list[ToolSpec]:
    from pa_cli.agent.catalog import tool_availability
    from pa_cli.agent.llm import ToolSpec

    specs = []
    tools = registry.all()
    availability = tool_availability(tools, settings, store, user_id)
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
        state.tool_specs = tool_specs(state.registry, state.settings, state.store, state.user_id)
    return state.tool_specs


def build_turn_context(state: TurnState) -> TurnContext:
    from pa_cli.agent.llm import TurnContext

    zone = user_timezone(state.settings)
    return TurnContext(
        system_prompt=state.system_prompt,
        now=datetime.now(zone),
        timezone=zone.key,
        tools=turn_tool_specs(state),
        history=state.history,
        plan=state.store.plans.get(state.session_id),
        user_message=state.user_message,
        attached_context=state.attached_context,
        tool_outcomes=list(state.outcomes),
    )
