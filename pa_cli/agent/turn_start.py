"""A turn's start through the ORM store: its session, the user's message, and what its first request reads.

``pa ask`` on a SQLite file at the current schema starts lighter (``agent.early``); every other turn
(the server, the TUI, PostgreSQL, a first run) starts here, on a worker thread.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pa_cli.config import Settings
    from pa_cli.store import Store
    from pa_cli.tools.registry import ToolRegistry


@dataclass
class BegunTurn:
    user_id: int
    session_id: str
    resumed: bool
    turn_id: str
    history: list[Any]
    taint: list[str]
    config: tuple[str | None, list[str] | None]
    tool_specs: list[Any]
    plan: list[dict[str, Any]]


def begin_turn(
    store: Store,
    registry: ToolRegistry,
    settings: Settings,
    message: str,
    session_id: str | None,
    continue_last: bool,
    context: str | None,
    user_id: int | None,
) -> BegunTurn:
    """The turn's session and user message written, and everything its first LLM request reads."""
    from pa_cli.agent.context import load_history_and_taint, tool_specs

    uid = user_id if user_id is not None else store.users.local_user().id
    session, resumed = session_for(store, uid, session_id, continue_last, message)
    turn_id = uuid.uuid4().hex
    history, taint = load_history_and_taint(store, session.id)
    store.messages.add(
        session.id,
        "user",
        message,
        data={"turn_id": turn_id, **({"context": context} if context else {})},
    )
    config = store.agent_configs.get(uid)
    enabled = None if config.enabled_tools is None else frozenset(config.enabled_tools)
    return BegunTurn(
        user_id=uid,
        session_id=session.id,
        resumed=resumed,
        turn_id=turn_id,
        history=history,
        taint=taint,
        config=(config.system_prompt, config.enabled_tools),
        tool_specs=tool_specs(registry, settings, store, uid, enabled),
        plan=store.plans.get(session.id),
    )


def session_for(store: Store, user_id: int, session_id: str | None, continue_last: bool, message: str) -> Any:
    """(session, resumed): the one named (by id or unique prefix), the latest with ``-c``, else a new one."""
    if session_id:
        from pa_cli.ids import resolve_session

        return resolve_session(store, user_id, session_id), True
    if continue_last:
        session = store.sessions.latest(user_id)
        if session is not None:
            return session, True
    title = " ".join(message.split())[:60]
    return store.sessions.create(user_id, title=title), False
