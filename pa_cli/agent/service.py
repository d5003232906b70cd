"""AgentService: the one entry point every front-end drives.

``run`` and ``resume`` yield the turn's events as they happen. The flow runs
in its own task; if the consumer goes away (Ctrl-C, a dropped SSE client) the
task is cancelled and the session is left consistent: the user's message
kept, a partial answer stored and marked incomplete.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from pa_cli.agent.events import Error, Event, SessionStarted, Waiting
from pa_cli.agent.state import Approver, TurnState
from pa_cli.errors import PaError, UsageError

if TYPE_CHECKING:
    from pocketflow import AsyncFlow

    from pa_cli.agent.llm import AssistantLLM
    from pa_cli.config import Settings
    from pa_cli.store import Store
    from pa_cli.tools.base import ToolGuard
    from pa_cli.tools.registry import ToolRegistry

log = logging.getLogger(__name__)
_END = object()


class AgentService:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        registry: ToolRegistry,
        *,
        llm_factory: Callable[[], AssistantLLM] | None = None,
        tool_guard: ToolGuard | None = None,
    ) -> None:
        """``tool_guard`` runs before every tool call of every turn (the server's per-device limit)."""
        from pa_cli.agent.flow import build_flow

        self.settings = settings
        self.store = store
        self.registry = registry
        self._llm_factory = llm_factory or self._default_llm
        self._tool_guard = tool_guard
        self._flow: AsyncFlow = build_flow()

    @classmethod
    def open(cls, settings: Settings) -> AgentService:
        from pa_cli.store import open_store
        from pa_cli.tools.registry import ToolRegistry

        store = open_store(settings)
        return cls(settings, store, ToolRegistry.load(settings))

    def _default_llm(self) -> AssistantLLM:
        from pa_cli.agent.llm import AssistantLLM
        from pa_cli.agent.llm_keys import lookup_api_key

        found = lookup_api_key(self.settings)
        return AssistantLLM(self.settings, api_key=found.key, key_problem=found.problem)

    # --- turns -------------------------------------------------------------------

    async def run(
        self,
        message: str,
        session_id: str | None = None,
        context: str | None = None,
        *,
        continue_last: bool = False,
        approver: Approver | None = None,
        frontend: str = "cli",
        user_id: int | None = None,
        client_id: str | None = None,
    ) -> AsyncIterator[Event]:
        """Run one turn for ``message``; yields events ending with Done or Error."""
        from pa_cli.agent.context import load_history_and_taint

        if not message.strip():
            raise UsageError("the message is empty")
        uid = user_id if user_id is not None else self.store.users.local_user().id
        session, resumed = self._session_for(uid, session_id, continue_last, message)
        turn_id = uuid.uuid4().hex
        history, taint = load_history_and_taint(self.store, session.id)
        self.store.messages.add(
            session.id,
            "user",
            message,
            data={"turn_id": turn_id, **({"context": context} if context else {})},
        )
        state, queue = self._state(
            uid, session.id, turn_id, message, context, history, approver, frontend, client_id
        )
        state.taint = taint
        started = SessionStarted(session_id=session.id, turn_id=turn_id, resumed=resumed)
        async with aclosing(self._drive(state, queue, started)) as events:
            async for event in events:
                yield event

    async def resume(
        self,
        approval_id: str,
        approved: bool,
        *,
        approver: Approver | None = None,
        frontend: str = "cli",
        user_id: int | None = None,
        client_id: str | None = None,
        deselected: list[str] | None = None,
    ) -> AsyncIterator[Event]:
        """Decide a pending approval and continue its turn (a batch runs without ``deselected`` items)."""
        from pa_cli.agent.resume import prepare_resume

        uid = user_id if user_id is not None else self.store.users.local_user().id
        from pa_cli.ids import resolve_approval

        approval = resolve_approval(self.store, uid, approval_id)
        if approved and deselected:
            approval = self.store.approvals.deselect(approval.id, deselected)
        approval = self._decide(approval, approved, frontend, client_id)
        plan = prepare_resume(self.store, approval)
        session_id = approval.session_id or ""
        state, queue = self._state(
            uid,
            session_id,
            plan.turn_id,
            plan.user_message,
            plan.context,
            plan.history,
            approver,
            frontend,
            client_id,
        )
        state.outcomes = plan.outcomes
        state.tools_used = plan.tools_used
        state.taint = plan.taint
        started = SessionStarted(session_id=session_id, turn_id=plan.turn_id, resumed=True)
        async with aclosing(self._drive(state, queue, started, resume=plan)) as events:
            async for event in events:
                yield event

    # --- internals ------------------------------------------------------------------

    def _decide(self, approval: Any, approved: bool, frontend: str, client_id: str | None) -> Any:
        """Decide the approval; one that expired is written to the audit ledger as ``expired``."""
        from pa_cli.store.errors import ApprovalExpired

        try:
            return self.store.approvals.decide(approval.id, approved=approved, frontend=frontend)
        except ApprovalExpired:
            if approval.status != "pending":  # its expiry is in the ledger already
                raise
            self.store.audit.record(
                user_id=approval.user_id,
                tool=approval.tool,
                arguments=approval.arguments,
                preview=approval.preview,
                frontend=frontend,
                outcome="expired",
                client_id=client_id,
                approval_id=approval.id,
                session_id=approval.session_id,
            )
            raise

    def _session_for(self, user_id: int, session_id: str | None, continue_last: bool, message: str) -> Any:
        if session_id:
            from pa_cli.ids import resolve_session

            return resolve_session(self.store, user_id, session_id), True
        if continue_last:
            session = self.store.sessions.latest(user_id)
            if session is not None:
                return session, True
        title = " ".join(message.split())[:60]
        return self.store.sessions.create(user_id, title=title), False

    def _state(
        self,
        user_id: int,
        session_id: str,
        turn_id: str,
        message: str,
        context: str | None,
        history: list[Any],
        approver: Approver | None,
        frontend: str,
        client_id: str | None,
    ) -> tuple[TurnState, asyncio.Queue[object]]:
        from pa_cli.agent.context import DEFAULT_SYSTEM_PROMPT

        config = self.store.agent_configs.get(user_id)
        queue: asyncio.Queue[object] = asyncio.Queue()

        async def emit(event: Event) -> None:
            await queue.put(event)

        async def waiting(reason: str, retry_in: float) -> None:
            await queue.put(Waiting(reason=reason, retry_in=round(retry_in, 2)))

        llm = self._llm_factory()
        llm.on_wait = waiting

        state = TurnState(
            settings=self.settings,
            store=self.store,
            registry=self.registry,
            llm=llm,
            emit=emit,
            user_id=user_id,
            session_id=session_id,
            turn_id=turn_id,
            user_message=message,
            system_prompt=config.system_prompt or DEFAULT_SYSTEM_PROMPT,
            history=history,
            attached_context=context,
            approver=approver,
            frontend=frontend,
            client_id=client_id,
            tool_guard=self._tool_guard,
            enabled_tools=None if config.enabled_tools is None else frozenset(config.enabled_tools),
        )
        return state, queue

    async def _drive(
        self, state: TurnState, queue: asyncio.Queue[object], first: Event, resume: Any = None
    ) -> AsyncGenerator[Event, None]:
        await queue.put(first)
        task = asyncio.create_task(self._run_flow(state, queue, resume))
        try:
            while True:
                item = await queue.get()
                if item is _END:
                    break
                yield item  # type: ignore[misc]
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _run_flow(self, state: TurnState, queue: asyncio.Queue[object], resume: Any) -> None:
        try:
            if resume is not None:
                from pa_cli.agent.resume import run_decided_call

                if not await run_decided_call(state, resume):
                    return
            await self._flow.run_async(state)
        except asyncio.CancelledError:
            self._keep_partial(state)
            raise
        except PaError as exc:
            self._keep_partial(state)
            await queue.put(Error(code=exc.code, message=exc.message, hint=exc.hint))
        except Exception as exc:
            log.error("turn failed: %s", type(exc).__name__)
            self._keep_partial(state)
            await queue.put(Error(code="internal", message=f"unexpected failure ({type(exc).__name__})"))
        finally:
            await queue.put(_END)

    def _keep_partial(self, state: TurnState) -> None:
        if state.finished or not state.answer:
            return
        state.finished = True
        state.store.messages.add(
            state.session_id, "assistant", state.answer, status="incomplete", data={"turn_id": state.turn_id}
        )
