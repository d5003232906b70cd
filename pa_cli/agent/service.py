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
from concurrent.futures import Future
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, cast

from pa_cli.agent.events import Error, Event, SessionStarted, Waiting
from pa_cli.agent.state import Approver, TurnState
from pa_cli.errors import PaError, UsageError

if TYPE_CHECKING:
    from pocketflow import AsyncFlow

    from pa_cli.agent.early import EarlyTurn
    from pa_cli.agent.llm import AssistantLLM
    from pa_cli.config import Settings
    from pa_cli.store import Store
    from pa_cli.store.deferred import StoreOpening
    from pa_cli.tools.base import ToolGuard
    from pa_cli.tools.registry import ToolRegistry

log = logging.getLogger(__name__)
_END = object()


class AgentService:
    def __init__(
        self,
        settings: Settings,
        store: Store | StoreOpening,
        registry: ToolRegistry,
        *,
        llm_factory: Callable[[], AssistantLLM] | None = None,
        tool_guard: ToolGuard | None = None,
    ) -> None:
        """``tool_guard`` runs before every tool call of every turn (the server's per-device limit).

        ``store`` may be a ``StoreOpening`` (the store opening in a background thread): a turn
        then sends its first LLM request from a light read of the database meanwhile."""
        from pa_cli.agent.flow import build_flow
        from pa_cli.store.deferred import StoreOpening

        self.settings = settings
        self._opening = store if isinstance(store, StoreOpening) else None
        self._store: Store | None = None if isinstance(store, StoreOpening) else store
        self.registry = registry
        self._llm_factory = llm_factory or self._default_llm
        self._tool_guard = tool_guard
        self._flow: AsyncFlow = build_flow()

    @classmethod
    def open(cls, settings: Settings, *, in_background: bool = False) -> AgentService:
        """``in_background``: open the store on a thread while the first turn starts (``pa ask``)."""
        from pa_cli.tools.registry import ToolRegistry

        if in_background:
            from pa_cli.store.deferred import StoreOpening

            # Started by the first turn once its request is sent (or by the first use of ``store``).
            return cls(settings, StoreOpening(settings, start=False), ToolRegistry.load(settings))
        from pa_cli.store import open_store

        store = open_store(settings)
        return cls(settings, store, ToolRegistry.load(settings))

    @property
    def store(self) -> Store:
        if self._store is None:
            assert self._opening is not None
            self._store = self._opening.result()
        return self._store

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
        unattended: bool = False,
    ) -> AsyncIterator[Event]:
        """Run one turn for ``message``; yields events ending with Done or Error.

        ``unattended``: no person is present (a routine): every side effect becomes a pending
        approval whatever the policy, and ``approver`` is never asked.
        """
        if not message.strip():
            raise UsageError("the message is empty")
        early = None if unattended else self._early_turn(message, session_id, continue_last, user_id)
        if early is not None:
            async with aclosing(self._run_early(early, context, approver, frontend, client_id)) as events:
                async for event in events:
                    yield event
            return
        from pa_cli.agent.turn_start import begin_turn

        # The set-up's database work runs on a worker thread: on the server, 200 turns starting
        # together must not hold the event loop that carries the other turns' tokens.
        turn = await asyncio.to_thread(
            begin_turn,
            self.store,
            self.registry,
            self.settings,
            message,
            session_id,
            continue_last,
            context,
            user_id,
        )
        state, queue = self._state(
            turn.user_id,
            turn.session_id,
            turn.turn_id,
            message,
            context,
            turn.history,
            approver,
            frontend,
            client_id,
            config=turn.config,
        )
        state.taint = turn.taint
        state.tool_specs = turn.tool_specs
        state.initial_plan = turn.plan
        state.unattended = unattended
        await asyncio.to_thread(self._recall, state)
        started = SessionStarted(session_id=turn.session_id, turn_id=turn.turn_id, resumed=turn.resumed)
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
            from pa_cli.tools.selection import with_deselected

            approval = self.store.approvals.deselect(approval.id, deselected, with_deselected)
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
        # A routine's turn stays unattended when resumed: approving one call approves that call only.
        session = self.store.sessions.get(session_id) if session_id else None
        state.unattended = session is not None and session.kind == "routine"
        self._recall(state)
        started = SessionStarted(session_id=session_id, turn_id=plan.turn_id, resumed=True)
        async with aclosing(self._drive(state, queue, started, resume=plan)) as events:
            async for event in events:
                yield event

    # --- a turn started before the store is open ---------------------------------------

    def _early_turn(
        self, message: str, session_id: str | None, continue_last: bool, user_id: int | None
    ) -> EarlyTurn | None:
        """What the first LLM request needs, read without the ORM, while the store still opens."""
        if self._opening is None or self._opening.future.done() or session_id or user_id is not None:
            return None
        from pa_cli.agent.early import read_early_turn

        return read_early_turn(self.settings, message, continue_last=continue_last)

    async def _run_early(
        self,
        early: EarlyTurn,
        context: str | None,
        approver: Approver | None,
        frontend: str,
        client_id: str | None,
    ) -> AsyncGenerator[Event, None]:
        """The turn's request goes out now; its session and user message are written meanwhile
        (stdlib sqlite3), and no event reaches the front-end before they are (kill -9 loses nothing).
        The ORM store opens only when the turn needs it (a tool call); a plain answer never does."""
        from pa_cli.agent.context import tool_specs
        from pa_cli.memory.recall import as_notes
        from pa_cli.store.deferred import EarlyStore

        assert self._opening is not None
        turn_id = uuid.uuid4().hex
        written = early.write_in_background(turn_id, context)
        store = EarlyStore(written, self._opening)
        state, queue = self._state(
            early.user_id,
            early.session_id,
            turn_id,
            early.message,
            context,
            early.history,
            approver,
            frontend,
            client_id,
            store=cast("Store", store),
            config=(early.system_prompt, early.enabled_tools),
        )
        state.taint = early.taint
        state.initial_plan = early.plan
        state.memories, memory_taint = as_notes(early.memories)
        state.add_taint(memory_taint)
        state.store_ready = store.ready
        state.store_warm = store.warm
        state.tool_specs = tool_specs(
            self.registry, self.settings, None, early.user_id, state.enabled_tools, grants=early.grants
        )
        started = SessionStarted(session_id=early.session_id, turn_id=turn_id, resumed=early.resumed)
        async with aclosing(self._drive(state, queue, started, written=written)) as events:
            async for event in events:
                yield event

    # --- internals ------------------------------------------------------------------

    def _recall(self, state: TurnState) -> None:
        """Put the remembered facts relevant to the message in the turn; untrusted ones taint it."""
        from pa_cli.memory.recall import recall_notes

        state.memories, taint = recall_notes(self.settings, self.store, state.user_id, state.user_message)
        state.add_taint(taint)

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
        *,
        store: Store | None = None,
        config: tuple[str | None, list[str] | None] | None = None,
    ) -> tuple[TurnState, asyncio.Queue[object]]:
        """``store`` and ``config`` (system prompt, enabled tools) when the turn has them already."""
        from pa_cli.agent.context import DEFAULT_SYSTEM_PROMPT

        if config is None:
            stored = self.store.agent_configs.get(user_id)
            config = (stored.system_prompt, stored.enabled_tools)
        system_prompt, enabled_tools = config
        queue: asyncio.Queue[object] = asyncio.Queue()

        async def emit(event: Event) -> None:
            await queue.put(event)

        async def waiting(reason: str, retry_in: float) -> None:
            await queue.put(Waiting(reason=reason, retry_in=round(retry_in, 2)))

        llm = self._llm_factory()
        llm.on_wait = waiting

        state = TurnState(
            settings=self.settings,
            store=store if store is not None else self.store,
            registry=self.registry,
            llm=llm,
            emit=emit,
            user_id=user_id,
            session_id=session_id,
            turn_id=turn_id,
            user_message=message,
            system_prompt=system_prompt or DEFAULT_SYSTEM_PROMPT,
            history=history,
            attached_context=context,
            approver=approver,
            frontend=frontend,
            client_id=client_id,
            tool_guard=self._tool_guard,
            enabled_tools=None if enabled_tools is None else frozenset(enabled_tools),
        )
        return state, queue

    async def _drive(
        self,
        state: TurnState,
        queue: asyncio.Queue[object],
        first: Event,
        resume: Any = None,
        *,
        written: Future[Any] | None = None,
    ) -> AsyncGenerator[Event, None]:
        """``written``: the turn's first writes, made meanwhile; events wait for them."""
        await queue.put(first)
        task = asyncio.create_task(self._run_flow(state, queue, resume))
        try:
            if written is not None:
                await asyncio.wrap_future(written)
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
        from pa_cli.store.deferred import EarlyStore

        if state.finished or not state.answer:
            return
        if isinstance(state.store, EarlyStore) and state.store.failed:
            return  # the user's message could not be written: there is no turn to keep a part of
        state.finished = True
        state.store.messages.add(
            state.session_id, "assistant", state.answer, status="incomplete", data={"turn_id": state.turn_id}
        )
