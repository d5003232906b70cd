"""What the TUI reads and changes outside a turn, through the service's store and pa_cli.history.

Every method is synchronous (database, keyring, OAuth loopback): the app calls
them from threads (``asyncio.to_thread`` / thread workers), never on its loop.
The service may still be opening (``ServiceOpening``): a method then waits for it,
and re-raises its error when it could not be opened.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pa_cli.agent.opening import ServiceOpening
    from pa_cli.agent.service import AgentService
    from pa_cli.history import History, MessageView, SessionSummary
    from pa_cli.memory.book import MemoryBook


@dataclass
class SessionView:
    id: str
    title: str
    messages: list[Any]
    plan: list[dict[str, str]] = field(default_factory=list)


class ChatData:
    def __init__(self, opening: ServiceOpening) -> None:
        self.opening = opening

    @property
    def service(self) -> AgentService:
        """The service, once open (waits for it: call from a thread)."""
        return self.opening.result()

    @cached_property
    def user_id(self) -> int:
        return self.service.store.users.local_user().id

    @cached_property
    def history(self) -> History:
        from pa_cli.history import History

        return History(self.service.store, self.user_id)

    def sessions(self, limit: int = 50) -> list[SessionSummary]:
        return self.history.list_sessions(limit=limit)

    def resolve(self, session_id: str) -> str:
        """A full session id from an id or a unique prefix (NotFoundError otherwise)."""
        return str(self.history.resolve(session_id).id)

    def open_session(self, session_id: str) -> SessionView:
        store = self.service.store
        session = self.history.resolve(session_id)
        return SessionView(
            id=session.id,
            title=session.title or "(untitled)",
            messages=store.messages.list(session.id),
            plan=store.plans.get(session.id),
        )

    def routines(self) -> list[dict[str, Any]]:
        from pa_cli.routines.manage import routine_view

        store = self.service.store
        return [routine_view(self.service.settings, r) for r in store.routines.list(self.user_id)]

    def run_routine(self, name: str) -> Any:
        """Run the routine now (unattended: its side effects wait for approval); its ``RunResult``."""
        import asyncio

        from pa_cli.routines.manage import find_routine
        from pa_cli.routines.runner import RoutineRunner

        service = self.service
        routine = find_routine(service.store, self.user_id, name)
        runner = RoutineRunner(
            service.settings, service.store, service.registry, llm_factory=service._llm_factory
        )
        return asyncio.run(runner.run_now(routine))

    def search(self, query: str) -> list[MessageView]:
        return self.history.search(query, limit=50)

    def tools(self) -> list[dict[str, Any]]:
        from pa_cli.agent.catalog import describe_tools

        service = self.service
        return describe_tools(service.registry, service.settings, service.store, self.user_id)

    def memory_book(self) -> MemoryBook:
        from pa_cli.memory.book import MemoryBook

        service = self.service
        return MemoryBook(service.settings, service.store, self.user_id)

    def system_prompt(self) -> str | None:
        return self.service.store.agent_configs.get(self.user_id).system_prompt

    def set_system_prompt(self, text: str | None) -> None:
        self.service.store.agent_configs.update(self.user_id, system_prompt=text)

    def authorize(
        self, google_service: str, on_url: Callable[[str], None], *, open_browser: bool = True
    ) -> str:
        """Run the Google OAuth flow (blocks until the browser redirect); returns the granted scopes."""
        from pa_cli.google.oauth import authorize
        from pa_cli.secrets import open_secret_store

        settings = self.service.settings
        result = authorize(
            settings,
            self.service.store,
            open_secret_store(settings.app_paths),
            self.user_id,
            google_service,
            open_browser=open_browser,
            on_url=on_url,
        )
        return ", ".join(result.scopes)


def tools_markdown(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "No tools are available."
    lines = ["| tool | side effect | ready | description |", "| --- | --- | --- | --- |"]
    for row in rows:
        ready = "yes" if row["authorized"] else (row.get("note") or "no")
        description = " ".join(str(row["description"]).split()).replace("|", "\\|")
        side = "yes (asks first)" if row["side_effect"] else "no"
        lines.append(f"| `{row['name']}` | {side} | {ready} | {description} |")
    return "\n".join(lines)
